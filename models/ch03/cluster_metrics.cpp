// Chapter 03 — comparing clusterings (see cluster_metrics.h).
#include "models/ch03/cluster_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace latent::models {

namespace {

void check_pair(const std::string& op, const Tensor& a, const Tensor& b) {
  if (a.dim() != 1 || b.dim() != 1 || a.size(0) != b.size(0) || a.size(0) < 1)
    fail(op, "need two labelings int64 [N] of the same points, got " + shape_str(a.shape()) + " and " +
                 shape_str(b.shape()));
}

double pairs(double n) { return n * (n - 1) / 2; }

// Labels arrive as doubles (Tensor::to_vector); below 2^63 ≈ 9.22e18 they convert to int64 exactly
// enough, above it the cast is undefined, so larger magnitudes are refused.
constexpr double kLabelLimit = 9e18;

// cluster -> class -> how many points: the contingency table of two labelings. Maps, not arrays:
// cluster ids need not be contiguous or small. Labels must be integers; negative ones only where
// allow_negative (the ARI, which ignores label names, accepts -1 for "noise" as sklearn does).
std::map<int64_t, std::map<int64_t, int64_t>> class_counts(const std::string& op, const Tensor& clusters,
                                                           const Tensor& classes, bool allow_negative = false) {
  check_pair(op, clusters, classes);
  const std::vector<double> c = clusters.to_vector(), y = classes.to_vector();
  const double lowest = allow_negative ? -kLabelLimit : 0;
  std::map<int64_t, std::map<int64_t, int64_t>> n;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!(c[i] >= lowest && y[i] >= lowest && c[i] == std::floor(c[i]) && y[i] == std::floor(y[i]) &&
          c[i] < kLabelLimit && y[i] < kLabelLimit))  // NaN fails every comparison
      fail(op, std::string(allow_negative ? "labels must be integers" : "labels must be integers >= 0") +
                   ", got cluster " + num_str(c[i]) + " and class " + num_str(y[i]) + " at index " +
                   std::to_string(i));
    ++n[(int64_t)c[i]][(int64_t)y[i]];
  }
  return n;
}

}  // namespace

double adjusted_rand_index(const Tensor& a, const Tensor& b) {
  // n_ij, and its row sums a_i and column sums b_j
  std::map<int64_t, double> ai, bj;
  std::vector<double> nij;
  for (auto& [i, row] : class_counts("adjusted_rand_index", a, b, /*allow_negative=*/true))
    for (auto& [j, n] : row) {
      nij.push_back((double)n);
      ai[i] += (double)n;
      bj[j] += (double)n;
    }
  double index = 0, sa = 0, sb = 0;
  for (double n : nij) index += pairs(n);
  for (auto& [k, n] : ai) sa += pairs(n);
  for (auto& [k, n] : bj) sb += pairs(n);
  const double expected = sa * sb / pairs((double)a.size(0)), best = 0.5 * (sa + sb);
  if (best == expected) return 1.0;  // both trivial (one cluster, or all singletons): they agree
  return (index - expected) / (best - expected);
}

double label_agreement(const Tensor& a, const Tensor& b) {
  check_pair("label_agreement", a, b);
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double same = 0;
  for (size_t i = 0; i < x.size(); ++i) same += x[i] == y[i];
  return same / (double)x.size();
}

std::vector<int64_t> majority_class(const Tensor& clusters, const Tensor& classes, int64_t k) {
  if (k < 1) fail("majority_class", "k must be >= 1, got " + std::to_string(k));
  std::vector<int64_t> top((size_t)k, -1);
  for (auto& [cluster, by_class] : class_counts("majority_class", clusters, classes)) {
    if (cluster >= k)
      fail("majority_class", "cluster " + std::to_string(cluster) + " is >= k = " + std::to_string(k));
    int64_t best = 0;  // the map is ordered by class, so a tie keeps the smallest class
    for (auto& [cls, count] : by_class)
      if (count > best) best = count, top[(size_t)cluster] = cls;
  }
  return top;
}

double cluster_purity(const Tensor& clusters, const Tensor& classes) {
  int64_t majority = 0;
  for (auto& [cluster, by_class] : class_counts("cluster_purity", clusters, classes)) {
    int64_t top = 0;
    for (auto& [cls, count] : by_class) top = std::max(top, count);
    majority += top;
  }
  return (double)majority / (double)clusters.size(0);
}

}  // namespace latent::models
