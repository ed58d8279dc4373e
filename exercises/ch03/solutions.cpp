// Chapter 03 exercises — reference solutions. Try the stubs first!
#include <cmath>
#include <numbers>

#include "exercises/ch03/exercises.h"
#include "tensor/index.h"
#include "tensor/linalg.h"

namespace latent::exercises::ch03 {

Tensor assign_step(const Tensor& X, const Tensor& C, Tensor* min_sq_dist) {
  Tensor xx = sum(X * X, {1}, true);                   // ||x_i||² [N,1]
  Tensor cc = sum(C * C, {1});                         // ||c_j||² [K]
  Tensor d = xx + cc - 2.0 * matmul(X, C.t());         // [N,K], one GEMM for every cross term
  d = maximum(d, zeros({}, d.dtype()));                // rounding below 0
  if (min_sq_dist) *min_sq_dist = min(d, {1});
  return argmin(d, 1);                                 // first minimum: ties to the lower index
}

Tensor gmm_log_responsibilities(const Tensor& X, const Tensor& weights, const Tensor& means,
                                const Tensor& covariances, double* avg_loglik) {
  const int64_t K = weights.size(0), D = X.size(1);
  std::vector<Tensor> cols;
  for (int64_t k = 0; k < K; ++k) {
    Tensor L = cholesky(covariances.select(0, k));              // Σ_k = L Lᵀ
    Tensor diff = X - means.slice(0, k, k + 1);                 // [N,D]
    Tensor y = triangular_solve(L, diff.t());                   // L⁻¹(x − μ) for every point, [D,N]
    Tensor maha = sum(y * y, {0});                              // [N]
    const double log_det = 2 * sum(log(L.reshape({-1}).slice(0, 0, D * D, D + 1))).item();
    cols.push_back(maha * -0.5 - 0.5 * (D * std::log(2 * std::numbers::pi) + log_det) +
                   std::log(weights.at({k})));
  }
  Tensor joint = stack(cols, 1);                                // log π_k + log N(x_n | k) [N,K]
  Tensor log_px = logsumexp(joint, {1}, true);                  // log p(x_n) [N,1]
  if (avg_loglik) *avg_loglik = mean(log_px).item();
  return joint - log_px;
}

}  // namespace latent::exercises::ch03
