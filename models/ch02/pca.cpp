// Chapter 02 — PCA (see pca.h for the four solvers and the conventions).
#include "models/ch02/pca.h"

#include <algorithm>
#include <cmath>

#include "models/ch02/data_matrix.h"
#include "models/ch02/reconstruction.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

// gram_eigh holds an N x N float64 matrix (and LAPACK a copy of it).
constexpr double kMaxGramBytes = 4e9;

// The last k columns of eigh's ascending output, largest first: [D, k] -> [k, D].
struct TopEigen {
  Tensor values, vectors;  // values [k] descending; vectors [k, D] one per row
};
TopEigen top_eigenpairs(const Eigh& e, int64_t k) {
  const int64_t n = e.values.size(0);
  std::vector<int64_t> order(k);
  for (int64_t i = 0; i < k; ++i) order[i] = n - 1 - i;
  Tensor idx = from_vector_i(order, {k});
  return {index_select(e.values, 0, idx), index_select(e.vectors, 1, idx).t().contiguous()};
}

// Singular vectors are defined up to sign: make each row's entry of largest
// magnitude positive, so every solver (and every run) gives the same axes.
Tensor fix_signs(const Tensor& V) {
  Tensor out = V.contiguous().clone();
  double* p = out.data<double>();
  const int64_t k = out.size(0), d = out.size(1);
  for (int64_t i = 0; i < k; ++i) {
    double* row = p + i * d;
    int64_t arg = 0;
    for (int64_t j = 1; j < d; ++j)
      if (std::fabs(row[j]) > std::fabs(row[arg])) arg = j;
    if (row[arg] < 0)
      for (int64_t j = 0; j < d; ++j) row[j] = -row[j];
  }
  return out;
}

// Σ_n ‖x_n − μ‖² = ‖Xc‖²_F in float64, block by block (no centred copy).
double centred_sum_of_squares(const Tensor& X, const Tensor& mu) {
  const int64_t n = X.size(0), block = 4096;
  Tensor m = mu.reshape({1, X.size(1)});
  double total = 0;
  for (int64_t i = 0; i < n; i += block)
    total += sum(square(X.slice(0, i, std::min(n, i + block)).to(DType::f64) - m)).item();
  return total;
}

Tensor centred_copy(const Tensor& X, const Tensor& mu) {
  return X.to(DType::f64) - mu.reshape({1, X.size(1)});
}

}  // namespace

const char* pca_solver_name(PcaSolver s) {
  switch (s) {
    case PcaSolver::automatic: return "automatic";
    case PcaSolver::svd: return "svd";
    case PcaSolver::covariance_eigh: return "covariance_eigh";
    case PcaSolver::gram_eigh: return "gram_eigh";
    case PcaSolver::randomized: return "randomized";
  }
  return "?";
}

