// Chapter 03 — discovering K: a Dirichlet-process Gaussian mixture sampled
// with the Chinese restaurant process, and DP-means, its small-variance limit.
//
// Chinese restaurant process (Aldous 1985; Teh, "Dirichlet processes", 2010):
// customers (points) enter one by one; customer n sits at an occupied table k
// with probability n_k / (n − 1 + α) and at a new table with α / (n − 1 + α).
// The number of tables grows like α log N: K is not fixed in advance but
// inferred. With a conjugate prior on each table's Gaussian, the parameters
// integrate out and collapsed Gibbs sampling (Neal 2000, algorithm 3) moves
// one point at a time:
//   p(z_n = k | z_−n, X) ∝ n_k^{−n} · p(x_n | the other points at table k)   (existing k)
//   p(z_n = new | z_−n, X) ∝ α · p(x_n | prior)                              (a new table)
// Both are posterior-predictive densities (Student-t, see dpmm.cpp).
//
// DP-means (Kulis & Jordan 2012) is the same model as the variances go to 0
// with α = (1 + ρ/σ²)^{D/2} exp(−λ / 2σ²): the Gibbs step becomes "nearest
// centre, unless every centre is farther than λ (squared distance): then open
// a new cluster here", minimising
//   J = Σ_i ||x_i − μ_{z_i}||² + λ K        (k-means' objective + λ per cluster).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace latent::models {

// The prior of each table's Gaussian: independent per dimension d (axis-aligned
// clusters), Normal-Gamma (conjugate for a Gaussian with unknown mean and precision):
//   τ_d ~ Gamma(a0, b0_d),   μ_d | τ_d ~ N(m0_d, 1 / (κ0 τ_d))
// Defaults are set from the data: m0 = mean of X, and b0_d = a0 (s σ_d)²,
// so the prior guess of a cluster's standard deviation is s times the data's
// (σ_d), with κ0 = s² (a cluster's mean may lie anywhere the data does).
struct DPMixtureOptions {
  double alpha = 1.0;           // DP concentration: larger opens tables more readily
  double cluster_scale = 0.15;  // s above
  double a0 = 2.0;              // Gamma shape: weight of the prior guess of the variance
  int64_t sweeps = 100;         // Gibbs sweeps (each visits every point once)
  uint64_t seed = 0;
  int64_t init_clusters = 1;    // start with the points dealt round-robin onto this many tables
  // Split–merge proposals after each sweep (dpmm.cpp: split_merge); 0 gives
  // plain single-point Gibbs, which can stay stuck with one cluster split in
  // two, or two merged, for many sweeps.
  int64_t split_merge_per_sweep = 20;
};

// The point estimate reported is the most probable partition the chain
// visited (highest log p(X, z), the MAP sample): the last sweep's partition
// often carries a transient extra table of one or two points.
struct DPMixtureResult {
  Tensor labels;                      // int64 [N] of the MAP partition, tables numbered by size (largest first)
  int64_t num_clusters = 0;           // its number of tables
  std::vector<int64_t> sizes;         // its points per table [K], descending
  Tensor means;                       // posterior mean of each table's μ [K,D] (in X's units)
  int64_t map_sweep = 0;              // the sweep it was found at
  std::vector<int64_t> k_per_sweep;   // occupied tables after each sweep (the chain's trace)
  std::vector<double> log_joint;      // log p(X, z) after each sweep (collapsed: parameters integrated out)
  int64_t split_merge_accepted = 0;   // accepted split–merge proposals over the run
};

// Collapsed Gibbs sampling of the DP mixture above. Sequential by nature
// (each point's move changes the next point's probabilities): O(N K D) per sweep.
DPMixtureResult dp_mixture_gibbs(const Tensor& X, const DPMixtureOptions& opt = {});

// The most frequent value of k_per_sweep over the last `last` sweeps (a
// posterior mode of K, less noisy than the final sweep's value).
int64_t dp_mode_k(const DPMixtureResult& r, int64_t last);

struct DPMeansResult {
  Tensor labels;       // int64 [N]
  Tensor centres;      // [K,D]
  int64_t num_clusters = 0;
  double objective = 0;  // Σ ||x − μ||² + λ K, non-increasing over iterations
  std::vector<double> objective_history;
  int64_t n_iter = 0;
  bool converged = false;
};
// DP-means (Kulis & Jordan 2012, algorithm 1) with penalty λ (a squared
// distance). Distances to the existing centres go through one GEMM per pass;
// only points that open or meet new clusters during the pass are handled one
// by one, which gives exactly the sequential algorithm's result.
DPMeansResult dp_means(const Tensor& X, double lambda, int64_t max_iter = 100);

}  // namespace latent::models
