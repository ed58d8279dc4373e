// Chapter 02 — the one objective behind chapters 02 and 03.
//
// Approximate every example x_n (a row of X [N, D]) by a combination of k
// prototypes, the rows u_j of U [k, D], with codes z_n (the rows of Z [N, k]):
//
//     min over Z, U of  ‖X − Z U‖²_F  =  Σ_n ‖x_n − Σ_j z_nj u_j‖²
//
//   * Z unconstrained: the best rank-k approximation of X. By Eckart & Young
//     (1936) it is the truncated SVD; after removing the mean it is PCA
//     (models/ch02/pca.h), and the minimum is Σ_{i>k} s_i², the discarded
//     squared singular values.
//   * z_nj ∈ {0, 1} with exactly one 1 per row: each example is copied from a
//     single prototype, and the objective is k-means' sum of squared distances
//     to the assigned centroids (chapter 03). Z = one_hot(assignments, k).
//
// Same objective, different constraint on the codes. PCA's codes spread each
// example over all k directions; k-means' codes pick one cluster.
#pragma once

#include "tensor/tensor.h"

namespace latent::models {

// ‖X − 1 offsetᵀ − Z U‖²_F, summed in float64. X [N, D], Z [N, k], U [k, D],
// offset [D] or undefined (zero). Errors name the shapes that do not fit.
double reconstruction_objective(const Tensor& X, const Tensor& Z, const Tensor& U,
                                const Tensor& offset = Tensor());

// (1/N) Σ_n Σ_d (x_nd − x̂_nd)²: the squared error per example, summed over
// its D values and averaged over the N examples — "the average squared error
// per image" of Hinton & Salakhutdinov (2006), the chapter's anchor.
double squared_error_per_example(const Tensor& X, const Tensor& X_hat);

}  // namespace latent::models
