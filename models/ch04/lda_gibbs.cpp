// Chapter 04 — collapsed Gibbs sampling for LDA: state, the plain sampler,
// estimates, the fit and folding in (see lda_gibbs.h; SparseLDA is in
// lda_sparse.cpp).
#include "models/ch04/lda_gibbs.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace latent::models {

namespace {

void check_hyper(const std::string& op, int64_t K, double alpha, double beta) {
  if (K < 1 || K > (1 << 20)) fail(op, "K must be in [1, 2^20], got " + std::to_string(K));
  if (!(alpha > 0) || !(beta > 0) || !std::isfinite(alpha) || !std::isfinite(beta))
    fail(op, "alpha and beta must be positive and finite, got alpha " + std::to_string(alpha) + ", beta " +
                 std::to_string(beta));
}

// n_dk of document d into doc_topic (which must be all zero), from z.
void count_doc(const GibbsState& s, int64_t d, int32_t* doc_topic) {
  for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i) ++doc_topic[s.z[i]];
}
void clear_doc(const GibbsState& s, int64_t d, int32_t* doc_topic) {
  for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i) doc_topic[s.z[i]] = 0;
}

int64_t doc_of(const GibbsState& s, int64_t token) {
  if (token < 0 || token >= s.num_tokens())
    fail("gibbs", "token " + std::to_string(token) + " outside [0, " + std::to_string(s.num_tokens()) + ")");
  return std::upper_bound(s.doc_start.begin(), s.doc_start.end(), token) - s.doc_start.begin() - 1;
}

}  // namespace

double GibbsState::alpha_sum() const {
  double a = 0;
  for (double v : alpha) a += v;
  return a;
}

void GibbsState::recount() {
  word_topic.assign((size_t)(V * K), 0);
  topic_total.assign((size_t)K, 0);
  for (size_t i = 0; i < words.size(); ++i) {
    ++word_topic[(size_t)words[i] * K + z[i]];
    ++topic_total[z[i]];
  }
}

GibbsState gibbs_init(const Corpus& c, int64_t K, double alpha, double beta, uint64_t seed) {
  check_hyper("gibbs_init", K, alpha, beta);
  if (c.num_tokens() == 0) fail("gibbs_init", "the corpus has no tokens (" + std::to_string(c.num_docs()) + " documents)");
  GibbsState s;
  s.K = K;
  s.V = c.vocab_size();
  s.alpha.assign((size_t)K, alpha);
  s.beta = beta;
  s.doc_start = c.doc_start;
  s.words = c.words;
  s.z.resize(c.words.size());
  FastRng rng(seed);
  for (auto& t : s.z) t = (int32_t)rng.below(K);
  s.recount();
  return s;
}

std::vector<double> gibbs_conditional(const GibbsState& s, int64_t token) {
  const int64_t d = doc_of(s, token);
  const int32_t w = s.words[token], old = s.z[token];
  std::vector<double> p((size_t)s.K);
  std::vector<int32_t> ndk((size_t)s.K, 0);
  for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i) ++ndk[s.z[i]];
  double total = 0;
  for (int64_t k = 0; k < s.K; ++k) {
    const int own = k == old;  // token i is left out of every count
    p[k] = (ndk[k] - own + s.alpha[k]) * (s.word_topic[(size_t)w * s.K + k] - own + s.beta) /
           (s.topic_total[k] - own + (double)s.V * s.beta);
    total += p[k];
  }
  for (auto& v : p) v /= total;
  return p;
}

// ---- the plain sampler ----

PlainGibbsSampler::PlainGibbsSampler(GibbsState& s, uint64_t seed)
    : s_(s), rng_(seed), doc_topic_((size_t)s.K, 0), inv_denom_((size_t)s.K), cum_((size_t)s.K) {
  for (int64_t k = 0; k < s.K; ++k) inv_denom_[k] = 1.0 / (s.topic_total[k] + (double)s.V * s.beta);
}

// Take token i out, draw its new topic from all K terms, put it back.
int32_t PlainGibbsSampler::draw(int64_t i) {
  const int64_t K = s_.K;
  const double vbeta = (double)s_.V * s_.beta, beta = s_.beta;
  const double* alpha = s_.alpha.data();
  const int32_t w = s_.words[i];
  int32_t k = s_.z[i];
  int32_t* nw = s_.word_topic.data() + (size_t)w * K;
  int32_t* nd = doc_topic_.data();
  --nd[k];
  --nw[k];
  --s_.topic_total[k];
  inv_denom_[k] = 1.0 / (s_.topic_total[k] + vbeta);
  double total = 0;
  for (int64_t t = 0; t < K; ++t) {  // (n_dk + α_k)(n_kw + β)/(n_k + Vβ), running sum
    total += (nd[t] + alpha[t]) * (nw[t] + beta) * inv_denom_[t];
    cum_[t] = total;
  }
  const double u = rng_.uniform() * total;
  k = 0;
  while (k < K - 1 && cum_[k] <= u) ++k;
  ++nd[k];
  ++nw[k];
  ++s_.topic_total[k];
  inv_denom_[k] = 1.0 / (s_.topic_total[k] + vbeta);
  s_.z[i] = k;
  return k;
}

