// latent/autodiff — matrix products: forward next to backward.
#include "autodiff/ops.h"

namespace latent {

// Y = A B                 dL/dA = G Bᵀ,   dL/dB = Aᵀ G
// (batched: the same per batch element; a broadcast batch axis sums back).
// 1-d operands are made 2-d first so the rule above is the only one needed.
Var matmul(const Var& a, const Var& b) {
  if (a.dim() == 1 || b.dim() == 1) {
    matmul(a.data().dim() == 1 ? a.data().unsqueeze(0) : a.data(),
           b.data().dim() == 1 ? b.data().unsqueeze(1) : b.data());  // validates shapes
    Var a2 = a.dim() == 1 ? unsqueeze(a, 0) : a;
    Var b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
    Var y = matmul(a2, b2);
    if (b.dim() == 1) y = squeeze(y, -1);
    if (a.dim() == 1) y = squeeze(y, b.dim() == 1 ? -1 : -2);
    return y;
  }
  return make_op("matmul", matmul(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    const Var& a = c.in(0);
    const Var& b = c.in(1);
    return {c.need(0) ? sum_to(matmul(c.g, transpose(b, -2, -1)), a.shape()) : Var(),
            c.need(1) ? sum_to(matmul(transpose(a, -2, -1), c.g), b.shape()) : Var()};
  });
}

// y = x Wᵀ + b  (x [N,in], W [out,in], b [out])
// dL/dx = G W,  dL/dW = Gᵀ x,  dL/db = Σ_n G[n]
Var linear(const Var& x, const Var& w, const Var& b) {
  if (x.dim() != 2 || w.dim() != 2)
    fail("linear", "expects x [N,in] and W [out,in], got x " + shape_str(x.shape()) + " and W " +
                       shape_str(w.shape()));
  if (x.size(1) != w.size(1))
    fail("linear", "x " + shape_str(x.shape()) + " has " + std::to_string(x.size(1)) +
                       " features but W " + shape_str(w.shape()) + " expects " + std::to_string(w.size(1)));
  if (b.defined() && (b.dim() != 1 || b.size(0) != w.size(0)))
    fail("linear", "bias " + shape_str(b.shape()) + " does not match W " + shape_str(w.shape()));
  Tensor y = matmul(x.data(), w.data().t());  // Wᵀ is a flag to BLAS, not a copy
  if (b.defined()) add_(y, b.data());
  std::vector<Var> inputs = {x, w};
  if (b.defined()) inputs.push_back(b);
  return make_op("linear", y, inputs, [](const BackwardCtx& c) -> Grads {
    Grads gs = {c.need(0) ? matmul(c.g, c.in(1)) : Var(),
                c.need(1) ? matmul(transpose(c.g, 0, 1), c.in(0)) : Var()};
    if (c.inputs.size() == 3) gs.push_back(c.need(2) ? sum(c.g, {0}) : Var());
    return gs;
  });
}

}  // namespace latent
