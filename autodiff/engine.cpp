// latent/autodiff — the backward pass.
//
// 1. Order: a depth-first walk from the outputs lists every Node that needs a
//    gradient, each after all Nodes that consume it (reverse topological
//    order). A Node's gradient is complete only once every consumer has added
//    its share — the order guarantees that.
// 2. Sweep: for each Node in that order, call its backward rule with the summed
//    gradient of its output, and add the results into its inputs' gradients.
// 3. Leaves keep what reaches them (backward()) or hand it back (grad()).
//
// With create_graph the sweep runs with recording on, so every gradient is a
// Var with a graph of its own (differentiable again). Without it, recording is
// off and gradients are plain values.
#include <unordered_map>
#include <unordered_set>

#include "autodiff/ops.h"

namespace latent {

namespace {

// Nodes reachable from `roots` through requires_grad edges, consumers first.
using NodePtr = std::shared_ptr<Node>;
std::vector<NodePtr> reverse_topological(const std::vector<NodePtr>& roots) {
  std::vector<NodePtr> post;  // post-order: inputs before consumers
  std::unordered_set<Node*> seen;
  // Iterative DFS (a deep graph — an RNN, a long chain — must not overflow the stack).
  std::vector<std::pair<NodePtr, size_t>> stack;
  for (const NodePtr& r : roots) {
    if (!r || !r->requires_grad || !seen.insert(r.get()).second) continue;
    stack.push_back({r, 0});
    while (!stack.empty()) {
      auto& [n, i] = stack.back();
      if (i < n->inputs.size()) {
        const NodePtr& in = n->inputs[i++].node_ptr();
        if (in && in->requires_grad && seen.insert(in.get()).second) stack.push_back({in, 0});
      } else {
        post.push_back(n);
        stack.pop_back();
      }
    }
  }
  return {post.rbegin(), post.rend()};
}

Var accumulate(const Var& a, const Var& b) { return a.defined() ? add(a, b) : b; }

void check_grad_shape(const Node& n, size_t i, const Var& g) {
  const Tensor& in = n.inputs[i].data();
  if (g.shape() != in.shape())
    fail("backward", "the backward rule of '" + n.op + "' returned a gradient of shape " +
                         shape_str(g.shape()) + " for input " + std::to_string(i) + " of shape " +
                         shape_str(in.shape()));
}

// The sweep. Returns the gradients reaching `targets` (if any); accumulates into
// leaves' .grad when `accumulate_leaves`.
std::vector<Var> run_backward(const std::vector<Var>& outputs, const std::vector<Var>& grad_outputs,
                              const std::vector<Var>& targets, bool accumulate_leaves,
                              bool retain_graph, bool create_graph) {
  std::vector<NodePtr> roots;
  std::unordered_map<Node*, Var> grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Var& y = outputs[i];
    if (!y.defined()) fail("backward", "undefined output");
    if (!y.requires_grad())
      fail("backward", "output " + std::to_string(i) + " (made by '" + y.op() +
                           "') does not require a gradient: no input of its graph has requires_grad");
    Var g;
    if (i < grad_outputs.size() && grad_outputs[i].defined()) {
      g = grad_outputs[i];
      if (g.shape() != y.shape())
        fail("backward", "grad_output of shape " + shape_str(g.shape()) + " for an output of shape " +
                             shape_str(y.shape()));
    } else {
      if (y.numel() != 1)
        fail("backward", "output of shape " + shape_str(y.shape()) +
                             " is not a scalar: pass grad_output (dL/d(output)) explicitly");
      g = Var(ones(y.shape(), y.dtype()));
    }
    grads[y.node()] = accumulate(grads[y.node()], g);
    roots.push_back(y.node_ptr());
  }
  std::unordered_map<Node*, size_t> target_index;
  for (size_t i = 0; i < targets.size(); ++i) target_index[targets[i].node()] = i;
  std::vector<Var> target_grads(targets.size());

  GradModeGuard mode(create_graph);
  std::vector<NodePtr> order = reverse_topological(roots);
  for (NodePtr& slot : order) {
    // Take the node out of `order`: once processed (and its graph released),
    // nothing here keeps it — its value is freed unless the caller holds it.
    NodePtr np = std::move(slot);
    Node* n = np.get();
    auto it = grads.find(n);
    if (it == grads.end()) continue;  // nothing flowed here
    Var g = it->second;
    grads.erase(it);
    auto ti = target_index.find(n);
    if (ti != target_index.end()) target_grads[ti->second] = g;
    if (n->is_leaf()) {
      if (accumulate_leaves) {
        Var acc = create_graph ? g : g.detach();
        n->grad = std::make_shared<Var>(n->grad ? accumulate(*n->grad, acc) : acc);
      }
      continue;
    }
    if (n->inputs.empty())
      fail("backward", "the graph through '" + n->op +
                           "' was already freed by an earlier backward(); pass retain_graph=true "
                           "to the first call to walk it twice");
    Var out = Var::from_node(np);
    BackwardCtx ctx{g, out, n->inputs, {}};
    for (const Var& in : n->inputs) ctx.needs.push_back(in.requires_grad());
    Grads gin = n->backward(ctx);
    if (gin.size() != n->inputs.size())
      fail("backward", "the backward rule of '" + n->op + "' returned " + std::to_string(gin.size()) +
                           " gradients for " + std::to_string(n->inputs.size()) + " inputs");
    for (size_t i = 0; i < gin.size(); ++i) {
      if (!ctx.needs[i] || !gin[i].defined()) continue;
      check_grad_shape(*n, i, gin[i]);
      Node* in = n->inputs[i].node();
      grads[in] = accumulate(grads[in], gin[i]);
    }
    if (!retain_graph) {  // free the graph as we go: activations are released early
      n->inputs.clear();
      n->backward = [](const BackwardCtx&) -> Grads { return {}; };  // stays a non-leaf
    }
  }
  return target_grads;
}

}  // namespace

void Var::backward(const Var& grad_output, bool retain_graph, bool create_graph) const {
  run_backward({*this}, {grad_output}, {}, true, retain_graph || create_graph, create_graph);
}

std::vector<Var> grad(const std::vector<Var>& outputs, const std::vector<Var>& inputs,
                      const std::vector<Var>& grad_outputs, bool create_graph, bool retain_graph,
                      bool allow_unused) {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      fail("grad", "input " + std::to_string(i) + " does not require a gradient");
  std::vector<Var> r = run_backward(outputs, grad_outputs, inputs, false,
                                    retain_graph || create_graph, create_graph);
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].defined()) continue;
    if (!allow_unused)
      fail("grad", "input " + std::to_string(i) + " of shape " + shape_str(inputs[i].shape()) +
                       " is not used to compute the outputs (pass allow_unused=true for zeros)");
    r[i] = Var(zeros_like(inputs[i].data()));
  }
  return r;
}

}  // namespace latent
