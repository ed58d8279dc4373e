// latent/autodiff — reverse-mode automatic differentiation on top of tensor/.
//
// Design (the one choice a learner should know):
//   A Tensor is plain data. A Var wraps a Tensor and remembers how it was made:
//   which op, from which input Vars, and that op's backward rule. Ops on Vars
//   compute their value with tensor/ kernels and record a Node; backward()
//   walks the Nodes from the output back to the leaves (reverse topological
//   order), calling each backward rule and summing the gradients that reach
//   each Var.
//
//   Backward rules are written with Var ops themselves (not raw Tensors). When
//   they run with gradient recording on (create_graph = true), the gradient is
//   itself a Var with a graph, and can be differentiated again: gradients of
//   gradients (the WGAN-GP gradient penalty, Hessian-vector products) come for
//   free.
//
// Var is a cheap handle (a shared_ptr to its Node): copying a Var copies the
// handle, as with Python objects. Nodes point only at their inputs, never at
// their outputs, so the graph has no reference cycles and is freed as soon as
// the last handle to its output goes away (or after backward, which releases
// the graph unless retain_graph is set).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace latent {

class Var;
struct Node;
using Grads = std::vector<Var>;

// What a backward rule sees: the gradient flowing into the op's output, the
// output itself, the op's inputs, and which inputs need a gradient at all.
struct BackwardCtx {
  const Var& g;    // dL/d(out)
  const Var& out;  // the op's output (for rules like d exp(x) = exp(x) dx)
  const std::vector<Var>& inputs;
  std::vector<bool> needs;  // needs[i]: does input i require a gradient?
  const Var& in(size_t i) const { return inputs.at(i); }
  bool need(size_t i) const { return needs.at(i); }
};
using BackwardFn = std::function<Grads(const BackwardCtx&)>;

struct Node {
  Tensor value;
  bool requires_grad = false;
  std::string op = "leaf";  // the op that made this value
  std::string name;         // optional label (shown in the DOT graph)
  std::vector<Var> inputs;  // empty for leaves and for released graphs
  BackwardFn backward;      // empty for leaves
  std::shared_ptr<Var> grad;  // accumulated dL/d(this) for leaves (after backward)
  bool is_leaf() const { return !backward; }
};

class Var {
 public:
  Var() = default;  // undefined
  // A leaf: a value the graph starts from (data, or a parameter when
  // requires_grad). Not explicit, so a Tensor can be passed where a Var is
  // expected; it then acts as a constant.
  Var(Tensor value, bool requires_grad = false);

  bool defined() const { return node_ != nullptr; }
  const Tensor& data() const;  // the value (a view; writing to it is an in-place update)
  const Shape& shape() const { return data().shape(); }
  DType dtype() const { return data().dtype(); }
  int64_t dim() const { return data().dim(); }
  int64_t numel() const { return data().numel(); }
  int64_t size(int64_t axis) const { return data().size(axis); }
  double item() const { return data().item(); }

  bool requires_grad() const;
  Var& requires_grad_(bool on = true);  // leaves only
  bool is_leaf() const;
  const std::string& op() const;
  Var& set_name(const std::string& n);

  // Accumulated gradient of a leaf after backward(); undefined before.
  Var grad() const;
  void zero_grad();  // forget the accumulated gradient

  // Reverse pass from this Var. A scalar needs no grad_output (it is 1).
  void backward(const Var& grad_output = Var(), bool retain_graph = false,
                bool create_graph = false) const;

  // The same value, cut from the graph (a new leaf sharing the storage).
  Var detach() const;

  Node* node() const { return node_.get(); }
  const std::shared_ptr<Node>& node_ptr() const { return node_; }
  static Var from_node(std::shared_ptr<Node> n);

 private:
  std::shared_ptr<Node> node_;
};

// ---- recording on/off ----
// Gradient recording is on by default. NoGradGuard turns it off in a scope
// (evaluation, optimizer updates); ops then make plain constant Vars.
bool grad_enabled();
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;
 private:
  bool prev_;
};
struct NoGradGuard : GradModeGuard {
  NoGradGuard() : GradModeGuard(false) {}
};

// ---- defining an op ----
// make_op(name, value, inputs, backward): the one way every op is built.
// When recording is on and some input requires a gradient, it returns a Var
// whose Node remembers `inputs` and `backward`; otherwise a constant.
// `backward` returns one Var per input: dL/d(input), with that input's shape
// (an undefined Var where ctx.need(i) is false or no gradient exists).
// See autodiff/ops_elementwise.cpp for many examples, and docs/00.
Var make_op(const std::string& name, Tensor value, std::vector<Var> inputs, BackwardFn backward);

// ---- the functional interface (autodiff/engine.cpp) ----
// d(sum of outputs·grad_outputs)/d(inputs), returned instead of accumulated.
// With create_graph the results carry graphs and can be differentiated again.
// allow_unused: an input the outputs do not depend on gets zeros (else an error).
std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Var>& grad_outputs = {}, bool create_graph = false,
                      bool retain_graph = false, bool allow_unused = false);

// Graphviz DOT text of the graph that produced `root` (autodiff/dot.cpp).
std::string to_dot(const Var& root);

}  // namespace latent
