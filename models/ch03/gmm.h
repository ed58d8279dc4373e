// Chapter 03 — Gaussian mixtures fitted by expectation–maximisation.
//
//   p(x) = Σ_k π_k N(x | μ_k, Σ_k)
//
// k-means assigns each point to one centre (a one-hot row of Z); a Gaussian
// mixture gives each point a *distribution* over components, the
// responsibilities r_nk = p(z_n = k | x_n), and each component its own shape
// Σ_k. EM alternates (Dempster, Laird & Rubin 1977; Bishop, PRML §9.2):
//   E-step  log r_nk = log π_k + log N(x_n | μ_k, Σ_k) − log Σ_j π_j N(x_n | μ_j, Σ_j)
//           (the last term by log-sum-exp: densities in 50-d underflow to 0)
//   M-step  N_k = Σ_n r_nk,  π_k = N_k / N,  μ_k = (1/N_k) Σ_n r_nk x_n,
//           Σ_k = (1/N_k) Σ_n r_nk (x_n − μ_k)(x_n − μ_k)ᵀ + reg·I
// and the log-likelihood Σ_n log p(x_n) never decreases (tested). With
// Σ_k = σ²I for every k and σ → 0 the responsibilities become one-hot and EM
// becomes Lloyd's algorithm (PRML §9.3.2).
//
//   GMMResult r = fit_gmm(X, {.k = 3, .type = CovarianceType::full});
//   gmm_predict_proba(X, r.model)  [N,3]   gmm_bic(X, r.model)
//
// Everything is computed in float64 (X is converted). Covariance types as in
// scikit-learn: full [K,D,D], diag [K,D] (axis-aligned ellipsoids), spherical
// [K] (one variance per component).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace latent::models {

enum class CovarianceType { full, diag, spherical };
const char* covariance_type_name(CovarianceType t);

struct GaussianMixture {
  CovarianceType type = CovarianceType::full;
  Tensor weights;      // π [K]
  Tensor means;        // μ [K,D]
  Tensor covariances;  // full [K,D,D], diag [K,D], spherical [K]
  // Factors of the precisions, Σ_k⁻¹ = P_k P_kᵀ (full: P_k = L_k⁻ᵀ with
  // Σ_k = L_k L_kᵀ, upper triangular [K,D,D]; diag [K,D] and spherical [K]:
  // 1/σ). The E-step needs only these: (x − μ)ᵀ Σ⁻¹ (x − μ) = ||(x − μ) P||².
  Tensor precisions_chol;
  int64_t num_components() const { return weights.defined() ? weights.size(0) : 0; }
  int64_t dim() const { return means.defined() ? means.size(1) : 0; }
};

// log N(x_n | μ_k, Σ_k) for every point and component: [N,K] float64.
//   log N = −½ (D log 2π + ||(x − μ) P||²) + log det P
// full: one GEMM X P_k per component; diag / spherical: GEMMs for all
// components at once (||x||², x·μ and ||μ||² terms).
Tensor gaussian_log_prob(const Tensor& X, const GaussianMixture& g);

struct EStep {
  Tensor log_resp;        // log r_nk [N,K]
  double avg_loglik = 0;  // (1/N) Σ_n log p(x_n)
};
// The E-step: log responsibilities normalised with log-sum-exp.
EStep gmm_e_step(const Tensor& X, const GaussianMixture& g);

// The M-step from responsibilities resp [N,K] (rows summing to 1): weights,
// means, covariances (+ reg_covar on the diagonal), precision factors. A
// covariance that is still not positive definite is an Error naming the
// component, its N_k and reg_covar, and what to change.
GaussianMixture gmm_m_step(const Tensor& X, const Tensor& resp, CovarianceType type, double reg_covar);

enum class GMMInit {
  kmeans,  // responsibilities = one-hot k-means labels (scikit-learn's default)
  random,  // random responsibilities (rows of uniforms, normalised)
};

struct GMMOptions {
  int64_t k = 1;
  CovarianceType type = CovarianceType::full;
  // Added to every variance: keeps a component that collapsed onto a few
  // points (or onto a flat direction of the data) from a singular Σ, where
  // the likelihood would go to +infinity. scikit-learn's default.
  double reg_covar = 1e-6;
  int64_t max_iter = 100;
  double tol = 1e-3;  // stop when the average log-likelihood gains less than this
  int64_t n_init = 1;
  GMMInit init = GMMInit::kmeans;
  uint64_t seed = 0;
  GaussianMixture init_model = {};  // when its weights are defined: start from it (n_init must be 1)
};

struct GMMResult {
  GaussianMixture model;
  double avg_loglik = 0;              // of the final model: (1/N) Σ_n log p(x_n)
  std::vector<double> loglik_history;  // average log-likelihood at each E-step (never decreases)
  int64_t n_iter = 0;
  bool converged = false;
  int64_t best_init = 0;
};

// EM from n_init starts; the highest final log-likelihood wins. k > N,
// NaN / Inf in X and a negative reg_covar are errors.
GMMResult fit_gmm(const Tensor& X, const GMMOptions& opt);

// The initial model of one start (what fit_gmm iterates from).
GaussianMixture gmm_initial_model(const Tensor& X, const GMMOptions& opt, uint64_t seed);

Tensor gmm_predict_proba(const Tensor& X, const GaussianMixture& g);  // r_nk [N,K]
Tensor gmm_predict(const Tensor& X, const GaussianMixture& g);        // argmax_k r_nk, int64 [N]
double gmm_score(const Tensor& X, const GaussianMixture& g);          // average log-likelihood

// Free parameters: (K − 1) weights + K·D means + covariance entries
// (full K·D(D+1)/2, diag K·D, spherical K).
int64_t gmm_num_parameters(const GaussianMixture& g);
// Bayesian information criterion (Schwarz 1978), lower is better:
//   BIC = −2 log L + p log N
double gmm_bic(const Tensor& X, const GaussianMixture& g);

// Component k's covariance as a [D,D] matrix whatever the type (for drawing).
Tensor gmm_covariance_matrix(const GaussianMixture& g, int64_t k);

}  // namespace latent::models
