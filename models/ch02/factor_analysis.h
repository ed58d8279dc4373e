// Chapter 02 — factor analysis by EM (Rubin & Thayer 1982; Ghahramani &
// Hinton 1996, "The EM algorithm for mixtures of factor analyzers").
//
// The linear-Gaussian model of linear_gaussian.h with a diagonal noise
// covariance Ψ = diag(ψ_1..ψ_D): each pixel has its own noise level, so FA
// models correlations through W and per-pixel variance through Ψ (PPCA must
// spend components on pixels that are merely noisy). No closed form: EM.
// With B = Ψ⁻¹ W and M = I + Wᵀ Ψ⁻¹ W, per iteration (Bishop, PRML eqs.
// 12.66-12.70, with the sums over n written through S):
//
//   E-step   E[h_n] = β (x_n − x̄),  β = M⁻¹ Bᵀ [q, D]
//            (1/N) Σ_n E[h_n h_nᵀ] = M⁻¹ + β S βᵀ
//   M-step   W̃ = S βᵀ (M⁻¹ + β S βᵀ)⁻¹
//            Ψ̃ = diag(S − W̃ β S)
//
// A floor on ψ. MNIST has ~70 border pixels that are 0 in every training
// image: their S_dd = 0, EM drives their ψ_d → 0, and the likelihood grows
// without bound on the training set while any test image with ink there gets
// a likelihood of ~0. ψ_d >= min_noise_ratio · tr(S)/D keeps the density
// proper (for MNIST with the default 1e-3: ψ >= 6.7e-5, a noise s.d. of ~2
// grey levels). EM stays monotone: for each d the M-step's objective in ψ_d,
// −½(ln ψ_d + a_d/ψ_d), is unimodal, so clipping at the floor is the
// constrained maximiser.
#pragma once

#include "models/ch02/linear_gaussian.h"

namespace latent::models {

// One EM iteration from m; μ is set to x̄, ψ clipped below at min_noise_variance.
LinearGaussian fa_em_step(const Moments& data, const LinearGaussian& m, double min_noise_variance);

// EM from `init`, or when null from the closed-form PPCA (ppca.h) — so FA
// starts at PPCA's maximum likelihood, and since EM never decreases it, ends at
// least as high (PPCA is the special case ψ_d = σ²). Errors as for PPCA.
EmFit fit_factor_analysis(const Moments& data, int64_t q, const EmOptions& opt = {},
                          const LinearGaussian* init = nullptr);

}  // namespace latent::models
