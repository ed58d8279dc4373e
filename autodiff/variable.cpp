// latent/autodiff — Var handles, recording mode, and make_op.
#include "autodiff/variable.h"

namespace latent {

static thread_local bool g_grad_enabled = true;
bool grad_enabled() { return g_grad_enabled; }
GradModeGuard::GradModeGuard(bool enabled) : prev_(g_grad_enabled) { g_grad_enabled = enabled; }
GradModeGuard::~GradModeGuard() { g_grad_enabled = prev_; }

Var::Var(Tensor value, bool requires_grad) : node_(std::make_shared<Node>()) {
  if (!value.defined()) fail("Var", "cannot wrap an undefined tensor");
  if (requires_grad && value.dtype() == DType::i64)
    fail("Var", "an int64 tensor cannot require a gradient (only float32/float64 can)");
  node_->value = std::move(value);
  node_->requires_grad = requires_grad;
}

Var Var::from_node(std::shared_ptr<Node> n) {
  Var v;
  v.node_ = std::move(n);
  return v;
}

static const Node& need(const std::shared_ptr<Node>& n, const char* what) {
  if (!n) fail(what, "undefined Var");
  return *n;
}

const Tensor& Var::data() const { return need(node_, "data").value; }
bool Var::requires_grad() const { return node_ && node_->requires_grad; }
bool Var::is_leaf() const { return need(node_, "is_leaf").is_leaf(); }
const std::string& Var::op() const { return need(node_, "op").op; }

Var& Var::requires_grad_(bool on) {
  if (!need(node_, "requires_grad_").is_leaf())
    fail("requires_grad_", "only leaves can change requires_grad (this Var was made by " +
                               node_->op + "); use detach() first");
  if (on && dtype() == DType::i64) fail("requires_grad_", "an int64 tensor cannot require a gradient");
  node_->requires_grad = on;
  return *this;
}

Var& Var::set_name(const std::string& n) {
  if (!node_) fail("set_name", "undefined Var");
  node_->name = n;
  return *this;
}

Var Var::grad() const {
  const Node& n = need(node_, "grad");
  return n.grad ? *n.grad : Var();
}
void Var::zero_grad() {
  if (node_) node_->grad.reset();
}

Var Var::detach() const { return Var(data(), false); }

Var make_op(const std::string& name, Tensor value, std::vector<Var> inputs, BackwardFn backward) {
  bool any = false;
  for (const Var& v : inputs) any = any || v.requires_grad();
  Var out(std::move(value));
  if (!any || !grad_enabled()) {  // a constant: nothing to differentiate
    out.node()->op = name;
    return out;
  }
  Node* n = out.node();
  n->requires_grad = true;
  n->op = name;
  n->inputs = std::move(inputs);
  n->backward = std::move(backward);
  return out;
}

}  // namespace latent
