// Chapter 02 — probabilistic PCA (Tipping & Bishop 1999, "Probabilistic
// principal component analysis", J. R. Statist. Soc. B 61(3), 611-622).
//
// The linear-Gaussian model of linear_gaussian.h with isotropic noise Ψ = σ² I.
// Its maximum-likelihood fit has a closed form in the eigendecomposition
// S = U Λ Uᵀ of the data covariance (their eqs. 7-8):
//
//     σ²_ML = 1/(D − q) Σ_{j=q+1..D} λ_j          the variance PCA throws away, per direction
//     W_ML  = U_q (Λ_q − σ² I)^{1/2} R            any rotation R [q, q]; here R = I
//
// So the ML subspace is PCA's, and as σ² → 0 PPCA becomes PCA. W itself is not
// identified — W R fits equally well for every rotation R — but C = W Wᵀ + σ² I
// and the subspace span(W) are; compare those, never W.
//
// EM reaches the same optimum by iterating (their eqs. 29-30, written with S so
// each step costs O(D² q), whatever N):
//
//     M   = Wᵀ W + σ² I                                     [q, q]
//     W̃   = S W (σ² I + M⁻¹ Wᵀ S W)⁻¹
//     σ̃²  = (1/D) tr(S − S W M⁻¹ W̃ᵀ)
//
// (the E-step's posterior moments E[h_n], E[h_n h_nᵀ] are folded into S).
// EM needs no eigendecomposition and handles missing data; here it shows the
// algorithm chapter 03's GMM uses, on a model whose answer we know.
//
// EM is slow when the noise is small. Along a principal direction with
// variance λ the update of w = ‖W u‖ is w̃ = λ w (w² + σ²) / (σ² w² + σ⁴ + λ w²);
// its slope at the fixed point w² = λ − σ² is 1 − 2σ²(λ − σ²)/λ², so the
// error shrinks by only ~2σ²/λ per iteration, slowest along the largest λ
// (MNIST, q = 30: σ²/λ₁ ≈ 0.004, thousands of iterations to match the closed
// form's likelihood). The subspace itself settles much faster.
#pragma once

#include "models/ch02/linear_gaussian.h"

namespace latent::models {

// The ML PPCA with q latent dimensions. Errors: q < 1, q > min(N, D) (more
// components than the data supports), q = D (no direction left to estimate
// σ² from), or σ² = 0 (the data lie exactly in a q-dimensional subspace and
// the density is degenerate).
LinearGaussian ppca_closed_form(const Moments& data, int64_t q);

// One EM iteration from m (eqs. 29-30 above); μ is set to x̄, its ML value.
LinearGaussian ppca_em_step(const Moments& data, const LinearGaussian& m);

// EM from `init`, or when null from μ = x̄, W ~ N(0, tr(S)/D) (seeded) and
// σ² = tr(S)/D; iterates until a step gains less than opt.tolerance nats per
// example or opt.max_iterations.
EmFit fit_ppca_em(const Moments& data, int64_t q, const EmOptions& opt = {},
                  const LinearGaussian* init = nullptr);

// span(W) of two models agree when their orthogonal projectors do: the largest
// |entry| of P_a − P_b, P = W (WᵀW)⁻¹ Wᵀ. 0 for the same subspace.
double subspace_distance(const Tensor& Wa, const Tensor& Wb);

}  // namespace latent::models
