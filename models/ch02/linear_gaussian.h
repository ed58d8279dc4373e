// Chapter 02 — the linear-Gaussian latent variable model behind probabilistic
// PCA and factor analysis: the generative view of PCA.
//
//     h ~ N(0, I_q)                   a q-dimensional latent code
//     x = W h + μ + ε,  ε ~ N(0, Ψ)   W [D, q] loadings, Ψ diagonal noise
//
// Integrating h out, x ~ N(μ, C) with C = W Wᵀ + Ψ: a Gaussian whose
// covariance is "low rank plus diagonal", D q + D parameters instead of
// D(D+1)/2. PPCA (Tipping & Bishop 1999) takes Ψ = σ² I (the same noise on
// every pixel); factor analysis lets every pixel have its own ψ_d.
//
// Everything is float64. The D x D matrix C is never inverted: by Woodbury and
// the matrix determinant lemma, with B = Ψ⁻¹ W and M = I_q + Wᵀ Ψ⁻¹ W (q x q),
//     C⁻¹ = Ψ⁻¹ − B M⁻¹ Bᵀ,        ln |C| = Σ_d ln ψ_d + ln |M|.
#pragma once

#include <cstdint>
#include <vector>

#include "models/ch02/data_matrix.h"
#include "tensor/random.h"

namespace latent::models {

struct LinearGaussian {
  Tensor mean;            // μ [D]
  Tensor loadings;        // W [D, q]
  Tensor noise_variance;  // diag Ψ [D] (PPCA: every entry is σ²)
  int64_t dim() const { return mean.defined() ? mean.size(0) : 0; }
  int64_t latent_dim() const { return loadings.defined() ? loadings.size(1) : 0; }
};

// Checks shapes, finiteness and ψ > 0; errors name `op`.
void check_model(const std::string& op, const LinearGaussian& m);

// C = W Wᵀ + Ψ [D, D]: the model's covariance of x (for tests and small D).
Tensor model_covariance(const LinearGaussian& m);

// The mean log-likelihood per example, in nats, of data summarised by its
// moments (x̄, S) (data_moments; S with 1/N):
//   (1/N) Σ_n ln N(x_n | μ, C) = −½ [D ln 2π + ln |C| + tr(C⁻¹ S) + (x̄ − μ)ᵀ C⁻¹ (x̄ − μ)]
// (Tipping & Bishop 1999, eq. 4, divided by N, for any μ).
double mean_log_likelihood(const LinearGaussian& m, const Moments& data);
// The same for data X [N, D] or [N, ...] (computes its moments).
double mean_log_likelihood(const LinearGaussian& m, const Tensor& X);

// n draws of x = W h + μ (+ ε when with_noise) [n, D]. Without the noise each
// draw is the mean of p(x | h): for images, the noise-free picture.
Tensor sample(const LinearGaussian& m, int64_t n, Generator& g, bool with_noise = true);

// The posterior of the code given an example: p(h | x) = N(M⁻¹ Bᵀ (x − μ), M⁻¹)
// (Bishop, PRML eq. 12.42 for PPCA; the same form for any diagonal Ψ).
// mean [N, q] for X [N, D]; covariance [q, q], shared by all examples.
struct LatentPosterior {
  Tensor mean, covariance;
};
LatentPosterior latent_posterior(const LinearGaussian& m, const Tensor& X);

// ---- fitting by EM (ppca.h, factor_analysis.h) ----

struct EmOptions {
  int max_iterations = 200;
  double tolerance = 1e-6;        // stop when an iteration gains less (nats per example)
  uint64_t seed = 0;              // PPCA's random initial W
  double min_noise_ratio = 1e-3;  // FA: ψ_d >= ratio · tr(S) / D (see factor_analysis.h)
};
struct EmFit {
  LinearGaussian model;
  // Mean log-likelihood per example: [0] for the initial model, [t] after
  // iteration t. EM never decreases it (Dempster, Laird & Rubin 1977).
  std::vector<double> log_likelihood;
  int iterations = 0;
  bool converged = false;  // the last gain was below tolerance
};

}  // namespace latent::models