void PlainGibbsSampler::sweep() {
  for (int64_t d = 0; d < s_.num_docs(); ++d) {
    count_doc(s_, d, doc_topic_.data());
    for (int64_t i = s_.doc_start[d]; i < s_.doc_start[d + 1]; ++i) draw(i);
    clear_doc(s_, d, doc_topic_.data());
  }
}

void PlainGibbsSampler::resample(int64_t token) {
  const int64_t d = doc_of(s_, token);
  count_doc(s_, d, doc_topic_.data());
  draw(token);
  clear_doc(s_, d, doc_topic_.data());
}

const char* gibbs_sampler_name(GibbsSamplerKind k) { return k == GibbsSamplerKind::plain ? "plain" : "sparse"; }

// ---- estimates ----

Tensor gibbs_phi(const GibbsState& s) {
  std::vector<double> v((size_t)(s.K * s.V));
  for (int64_t k = 0; k < s.K; ++k) {
    const double inv = 1.0 / (s.topic_total[k] + (double)s.V * s.beta);
    for (int64_t w = 0; w < s.V; ++w) v[(size_t)(k * s.V + w)] = (s.word_topic[(size_t)(w * s.K + k)] + s.beta) * inv;
  }
  return from_vector(v, {s.K, s.V}, DType::f64);
}

Tensor gibbs_theta(const GibbsState& s) {
  const int64_t D = s.num_docs();
  const double alpha0 = s.alpha_sum();
  std::vector<double> v((size_t)(D * s.K), 0.0);
  for (int64_t d = 0; d < D; ++d) {
    double* row = v.data() + d * s.K;
    for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i) row[s.z[i]] += 1;
    const double norm = 1.0 / ((double)(s.doc_start[d + 1] - s.doc_start[d]) + alpha0);
    for (int64_t k = 0; k < s.K; ++k) row[k] = (row[k] + s.alpha[k]) * norm;
  }
  return from_vector(v, {D, s.K}, DType::f64);
}

double gibbs_log_joint(const GibbsState& s) {
  // log p(w | z) = Σ_k [ lnΓ(Vβ) − V lnΓ(β) + Σ_w lnΓ(n_kw + β) − lnΓ(n_k + Vβ) ]
  const double lgb = std::lgamma(s.beta);
  double lp = (double)s.K * std::lgamma((double)s.V * s.beta);
  for (size_t j = 0; j < s.word_topic.size(); ++j)
    lp += s.word_topic[j] ? std::lgamma(s.word_topic[j] + s.beta) : lgb;
  lp -= (double)(s.K * s.V) * lgb;
  for (int64_t k = 0; k < s.K; ++k) lp -= std::lgamma(s.topic_total[k] + (double)s.V * s.beta);
  // log p(z) = Σ_d [ lnΓ(α_0) − Σ_k lnΓ(α_k) + Σ_k lnΓ(n_dk + α_k) − lnΓ(N_d + α_0) ]
  std::vector<int32_t> ndk((size_t)s.K, 0);
  const double alpha0 = s.alpha_sum(), lga0 = std::lgamma(alpha0);
  std::vector<double> lga((size_t)s.K);
  for (int64_t k = 0; k < s.K; ++k) lga[k] = std::lgamma(s.alpha[k]);
  for (int64_t d = 0; d < s.num_docs(); ++d) {
    count_doc(s, d, ndk.data());
    lp += lga0 - std::lgamma((double)(s.doc_start[d + 1] - s.doc_start[d]) + alpha0);
    for (int64_t k = 0; k < s.K; ++k) lp += std::lgamma(ndk[k] + s.alpha[k]) - lga[k];
    clear_doc(s, d, ndk.data());
  }
  return lp;
}

// ---- the fit ----

namespace {
template <class Sampler>
void run_sweeps(GibbsState& state, const LdaGibbsOptions& opt, LdaGibbsResult& r) {
  Sampler sampler(state, opt.seed + 1);
  double secs = 0;
  int64_t samples = 0;
  for (int64_t t = 1; t <= opt.sweeps; ++t) {
    const auto t0 = std::chrono::steady_clock::now();
    sampler.sweep();
    secs += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool log_now = opt.log_joint_every > 0 && (t % opt.log_joint_every == 0 || t == 1);
    const bool average_now = opt.average_from > 0 && t >= opt.average_from &&
                             (t - opt.average_from) % std::max<int64_t>(1, opt.average_every) == 0;
    const bool alpha_now = opt.optimize_alpha_every > 0 && t >= opt.optimize_alpha_from &&
                           t % opt.optimize_alpha_every == 0;
    if (alpha_now) gibbs_optimize_alpha(state);  // reads only z; the sampler picks α up next sweep
    if (opt.on_sweep || log_now || average_now) sampler.sync();
    if (average_now) {
      Tensor phi = gibbs_phi(state);
      r.phi = r.phi.defined() ? r.phi + phi : phi;
      r.phi_samples = ++samples;
    }
    if (log_now) {
      r.log_joint.push_back(gibbs_log_joint(state));
      r.log_joint_sweep.push_back(t);
    }
    if (opt.on_sweep) opt.on_sweep(t, state);
  }
  sampler.sync();
  r.sample_seconds = secs;
}
}  // namespace

