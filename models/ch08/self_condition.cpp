// Chapter 08 — self-conditioning: pseudo-labels by k-means, and drawing them (self_condition.h).
#include "models/ch08/self_condition.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "models/ch03/kmeans.h"

namespace latent::models {

PseudoLabels cluster_pseudo_labels(const Tensor& images, int64_t k, uint64_t seed, int64_t n_init) {
  const std::string op = "cluster_pseudo_labels";
  if (!images.defined() || images.dim() < 2 || images.size(0) < 1)
    fail(op, "expects images [N, C, H, W] or vectors [N, D], got " +
                 (images.defined() ? shape_str(images.shape()) : std::string("(undefined)")));
  const int64_t n = images.size(0);
  if (k < 1 || k > n) fail(op, "k must be in [1, N = " + std::to_string(n) + "], got " + std::to_string(k));
  if (n_init < 1) fail(op, "n_init must be >= 1, got " + std::to_string(n_init));
  const Tensor X = images.contiguous().reshape({n, images.numel() / n});
  check_data_matrix(op, X);  // NaN / Inf named by row and column
  KMeansOptions o;
  o.k = k, o.seed = seed, o.n_init = n_init;
  const KMeansResult r = kmeans(X, o);
  PseudoLabels p;
  p.k = k, p.labels = r.labels, p.centres = r.centres, p.inertia = r.inertia, p.iterations = r.n_iter;
  std::vector<double> shares((size_t)k, 0.0);
  for (double y : r.labels.to_vector()) shares[(size_t)y] += 1.0 / (double)n;
  p.shares = from_vector(shares, {k}, DType::f64);
  return p;
}

Tensor sample_pseudo_labels(const Tensor& shares, int64_t n, Generator& g) {
  const std::string op = "sample_pseudo_labels";
  if (!shares.defined() || shares.dim() != 1 || shares.size(0) < 1)
    fail(op, "expects shares [k], got " + (shares.defined() ? shape_str(shares.shape()) : std::string("(undefined)")));
  if (n < 1) fail(op, "n must be >= 1, got " + std::to_string(n));
  // Inverse-CDF sampling: cumulative shares c_j, one u ~ U[0, c_k) per label, y = the first j
  // with c_j > u. A share of 0 adds no width to the CDF, so that cluster is never drawn.
  const std::vector<double> p = shares.to_vector();
  std::vector<double> cdf(p.size());
  double total = 0;
  int64_t last = -1;  // the last cluster with a positive share (u can round up to the total)
  for (size_t j = 0; j < p.size(); ++j) {
    if (!(p[j] >= 0) || std::isinf(p[j]))
      fail(op, "shares must be finite and >= 0, got " + num_str(p[j]) + " at index " + std::to_string(j));
    total += p[j], cdf[j] = total;
    if (p[j] > 0) last = (int64_t)j;
  }
  if (last < 0) fail(op, "shares are all 0: no cluster to draw");
  const std::vector<double> u = uniform({n}, 0, total, DType::f64, &g).to_vector();
  std::vector<int64_t> y((size_t)n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = std::upper_bound(cdf.begin(), cdf.end(), u[(size_t)i]) - cdf.begin();
    y[(size_t)i] = std::min(j, last);
  }
  return from_vector_i(y, {n});
}

}  // namespace latent::models
