// Chapter 02 exercises — PCA by hand, and one EM step of probabilistic PCA.
// Grader: exercises/ch02/grader.cpp (ctest -L ch02). Stubs: stubs.cpp.
// Read docs/02-linear-latent-models.md first; models/ch02/ has the library
// versions (try not to peek).
#pragma once

#include "tensor/linalg.h"

namespace latent::exercises::ch02 {

// PCA through the covariance matrix, for X [N, D] float64 (N >= 2):
//   μ = the mean row;  C = (X − 1μᵀ)ᵀ (X − 1μᵀ) / (N − 1)   [D, D]
//   C = V diag(λ) Vᵀ (eigh: eigenvalues ascending, eigenvectors in the columns)
// Return the k largest eigenvalues, largest first, and their eigenvectors as
// the rows of components [k, D]. (Signs are arbitrary: the grader accepts either.)
struct PcaByHand {
  Tensor mean;                // μ [D]
  Tensor components;          // [k, D], orthonormal rows
  Tensor explained_variance;  // λ [k], descending
};
PcaByHand pca_by_covariance(const Tensor& X, int64_t k);

// Codes Z = (X − 1μᵀ) Vᵀ [N, k] for components V [k, D] and mean μ [D].
Tensor pca_project(const Tensor& X, const Tensor& mean, const Tensor& components);
// The reconstruction X̂ = Z V + 1μᵀ [N, D].
Tensor pca_reconstruct(const Tensor& Z, const Tensor& mean, const Tensor& components);

// One EM step of probabilistic PCA (Tipping & Bishop 1999, eqs. 29-30), from
// W [D, q] and σ², given the data covariance S [D, D] (with 1/N):
//   M   = Wᵀ W + σ² I                         [q, q]
//   W̃   = S W (σ² I + M⁻¹ Wᵀ S W)⁻¹            [D, q]
//   σ̃²  = (1/D) tr(S − S W M⁻¹ W̃ᵀ)
// Use solve(A, B) = A⁻¹ B rather than inverse(); note that X A⁻¹ = (A⁻ᵀ Xᵀ)ᵀ.
struct PpcaParams {
  Tensor W;           // [D, q]
  double sigma2 = 0;  // σ²
};
PpcaParams ppca_em_step(const Tensor& S, const PpcaParams& current);

}  // namespace latent::exercises::ch02