LdaGibbsResult lda_gibbs(const Corpus& train, const LdaGibbsOptions& opt) {
  const double alpha = opt.alpha > 0 ? opt.alpha : 50.0 / (double)opt.K;
  if (opt.sweeps < 0) fail("lda_gibbs", "sweeps must be >= 0, got " + std::to_string(opt.sweeps));
  if (opt.optimize_alpha_every < 0 || opt.optimize_alpha_from < 0)
    fail("lda_gibbs", "optimize_alpha_every and optimize_alpha_from must be >= 0, got " +
                          std::to_string(opt.optimize_alpha_every) + ", " + std::to_string(opt.optimize_alpha_from));
  LdaGibbsResult r;
  r.state = gibbs_init(train, opt.K, alpha, opt.beta, opt.seed);
  if (opt.sampler == GibbsSamplerKind::plain)
    run_sweeps<PlainGibbsSampler>(r.state, opt, r);
  else
    run_sweeps<SparseGibbsSampler>(r.state, opt, r);
  r.tokens_per_second = r.sample_seconds > 0 ? (double)opt.sweeps * (double)train.num_tokens() / r.sample_seconds : 0;
  if (r.phi.defined())
    r.phi = r.phi / (double)r.phi_samples;
  else
    r.phi = gibbs_phi(r.state);
  r.theta = gibbs_theta(r.state);
  return r;
}

Tensor gibbs_infer_theta(const Tensor& phi, const Corpus& docs, double alpha, int64_t sweeps, int64_t burn_in,
                         uint64_t seed) {
  return gibbs_infer_theta(phi, docs, std::vector<double>(phi.dim() == 2 ? (size_t)phi.size(0) : 1, alpha), sweeps,
                           burn_in, seed);
}

Tensor gibbs_infer_theta(const Tensor& phi, const Corpus& docs, const std::vector<double>& alpha, int64_t sweeps,
                         int64_t burn_in, uint64_t seed) {
  if (phi.dim() != 2 || phi.size(1) != docs.vocab_size())
    fail("gibbs_infer_theta", "phi must be [K,V] with V = " + std::to_string(docs.vocab_size()) + ", got " +
                                  shape_str(phi.shape()));
  const int64_t K = phi.size(0), D = docs.num_docs();
  if ((int64_t)alpha.size() != K)
    fail("gibbs_infer_theta", "alpha has " + std::to_string(alpha.size()) + " values for K = " + std::to_string(K));
  const bool positive = std::all_of(alpha.begin(), alpha.end(), [](double a) { return a > 0 && std::isfinite(a); });
  if (!positive || sweeps < 1 || burn_in < 0 || burn_in >= sweeps)
    fail("gibbs_infer_theta", std::string("need alpha > 0 and 0 <= burn_in < sweeps, got ") +
                                  (positive ? "" : "a non-positive alpha, ") + "sweeps " + std::to_string(sweeps) +
                                  ", burn_in " + std::to_string(burn_in));
  // φ transposed to [V,K] so a word's K probabilities are contiguous.
  std::vector<double> phi_v = phi.to(DType::f64).t().contiguous().to_vector();
  std::vector<double> theta((size_t)(D * K), 0.0), cum((size_t)K);
  std::vector<int32_t> ndk((size_t)K), z;
  FastRng rng(seed);
  for (int64_t d = 0; d < D; ++d) {
    const int64_t b = docs.doc_start[d], n = docs.doc_length(d);
    double* row = theta.data() + d * K;
    std::fill(ndk.begin(), ndk.end(), 0);
    z.resize((size_t)n);
    for (auto& t : z) ++ndk[t = (int32_t)rng.below(K)];
    for (int64_t sweep = 0; sweep < sweeps; ++sweep) {
      for (int64_t i = 0; i < n; ++i) {
        const double* pw = phi_v.data() + (size_t)docs.words[b + i] * K;
        --ndk[z[i]];
        double total = 0;
        for (int64_t k = 0; k < K; ++k) cum[k] = total += (ndk[k] + alpha[k]) * pw[k];
        const double u = rng.uniform() * total;
        int32_t k = 0;
        while (k < K - 1 && cum[k] <= u) ++k;
        ++ndk[z[i] = k];
      }
      if (sweep >= burn_in)
        for (int64_t k = 0; k < K; ++k) row[k] += ndk[k] + alpha[k];
    }
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += row[k];
    for (int64_t k = 0; k < K; ++k) row[k] /= s;
  }
  return from_vector(theta, {D, K}, DType::f64);
}

}  // namespace latent::models
