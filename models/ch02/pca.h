// Chapter 02 — principal component analysis.
//
// PCA solves the reconstruction objective of reconstruction.h with
// unconstrained codes, after removing the mean μ:
//
//     min over Z [N,k], V [k,D] with V Vᵀ = I of  ‖X − 1μᵀ − Z V‖²_F
//
// The answer: V = the top-k right singular vectors of the centred data
// Xc = X − 1μᵀ, codes Z = Xc Vᵀ (the projection), and the minimum is
// Σ_{i>k} s_i² (Eckart & Young 1936). Four ways to get V, one answer:
//
//   svd              Xc = U S Vᵀ by LAPACK (dgesdd). Most accurate (works on
//                    Xc itself); O(N D²) flops but with a large constant, and
//                    a float64 copy of Xc.
//   covariance_eigh  C = Xcᵀ Xc / (N−1) = V diag(s²/(N−1)) Vᵀ: one GEMM and a
//                    D x D eigh. Fastest when N >> D (MNIST: N = 60000, D = 784),
//                    but forming C squares the condition number: eigenvalues
//                    below ~1e-16·λ_max (float64) are noise.
//   gram_eigh        G = Xc Xcᵀ = U diag(s²) Uᵀ (N x N), then v_i = Xcᵀ u_i / s_i:
//                    the "snapshot" method (Sirovich 1987; Turk & Pentland's
//                    eigenfaces 1991), for D >> N. Same squaring as above.
//   randomized       Halko et al. (2011), randomized_svd.h: O(N D k), approximate.
//   automatic        covariance_eigh when N >= D, else gram_eigh.
//
// Conventions follow scikit-learn's PCA, so figures can be compared:
// explained_variance λ_i = s_i² / (N−1), explained_variance_ratio λ_i / Σ_j λ_j
// (the total is the trace of the covariance, i.e. all D directions), and each
// component's sign is fixed so that its entry of largest magnitude is positive
// (singular vectors are only defined up to sign).
#pragma once

#include <cstdint>
#include <string>

#include "models/ch02/randomized_svd.h"

namespace latent::models {

enum class PcaSolver { automatic, svd, covariance_eigh, gram_eigh, randomized };
const char* pca_solver_name(PcaSolver s);

struct PcaOptions {
  PcaSolver solver = PcaSolver::automatic;
  RandomizedSvdOptions randomized = {};  // for PcaSolver::randomized
};

struct Pca {
  Tensor mean;                      // μ [D]
  Tensor components;                // V [k, D], orthonormal rows (the principal axes)
  Tensor singular_values;           // s [k], descending, of X − 1μᵀ
  Tensor explained_variance;        // λ [k] = s² / (N−1): variance along each axis
  Tensor explained_variance_ratio;  // [k] = λ / total_variance
  double total_variance = 0;        // Σ_d Var(x_d) (N−1 normalised) = trace of the covariance
  int64_t n_samples = 0;
  PcaSolver solver = PcaSolver::automatic;  // the one that ran
  int64_t num_components() const { return components.defined() ? components.size(0) : 0; }
  int64_t dim() const { return mean.defined() ? mean.size(0) : 0; }
};

// Fit k components to the rows of X ([N, D] or [N, ...], float32 or float64);
// every tensor of the result is float64. Errors (naming pca_fit, the shapes
// and the solver): fewer than 2 examples, NaN / Inf in X, k < 1 or
// k > min(N, D); gram_eigh with k > N − 1 (centred data has rank <= N − 1) or
// an N x N matrix too large to hold.
Pca pca_fit(const Tensor& X, int64_t k, const PcaOptions& opt = {});

// Codes Z = (X − 1μᵀ) V_kᵀ [N, k] on the first k components (k = -1: all).
Tensor pca_project(const Pca& pca, const Tensor& X, int64_t k = -1);
// X̂ = Z V_k + 1μᵀ [N, D], k = Z.size(1): the inverse of the projection on the
// component subspace (the point of that subspace nearest to x).
Tensor pca_reconstruct(const Pca& pca, const Tensor& Z);
// Whitened codes Z Λ_k^{-1/2}: uncorrelated, unit variance on the training
// data. With zca, rotated back to pixel space, Z Λ^{-1/2} V_k [N, D] (Bell &
// Sejnowski 1997's "zero-phase" whitening: the whitened data nearest to X).
// An error when a kept component has zero variance.
Tensor pca_whiten(const Pca& pca, const Tensor& X, int64_t k = -1, bool zca = false);
// squared_error_per_example(X, pca_reconstruct(pca, pca_project(pca, X, k))).
double pca_reconstruction_error(const Pca& pca, const Tensor& X, int64_t k = -1);

}  // namespace latent::models
