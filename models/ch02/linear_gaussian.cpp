// Chapter 02 — the linear-Gaussian model: likelihood, samples, posterior
// (see linear_gaussian.h).
#include "models/ch02/linear_gaussian.h"

#include <cmath>
#include <numbers>

#include "tensor/linalg.h"

namespace latent::models {

namespace {

// B = Ψ⁻¹ W [D, q] and the Cholesky factor of M = I_q + Wᵀ Ψ⁻¹ W [q, q]: the
// pieces Woodbury's identity needs to apply C⁻¹ without forming C.
struct Woodbury {
  Tensor B, L;
  double logdet_C = 0;  // Σ ln ψ_d + ln |M|  (matrix determinant lemma)
};
Woodbury woodbury(const LinearGaussian& m) {
  const int64_t q = m.latent_dim();
  Tensor psi = m.noise_variance.reshape({m.dim(), 1});
  Woodbury w;
  w.B = m.loadings / psi;
  Tensor M = eye(q, DType::f64) + matmul(m.loadings.t(), w.B);
  w.L = cholesky((M + M.t()) * 0.5);
  w.logdet_C = sum(log(m.noise_variance)).item() + logdet_spd(M).item();
  return w;
}

}  // namespace

void check_model(const std::string& op, const LinearGaussian& m) {
  if (!m.mean.defined() || !m.loadings.defined() || !m.noise_variance.defined())
    fail(op, "the model is empty (mean, loadings and noise_variance must all be set)");
  const int64_t d = m.dim();
  if (m.mean.dim() != 1 || m.loadings.dim() != 2 || m.loadings.size(0) != d || m.noise_variance.dim() != 1 ||
      m.noise_variance.size(0) != d || m.latent_dim() < 1)
    fail(op, "inconsistent model: mean " + shape_str(m.mean.shape()) + ", loadings " + shape_str(m.loadings.shape()) +
                 ", noise_variance " + shape_str(m.noise_variance.shape()) + " (need [D], [D, q >= 1], [D])");
  for (const Tensor* t : {&m.mean, &m.loadings, &m.noise_variance})
    if (t->dtype() != DType::f64) fail(op, "model tensors must be float64");
  for (double v : m.noise_variance.to_vector())
    if (!(v > 0) || !std::isfinite(v))
      fail(op, "noise variances must be positive and finite, found " + std::to_string(v));
  for (double v : m.loadings.to_vector())
    if (!std::isfinite(v)) fail(op, "loadings W contain NaN or Inf");
}

Tensor model_covariance(const LinearGaussian& m) {
  check_model("model_covariance", m);
  Tensor C = matmul(m.loadings, m.loadings.t());
  for (int64_t d = 0; d < m.dim(); ++d) C.set({d, d}, C.at({d, d}) + m.noise_variance.at({d}));
  return C;
}

double mean_log_likelihood(const LinearGaussian& m, const Moments& data) {
  check_model("mean_log_likelihood", m);
  const int64_t d = m.dim();
  if (data.dim() != d)
    fail("mean_log_likelihood", "data has " + std::to_string(data.dim()) + " values per example, the model " +
                                    std::to_string(d));
  Woodbury w = woodbury(m);
  const Tensor& S = data.covariance;
  // tr(C⁻¹ S) = Σ_d S_dd / ψ_d − tr(M⁻¹ Bᵀ S B)
  Tensor diagS = S.reshape({-1}).slice(0, 0, d * d, d + 1);
  Tensor BtSB = matmul(w.B.t(), matmul(S, w.B));
  double trace = sum(diagS / m.noise_variance).item();
  Tensor MinvK = cholesky_solve(w.L, BtSB);
  for (int64_t i = 0; i < m.latent_dim(); ++i) trace -= MinvK.at({i, i});
  // δᵀ C⁻¹ δ = Σ_d δ_d² / ψ_d − (Bᵀδ)ᵀ M⁻¹ (Bᵀδ),  δ = x̄ − μ
  Tensor delta = data.mean - m.mean;
  Tensor Btd = matmul(w.B.t(), delta);
  double mahalanobis = sum(square(delta) / m.noise_variance).item() -
                       sum(Btd * cholesky_solve(w.L, Btd)).item();
  return -0.5 * ((double)d * std::log(2 * std::numbers::pi) + w.logdet_C + trace + mahalanobis);
}

double mean_log_likelihood(const LinearGaussian& m, const Tensor& X) {
  return mean_log_likelihood(m, data_moments("mean_log_likelihood", X));
}

Tensor sample(const LinearGaussian& m, int64_t n, Generator& g, bool with_noise) {
  check_model("sample", m);
  if (n < 0) fail("sample", "number of samples must be >= 0, got " + std::to_string(n));
  const int64_t d = m.dim(), q = m.latent_dim();
  Tensor h = normal({n, q}, 0, 1, DType::f64, &g);
  Tensor x = matmul(h, m.loadings.t()) + m.mean.reshape({1, d});
  if (with_noise) x = x + normal({n, d}, 0, 1, DType::f64, &g) * sqrt(m.noise_variance).reshape({1, d});
  return x;
}

LatentPosterior latent_posterior(const LinearGaussian& m, const Tensor& X0) {
  check_model("latent_posterior", m);
  Tensor X = data_matrix("latent_posterior", X0);
  if (X.size(1) != m.dim())
    fail("latent_posterior", "data " + shape_str(X0.shape()) + " does not match the model's D = " + std::to_string(m.dim()));
  Woodbury w = woodbury(m);
  Tensor projected = matmul(X.to(DType::f64) - m.mean.reshape({1, m.dim()}), w.B);  // (x − μ)ᵀ B, one row per example
  Tensor mean = cholesky_solve(w.L, projected.t()).t().contiguous();               // M⁻¹ Bᵀ (x − μ)
  Tensor cov = cholesky_solve(w.L, eye(m.latent_dim(), DType::f64));
  return {mean, (cov + cov.t()) * 0.5};
}

}  // namespace latent::models
