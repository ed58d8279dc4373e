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

// Floating-point labels are exact integers only up to 2^53: beyond it 2^53 and 2^53 + 1 are the
// same double, and two clusters would merge without a word. So an f32/f64 label must be an
// integer of magnitude below 2^53; int64 labels are read as they are.
constexpr double kExactInDouble = 9007199254740992.0;  // 2^53

// One labeling as int64, checked: integers, and >= 0 unless allow_negative.
std::vector<int64_t> labels_of(const std::string& op, const Tensor& t, bool allow_negative,
                               const std::string& what) {
  std::vector<int64_t> out((size_t)t.numel());
  if (t.dtype() == DType::i64) {
    const Tensor c = t.contiguous();
    std::copy(c.data<int64_t>(), c.data<int64_t>() + c.numel(), out.begin());
  } else {
    const std::vector<double> v = t.to_vector();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!(v[i] == std::floor(v[i]) && std::fabs(v[i]) < kExactInDouble))  // NaN fails too
        fail(op, "labels must be integers" + std::string(allow_negative ? "" : " >= 0") + " (below 2^53 as " +
                     dtype_name(t.dtype()) + "), got " + what + " " + num_str(v[i], 17) + " at index " +
                     std::to_string(i));
      out[i] = (int64_t)v[i];
    }
  }
  if (!allow_negative)
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i] < 0)
        fail(op, "labels must be integers >= 0, got " + what + " " + std::to_string(out[i]) + " at index " +
                     std::to_string(i));
  return out;
}

// cluster -> class -> how many points: the contingency table of two labelings. Maps, not arrays:
// cluster ids need not be contiguous or small. Negative labels only where allow_negative (the
// ARI, which ignores label names, accepts -1 for "noise" as sklearn does).
std::map<int64_t, std::map<int64_t, int64_t>> class_counts(const std::string& op, const Tensor& clusters,
                                                           const Tensor& classes, bool allow_negative = false) {
  check_pair(op, clusters, classes);
  const std::vector<int64_t> c = labels_of(op, clusters, allow_negative, "cluster"),
                             y = labels_of(op, classes, allow_negative, "class");
  std::map<int64_t, std::map<int64_t, int64_t>> n;
  for (size_t i = 0; i < c.size(); ++i) ++n[c[i]][y[i]];
  return n;
}

}  // namespace

double adjusted_rand_index(const Tensor& a, const Tensor& b) {
  // Σ_ij C(n_ij, 2) over the contingency table, and its row sums a_i and column sums b_j
  const auto table = class_counts("adjusted_rand_index", a, b, /*allow_negative=*/true);  // checks the labels
  // One point has no pairs to agree or disagree on: call the partitions equal (sklearn does too).
  if (a.size(0) == 1) return 1.0;
  std::map<int64_t, double> ai, bj;
  double index = 0;
  for (auto& [i, row] : table)
    for (auto& [j, n] : row) {
      index += pairs((double)n);
      ai[i] += (double)n;
      bj[j] += (double)n;
    }
  double sa = 0, sb = 0;
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
