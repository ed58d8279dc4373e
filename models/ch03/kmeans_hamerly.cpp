// Chapter 03 — Hamerly's exact accelerated k-means (G. Hamerly, "Making
// k-means even faster", SDM 2010).
//
// Each point keeps two bounds on true (not squared) distances:
//   u_i >= ||x_i − u_{c(i)}||            (upper, to its own centre)
//   l_i <= min_{j != c(i)} ||x_i − u_j||  (lower, to every other centre)
// and each centre the half-distance to its nearest other centre,
//   s_j = ½ min_{j' != j} ||u_j − u_j'||.
// If u_i <= max(s_{c(i)}, l_i) the point cannot change cluster: for any other
// centre j, ||x − u_j|| >= ||u_c − u_j|| − ||x − u_c|| >= 2 s_c − u_i >= u_i
// (triangle inequality), or directly ||x − u_j|| >= l_i >= u_i. Only the
// points failing the test get their k distances computed — gathered into
// blocks and sent through one GEMM each, like Lloyd's. When the centres move
// by δ_j, the triangle inequality again keeps the bounds valid cheaply:
//   u_i += δ_{c(i)},   l_i −= max_{j != c(i)} δ_j.
// So the assignments are Lloyd's, iteration for iteration; only the work differs.
//
// Rounding: distances come from ||x||² + ||u||² − 2 x·u, whose error is at
// most about D·eps·(||x||² + ||u||²). Bounds are set that far on the safe side,
// so they hold for the exact distances (docs/03-clustering.md discusses what
// that means for near-ties).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "models/ch03/kmeans_detail.h"

namespace latent::models::detail {

namespace {

template <class F>
decltype(auto) with_type(DType dt, F&& f) {
  if (dt == DType::f32) return f(float{});
  return f(double{});
}

struct Change {
  int64_t i, from, to;
};

// s_j = ½ min_{j' != j} ||u_j − u_j'|| (exact distances of the rounded centres, in double).
std::vector<double> half_min_centre_gap(const Centres& c) {
  Tensor C64 = c.C.to(DType::f64);
  std::vector<double> d2 = pairwise_sq_distances(C64, C64).to_vector();
  std::vector<double> s(c.k, std::numeric_limits<double>::infinity());
  for (int64_t j = 0; j < c.k; ++j)
    for (int64_t q = 0; q < c.k; ++q)
      if (q != j) s[j] = std::min(s[j], 0.5 * std::sqrt(d2[j * c.k + q]));
  return s;
}

// Safety margin on a squared distance: its rounding error bound D·eps·(||x||² + max ||u||²).
double margin(const KMeansData& d, double cc_max, double xx) { return 1.01 * d.D * d.eps * (xx + cc_max); }


// The exact nearest and second-nearest centre of the points in `todo`:
// gathered into [block_rows, D] blocks, one GEMM each (threads take blocks
// dynamically). Tightens their bounds, relabels them, and returns the label
// changes sorted by point.
std::vector<Change> recompute(const KMeansData& d, const Centres& c, const std::vector<int64_t>& todo, double cc_max,
                              int64_t* labels, double* upper, double* lower) {
  const int64_t M = (int64_t)todo.size(), D = d.D, k = c.k, B = block_rows(k, D);
  const int64_t blocks = (M + B - 1) / B;
  std::vector<std::vector<Change>> per_thread(omp_get_max_threads());
  with_type(d.Xc.dtype(), [&](auto z_) {
    using T = decltype(z_);
    const T* X = d.Xc.data<T>();
#pragma omp parallel
    {
      std::vector<double> xx(B);
      std::vector<Nearest> near(B);
      Tensor rows({B, D}, d.Xc.dtype());
      auto& mine = per_thread[omp_get_thread_num()];
#pragma omp for schedule(dynamic)
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t q0 = b * B, q1 = std::min(M, q0 + B);
        T* buf = rows.data<T>();
        for (int64_t q = q0; q < q1; ++q) {
          std::memcpy(buf + (q - q0) * D, X + todo[q] * D, D * sizeof(T));
          xx[q - q0] = d.xx[todo[q]];
        }
        nearest_two(rows.slice(0, 0, q1 - q0), xx.data(), c, near.data());
        for (int64_t q = q0; q < q1; ++q) {
          const int64_t i = todo[q], best = near[q - q0].best;
          const double b1 = near[q - q0].d1, b2 = near[q - q0].d2;
          const double m = margin(d, cc_max, d.xx[i]);
          upper[i] = std::sqrt(b1 + m);
          lower[i] = std::sqrt(std::max(0.0, b2 - m));
          if (best != labels[i]) {
            mine.push_back({i, labels[i], best});
            labels[i] = best;
          }
        }
      }
    }
  });
  std::vector<Change> all;
  for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end(), [](const Change& a, const Change& b) { return a.i < b.i; });
  return all;
}

}  // namespace

