// Chapter 04 — LDA by variational EM (Blei, Ng & Jordan 2003, section 5).
//
// The posterior p(θ, z | w) is intractable; variational inference replaces it
// by the factorised q(θ | γ) Π_n q(z_n | φ_n), a Dirichlet and multinomials,
// and maximises the evidence lower bound (ELBO)
//
//   L = E_q[log p(θ | α)] + Σ_n E_q[log p(z_n | θ)] + Σ_n E_q[log p(w_n | z_n, β)]
//       − E_q[log q(θ)] − Σ_n E_q[log q(z_n)]          ≤ log p(w | α, β).
//
// E-step (per document, coordinate ascent, Blei et al. eqs. 6-7):
//   φ_nk ∝ β_k,w_n exp(ψ(γ_k) − ψ(Σ_j γ_j))       γ_k = α + Σ_n φ_nk
// M-step (eq. 9): β_kw ∝ Σ_d Σ_n φ_dnk [w_dn = w]   (α fixed here).
//
// Tokens of the same word in a document share φ, so everything runs over the
// bag of words with counts. γ is carried over from one iteration to the next
// (a warm start): then every update maximises L over its block exactly, and
// the ELBO never decreases (tested). Every word of the training vocabulary
// gets mass in some topic; a word never seen in training has β_kw = 0 for all
// k and is skipped when inferring held-out documents.
//
//   LdaVemResult r = lda_vem(bag_of_words(train), {.K = 20});
//   r.beta [K,V]   r.gamma [D,K]   r.elbo_history
#pragma once

#include <cstdint>
#include <vector>

#include "models/ch04/corpus.h"
#include "tensor/tensor.h"

namespace latent::models {

struct LdaVemOptions {
  int64_t K = 10;
  double alpha = -1;          // symmetric Dirichlet on θ; <= 0 means 1 / K (scikit-learn's default)
  // Smoothing of the topics: M-step β_kw ∝ soft counts + eta, the MAP estimate
  // under a Dir(1 + eta) prior on each topic (Blei et al. section 5.4 smooth
  // with a Dirichlet too). The recorded objective is then ELBO + eta Σ log β,
  // which never decreases either. 0: the plain maximum-likelihood M-step.
  double eta = 0;
  int64_t max_iter = 50;      // EM iterations
  double tol = 1e-6;          // stop when the ELBO rose by less than tol * |ELBO|
  int64_t e_step_max_iter = 100;
  double e_step_tol = 1e-3;   // stop a document's E-step when mean |Δγ_k| < e_step_tol
  uint64_t seed = 0;          // random initial β
  // Restarts from fresh random β (seeds seed, seed+1, ...): the ELBO has local
  // optima (on bars, two true topics can share one learned topic), and the run
  // with the highest final ELBO is kept.
  int64_t n_init = 1;
};

struct LdaVemResult {
  Tensor beta;    // [K,V] float64, rows sum to 1 (the topics φ)
  Tensor gamma;   // [D,K] variational Dirichlet parameters of each document
  std::vector<double> elbo_history;  // after each E-step
  std::vector<double> seconds_per_iter;
  int64_t n_iter = 0;
  bool converged = false;
  int64_t best_init = 0;  // which restart won
};

LdaVemResult lda_vem(const BagOfWords& bow, const LdaVemOptions& opt);

// γ of held-out documents with β fixed (the E-step alone); θ = γ / Σγ.
// Returns [D,K] normalised θ.
Tensor lda_vem_infer_theta(const Tensor& beta, const BagOfWords& docs, double alpha, int64_t max_iter = 100,
                           double tol = 1e-3);

// ψ(x) = d/dx log Γ(x), x > 0 (recurrence up to x >= 10, then the asymptotic series).
double digamma(double x);

}  // namespace latent::models
