// Chapter 03 — comparing two clusterings of the same points.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace latent::models {

// Adjusted Rand index (Hubert & Arabie 1985) of two labelings (int64 [N], any
// integer label values, -1 included; NaN or 0.5 is an error naming the index):
// the fraction of point pairs on which they agree (same cluster in both, or
// different in both), corrected for chance:
//   ARI = (Σ_ij C(n_ij,2) − E) / (½ [Σ_i C(a_i,2) + Σ_j C(b_j,2)] − E),
//   E   = Σ_i C(a_i,2) Σ_j C(b_j,2) / C(N,2)
// with n_ij the contingency table and a, b its row and column sums. 1 for
// identical partitions (whatever the label names), about 0 for random ones.
double adjusted_rand_index(const Tensor& a, const Tensor& b);

// The fraction of points whose labels agree exactly (same names), e.g.
// Lloyd vs Hamerly, whose clusters keep their indices.
double label_agreement(const Tensor& a, const Tensor& b);

// Purity of a clustering against known classes (both int64 [N], non-negative):
//   purity = (1/N) Σ_clusters max_class n_{cluster, class},
// the accuracy of labelling every cluster with its most frequent class (Manning et al. 2008,
// §16.3). 1 when no cluster mixes classes; it tends to rise with the number of clusters (N
// singleton clusters score 1), so compare clusterings with the same k, or use the ARI.
double cluster_purity(const Tensor& clusters, const Tensor& classes);

// That labelling itself: entry j (0 <= j < k) is cluster j's most frequent class, the
// smallest class on a tie, and -1 for a cluster no point has. A cluster id >= k, or a label
// that is negative or not an integer, is an error naming it (as in cluster_purity).
std::vector<int64_t> majority_class(const Tensor& clusters, const Tensor& classes, int64_t k);

}  // namespace latent::models
