// Chapter 02 — the data matrix X [N, D] (one example per row) and its first
// two moments, which is all that PCA, PPCA and factor analysis need from the data.
//
//   Tensor X = data_matrix("pca", mnist.train.images);   // [60000,1,28,28] -> [60000,784]
//   Moments m = data_moments("ppca", X);                 // mean [784], covariance [784,784]
//
// Sums over 60,000 images lose digits in float32 (each addend has 24 bits; a
// sum of N of them carries a relative error up to ~N·2⁻²⁴), so the moments are
// accumulated in float64. The scatter matrix Σ (x−c)(x−c)ᵀ is one GEMM per
// block of rows (BLAS through latent::matmul), never a hand loop.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace latent::models {

// X [N, d1, d2, ...] as a data matrix [N, D], D = d1·d2·... (a view when X is
// contiguous). Errors, each naming `op` and the shape: X undefined, of rank < 2
// or int64; fewer than min_samples rows (covariance estimates need 2); D = 0;
// a NaN or Inf anywhere (with its row and column), since LAPACK's answer for
// such input is undefined and EM would silently spread it into every parameter.
Tensor data_matrix(const std::string& op, const Tensor& X, int64_t min_samples = 1);

// The mean of the rows, float64 [D]: (1/N) Σ_n x_n.
Tensor row_mean(const Tensor& X);

// The scatter matrix about `centre` [D]: Σ_n (x_n − c)(x_n − c)ᵀ, float64 [D, D].
// Rows are converted to float64 and centred block by block, then each block
// adds one GEMM (x_b − c)ᵀ(x_b − c): memory stays O(block · D), not O(N · D).
Tensor scatter_matrix(const Tensor& X, const Tensor& centre);

// Maximum-likelihood moments of the rows of X [N, D]:
//   mean        x̄ = (1/N) Σ_n x_n                           float64 [D]
//   covariance  S = (1/N) Σ_n (x_n − x̄)(x_n − x̄)ᵀ             float64 [D, D]
// (1/N, not 1/(N−1): the Gaussian log-likelihood and Tipping & Bishop's S use
// 1/N; PCA's explained variances follow scikit-learn and use N−1.)
struct Moments {
  Tensor mean, covariance;
  int64_t n = 0;  // number of examples
  int64_t dim() const { return mean.defined() ? mean.size(0) : 0; }
};
// X goes through data_matrix(op, X, 2).
Moments data_moments(const std::string& op, const Tensor& X);

}  // namespace latent::models
