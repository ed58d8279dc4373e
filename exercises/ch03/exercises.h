// Chapter 03 exercises — the two steps every clustering loop in this chapter repeats.
// Grader: exercises/ch03/grader.cpp (ctest -L ch03). Stubs: stubs.cpp.
// Read docs/03-clustering.md first; models/ch03/ has the library versions.
#pragma once

#include "tensor/tensor.h"

namespace latent::exercises::ch03 {

// The k-means assignment step (the best one-hot Z for fixed centres U):
// for each row x_i of X [N,D], the index of the nearest row of C [K,D],
//   c(i) = argmin_j ||x_i − c_j||²,
// as int64 [N]; ties go to the lower index. When min_sq_dist is given, also
// write ||x_i − c_{c(i)}||² there ([N], X's dtype).
// Compute the distances without a loop over points: expand
//   ||x − c||² = ||x||² + ||c||² − 2 x·c
// so the cross terms for all pairs are one matrix product, matmul(X, Cᵀ)
// [N,K]. (Rounding can make a distance slightly negative: clamp at 0.)
Tensor assign_step(const Tensor& X, const Tensor& C, Tensor* min_sq_dist = nullptr);

// The GMM E-step for full covariances: log responsibilities
//   log r_nk = log π_k + log N(x_n | μ_k, Σ_k) − log Σ_j π_j N(x_n | μ_j, Σ_j)   [N,K]
// and, in *avg_loglik when given, (1/N) Σ_n log Σ_j π_j N(x_n | μ_j, Σ_j).
// X [N,D], weights π [K], means [K,D], covariances [K,D,D] (float64).
//   log N(x | μ, Σ) = −½ [D log 2π + log det Σ + (x − μ)ᵀ Σ⁻¹ (x − μ)]
// Use Σ = L Lᵀ (cholesky, tensor/linalg.h): log det Σ = 2 Σ_d log L_dd and
// (x − μ)ᵀ Σ⁻¹ (x − μ) = ||L⁻¹(x − μ)||² (triangular_solve). Never form
// exp(log N): in 50 dimensions it underflows to 0. Normalise with logsumexp.
Tensor gmm_log_responsibilities(const Tensor& X, const Tensor& weights, const Tensor& means,
                                const Tensor& covariances, double* avg_loglik = nullptr);

}  // namespace latent::exercises::ch03