Pca pca_fit(const Tensor& X0, int64_t k, const PcaOptions& opt) {
  const std::string op = "pca_fit";
  Tensor X = data_matrix(op, X0, 2);
  const int64_t n = X.size(0), d = X.size(1);
  if (k < 1 || k > std::min(n, d))
    fail(op, "asked for " + std::to_string(k) + " components of data " + shape_str(X0.shape()) + " (N = " +
                 std::to_string(n) + ", D = " + std::to_string(d) + "); k must be in [1, min(N, D) = " +
                 std::to_string(std::min(n, d)) + "]");
  Pca p;
  p.n_samples = n;
  p.solver = opt.solver != PcaSolver::automatic ? opt.solver
                                                 : (n >= d ? PcaSolver::covariance_eigh : PcaSolver::gram_eigh);
  p.mean = row_mean(X);
  const double dof = (double)(n - 1);  // scikit-learn's (unbiased) normalisation
  Tensor V, s2;                        // components [k, D], squared singular values [k]

  switch (p.solver) {
    case PcaSolver::covariance_eigh: {
      // Xcᵀ Xc = V diag(s²) Vᵀ: the eigenvalues of the scatter matrix are s².
      Tensor scatter = scatter_matrix(X, p.mean);
      TopEigen top = top_eigenpairs(eigh(scatter), k);
      V = top.vectors;
      s2 = clamp(top.values, 0, INFINITY);  // rounding can leave -1e-13 for a zero eigenvalue
      p.total_variance = sum(scatter.to(DType::f64).reshape({-1}).slice(0, 0, d * d, d + 1)).item() / dof;
      break;
    }
    case PcaSolver::svd: {
      Tensor Xc = centred_copy(X, p.mean);
      SVD f = svd(Xc);
      V = f.Vt.slice(0, 0, k);
      s2 = square(f.S.slice(0, 0, k));
      p.total_variance = sum(square(f.S)).item() / dof;  // all min(N, D) of them: ‖Xc‖²_F
      break;
    }
    case PcaSolver::gram_eigh: {
      if (k > n - 1)
        fail(op, "gram_eigh gives at most N − 1 = " + std::to_string(n - 1) + " components (centred data has rank <= N − 1), asked for " +
                     std::to_string(k) + "; use PcaSolver::svd");
      if ((double)n * (double)n * 8 > kMaxGramBytes)
        fail(op, "gram_eigh would form an N x N = " + std::to_string(n) + " x " + std::to_string(n) +
                     " float64 matrix (" + std::to_string((int64_t)((double)n * n * 8 / 1e9)) +
                     " GB); with N >= D use covariance_eigh");
      Tensor Xc = centred_copy(X, p.mean);
      Tensor G = matmul(Xc, Xc.t());
      TopEigen top = top_eigenpairs(eigh((G + G.t()) * 0.5), k);
      s2 = clamp(top.values, 0, INFINITY);
      // v_i = Xcᵀ u_i / s_i: the right singular vector paired with u_i.
      const double smallest = std::sqrt(s2.at({k - 1})), largest = std::sqrt(s2.at({0}));
      if (!(smallest > 1e-12 * largest))
        fail(op, "component " + std::to_string(k - 1) + " has (numerically) zero variance; gram_eigh cannot "
                 "recover its direction; use fewer components or PcaSolver::svd");
      V = matmul(top.vectors, Xc) / sqrt(s2).reshape({k, 1});
      p.total_variance = sum(square(Xc)).item() / dof;
      break;
    }
    case PcaSolver::randomized: {
      SVD f = randomized_svd(X, k, opt.randomized, p.mean);
      V = f.Vt.to(DType::f64);
      s2 = square(f.S.to(DType::f64));
      p.total_variance = centred_sum_of_squares(X, p.mean) / dof;
      break;
    }
    case PcaSolver::automatic: break;
  }
  p.components = fix_signs(V);
  p.singular_values = sqrt(s2).contiguous();
  p.explained_variance = s2 / dof;
  p.explained_variance_ratio = p.explained_variance / std::max(p.total_variance, 1e-300);
  return p;
}

namespace {

Tensor kept_components(const std::string& op, const Pca& pca, int64_t k) {
  if (!pca.components.defined()) fail(op, "the Pca is empty (fit it with pca_fit first)");
  const int64_t have = pca.num_components();
  if (k == -1) k = have;
  if (k < 1 || k > have)
    fail(op, "asked for " + std::to_string(k) + " components; this PCA has " + std::to_string(have));
  return pca.components.slice(0, 0, k);
}

Tensor centred_input(const std::string& op, const Pca& pca, const Tensor& X0) {
  Tensor X = data_matrix(op, X0);
  if (X.size(1) != pca.dim())
    fail(op, "data " + shape_str(X0.shape()) + " has " + std::to_string(X.size(1)) +
                 " values per example; the PCA was fitted on " + std::to_string(pca.dim()));
  return centred_copy(X, pca.mean);
}

}  // namespace

Tensor pca_project(const Pca& pca, const Tensor& X, int64_t k) {
  Tensor V = kept_components("pca_project", pca, k);
  return matmul(centred_input("pca_project", pca, X), V.t());
}

Tensor pca_reconstruct(const Pca& pca, const Tensor& Z) {
  if (!Z.defined() || Z.dim() != 2) fail("pca_reconstruct", "expects codes [N, k], got " + (Z.defined() ? shape_str(Z.shape()) : std::string("undefined")));
  Tensor V = kept_components("pca_reconstruct", pca, Z.size(1));
  return matmul(Z.to(DType::f64), V) + pca.mean.reshape({1, pca.dim()});
}

Tensor pca_whiten(const Pca& pca, const Tensor& X, int64_t k, bool zca) {
  Tensor V = kept_components("pca_whiten", pca, k);
  const int64_t kk = V.size(0);
  Tensor lambda = pca.explained_variance.slice(0, 0, kk);
  for (int64_t i = 0; i < kk; ++i)
    if (!(lambda.at({i}) > 1e-12 * lambda.at({0})))  // zero up to rounding
      fail("pca_whiten", "component " + std::to_string(i) + " has zero variance and cannot be scaled to "
                         "unit variance; keep fewer components");
  Tensor Z = matmul(centred_input("pca_whiten", pca, X), V.t()) / sqrt(lambda).reshape({1, kk});
  return zca ? matmul(Z, V) : Z;
}

double pca_reconstruction_error(const Pca& pca, const Tensor& X, int64_t k) {
  return squared_error_per_example(X, pca_reconstruct(pca, pca_project(pca, X, k)));
}

}  // namespace latent::models
