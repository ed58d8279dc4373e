// Chapter 02 — the data matrix and its moments (see data_matrix.h).
#include "models/ch02/data_matrix.h"

#include <cmath>

namespace latent::models {

namespace {

// Rows per block in scatter_matrix: 4096 x 784 float64 is 25 MB, large enough
// for an efficient GEMM, small next to a float64 copy of all 60,000 rows (376 MB).
constexpr int64_t kBlockRows = 4096;

template <class T>
void require_finite(const std::string& op, const Tensor& X) {
  const T* p = X.data<T>();
  const int64_t n = X.numel(), d = X.size(1);
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i]))
      fail(op, "data " + shape_str(X.shape()) + " contains " + (std::isnan(p[i]) ? "NaN" : "Inf") +
                   " at row " + std::to_string(i / d) + ", column " + std::to_string(i % d) +
                   " (clean or drop that example first)");
}

}  // namespace

Tensor data_matrix(const std::string& op, const Tensor& X, int64_t min_samples) {
  if (!X.defined()) fail(op, "undefined data tensor");
  if (X.dim() < 2)
    fail(op, "expects data with one example per row, [N, D] or [N, ...], got shape " + shape_str(X.shape()));
  if (X.dtype() == DType::i64) fail(op, "needs float32 or float64 data, got int64 (convert with .to(DType::f32))");
  const int64_t n = X.size(0);
  if (n < min_samples)
    fail(op, "needs at least " + std::to_string(min_samples) + " examples, got " + std::to_string(n) +
                 " (data " + shape_str(X.shape()) + ")" +
                 (min_samples >= 2 ? ": a covariance is not defined by fewer than 2" : ""));
  Tensor M = X.contiguous().reshape({n, -1});
  if (M.size(1) == 0) fail(op, "data " + shape_str(X.shape()) + " has no features (D = 0)");
  if (M.dtype() == DType::f32) require_finite<float>(op, M);
  else require_finite<double>(op, M);
  return M;
}

Tensor row_mean(const Tensor& X) {
  // Summing the float64 conversion block by block keeps memory small as well.
  const int64_t n = X.size(0);
  Tensor total = zeros({X.size(1)}, DType::f64);
  for (int64_t i = 0; i < n; i += kBlockRows) {
    Tensor block = X.slice(0, i, std::min(n, i + kBlockRows)).to(DType::f64);
    add_(total, sum(block, {0}));
  }
  return total / (double)n;
}

Tensor scatter_matrix(const Tensor& X, const Tensor& centre) {
  const int64_t n = X.size(0), d = X.size(1);
  if (centre.numel() != d)
    fail("scatter_matrix", "centre " + shape_str(centre.shape()) + " does not match data " + shape_str(X.shape()));
  Tensor c = centre.to(DType::f64).reshape({1, d});
  Tensor scatter = zeros({d, d}, DType::f64);
  for (int64_t i = 0; i < n; i += kBlockRows) {
    Tensor block = sub(X.slice(0, i, std::min(n, i + kBlockRows)).to(DType::f64), c);
    add_(scatter, matmul(block.t(), block));  // the transpose is a BLAS flag, not a copy
  }
  // Each block's product is symmetric up to rounding in the GEMM's summation
  // order; symmetrise exactly so eigh's symmetry check never trips on it.
  return (scatter + scatter.t()) * 0.5;
}

Moments data_moments(const std::string& op, const Tensor& X) {
  Tensor M = data_matrix(op, X, 2);
  Moments m;
  m.n = M.size(0);
  m.mean = row_mean(M);
  m.covariance = scatter_matrix(M, m.mean) / (double)m.n;
  return m;
}

}  // namespace latent::models
