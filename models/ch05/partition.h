// Chapter 05 — the partition function Z of an RBM, exactly and by Annealed
// Importance Sampling, and the log-likelihood it gives.
//
// log p(v) = −F(v) − log Z. F is cheap (rbm.h); Z = Σ_{v,h} exp(−E(v, h)) sums
// over 2^(V+H) states. Summing h out analytically leaves 2^V terms, summing v
// out leaves 2^H, so Z is exact when either layer is small:
//
//   log Z = log Σ_h exp( cᵀh + Σ_i softplus(b_i + W_{i:} h) )        (binary v)
//         = log Σ_h exp( cᵀh + ½‖b + W h‖² − ½‖b‖² ) + (V/2) log 2π  (gaussian v)
//
// AIS (Neal 2001; Salakhutdinov & Murray 2008) handles large layers. It walks
// from a base model A with known Z_A — independent visible units with biases
// b_A, the "base rate" of the data, and H disconnected hidden units — to the RBM B through
// the intermediate distributions (β_0 = 0 < β_1 < ... < β_K = 1)
//
//   p*_β(v) = exp((1−β) b_Aᵀv + β bᵀv) Π_j (1 + exp(β (c_j + vᵀW_{:j})))   ais_log_p_star
//
// Each run draws v_1 ~ p_A, then for k = 1..K multiplies its importance
// weight by p*_{β_k}(v_k) / p*_{β_{k−1}}(v_k) and moves v_{k+1} ~ T_k(v_k), a
// Gibbs step that leaves p_{β_k} invariant (ais_transition). The mean weight
// is an unbiased estimate of Z_B / Z_A; its log is (by Jensen) biased low for
// any finite number of runs, so the log-likelihood −F − log Ẑ is biased high —
// by little when the weights are even, by a lot when AIS fails (a few runs
// dominate; watch the ±3σ bounds).
#pragma once

#include <vector>

#include "models/ch05/rbm.h"

