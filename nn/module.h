// latent/nn — modules: named parameters, buffers and children.
//
// A Module owns Vars that training changes (parameters), Tensors it keeps but
// does not train (buffers: BatchNorm's running statistics), and child modules.
// Names are paths ("encoder.0.weight"), which is what checkpoints store.
//
// Modules compose by runtime polymorphism (a virtual forward), not templates:
// a learner can read every layer as a plain class, and compile times stay short.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autodiff/ops.h"

namespace latent::nn {

class Module {
 public:
  virtual ~Module() = default;

  // The module's computation. Single-input modules override this; models with
  // several inputs or outputs (a VAE, a GAN) define their own methods instead.
  virtual Var forward(const Var& x);
  Var operator()(const Var& x) { return forward(x); }
  // A one-line description, e.g. "Linear(784 -> 400)".
  virtual std::string describe() const { return "Module"; }

  // ---- what the module holds ----
  std::vector<std::pair<std::string, Var>> named_parameters() const;  // recursive, in order
  std::vector<Var> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  int64_t num_parameters() const;  // total number of trainable scalars

  // Parameters and buffers by name (views sharing storage with the module).
  std::map<std::string, Tensor> state_dict() const;
  // Copies values in. strict: every name must match both ways, shapes always.
  void load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  // ---- modes ----
  // Training mode (the default) vs evaluation: Dropout and BatchNorm behave
  // differently. Recursive.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad();  // forget every parameter's accumulated gradient

  // The module tree, one line per module, with parameter counts.
  std::string summary() const;

 protected:
  Var register_parameter(const std::string& name, Tensor value);
  Tensor register_buffer(const std::string& name, Tensor value);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void collect(const std::string& prefix, std::vector<std::pair<std::string, Var>>* params,
               std::vector<std::pair<std::string, Tensor>>* buffers) const;
  void summary_rec(std::string& out, const std::string& name, int depth) const;

  std::vector<std::pair<std::string, Var>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

using ModulePtr = std::shared_ptr<Module>;

// Modules applied one after another: Sequential({Linear(..), ReLU(), ...}).
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<ModulePtr> layers);
  void push_back(ModulePtr m);
  Var forward(const Var& x) override;
  std::string describe() const override { return "Sequential"; }
  size_t size() const { return layers_.size(); }
  ModulePtr operator[](size_t i) const { return layers_.at(i); }

 private:
  std::vector<ModulePtr> layers_;
};

}  // namespace latent::nn
