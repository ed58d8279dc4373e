// Chapter 03 — Lloyd's iterations, and the pieces Hamerly's variant shares.
//
// One Lloyd iteration (docs/03-clustering.md, "Lloyd's algorithm"):
//   assignment  c(i) = argmin_j ||x_i − u_j||²          (the best Z for fixed U)
//   update      u_j  = (1/n_j) Σ_{i: c(i)=j} x_i         (the best U for fixed Z)
// Both are done in one pass over X, block by block: a [256, D] block meets
// every centre in one GEMM (distances ||x||² + ||u||² − 2 x·u), each row takes
// its argmin, and the same block, still in cache, is added into its clusters'
// sums. X is read from memory once per iteration.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "models/ch03/kmeans_detail.h"

namespace latent::models::detail {

namespace {

template <class F>
decltype(auto) with_type(DType dt, F&& f) {
  if (dt == DType::f32) return f(float{});
  return f(double{});
}

}  // namespace

int64_t block_rows(int64_t k, int64_t D) {
  const int64_t rows = 900000 / std::max<int64_t>(1, k * D);
  return std::clamp<int64_t>(rows / 8 * 8, 32, kMaxBlockRows);
}

std::vector<double> row_sq_norms(const Tensor& X0) {
  Tensor X = X0.contiguous();
  const int64_t N = X.size(0), D = X.size(1);
  std::vector<double> out(N);
  with_type(X.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* x = X.data<T>();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; ++i) {
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < D; ++j) s += (double)x[i * D + j] * x[i * D + j];
      out[i] = s;
    }
  });
  return out;
}

KMeansData prepare_data(const Tensor& X0, double tol) {
  KMeansData d;
  Tensor X = X0.contiguous();
  d.X = X;
  d.N = X.size(0);
  d.D = X.size(1);
  const int64_t N = d.N, D = d.D;
  // Column means and variances in double, per tile of rows, added in tile order
  // (the same bits for any thread count).
  const int64_t tiles = (N + kTileRows - 1) / kTileRows;
  std::vector<double> part((size_t)tiles * 2 * D, 0.0), sum(D, 0.0), sumsq(D, 0.0);
  with_type(X.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* x = X.data<T>();
#pragma omp parallel for schedule(dynamic)
    for (int64_t tile = 0; tile < tiles; ++tile) {
      double* s = &part[(size_t)tile * 2 * D];
      double* s2 = s + D;
      for (int64_t i = tile * kTileRows; i < std::min(N, (tile + 1) * kTileRows); ++i)
        for (int64_t j = 0; j < D; ++j) s[j] += x[i * D + j], s2[j] += (double)x[i * D + j] * x[i * D + j];
    }
  });
  for (int64_t tile = 0; tile < tiles; ++tile)
    for (int64_t j = 0; j < D; ++j) sum[j] += part[(size_t)tile * 2 * D + j], sumsq[j] += part[(size_t)tile * 2 * D + D + j];
  d.mean.resize(D);
  double mean_var = 0;
  for (int64_t j = 0; j < D; ++j) {
    d.mean[j] = sum[j] / N;
    mean_var += std::max(0.0, sumsq[j] / N - d.mean[j] * d.mean[j]) / D;
  }
  d.tol_abs = tol * mean_var;  // scikit-learn's _tolerance: tol × mean per-feature variance
  d.Xc = sub(X, from_vector(d.mean, {D}, DType::f64).to(X.dtype())).contiguous();
  d.eps = X.dtype() == DType::f32 ? std::ldexp(1.0, -24) : std::ldexp(1.0, -53);
  d.xx = row_sq_norms(d.Xc);
  return d;
}

Centres centres_from(const Tensor& C0) {
  Centres c;
  c.k = C0.size(0);
  c.D = C0.size(1);
  c.C = C0.contiguous().clone();
  c.Ct = c.C.t().contiguous();
  c.sums.assign(c.k * c.D, 0.0);
  c.counts.assign(c.k, 0.0);
  std::vector<double> v = c.C.to_vector();
  c.cc.assign(c.k, 0.0);
  for (int64_t j = 0; j < c.k; ++j)
    for (int64_t t = 0; t < c.D; ++t) c.cc[j] += v[j * c.D + t] * v[j * c.D + t];
  return c;
}

