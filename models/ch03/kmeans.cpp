// Chapter 03 — k-means: input checks, distances, the assignment step,
// k-means++ seeding and the restart driver. The iterations themselves are in
// kmeans_lloyd.cpp and kmeans_hamerly.cpp.
#include "models/ch03/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "models/ch03/kmeans_detail.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

template <class F>
decltype(auto) with_type(DType dt, F&& f) {
  if (dt == DType::f32) return f(float{});
  return f(double{});
}

// Row and column of the first non-finite value, or -1 when all are finite.
std::pair<int64_t, int64_t> first_non_finite(const Tensor& X) {
  Tensor x = X.contiguous();
  const int64_t n = x.numel(), D = X.size(1);
  int64_t first = n;
  with_type(x.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* p = x.data<T>();
#pragma omp parallel for reduction(min : first) schedule(static)
    for (int64_t i = 0; i < n; ++i)
      if (!std::isfinite(p[i]) && i < first) first = i;
  });
  if (first == n) return {-1, -1};
  return {first / D, first % D};
}

}  // namespace

void check_data_matrix(const std::string& op, const Tensor& X) {
  if (!X.defined()) fail(op, "X is undefined");
  if (X.dim() != 2) fail(op, "X must be 2-d [N,D] (one row per point), got " + shape_str(X.shape()));
  if (X.dtype() == DType::i64) fail(op, "X must be float32 or float64, got int64 (convert with .to(DType::f32))");
  if (X.size(0) < 1 || X.size(1) < 1) fail(op, "X " + shape_str(X.shape()) + " has no points or no features");
  auto [r, c] = first_non_finite(X);
  if (r >= 0)
    fail(op, "X " + shape_str(X.shape()) + " has a non-finite value (" + std::to_string(X.at({r, c})) + ") at row " +
                 std::to_string(r) + ", column " + std::to_string(c) + ": clean or impute the data first");
}

Tensor pairwise_sq_distances(const Tensor& X, const Tensor& C) {
  if (X.dim() != 2 || C.dim() != 2 || X.size(1) != C.size(1))
    fail("pairwise_sq_distances", "need X [N,D] and C [K,D], got " + shape_str(X.shape()) + " and " + shape_str(C.shape()));
  if (X.dtype() != C.dtype())
    fail("pairwise_sq_distances", std::string("dtypes differ: ") + dtype_name(X.dtype()) + " and " + dtype_name(C.dtype()));
  Tensor xx = sum(X * X, {1}, true);  // [N,1]
  Tensor cc = sum(C * C, {1});        // [K]
  Tensor d = xx + cc - 2.0 * matmul(X, C.t());
  return maximum(d, zeros({}, d.dtype()));
}

Tensor assign_nearest(const Tensor& X, const Tensor& centres, Tensor* min_sq_dist) {
  check_data_matrix("assign_nearest", X);
  if (centres.dim() != 2 || centres.size(1) != X.size(1) || centres.size(0) < 1)
    fail("assign_nearest", "centres must be [K,D] with D = " + std::to_string(X.size(1)) + ", got " +
                               shape_str(centres.shape()));
  Tensor d = pairwise_sq_distances(X, centres.to(X.dtype()));
  if (min_sq_dist) *min_sq_dist = min(d, {1});
  return argmin(d, 1);
}

Tensor one_hot_code(const Tensor& labels, int64_t K, DType dtype) { return one_hot(labels, K, dtype); }

