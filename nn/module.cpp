// latent/nn — the Module base (see module.h).
#include "nn/module.h"

#include <set>
#include <sstream>

namespace latent::nn {

Var Module::forward(const Var&) {
  fail(describe(), "this module has no single-input forward(x); call its own methods");
}

Var Module::register_parameter(const std::string& name, Tensor value) {
  for (auto& [n, v] : params_)
    if (n == name) fail(describe(), "parameter '" + name + "' registered twice");
  Var p(std::move(value), true);
  p.set_name(name);
  params_.push_back({name, p});
  return p;
}

Tensor Module::register_buffer(const std::string& name, Tensor value) {
  buffers_.push_back({name, value});
  return value;  // a view sharing storage: in-place updates show in both
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  if (!m) fail(describe(), "child module '" + name + "' is null");
  for (auto& [n, c] : children_)
    if (n == name) fail(describe(), "child module '" + name + "' registered twice");
  children_.push_back({name, std::move(m)});
}

void Module::collect(const std::string& prefix, std::vector<std::pair<std::string, Var>>* params,
                     std::vector<std::pair<std::string, Tensor>>* buffers) const {
  if (params)
    for (auto& [n, v] : params_) params->push_back({prefix + n, v});
  if (buffers)
    for (auto& [n, t] : buffers_) buffers->push_back({prefix + n, t});
  for (auto& [n, c] : children_) c->collect(prefix + n + ".", params, buffers);
}

std::vector<std::pair<std::string, Var>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Var>> out;
  collect("", &out, nullptr);
  return out;
}

std::vector<Var> Module::parameters() const {
  std::vector<Var> out;
  std::set<Node*> seen;  // a parameter shared by two children counts once
  for (auto& [n, v] : named_parameters())
    if (seen.insert(v.node()).second) out.push_back(v);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect("", nullptr, &out);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const Var& p : parameters()) n += p.numel();
  return n;
}

std::map<std::string, Tensor> Module::state_dict() const {
  std::map<std::string, Tensor> s;
  for (auto& [n, v] : named_parameters()) s[n] = v.data();
  for (auto& [n, t] : named_buffers()) s[n] = t;
  return s;
}

void Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  std::map<std::string, Tensor> mine = state_dict();
  for (auto& [name, dst] : mine) {
    auto it = state.find(name);
    if (it == state.end()) {
      if (strict) fail("load_state_dict", "missing entry '" + name + "' " + shape_str(dst.shape()));
      continue;
    }
    if (it->second.shape() != dst.shape())
      fail("load_state_dict", "'" + name + "' has shape " + shape_str(it->second.shape()) +
                                  " in the state but " + shape_str(dst.shape()) + " in the module");
    Tensor d = dst;
    d.copy_(it->second);  // into the existing storage: Vars and optimizers keep pointing at it
  }
  if (strict)
    for (auto& [name, t] : state)
      if (!mine.count(name)) fail("load_state_dict", "unexpected entry '" + name + "' " + shape_str(t.shape()));
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad() {
  for (auto& [n, v] : named_parameters()) v.zero_grad();
}

void Module::summary_rec(std::string& out, const std::string& name, int depth) const {
  int64_t own = 0;
  for (auto& [n, v] : params_) own += v.numel();
  std::ostringstream os;
  os << std::string(2 * depth, ' ') << (name.empty() ? "" : name + ": ") << describe();
  if (own) os << "  [" << own << " params]";
  out += os.str() + "\n";
  for (auto& [n, c] : children_) c->summary_rec(out, n, depth + 1);
}

std::string Module::summary() const {
  std::string out;
  summary_rec(out, "", 0);
  out += "total trainable parameters: " + std::to_string(num_parameters()) + "\n";
  return out;
}

Sequential::Sequential(std::vector<ModulePtr> layers) {
  for (auto& m : layers) push_back(std::move(m));
}

void Sequential::push_back(ModulePtr m) {
  register_module(std::to_string(layers_.size()), m);
  layers_.push_back(std::move(m));
}

Var Sequential::forward(const Var& x) {
  Var h = x;
  for (auto& m : layers_) h = m->forward(h);
  return h;
}

}  // namespace latent::nn
