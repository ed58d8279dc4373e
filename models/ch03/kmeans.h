// Chapter 03 — k-means: the reconstruction objective with a one-hot code.
//
// Chapters 02 and 03 minimise the same thing, ||X − Z U||²_F over Z [N,K] and
// U [K,D]. Left free, Z U is the best rank-K approximation (PCA, chapter 02).
// With every row of Z one-hot (z_ij in {0,1}, Σ_j z_ij = 1) row i of Z U is one
// row of U, a "centre", and the objective becomes the k-means inertia
//
//   J(Z, U) = Σ_i ||x_i − u_{c(i)}||²        (c(i) = the column where z_i is 1)
//
// Lloyd's algorithm minimises it by coordinate descent: the best Z for fixed U
// (assign each point to its nearest centre) and the best U for fixed Z (each
// centre the mean of its points). Neither step can raise J, so J never
// increases and the algorithm stops in a local minimum; k-means++ seeding
// (D² sampling) makes that minimum O(log K)-competitive in expectation
// (Arthur & Vassilvitskii 2007). Hamerly's variant (Hamerly 2010) gives the
// same assignments while skipping most distance computations, using bounds
// that follow from the triangle inequality (models/ch03/kmeans_hamerly.cpp).
//
//   KMeansResult r = kmeans(X, {.k = 10, .n_init = 3, .seed = 1});
//   r.centres  [10, D]    r.labels  int64 [N]    r.inertia  J at the end
//
// docs/03-clustering.md has every equation next to the function computing it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace latent::models {

// ---- checks shared by the chapter's models ----

// X must be a 2-d float32/float64 tensor with at least one row, every value
// finite. Otherwise a latent::Error "<op>: ..." naming the shape, or the row
// and column of the first NaN / Inf.
void check_data_matrix(const std::string& op, const Tensor& X);

// ---- distances ----

// Squared Euclidean distances between the rows of X [N,D] and of C [K,D]:
//   ||x_i − c_j||² = ||x_i||² + ||c_j||² − 2 x_i·c_j
// with the cross term as one GEMM (latent::matmul), so the cost is that of a
// matrix product. Rounding can make the difference slightly negative for
// (near-)identical rows; it is clamped at 0. Returns [N,K] in X's dtype.
Tensor pairwise_sq_distances(const Tensor& X, const Tensor& C);

// The assignment step (the best Z for fixed U): each row's nearest centre,
// labels int64 [N]; the squared distance to it in *min_sq_dist when given.
// Ties go to the lower index (argmin's rule).
Tensor assign_nearest(const Tensor& X, const Tensor& centres, Tensor* min_sq_dist = nullptr);

// ---- the reconstruction view ----

// Z = one_hot(labels, K) [N,K]: the k-means code as a matrix. With it,
// models::reconstruction_objective(X, Z, centres) (models/ch02/reconstruction.h,
// the objective both chapters minimise) equals the inertia.
Tensor one_hot_code(const Tensor& labels, int64_t K, DType dtype);

// ---- seeding ----

// k-means++ (Arthur & Vassilvitskii 2007): the first centre is a uniformly
// random point, each next one a point drawn with probability proportional to
// D(x)², its squared distance to the nearest centre chosen so far.
// n_local_trials > 1 is the greedy variant (scikit-learn's default, with
// 2 + floor(ln k) trials): draw that many candidates and keep the one that
// lowers Σ D(x)² most. 0 means 2 + floor(ln k); 1 is the plain algorithm.
// Returns [k,D] rows of X (X's dtype). k > N is an error.
Tensor kmeans_plusplus(const Tensor& X, int64_t k, Generator& gen, int64_t n_local_trials = 0);

// ---- Lloyd / Hamerly ----

enum class KMeansAlgorithm {
  lloyd,    // every distance, every iteration (fused GEMM + argmin + sums)
  hamerly,  // the same assignments, skipping points whose bounds prove them settled
};
const char* kmeans_algorithm_name(KMeansAlgorithm a);

struct KMeansOptions {
  int64_t k = 8;
  int64_t max_iter = 300;
  // Stop when the centres moved less than tol * (mean per-feature variance of
  // X) in total squared distance, Σ_j ||Δu_j||² — scikit-learn's rule, so the
  // same tol means the same thing there. Stops earlier when no label changed.
  double tol = 1e-4;
  int64_t n_init = 1;  // restarts from fresh k-means++ seeds; the lowest inertia wins
  KMeansAlgorithm algorithm = KMeansAlgorithm::lloyd;
  uint64_t seed = 0;
  // Given centres [k,D] (then n_init must be 1): the "same initial centres"
  // comparison with scikit-learn's KMeans(init=centres, n_init=1).
  Tensor init = {};
};

struct KMeansResult {
  Tensor centres;        // [k,D], X's dtype
  Tensor labels;         // int64 [N], nearest final centre
  double inertia = 0;    // J at the end: Σ_i ||x_i − u_{c(i)}||² w.r.t. the final centres
  int64_t n_iter = 0;    // assignment + update rounds (scikit-learn's n_iter_)
  bool converged = false;
  int64_t best_init = 0;  // which restart won (0-based)
  // Per iteration: points whose label changed in that assignment step (the
  // same sequence for Lloyd and Hamerly when their assignments agree).
  std::vector<int64_t> changed;
  // Lloyd only: J(Z_t, U_{t-1}) after each assignment step. Never increases.
  std::vector<double> inertia_history;
  // Point–centre distances evaluated (Lloyd: N*k per iteration), to show what
  // Hamerly's bounds save.
  int64_t distance_evaluations = 0;
  int64_t empty_relocations = 0;  // empty clusters re-seeded (see kmeans.cpp)
};

// Runs n_init restarts and keeps the lowest final inertia. k > N, a bad
// shape, NaN / Inf in X or in the given init are errors naming the problem.
KMeansResult kmeans(const Tensor& X, const KMeansOptions& opt);

// One run from given initial centres [k,D] (the work inside kmeans()).
KMeansResult kmeans_single(const Tensor& X, const Tensor& init, const KMeansOptions& opt);

}  // namespace latent::models