Tensor kmeans_plusplus(const Tensor& X, int64_t k, Generator& gen, int64_t n_local_trials) {
  check_data_matrix("kmeans_plusplus", X);
  const int64_t N = X.size(0);
  if (k < 1 || k > N)
    fail("kmeans_plusplus", "k = " + std::to_string(k) + " centres cannot be chosen from " + std::to_string(N) +
                                " points (X " + shape_str(X.shape()) + "): need 1 <= k <= N");
  const int64_t trials = n_local_trials > 0 ? n_local_trials : 2 + (int64_t)std::log((double)k);
  Tensor Xc = X.contiguous();
  std::vector<double> xx = detail::row_sq_norms(Xc);
  // D(x)² to the candidate rows: ||x||² + ||c||² − 2 x·c, one GEMM [N,D]x[D,trials].
  auto dist_to = [&](const std::vector<int64_t>& idx) {
    Tensor rows = index_select(Xc, 0, from_vector_i(idx, {(int64_t)idx.size()}));
    std::vector<double> g = matmul(Xc, rows.t()).to_vector();
    std::vector<double> out(g.size());
    const int64_t m = (int64_t)idx.size();
    for (int64_t i = 0; i < N; ++i)
      for (int64_t t = 0; t < m; ++t) out[i * m + t] = std::max(0.0, xx[i] + xx[idx[t]] - 2 * g[i * m + t]);
    return out;
  };
  std::vector<int64_t> chosen = {gen.next_int(N)};
  std::vector<double> closest = dist_to(chosen), cum(N);  // D(x)² to the nearest chosen centre
  for (int64_t c = 1; c < k; ++c) {
    // Draw candidates with probability D(x)² / Σ D², by inverting the cumulative sum.
    std::partial_sum(closest.begin(), closest.end(), cum.begin());
    std::vector<int64_t> cand(trials);
    for (int64_t t = 0; t < trials; ++t) {
      const double r = gen.next_uniform() * cum.back();
      cand[t] = std::min<int64_t>(N - 1, std::upper_bound(cum.begin(), cum.end(), r) - cum.begin());
    }
    std::vector<double> dc = dist_to(cand);
    // Keep the candidate that lowers the potential Σ_x min(D(x)², d(x, cand)²) most.
    int64_t best = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (int64_t t = 0; t < trials; ++t) {
      double p = 0;
      for (int64_t i = 0; i < N; ++i) p += std::min(closest[i], dc[i * trials + t]);
      if (p < best_pot) best_pot = p, best = t;
    }
    for (int64_t i = 0; i < N; ++i) closest[i] = std::min(closest[i], dc[i * trials + best]);
    chosen.push_back(cand[best]);
  }
  return index_select(Xc, 0, from_vector_i(chosen, {k})).contiguous();
}

const char* kmeans_algorithm_name(KMeansAlgorithm a) {
  return a == KMeansAlgorithm::lloyd ? "lloyd" : "hamerly";
}

KMeansResult kmeans(const Tensor& X, const KMeansOptions& opt) {
  check_data_matrix("kmeans", X);
  const int64_t N = X.size(0), D = X.size(1);
  if (opt.k < 1) fail("kmeans", "k must be >= 1, got " + std::to_string(opt.k));
  if (opt.k > N)
    fail("kmeans", "k = " + std::to_string(opt.k) + " clusters but X " + shape_str(X.shape()) + " has only " +
                       std::to_string(N) + " points: every cluster needs at least one");
  if (opt.n_init < 1 || opt.max_iter < 1 || !(opt.tol >= 0))
    fail("kmeans", "need n_init >= 1, max_iter >= 1, tol >= 0; got " + std::to_string(opt.n_init) + ", " +
                       std::to_string(opt.max_iter) + ", " + std::to_string(opt.tol));
  if (opt.init.defined()) {
    if (opt.init.dim() != 2 || opt.init.size(0) != opt.k || opt.init.size(1) != D)
      fail("kmeans", "init must be [k,D] = [" + std::to_string(opt.k) + "," + std::to_string(D) + "], got " +
                         shape_str(opt.init.shape()));
    if (opt.n_init != 1) fail("kmeans", "given init centres make every restart the same: use n_init = 1");
    check_data_matrix("kmeans (init centres)", opt.init.to(X.dtype()));
  }
  detail::KMeansData data = detail::prepare_data(X, opt.tol);
  Tensor mu = from_vector(data.mean, {D}, DType::f64).to(X.dtype());
  Generator gen(opt.seed);
  KMeansResult best;
  for (int64_t r = 0; r < opt.n_init; ++r) {
    Tensor init = opt.init.defined() ? sub(opt.init.to(X.dtype()), mu) : kmeans_plusplus(data.Xc, opt.k, gen);
    detail::Centres c = detail::centres_from(init);
    KMeansResult res = opt.algorithm == KMeansAlgorithm::lloyd ? detail::run_lloyd(data, c, opt)
                                                               : detail::run_hamerly(data, c, opt);
    res.best_init = r;
    if (r == 0 || res.inertia < best.inertia) best = std::move(res);
  }
  return best;
}

KMeansResult kmeans_single(const Tensor& X, const Tensor& init, const KMeansOptions& opt) {
  KMeansOptions o = opt;
  o.init = init;
  o.n_init = 1;
  return kmeans(X, o);
}

}  // namespace latent::models
