// Chapter 04 — variational EM for LDA (see lda_vem.h).
#include "models/ch04/lda_vem.h"

#include <chrono>
#include <cmath>

#include "models/ch04/fast_rng.h"

namespace latent::models {

double digamma(double x) {
  double r = 0;
  while (x < 10) r -= 1 / x++;  // ψ(x) = ψ(x + 1) − 1/x
  const double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

namespace {

// One document's E-step from its current γ (updated in place). beta_t is β
// stored [V,K]. With acc given, adds the soft counts c_w φ_wk to acc ([V,K]).
// Returns the document's ELBO at the final (φ, γ).
double e_step_doc(const BagOfWords& bow, int64_t d, const std::vector<double>& beta_t, int64_t K, double alpha,
                  int64_t max_iter, double tol, double* gamma, double* acc) {
  std::vector<double> elog((size_t)K), eexp((size_t)K), elog_new((size_t)K), g_new((size_t)K);
  const int64_t b = bow.row_start[d], e = bow.row_start[d + 1];
  auto expected_log_theta = [&](const double* g, double* out) {  // E[log θ_k] = ψ(γ_k) − ψ(Σγ)
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += g[k];
    const double ps = digamma(s);
    for (int64_t k = 0; k < K; ++k) out[k] = digamma(g[k]) - ps;
  };
  double word_part = 0;
  for (int64_t it = 0; it < max_iter; ++it) {
    expected_log_theta(gamma, elog.data());
    for (int64_t k = 0; k < K; ++k) {
      eexp[k] = std::exp(elog[k]);
      g_new[k] = 0;
    }
    // φ_wk = β_kw exp(E log θ_k) / norm_w; γ_k = α + Σ_w c_w φ_wk.
    word_part = 0;
    for (int64_t j = b; j < e; ++j) {
      const double* bw = beta_t.data() + (int64_t)bow.word[j] * K;
      double norm = 0;
      for (int64_t k = 0; k < K; ++k) norm += bw[k] * eexp[k];
      if (!(norm > 0)) continue;  // a word no topic has (unseen in training)
      word_part += bow.count[j] * std::log(norm);
      const double c = bow.count[j] / norm;
      for (int64_t k = 0; k < K; ++k) g_new[k] += c * bw[k];
    }
    double change = 0;
    for (int64_t k = 0; k < K; ++k) {
      const double gk = alpha + eexp[k] * g_new[k];
      change += std::abs(gk - gamma[k]);
      gamma[k] = gk;
    }
    if (change / (double)K < tol) break;
  }
  // ELBO at (φ from exp(E log θ) of the last pass = elog, γ after it):
  //   Σ_w c_w Σ_k φ_wk (E'log θ_k + log β_kw − log φ_wk) = Σ_w c_w log norm_w + Σ_k (γ_k − α)(E'log θ_k − Elog θ_k)
  //   + log Γ(Kα) − K log Γ(α) + Σ_k (α − γ_k) E'log θ_k − log Γ(Σγ) + Σ_k log Γ(γ_k)
  expected_log_theta(gamma, elog_new.data());
  double gsum = 0, bound = word_part + std::lgamma(K * alpha) - (double)K * std::lgamma(alpha);
  for (int64_t k = 0; k < K; ++k) {
    bound += (gamma[k] - alpha) * (elog_new[k] - elog[k]) + (alpha - gamma[k]) * elog_new[k] + std::lgamma(gamma[k]);
    gsum += gamma[k];
  }
  bound -= std::lgamma(gsum);
  if (acc) {  // soft counts with the φ of the last pass
    for (int64_t j = b; j < e; ++j) {
      const double* bw = beta_t.data() + (int64_t)bow.word[j] * K;
      double norm = 0;
      for (int64_t k = 0; k < K; ++k) norm += bw[k] * eexp[k];
      if (!(norm > 0)) continue;
      double* a = acc + (int64_t)bow.word[j] * K;
      const double c = bow.count[j] / norm;
      for (int64_t k = 0; k < K; ++k) a[k] += c * bw[k] * eexp[k];
    }
  }
  return bound;
}

void check_alpha(const std::string& op, int64_t K, double alpha) {
  if (K < 1) fail(op, "K must be >= 1, got " + std::to_string(K));
  if (!(alpha > 0) || !std::isfinite(alpha)) fail(op, "alpha must be positive, got " + std::to_string(alpha));
}

}  // namespace

static LdaVemResult lda_vem_single(const BagOfWords& bow, const LdaVemOptions& opt);

LdaVemResult lda_vem(const BagOfWords& bow, const LdaVemOptions& opt) {
  if (opt.n_init < 1) fail("lda_vem", "n_init must be >= 1, got " + std::to_string(opt.n_init));
  LdaVemResult best;
  for (int64_t i = 0; i < opt.n_init; ++i) {
    LdaVemOptions o = opt;
    o.seed = opt.seed + (uint64_t)i;
    LdaVemResult r = lda_vem_single(bow, o);
    r.best_init = i;
    if (i == 0 || r.elbo_history.back() > best.elbo_history.back()) best = std::move(r);
  }
  return best;
}

static LdaVemResult lda_vem_single(const BagOfWords& bow, const LdaVemOptions& opt) {
  const double alpha = opt.alpha > 0 ? opt.alpha : 1.0 / (double)opt.K;
  check_alpha("lda_vem", opt.K, alpha);
  if (!(opt.eta >= 0)) fail("lda_vem", "eta must be >= 0, got " + std::to_string(opt.eta));
  if (bow.total() <= 0) fail("lda_vem", "the corpus has no tokens (" + std::to_string(bow.num_docs) + " documents)");
  const int64_t K = opt.K, V = bow.vocab_size, D = bow.num_docs;
  std::vector<double> beta_t((size_t)(V * K)), acc, gamma((size_t)(D * K));
  FastRng rng(opt.seed);
  for (auto& v : beta_t) v = 0.5 + rng.uniform();  // then normalised per topic, below
  auto normalise_topics = [&](std::vector<double>& bt) {
    std::vector<double> s((size_t)K, 0.0);
    for (int64_t w = 0; w < V; ++w)
      for (int64_t k = 0; k < K; ++k) s[k] += bt[w * K + k];
    for (int64_t w = 0; w < V; ++w)
      for (int64_t k = 0; k < K; ++k) bt[w * K + k] /= s[k] > 0 ? s[k] : 1.0;
  };
  normalise_topics(beta_t);
  for (int64_t d = 0; d < D; ++d)  // Blei's start: γ_k = α + N_d / K
    for (int64_t k = 0; k < K; ++k) {
      double n = 0;
      for (int64_t j = bow.row_start[d]; j < bow.row_start[d + 1]; ++j) n += bow.count[j];
      gamma[d * K + k] = alpha + n / (double)K;
    }
  LdaVemResult r;
  for (int64_t it = 0; it < opt.max_iter; ++it) {
    const auto t0 = std::chrono::steady_clock::now();
    acc.assign(beta_t.size(), 0.0);
    double elbo = 0;
    for (int64_t d = 0; d < D; ++d)
      elbo += e_step_doc(bow, d, beta_t, K, alpha, opt.e_step_max_iter, opt.e_step_tol, gamma.data() + d * K,
                         acc.data());
    if (opt.eta > 0)  // the prior's term, with the β this E-step used
      for (double b : beta_t) elbo += opt.eta * std::log(b);
    // M-step: β_kw ∝ soft counts (+ eta); the objective recorded is the one before it.
    for (int64_t k = 0; k < K; ++k) {
      double s = 0;
      for (int64_t w = 0; w < V; ++w) s += acc[w * K + k];
      if (s <= 0 && opt.eta <= 0) fail("lda_vem", "topic " + std::to_string(k) + " lost all its mass");
    }
    if (opt.eta > 0)
      for (auto& a : acc) a += opt.eta;
    normalise_topics(acc);
    beta_t.swap(acc);
    r.elbo_history.push_back(elbo);
    r.seconds_per_iter.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    r.n_iter = it + 1;
    const size_t h = r.elbo_history.size();
    if (h >= 2 && std::abs(r.elbo_history[h - 1] - r.elbo_history[h - 2]) <= opt.tol * std::abs(elbo)) {
      r.converged = true;
      break;
    }
  }
  r.beta = from_vector(beta_t, {V, K}, DType::f64).t().contiguous();
  r.gamma = from_vector(gamma, {D, K}, DType::f64);
  return r;
}

Tensor lda_vem_infer_theta(const Tensor& beta, const BagOfWords& docs, double alpha, int64_t max_iter, double tol) {
  if (beta.dim() != 2 || beta.size(1) != docs.vocab_size)
    fail("lda_vem_infer_theta", "beta must be [K,V] with V = " + std::to_string(docs.vocab_size) + ", got " +
                                    shape_str(beta.shape()));
  const int64_t K = beta.size(0), D = docs.num_docs;
  check_alpha("lda_vem_infer_theta", K, alpha);
  std::vector<double> bt = beta.to(DType::f64).t().contiguous().to_vector(), gamma((size_t)(D * K));
  for (int64_t d = 0; d < D; ++d) {
    double n = 0;
    for (int64_t j = docs.row_start[d]; j < docs.row_start[d + 1]; ++j) n += docs.count[j];
    double* g = gamma.data() + d * K;
    for (int64_t k = 0; k < K; ++k) g[k] = alpha + n / (double)K;
    e_step_doc(docs, d, bt, K, alpha, max_iter, tol, g, nullptr);
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += g[k];
    for (int64_t k = 0; k < K; ++k) g[k] /= s;
  }
  return from_vector(gamma, {D, K}, DType::f64);
}

}  // namespace latent::models
