// latent/autodiff — the recorded graph as Graphviz DOT text.
//
// Render with:  dot -Tpng graph.dot -o graph.png
// Ops are boxes, leaves ellipses (parameters, requires_grad, shaded); edges
// point from an input to the op that consumed it — backward walks them in
// reverse.
#include <sstream>
#include <unordered_map>

#include "autodiff/variable.h"

namespace latent {

std::string to_dot(const Var& root) {
  std::ostringstream os;
  os << "digraph latent {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::unordered_map<const Node*, int> id;
  std::vector<const Node*> todo;
  auto visit = [&](const Node* n) {
    auto [it, fresh] = id.emplace(n, (int)id.size());
    if (fresh) todo.push_back(n);
    return it->second;
  };
  if (!root.defined()) fail("to_dot", "undefined Var");
  visit(root.node());
  while (!todo.empty()) {
    const Node* n = todo.back();
    todo.pop_back();
    int me = id[n];
    std::string label = n->name.empty() ? n->op : n->name + "\\n" + n->op;
    label += "\\n" + shape_str(n->value.shape());
    if (n->is_leaf())
      os << "  n" << me << " [shape=ellipse, label=\"" << label << "\""
         << (n->requires_grad ? ", style=filled, fillcolor=\"#cfe8ff\"" : "") << "];\n";
    else
      os << "  n" << me << " [shape=box, label=\"" << label << "\"];\n";
    for (const Var& in : n->inputs) os << "  n" << visit(in.node()) << " -> n" << me << ";\n";
  }
  os << "}\n";
  return os.str();
}

}  // namespace latent
