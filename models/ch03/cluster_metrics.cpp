// Chapter 03 — comparing clusterings (see cluster_metrics.h).
#include "models/ch03/cluster_metrics.h"

#include <algorithm>
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

}  // namespace

double adjusted_rand_index(const Tensor& a, const Tensor& b) {
  check_pair("adjusted_rand_index", a, b);
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  std::map<std::pair<int64_t, int64_t>, double> nij;
  std::map<int64_t, double> ai, bj;
  for (size_t i = 0; i < x.size(); ++i) {
    nij[{(int64_t)x[i], (int64_t)y[i]}] += 1;
    ai[(int64_t)x[i]] += 1;
    bj[(int64_t)y[i]] += 1;
  }
  double index = 0, sa = 0, sb = 0;
  for (auto& [k, n] : nij) index += pairs(n);
  for (auto& [k, n] : ai) sa += pairs(n);
  for (auto& [k, n] : bj) sb += pairs(n);
  const double expected = sa * sb / pairs((double)x.size()), best = 0.5 * (sa + sb);
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

std::vector<int64_t> majority_class(const Tensor& clusters, const Tensor& classes) {
  check_pair("majority_class", clusters, classes);
  const std::vector<double> c = clusters.to_vector(), y = classes.to_vector();
  std::map<int64_t, std::map<int64_t, int64_t>> n;  // cluster -> class -> count
  int64_t last = -1;
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] < 0 || y[i] < 0)
      fail("majority_class", "labels must be >= 0, got cluster " + num_str(c[i]) + " and class " + num_str(y[i]) +
                                 " at index " + std::to_string(i));
    ++n[(int64_t)c[i]][(int64_t)y[i]];
    last = std::max(last, (int64_t)c[i]);
  }
  std::vector<int64_t> top((size_t)(last + 1), -1);
  for (auto& [cluster, by_class] : n) {
    int64_t best = 0;  // the map is ordered by class, so a tie keeps the smallest class
    for (auto& [cls, count] : by_class)
      if (count > best) best = count, top[(size_t)cluster] = cls;
  }
  return top;
}

double cluster_purity(const Tensor& clusters, const Tensor& classes) {
  check_pair("cluster_purity", clusters, classes);
  const std::vector<int64_t> top = majority_class(clusters, classes);
  const std::vector<double> c = clusters.to_vector(), y = classes.to_vector();
  double agree = 0;
  for (size_t i = 0; i < c.size(); ++i) agree += top[(size_t)c[i]] == (int64_t)y[i] ? 1 : 0;
  return agree / (double)c.size();
}

}  // namespace latent::models
