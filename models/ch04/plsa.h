// Chapter 04 — probabilistic latent semantic analysis by EM (Hofmann 1999).
//
// From "one topic per document" (a mixture of unigrams) to "every word its own
// topic": document d has its own mixture θ_{·|d} over K topics, topic z its
// word distribution β_{·|z}, and
//
//   p(w | d) = Σ_z θ_{z|d} β_{w|z}.
//
// The log-likelihood of the counts n_dw, L = Σ_d Σ_w n_dw log Σ_z θ_{z|d} β_{w|z},
// is maximised by EM (Dempster, Laird & Rubin 1977):
//
//   E-step  p(z | d, w) = θ_{z|d} β_{w|z} / Σ_z' θ_{z'|d} β_{w|z'}
//   M-step  soft counts  n_dwz = n_dw p(z | d, w);
//           β_{w|z} ∝ Σ_d n_dwz,    θ_{z|d} ∝ Σ_w n_dwz
//
// and L never decreases (tested). Tempered EM (Hofmann 1999, section 3.6)
// raises the E-step to a power T ≤ 1, p_T(z|d,w) ∝ (θ_{z|d} β_{w|z})^T, which
// flattens the posteriors and over-fits less; L is then no longer guaranteed
// to rise.
//
//   PlsaResult r = plsa_fit(bag_of_words(corpus), {.K = 10});
//   r.beta [K,V] (β_{w|z} in row z)   r.theta [D,K]   r.loglik_history
#pragma once

#include <cstdint>
#include <vector>

#include "models/ch04/corpus.h"
#include "tensor/tensor.h"

namespace latent::models {

struct PlsaOptions {
  int64_t K = 10;
  int64_t max_iter = 100;
  double tol = 1e-7;          // stop when L rose by less than tol * |L| in one iteration
  double temperature = 1.0;   // T in (0, 1]: tempered EM; 1 is plain EM
  uint64_t seed = 0;          // random positive initial θ and β
};

struct PlsaResult {
  Tensor beta;    // [K,V] float64, rows sum to 1
  Tensor theta;   // [D,K] float64, rows sum to 1 (uniform for empty documents)
  std::vector<double> loglik_history;  // L before each M-step (the parameters of that iteration)
  int64_t n_iter = 0;
  bool converged = false;
};

// Errors: K < 1, temperature outside (0, 1], a corpus with no tokens.
PlsaResult plsa_fit(const BagOfWords& bow, const PlsaOptions& opt);

// The E-step for one (d, w): p(z | d, w) ∝ (θ_{z|d} β_{w|z})^T, written into
// post[0..K); returns Σ_z θ_{z|d} β_{w|z} (= p(w | d), untempered).
double plsa_posterior(const double* theta_d, const double* beta_w, int64_t K, double temperature, double* post);

// Held-out documents' θ with β fixed (Hofmann's "folding in"): EM on θ alone.
Tensor plsa_fold_in(const Tensor& beta, const BagOfWords& docs, int64_t iters = 50);

}  // namespace latent::models