KMeansResult run_hamerly(const KMeansData& d, Centres c, const KMeansOptions& opt) {
  const int64_t N = d.N, D = d.D, k = c.k;
  KMeansResult r;
  std::vector<int64_t> labels(N, -1);
  std::vector<double> upper(N), lower(N), d1(N), d2(N), shift;
  std::vector<int64_t> todo;  // points whose bounds failed: their distances are recomputed
  todo.reserve(N);

  for (int64_t it = 0; it < opt.max_iter; ++it) {
    int64_t changed = 0;
    const double cc_max = *std::max_element(c.cc.begin(), c.cc.end());  // of the centres used below
    if (it == 0) {
      // First iteration: every distance (there are no bounds yet), fused with the sums.
      PassStats p = assign_all(d, c, labels.data(), d1.data(), d2.data(), /*accumulate=*/true);
      changed = p.changed;
      r.distance_evaluations += N * k;
      for (int64_t i = 0; i < N; ++i) {
        const double m = margin(d, cc_max, d.xx[i]);
        upper[i] = std::sqrt(d1[i] + m);
        lower[i] = std::sqrt(std::max(0.0, d2[i] - m));
      }
    } else {
      r.distance_evaluations += (int64_t)todo.size() * k;
      std::vector<Change> moves = recompute(d, c, todo, cc_max, labels.data(), upper.data(), lower.data());
      changed = (int64_t)moves.size();
      // Move the changed points' rows between the cluster sums (in point order:
      // the same additions in the same order as any other run).
      with_type(d.Xc.dtype(), [&](auto z_) {
        using T = decltype(z_);
        const T* X = d.Xc.data<T>();
        for (const Change& ch : moves) {
          const T* x = X + ch.i * D;
          double* from = &c.sums[ch.from * D];
          double* to = &c.sums[ch.to * D];
#pragma omp simd
          for (int64_t t = 0; t < D; ++t) from[t] -= (double)x[t], to[t] += (double)x[t];
          c.counts[ch.from] -= 1;
          c.counts[ch.to] += 1;
        }
      });
    }
    r.changed.push_back(changed);

    // An empty cluster takes the farthest point (as Lloyd does): that needs
    // every point's exact distance to its centre, so pay one full pass (rare).
    std::vector<int64_t> moved;
    if (std::any_of(c.counts.begin(), c.counts.end(), [](double n) { return n <= 0; })) {
      std::vector<int64_t> exact(labels);
      assign_all(d, c, exact.data(), d1.data(), nullptr, /*accumulate=*/false);
      r.distance_evaluations += N * k;
      moved = relocate_empty(d, c, labels.data(), d1.data());
      for (int64_t i : moved) {  // its bounds no longer describe it: recompute next time
        upper[i] = std::numeric_limits<double>::infinity();
        lower[i] = 0;
      }
    }
    r.empty_relocations += (int64_t)moved.size();

    const double total_shift = update_centres(c, &shift);
    r.n_iter = it + 1;
    if ((changed == 0 && moved.empty()) || total_shift <= d.tol_abs) {
      r.converged = true;
      break;
    }
    // Bounds follow the centres (u += δ_own, l −= the largest δ among the
    // others), and the test for the next iteration, in the same pass.
    const std::vector<double> s = half_min_centre_gap(c);
    int64_t far = 0;
    for (int64_t j = 1; j < k; ++j)
      if (shift[j] > shift[far]) far = j;
    double second = 0;
    for (int64_t j = 0; j < k; ++j)
      if (j != far) second = std::max(second, shift[j]);
    todo.clear();
    for (int64_t i = 0; i < N; ++i) {
      const int64_t a = labels[i];
      upper[i] += shift[a];
      lower[i] -= a == far ? second : shift[far];
      if (upper[i] > std::max(s[a], lower[i])) todo.push_back(i);
    }
  }
  finish(d, c, r);
  return r;
}

}  // namespace latent::models::detail