double update_centres(Centres& c, std::vector<double>* shift) {
  if (shift) shift->assign(c.k, 0.0);
  double total = 0;
  with_type(c.C.dtype(), [&](auto z_) {
    using T = decltype(z_);
    T* C = c.C.data<T>();
    for (int64_t j = 0; j < c.k; ++j) {
      if (c.counts[j] <= 0) continue;  // still empty (no point could be moved): the centre stays
      double moved = 0, norm = 0;
      for (int64_t t = 0; t < c.D; ++t) {
        T v = (T)(c.sums[j * c.D + t] / c.counts[j]);
        double diff = (double)v - (double)C[j * c.D + t];
        moved += diff * diff;
        norm += (double)v * v;
        C[j * c.D + t] = v;
      }
      c.cc[j] = norm;
      total += moved;
      if (shift) (*shift)[j] = std::sqrt(moved);
    }
  });
  c.Ct = c.C.t().contiguous();
  return total;
}

void nearest_two(const Tensor& rows, const double* xx, const Centres& c, Nearest* out) {
  Tensor G = matmul(rows, c.Ct);  // [M,k] cross terms x·u_j, one GEMM
  const int64_t M = rows.size(0), k = c.k;
  with_type(G.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* g = G.data<T>();
    for (int64_t i = 0; i < M; ++i) {
      Nearest n{0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
      for (int64_t j = 0; j < k; ++j) {
        const double dist = std::max(0.0, xx[i] + c.cc[j] - 2.0 * (double)g[i * k + j]);
        if (dist < n.d1) {
          n.d2 = n.d1;
          n.d1 = dist;
          n.best = j;
        } else if (dist < n.d2) {
          n.d2 = dist;
        }
      }
      out[i] = n;
    }
  });
}

PassStats assign_all(const KMeansData& d, Centres& c, int64_t* labels, double* d1, double* d2,
                     bool accumulate) {
  const int64_t N = d.N, D = d.D, k = c.k;
  const int64_t tiles = (N + kTileRows - 1) / kTileRows, B = block_rows(k, D);
  // Sums per tile, added up in tile order afterwards: the result does not
  // depend on which thread took which tile (dynamic scheduling copes with a
  // busy machine, and the same input still gives the same bits).
  std::vector<double> tile_sums(accumulate ? (size_t)tiles * k * D : 0), tile_counts(accumulate ? tiles * k : 0);
  std::vector<double> tile_inertia(tiles, 0.0);
  int64_t changed = 0;
  with_type(d.Xc.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* X = d.Xc.data<T>();
#pragma omp parallel reduction(+ : changed)
    {
      std::vector<Nearest> near(B);
#pragma omp for schedule(dynamic)
      for (int64_t tile = 0; tile < tiles; ++tile) {
        double* sums = accumulate ? &tile_sums[(size_t)tile * k * D] : nullptr;
        double* counts = accumulate ? &tile_counts[tile * k] : nullptr;
        const int64_t t1 = std::min(N, (tile + 1) * kTileRows);
        for (int64_t r0 = tile * kTileRows; r0 < t1; r0 += B) {
          const int64_t r1 = std::min(t1, r0 + B);
          nearest_two(d.Xc.slice(0, r0, r1), &d.xx[r0], c, near.data());
          for (int64_t i = r0; i < r1; ++i) {
            const int64_t best = near[i - r0].best;
            const double b1 = near[i - r0].d1, b2 = near[i - r0].d2;
            if (labels[i] != best) ++changed;
            labels[i] = best;
            d1[i] = b1;
            if (d2) d2[i] = b2;
            tile_inertia[tile] += b1;
            if (accumulate) {  // the row is still in cache: add it to its cluster's sum now
              double* s = sums + best * D;
              const T* x = X + i * D;
#pragma omp simd
              for (int64_t t = 0; t < D; ++t) s[t] += (double)x[t];
              counts[best] += 1;
            }
          }
        }
      }
    }
  });
  double inertia = 0;
  for (double v : tile_inertia) inertia += v;
  if (accumulate) {
    std::fill(c.sums.begin(), c.sums.end(), 0.0);
    std::fill(c.counts.begin(), c.counts.end(), 0.0);
    for (int64_t tile = 0; tile < tiles; ++tile) {
      for (int64_t q = 0; q < k * D; ++q) c.sums[q] += tile_sums[(size_t)tile * k * D + q];
      for (int64_t j = 0; j < k; ++j) c.counts[j] += tile_counts[tile * k + j];
    }
  }
  return {changed, inertia};
}

