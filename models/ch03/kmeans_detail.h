// Chapter 03 — k-means internals shared by Lloyd (kmeans_lloyd.cpp) and
// Hamerly (kmeans_hamerly.cpp). Not part of the public API (kmeans.h).
#pragma once

#include <vector>

#include "models/ch03/kmeans.h"

namespace latent::models::detail {

// Rows per GEMM block: a block of X stays in cache between the distance GEMM
// and the centre sums that read it again (scikit-learn chunks the same way).
// The size is chosen so that rows·k·D stays under ~9e5: below about 1e6
// OpenBLAS 0.3 (Debian 12) runs small products with kernels that skip packing
// the operands, and for k = 10 packing the X block cost more than the
// multiply itself (measured, CPU time of one pass over 60,000 x 784 with
// k = 10: 27 ms in blocks of 112 rows, 35-42 ms in blocks of 256). Between
// 32 and 256 rows.
int64_t block_rows(int64_t k, int64_t D);
constexpr int64_t kMaxBlockRows = 256;
// Rows per unit of parallel work (8 blocks): threads take tiles dynamically,
// and per-tile partial sums are added in tile order, so the result is the
// same bits for any thread count and any scheduling.
constexpr int64_t kTileRows = 2048;

// The data as the iterations see it. Centring X first (as scikit-learn does)
// makes ||x||² and ||c||² small, so ||x||² + ||c||² − 2x·c cancels less: in
// float32 the rounding error of that difference scales with ||x||² + ||c||².
struct KMeansData {
  Tensor X;                  // the data as given (contiguous; a view, not a copy, when it already is)
  Tensor Xc;                 // X − mean(X), X's dtype, contiguous [N,D]
  std::vector<double> xx;    // ||x_i||² of the centred rows
  std::vector<double> mean;  // [D], to shift centres back at the end
  int64_t N = 0, D = 0;
  double tol_abs = 0;        // opt.tol × mean per-feature variance (scikit-learn's _tolerance)
  double eps = 0;            // unit roundoff of X's dtype (for Hamerly's safety margin)
};
KMeansData prepare_data(const Tensor& X, double tol);

// ||x_i||² of every row of a 2-d float tensor, accumulated in double.
std::vector<double> row_sq_norms(const Tensor& X);

// The centres as the iterations keep them: per-cluster sums and counts in
// double (sums of 60,000 float32 rows lose digits in float32), and the
// centres rounded to X's dtype, which is what every distance GEMM sees.
struct Centres {
  int64_t k = 0, D = 0;
  std::vector<double> sums, counts;  // [k*D], [k]
  Tensor C;                          // [k,D], X's dtype, centred coordinates
  Tensor Ct;                         // Cᵀ [D,k] contiguous: the GEMM's right operand (~10% faster
                                     // in OpenBLAS's small-matrix kernel than the transposed view)
  std::vector<double> cc;            // ||c_j||² of C as rounded
};
// Centres from given centred positions [k,D] (counts 0: sums unused until set).
Centres centres_from(const Tensor& C0);
// The update step: u_j = sums_j / counts_j (the mean of cluster j's points,
// the best U for fixed Z). Returns Σ_j ||u_j(new) − u_j(old)||² and writes each
// centre's shift ||Δu_j|| into shift (size k) when given.
double update_centres(Centres& c, std::vector<double>* shift = nullptr);

// The nearest and second-nearest centre of one point, squared distances.
struct Nearest {
  int64_t best = 0;
  double d1 = 0, d2 = 0;
};
// For each row of `rows` [M,D] (contiguous, X's dtype) with squared norms xx:
// the two nearest centres, from ||x||² + ||u||² − 2 x·u with the cross terms
// as one GEMM, rows Cᵀ [M,k], clamped at 0; ties to the lower index. Lloyd
// and Hamerly both call this, so a point's distances are the same bits in
// either algorithm.
void nearest_two(const Tensor& rows, const double* xx, const Centres& c, Nearest* out);

// Result of one assignment pass over all points.
struct PassStats {
  int64_t changed = 0;  // labels that differ from the previous ones
  double inertia = 0;   // Σ_i d1_i
};
// Every point's nearest centre through blocked GEMMs (OpenMP over blocks):
// labels, d1 = squared distance to the nearest, d2 = to the second nearest
// (when d2 != nullptr). With accumulate, also rebuilds c.sums / c.counts from
// the new labels in the same pass over X (Lloyd's fused update).
PassStats assign_all(const KMeansData& d, Centres& c, int64_t* labels, double* d1, double* d2,
                     bool accumulate);

// Empty clusters after an assignment: each is re-seeded with the point
// farthest from its own centre (largest d1), whose cluster keeps >= 1 point —
// scikit-learn's _relocate_empty_clusters. Moves the point's contribution in
// c.sums / c.counts and its label; returns the moved points.
std::vector<int64_t> relocate_empty(const KMeansData& d, Centres& c, int64_t* labels, const double* d1);

// The two algorithms: the iterations from initial centres (centred), filling
// labels, centres, n_iter, converged, changed, history, counters; inertia and
// the final labels come from finish().
KMeansResult run_lloyd(const KMeansData& d, Centres c, const KMeansOptions& opt);
KMeansResult run_hamerly(const KMeansData& d, Centres c, const KMeansOptions& opt);

// After the iterations: labels consistent with the final centres and the
// inertia w.r.t. them (one more assignment pass, as scikit-learn does when it
// did not converge strictly), centres shifted back by the mean.
void finish(const KMeansData& d, Centres& c, KMeansResult& r);

}  // namespace latent::models::detail
