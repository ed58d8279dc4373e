// Chapter 00 exercises — reference solutions. Try the stubs first!
#include "exercises/ch00/exercises.h"

namespace latent::exercises::ch00 {

// dy/da = b, dy/db = a; the chain rule multiplies by g.
Grads mul_backward(const Var& a, const Var& b, const Var& g) { return {g * b, g * a}; }

// dL/dA_ik = Σ_j g_ij B_kj = (g Bᵀ)_ik;  dL/dB_kj = Σ_i A_ik g_ij = (Aᵀ g)_kj.
Grads matmul_backward(const Var& A, const Var& B, const Var& g) {
  return {matmul(g, transpose(B, 0, 1)), matmul(transpose(A, 0, 1), g)};
}

// σ'(x) = σ(x)(1 − σ(x)) = y(1 − y): the output is all we need.
Var sigmoid_backward(const Var& y, const Var& g) { return g * y * (1.0 - y); }

Var swish(const Var& x) {
  Tensor s = sigmoid(x.data());
  return make_op("swish", mul(x.data(), s), {x}, [](const BackwardCtx& c) -> Grads {
    Var sx = sigmoid(c.in(0));  // recomputed with Var ops, so the rule is differentiable
    return {c.g * (sx + c.in(0) * sx * (1.0 - sx))};
  });
}

}  // namespace latent::exercises::ch00
