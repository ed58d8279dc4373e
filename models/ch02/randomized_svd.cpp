// Chapter 02 — randomized SVD (see randomized_svd.h).
#include "models/ch02/randomized_svd.h"

#include <algorithm>

#include "models/ch02/data_matrix.h"
#include "tensor/random.h"

namespace latent::models {

namespace {

// One pass of Cholesky-QR: Y = Q R with RᵀR = YᵀY, so Q = Y R⁻¹. Two GEMMs
// with the tall Y, in Y's dtype, and an l x l factorisation in float64 — far
// cheaper than an SVD of the tall Y. Fails (cholesky's error) when YᵀY is not
// numerically positive definite, i.e. Y is (nearly) rank-deficient.
Tensor cholesky_qr(const Tensor& Y) {
  Tensor G = matmul(Y.t(), Y).to(DType::f64);
  Tensor L = cholesky((G + G.t()) * 0.5);  // G = L Lᵀ, R = Lᵀ
  Tensor L_inv = triangular_solve(L, eye(L.size(0), DType::f64));
  return matmul(Y, L_inv.t().to(Y.dtype()));  // Y R⁻¹ = Y L⁻ᵀ
}

}  // namespace

Tensor orthonormal_basis(const Tensor& Y0) {
  Tensor Y = Y0.to(DType::f64);
  // CholeskyQR2 (Fukaya et al. 2014; Yamamoto et al. 2015): one pass leaves
  // an orthogonality error ~ eps·cond(Y)², a second pass on the nearly
  // orthonormal result brings it down to ~eps when cond(Y) < ~1e8. Power
  // iterations keep cond(Y) moderate because every step re-orthonormalises.
  // A (nearly) rank-deficient Y falls back to the thin SVD, whose U is an
  // orthonormal basis whatever the rank.
  try {
    return cholesky_qr(cholesky_qr(Y));
  } catch (const Error&) {
    return svd(Y).U;
  }
}

SVD randomized_svd(const Tensor& A0, int64_t k, const RandomizedSvdOptions& opt, const Tensor& centre) {
  const std::string op = "randomized_svd";
  Tensor A = data_matrix(op, A0);
  const int64_t n = A.size(0), d = A.size(1), rank_bound = std::min(n, d);
  if (k < 1 || k > rank_bound)
    fail(op, "asked for " + std::to_string(k) + " singular triplets of a " + shape_str(A.shape()) +
                 " matrix; k must be in [1, min(N, D) = " + std::to_string(rank_bound) + "]");
  if (opt.oversamples < 0) fail(op, "oversamples must be >= 0, got " + std::to_string(opt.oversamples));
  const int64_t l = std::min(k + opt.oversamples, rank_bound);
  const int q = opt.power_iterations >= 0 ? opt.power_iterations : (k < rank_bound / 10 ? 7 : 4);
  const DType dt = A.dtype();

  Tensor c;  // centre as a row [1, D] in A's dtype
  if (centre.defined()) {
    if (centre.numel() != d)
      fail(op, "centre " + shape_str(centre.shape()) + " does not match A " + shape_str(A.shape()));
    c = centre.to(dt).reshape({1, d});
  }
  // (A − 1cᵀ) V = A V − 1 (cᵀ V)          [N, l]
  auto times = [&](const Tensor& V) {
    Tensor AV = matmul(A, V);
    return c.defined() ? AV - matmul(c, V) : AV;
  };
  // (A − 1cᵀ)ᵀ Q = Aᵀ Q − c (1ᵀ Q)         [D, l]
  auto transpose_times = [&](const Tensor& Q) {
    Tensor AtQ = matmul(A.t(), Q);
    return c.defined() ? AtQ - matmul(c.t(), sum(Q, {0}, true)) : AtQ;
  };
  // Between power iterations the basis only has to keep the columns from
  // collapsing onto the top singular vector (scikit-learn uses a mere LU
  // there): one Cholesky-QR pass in A's dtype. The final Q gets a second pass.
  auto orth_step = [&](const Tensor& Y) {
    try {
      return cholesky_qr(Y);
    } catch (const Error&) {
      return svd(Y.to(DType::f64)).U.to(dt);
    }
  };

  Generator g(opt.seed);
  Tensor omega = normal({d, l}, 0, 1, dt, &g);
  Tensor Q = orth_step(times(omega));
  for (int i = 0; i < q; ++i) Q = orth_step(times(orth_step(transpose_times(Q))));
  Q = orth_step(Q);  // a second pass on a nearly orthonormal Q (CholeskyQR2): orthonormal to ~eps of A's dtype

  // B = Qᵀ (A − 1cᵀ) = ((A − 1cᵀ)ᵀ Q)ᵀ, small: [l, D].
  Tensor B = transpose_times(Q).t().to(DType::f64);
  SVD small = svd(B);
  Tensor U = matmul(Q.to(DType::f64), small.U);
  return {U.slice(1, 0, k).to(dt), small.S.slice(0, 0, k).to(dt), small.Vt.slice(0, 0, k).to(dt)};
}

}  // namespace latent::models
