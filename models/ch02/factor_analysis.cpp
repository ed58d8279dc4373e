// Chapter 02 — factor analysis by EM (see factor_analysis.h).
#include "models/ch02/factor_analysis.h"

#include <algorithm>
#include <cmath>

#include "models/ch02/ppca.h"
#include "tensor/linalg.h"

namespace latent::models {

LinearGaussian fa_em_step(const Moments& data, const LinearGaussian& m, double min_noise_variance) {
  check_model("fa_em_step", m);
  const int64_t d = m.dim(), q = m.latent_dim();
  const Tensor& S = data.covariance;
  const Tensor& W = m.loadings;
  // E-step: posterior moments through β = M⁻¹ Bᵀ, B = Ψ⁻¹ W.
  Tensor B = W / m.noise_variance.reshape({d, 1});
  Tensor M = eye(q, DType::f64) + matmul(W.t(), B);
  Tensor L = cholesky((M + M.t()) * 0.5);
  Tensor beta = cholesky_solve(L, B.t().contiguous());            // [q, D]
  Tensor S_beta_t = matmul(S, beta.t());                          // S βᵀ = (1/N) Σ (x_n − x̄) E[h_n]ᵀ
  Tensor Ehh = cholesky_solve(L, eye(q, DType::f64)) + matmul(beta, S_beta_t);  // (1/N) Σ E[h hᵀ]
  // M-step: W̃ = S βᵀ Ehh⁻¹ (Ehh symmetric), then ψ̃_d = S_dd − (W̃ β S)_dd.
  Tensor W_new = solve((Ehh + Ehh.t()) * 0.5, S_beta_t.t()).t().contiguous();
  Tensor diagS = S.reshape({-1}).slice(0, 0, d * d, d + 1);
  Tensor psi = clamp(diagS - sum(W_new * S_beta_t, {1}), min_noise_variance, INFINITY);
  return {data.mean.clone(), W_new, psi.contiguous()};
}

EmFit fit_factor_analysis(const Moments& data, int64_t q, const EmOptions& opt, const LinearGaussian* init) {
  const int64_t d = data.dim();
  EmFit fit;
  fit.model = init ? *init : ppca_closed_form(data, q);
  if (fit.model.latent_dim() != q || fit.model.dim() != d)
    fail("fit_factor_analysis", "initial model has D = " + std::to_string(fit.model.dim()) + ", q = " +
                                    std::to_string(fit.model.latent_dim()) + "; expected D = " + std::to_string(d) +
                                    ", q = " + std::to_string(q));
  if (opt.min_noise_ratio < 0) fail("fit_factor_analysis", "min_noise_ratio must be >= 0");
  const double floor =
      opt.min_noise_ratio * sum(data.covariance.reshape({-1}).slice(0, 0, d * d, d + 1)).item() / (double)d;
  // The floor must hold from the start too (else the first step could lower the likelihood).
  fit.model.noise_variance = clamp(fit.model.noise_variance, std::max(floor, 1e-300), INFINITY).contiguous();
  fit.log_likelihood.push_back(mean_log_likelihood(fit.model, data));
  for (int it = 1; it <= opt.max_iterations; ++it) {
    fit.model = fa_em_step(data, fit.model, std::max(floor, 1e-300));
    fit.log_likelihood.push_back(mean_log_likelihood(fit.model, data));
    fit.iterations = it;
    if (fit.log_likelihood[it] - fit.log_likelihood[it - 1] < opt.tolerance) {
      fit.converged = true;
      break;
    }
  }
  return fit;
}

}  // namespace latent::models
