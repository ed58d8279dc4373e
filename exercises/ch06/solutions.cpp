// Chapter 06 exercises — reference solutions. Try the stubs first!
#include "exercises/ch06/exercises.h"

namespace latent::exercises::ch06 {

Tensor mask_inputs(const Tensor& x, double p, Generator& g) {
  if (!(p >= 0 && p <= 1)) fail("mask_inputs", "the masking probability p must be in [0, 1], got " + std::to_string(p));
  const Tensor keep = bernoulli(full(x.shape(), 1 - p, x.dtype()), &g);  // 1 with probability 1 − p
  return x * keep;  // kept inputs keep their value: no 1/(1 − p) as in dropout
}

Tensor add_gaussian_noise(const Tensor& x, double sigma, Generator& g) {
  if (!(sigma >= 0)) fail("add_gaussian_noise", "the noise std sigma must be >= 0, got " + std::to_string(sigma));
  return x + normal(x.shape(), 0, sigma, x.dtype(), &g);  // not clipped
}

Var contractive_penalty(const Var& x, const Var& W, const Var& b) {
  if (x.dim() != 2 || W.dim() != 2 || b.dim() != 1 || W.size(1) != x.size(1) || b.size(0) != W.size(0))
    fail("contractive_penalty", "needs x [N, D], W [k, D], b [k]; got x " + shape_str(x.shape()) + ", W " +
                                    shape_str(W.shape()) + ", b " + shape_str(b.shape()));
  const Var h = sigmoid(linear(x, W, b));    // [N, k]
  const Var slope = square(h * (1.0 - h));   // σ'(a_j)² = (h_j (1 − h_j))²
  const Var row_norms = sum(square(W), {1}); // Σ_i W_ji², [k]
  return sum(slope * row_norms, {1});        // one number per example
}

Var kl_sparsity_penalty(const Var& h, double rho) {
  if (!(rho > 0 && rho < 1)) fail("kl_sparsity_penalty", "the target rho must be in (0, 1), got " + std::to_string(rho));
  if (h.dim() != 2 || h.size(0) < 1) fail("kl_sparsity_penalty", "activations must be [N, k], got " + shape_str(h.shape()));
  const Var rho_hat = mean(h, {0});  // [k]
  return sum(rho * log(rho / rho_hat) + (1 - rho) * log((1 - rho) / (1 - rho_hat)));
}

}  // namespace latent::exercises::ch06
