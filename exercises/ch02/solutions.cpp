// Chapter 02 exercises — reference solutions. Try the stubs first!
#include "exercises/ch02/exercises.h"

#include "tensor/index.h"

namespace latent::exercises::ch02 {

PcaByHand pca_by_covariance(const Tensor& X, int64_t k) {
  const int64_t n = X.size(0), d = X.size(1);
  Tensor mu = mean(X, {0});
  Tensor Xc = X - mu.reshape({1, d});
  Tensor C = matmul(Xc.t(), Xc) / (double)(n - 1);
  Eigh e = eigh((C + C.t()) * 0.5);  // exactly symmetric for eigh's check
  // eigh sorts ascending: the k largest are the last k, taken in reverse.
  std::vector<int64_t> order(k);
  for (int64_t i = 0; i < k; ++i) order[i] = d - 1 - i;
  Tensor idx = from_vector_i(order, {k});
  return {mu, index_select(e.vectors, 1, idx).t().contiguous(), index_select(e.values, 0, idx)};
}

Tensor pca_project(const Tensor& X, const Tensor& mean, const Tensor& components) {
  return matmul(X - mean.reshape({1, -1}), components.t());
}

Tensor pca_reconstruct(const Tensor& Z, const Tensor& mean, const Tensor& components) {
  return matmul(Z, components) + mean.reshape({1, -1});
}

PpcaParams ppca_em_step(const Tensor& S, const PpcaParams& cur) {
  const Tensor& W = cur.W;
  const int64_t d = W.size(0), q = W.size(1);
  Tensor I = eye(q, W.dtype());
  Tensor M = matmul(W.t(), W) + I * cur.sigma2;
  Tensor SW = matmul(S, W);
  Tensor A = I * cur.sigma2 + solve(M, matmul(W.t(), SW));
  Tensor W_new = solve(A.t(), SW.t()).t().contiguous();  // S W A⁻¹
  // tr(S W M⁻¹ W̃ᵀ) = Σ_ij (S W)_ij (M⁻¹ W̃ᵀ)_ji
  double fitted = sum(SW * solve(M, W_new.t()).t()).item();
  double trace_S = sum(S.reshape({-1}).slice(0, 0, d * d, d + 1)).item();
  return {W_new, (trace_S - fitted) / (double)d};
}

}  // namespace latent::exercises::ch02