std::vector<int64_t> relocate_empty(const KMeansData& d, Centres& c, int64_t* labels, const double* d1) {
  std::vector<int64_t> empty;
  for (int64_t j = 0; j < c.k; ++j)
    if (c.counts[j] <= 0) empty.push_back(j);
  if (empty.empty()) return {};
  // Farthest points first (ties: lower index, so the choice is reproducible).
  std::vector<int64_t> order(d.N);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return d1[a] > d1[b]; });
  std::vector<int64_t> moved;
  size_t next = 0;
  with_type(d.Xc.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* X = d.Xc.data<T>();
    for (int64_t j : empty) {
      // A point whose cluster would become empty in turn is not taken.
      while (next < order.size() && c.counts[labels[order[next]]] <= 1) ++next;
      if (next == order.size()) return;  // fewer distinct places than clusters
      const int64_t i = order[next++], old = labels[i];
      for (int64_t t = 0; t < d.D; ++t) {
        c.sums[old * d.D + t] -= (double)X[i * d.D + t];
        c.sums[j * d.D + t] = (double)X[i * d.D + t];
      }
      c.counts[old] -= 1;
      c.counts[j] = 1;
      labels[i] = j;
      moved.push_back(i);
    }
  });
  return moved;
}

KMeansResult run_lloyd(const KMeansData& d, Centres c, const KMeansOptions& opt) {
  KMeansResult r;
  std::vector<int64_t> labels(d.N, -1);
  std::vector<double> d1(d.N);
  for (int64_t it = 0; it < opt.max_iter; ++it) {
    PassStats p = assign_all(d, c, labels.data(), d1.data(), nullptr, /*accumulate=*/true);
    r.changed.push_back(p.changed);
    r.inertia_history.push_back(p.inertia);  // J(Z_t, U_{t-1})
    r.distance_evaluations += d.N * c.k;
    std::vector<int64_t> moved = relocate_empty(d, c, labels.data(), d1.data());
    r.empty_relocations += (int64_t)moved.size();
    const double shift = update_centres(c);
    r.n_iter = it + 1;
    // Strict convergence: nothing changed, so the update reproduced the same centres.
    if ((p.changed == 0 && moved.empty()) || shift <= d.tol_abs) {
      r.converged = true;
      break;
    }
  }
  r.labels = from_vector_i(labels, {d.N});
  finish(d, c, r);
  return r;
}

void finish(const KMeansData& d, Centres& c, KMeansResult& r) {
  std::vector<int64_t> labels(d.N, -1);
  std::vector<double> d1(d.N);
  assign_all(d, c, labels.data(), d1.data(), nullptr, /*accumulate=*/false);
  Tensor mu = from_vector(d.mean, {d.D}, DType::f64).to(c.C.dtype());
  r.centres = add(c.C, mu).contiguous();
  // The reported inertia is that of the returned centres on the given data,
  // summed from the differences x − u themselves in double: the GEMM form's
  // rounding (~D·eps·||x||² per point in float32) is fine for choosing the
  // nearest centre but would blur the last digits of the figure.
  const int64_t D = d.D, tiles = (d.N + kTileRows - 1) / kTileRows;
  std::vector<double> tile_sum(tiles, 0.0);  // added in tile order: the same bits for any thread count
  with_type(d.X.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T *X = d.X.data<T>(), *C = r.centres.data<T>();
#pragma omp parallel for schedule(dynamic)
    for (int64_t tile = 0; tile < tiles; ++tile)
      for (int64_t i = tile * kTileRows; i < std::min(d.N, (tile + 1) * kTileRows); ++i) {
        double s = 0;
        const T *x = X + i * D, *u = C + labels[i] * D;
#pragma omp simd reduction(+ : s)
        for (int64_t t = 0; t < D; ++t) s += ((double)x[t] - u[t]) * ((double)x[t] - u[t]);
        tile_sum[tile] += s;
      }
  });
  r.inertia = 0;
  for (double v : tile_sum) r.inertia += v;
  r.labels = from_vector_i(labels, {d.N});
}

}  // namespace latent::models::detail