namespace latent::models {

// Exact log Z by enumerating the 2^n states of a binary layer with
// n <= max_units units: the hidden layer when it is binary and small enough,
// and no larger than the visible one or the visible units are gaussian; else
// the visible layer. Computed in float64.
double log_z_exact(const Rbm& m, int64_t max_units = 24);

// Mean log p(v) over the rows of v: −mean F(v) − log Z.
double mean_log_likelihood(const Rbm& m, const Tensor& v, double log_z);

// The base-rate biases: b_A,i = log(p_i / (1 − p_i)) with p_i the mean of
// column i of X, smoothed as (N p_i + 0.05) / (N + 0.1) so no unit is certain.
Tensor base_rate_bias(const Tensor& X);
// log Z_A = Σ_i softplus(b_A,i) + H log 2: the base model has independent
// visible units and H hidden units with no weights and zero biases (each
// hidden unit contributes its two states, 1 + e^0 = 2).
double log_z_base(const Tensor& bA, int64_t H);

// The intermediate model's unnormalised log-probability at β [N] (float64).
Tensor ais_log_p_star(const Rbm& m, const Tensor& bA, const Tensor& v, double beta);
// One AIS transition at β: h ~ p_β(h | v) = σ(β (c + vW)), then
// v' ~ p_β(v | h) = σ((1−β) b_A + β (b + W h)). Leaves p_β invariant.
Tensor ais_transition(const Rbm& m, const Tensor& bA, const Tensor& v, double beta, Generator& g);

// Salakhutdinov & Murray's schedule: n_betas spread as 500 : 4000 : 10000 over
// [0, 0.5), [0.5, 0.9), [0.9, 1] (their 14,500), ending at exactly 1.
std::vector<double> ais_schedule(int64_t n_betas = 14500);

struct AisOptions {
  int64_t runs = 100;       // independent annealing runs (rows processed together)
  int64_t n_betas = 14500;  // intermediate distributions
  uint64_t seed = 0;
};
struct AisResult {
  double log_z = 0;                  // log Ẑ_B = log Z_A + log mean w
  double log_z_low = 0, log_z_high = 0;  // log(Ẑ ∓ 3 σ̂), σ̂ = std(w)/√runs (low is −inf when Ẑ < 3σ̂)
  double log_z_base = 0;             // log of the start's normaliser (from an RBM A: log Z_A + (H_B − H_A) log 2)
  std::vector<double> log_weights;   // per run
  double seconds = 0;
};
// Binary visible and binary hidden units only (a clear error otherwise).
AisResult ais_log_z(const Rbm& m, const Tensor& bA, const AisOptions& opt = {});

// Exact samples from an RBM with a small binary hidden layer (H <= max_units):
// p(h) ∝ exp(cᵀh) Π_i (1 + exp(b_i + W_{i:} h)) is enumerated over its 2^H
// states, h is drawn from it by inverse CDF, then v ~ p(v | h). [n, V].
Tensor sample_exact(const Rbm& m, int64_t n, Generator& g, int64_t max_units = 20);

// AIS from a small RBM A instead of the base-rate model (Salakhutdinov & Murray
// 2008, section 3.2). The intermediate models keep both hidden layers,
//
//   E_β(v, h_A, h_B) = (1−β) E_A(v, h_A) + β E_B(v, h_B),
//   p*_β(v) = exp(((1−β) b_A + β b_B)ᵀv) Π_j (1 + e^{(1−β)(c_A + vW_A)_j}) Π_k (1 + e^{β(c_B + vW_B)_k}),
//
// so p_0 = p_A (times 2^{H_B} free B units) and p_1 = p_B (times 2^{H_A}):
// log Z_B = log Z_A + (H_B − H_A) log 2 + log mean w. A starts the runs at
// exact samples of a model that already has the data's modes (a digit-like
// RBM-20 rather than one blob of independent pixels), so the path is a
// different one: AIS's log Ẑ is a stochastic lower bound on log Z for every
// path, so two paths that agree support each other and the higher one wins.
// base: binary units, at most 20 hidden units (log Z_A and samples exact).
AisResult ais_log_z_from_rbm(const Rbm& target, const Rbm& base, const AisOptions& opt = {});
// That path's transition at β: h_A ~ σ((1−β)(c_A + vW_A)), h_B ~ σ(β(c_B + vW_B)), then
// v' ~ σ((1−β)(b_A + W_A h_A) + β(b_B + W_B h_B)). Leaves p_β invariant.
Tensor ais_transition_from_rbm(const Rbm& target, const Rbm& base, const Tensor& v, double beta, Generator& g);

// RAISE, reverse annealed importance sampling (Burda, Grosse & Salakhutdinov
// 2015): the conservative partner of AIS. AIS estimates Z, and its log is
// biased low, so −F − log Ẑ errs towards a too-good log-likelihood; when AIS
// fails (a few runs never find the model's modes) the error is large and
// nothing in the weights shows it. RAISE instead starts a chain AT the test
// image v_K = v and anneals it DOWN to the base model with the same Gibbs
// transitions, v_{k−1} ~ T_k(v_k) for k = K..1. Read forwards, that chain is a
// generative model ("the annealing model": v_0 ~ p_A, then T_1 ... T_K) whose
// marginal p_ann(v) approaches the RBM's p(v) as K grows, and the reverse
// chain is an importance proposal for its latent path. The weight is
//
//   p̂(v) = p*_1(v) / Z_A · Π_{k=0}^{K−1} p*_{β_k}(v_k) / p*_{β_{k+1}}(v_k),
//
// an unbiased estimate of p_ann(v) (the transitions are reversible: block
// Gibbs v→h→v satisfies detailed balance, so the reverse kernel is T_k itself).
// Its log is, by Jensen, biased LOW; and a short annealing model is a worse
// model than the RBM, so the estimate errs towards a too-bad log-likelihood.
// AIS and RAISE bracket the truth; when they agree, the figure is verified.
struct RaiseOptions {
  int64_t runs = 1;         // reverse chains per test image (log-mean-exp over them)
  int64_t n_betas = 14500;  // the same schedule as AIS (ais_schedule)
  uint64_t seed = 0;
};
struct RaiseResult {
  std::vector<double> log_p;     // per image: log p̂(v) (log-mean-exp over the runs)
  double mean = 0, std_error = 0;  // over images: the estimate of mean log p(v) and its standard error
  double seconds = 0;
};
// v [N, V] binary test images. Binary units only, like ais_log_z.
RaiseResult raise_log_likelihood(const Rbm& m, const Tensor& bA, const Tensor& v, const RaiseOptions& opt = {});

}  // namespace latent::models
