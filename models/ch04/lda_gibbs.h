// Chapter 04 — LDA by collapsed Gibbs sampling (Griffiths & Steyvers 2004).
//
// LDA's generative process: topic k is a distribution φ_k ~ Dir(β) over the V
// words; document d has proportions θ_d ~ Dir(α) over the K topics; each of its
// tokens picks a topic z ~ θ_d, then a word w ~ φ_z. Integrating φ and θ out
// leaves a distribution over the topic assignments z alone, and the Gibbs
// sampler resamples one token's z from its conditional given all the others:
//
//   p(z_i = k | z_−i, w) ∝ (n_dk + α) (n_kw + β) / (n_k + Vβ)          (G&S eq. 5)
//
// with every count taken without token i: n_dk tokens of document d in topic
// k, n_kw tokens of word w in topic k, n_k all tokens in topic k.
//
// Two samplers draw from exactly that conditional:
//   plain   computes all K terms for each token: O(K) per token.
//   sparse  SparseLDA (Yao, Mimno & McCallum 2009): the same mass split into
//           three buckets, two of them sparse, so most draws touch only the
//           few topics of the document and of the word (lda_sparse.cpp).
//
// Memory layout (why it is fast): tokens are doc-major int32 arrays (words and
// z side by side, read once per sweep in order); n_kw is int32 [V,K] (one
// word's row is contiguous); 1/(n_k + Vβ) is kept per topic and updated when
// n_k changes, so no division happens in the K-term loop.
//
//   LdaGibbsResult r = lda_gibbs(train, {.K = 20, .sweeps = 200});
//   r.phi [K,V]   r.theta [D,K]
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/ch04/corpus.h"
#include "models/ch04/fast_rng.h"
#include "tensor/tensor.h"

namespace latent::models {

// The sampler's state: every token's topic and the counts z implies. It keeps
// its own copy of the tokens (doc-major, as Corpus), so it outlives the corpus.
struct GibbsState {
  int64_t K = 0, V = 0;
  std::vector<double> alpha;         // α_k [K], the Dirichlet on θ: symmetric unless optimised
  double beta = 0;
  std::vector<int64_t> doc_start;    // as Corpus::doc_start
  std::vector<int32_t> words;        // as Corpus::words
  std::vector<int32_t> z;            // topic of each token
  std::vector<int32_t> word_topic;   // n_kw stored [V,K]: word w's row is contiguous
  std::vector<int32_t> topic_total;  // n_k [K]

  int64_t num_docs() const { return (int64_t)doc_start.size() - 1; }
  int64_t num_tokens() const { return (int64_t)words.size(); }
  double alpha_sum() const;          // α_0 = Σ_k α_k
  // Rebuild word_topic and topic_total from z.
  void recount();
};

// Every token gets a uniformly random topic (seeded). K >= 1, α > 0, β > 0;
// α_k = alpha for every k.
GibbsState gibbs_init(const Corpus& c, int64_t K, double alpha, double beta, uint64_t seed);

// With an asymmetric α (gibbs_optimize_alpha) the conditional's α is α_k.
// The conditional above for token i (an index into words), normalised [K],
// computed directly from the state with token i taken out. The reference the
// samplers are tested against.
std::vector<double> gibbs_conditional(const GibbsState& s, int64_t token);

// The plain sampler: all K terms per token, cumulative sum, one uniform draw.
class PlainGibbsSampler {
 public:
  PlainGibbsSampler(GibbsState& s, uint64_t seed);
  void sweep();                       // every token once, in order
  void resample(int64_t token);       // one token (rebuilds its document's counts)
  void sync() {}                      // the state is always current

 private:
  int32_t draw(int64_t token);  // token out, new topic drawn, token back in
  GibbsState& s_;
  FastRng rng_;
  std::vector<int32_t> doc_topic_;  // n_dk of the current document
  std::vector<double> inv_denom_;   // 1 / (n_k + Vβ)
  std::vector<double> cum_;         // cumulative weights
};

// SparseLDA (lda_sparse.cpp). Its word-topic counts live in per-word sorted
// lists while it runs; sync() writes them back into s.word_topic.
class SparseGibbsSampler {
 public:
  SparseGibbsSampler(GibbsState& s, uint64_t seed);
  void sweep();
  void resample(int64_t token);
  void sync();

  // Per sweep: the share of draws served by each bucket (s, r, q) — why it is fast.
  double share_s = 0, share_r = 0, share_q = 0;

 private:
  void refresh();  // s terms, block sums and c_k from the current α and n_k
  void begin_doc(int64_t d);
  void end_doc();
  void topic_join(int32_t k);
  int32_t update_token(int32_t w, int32_t old);
  void word_increment(int32_t w, int32_t k);

  GibbsState& s_;
  FastRng rng_;
  // Copies of what the hot loop reads from s_ (set by refresh, once per sweep):
  // through the reference the compiler must reload them after every store.
  double beta_ = 0, vbeta_ = 0;
  const double* alpha_ = nullptr;
  int32_t* topic_total_ = nullptr;
  int topic_bits_ = 0;
  uint32_t topic_mask_ = 0;
  // Word w's nonzero (count, topic) pairs, packed as count << topic_bits | topic
  // in entries_[word_start_[w] .. word_start_[w] + word_len_[w]), sorted by
  // decreasing count (the most likely topics are found first).
  std::vector<int64_t> word_start_;
  std::vector<int32_t> word_len_;
  std::vector<uint32_t> entries_;
  std::vector<double> inv_denom_;   // 1 / (n_k + Vβ)
  std::vector<double> s_term_;      // α_k β / (n_k + Vβ)
  std::vector<double> s_block_;     // sums of s_term_ over blocks of kBlock topics
  std::vector<double> coef_;        // (n_dk + α_k) / (n_k + Vβ) for the current document
  std::vector<int32_t> doc_topic_;  // n_dk, current document
  std::vector<int32_t> doc_topics_; // topics with n_dk > 0
  std::vector<double> q_;           // per word entry, running sums of the q-bucket weights
  double s_sum_ = 0, r_sum_ = 0;
  int64_t draws_s_ = 0, draws_r_ = 0, draws_q_ = 0;
};

enum class GibbsSamplerKind { plain, sparse };
const char* gibbs_sampler_name(GibbsSamplerKind k);

// ---- estimates from a state ----

Tensor gibbs_phi(const GibbsState& s);    // [K,V]  φ_kw = (n_kw + β) / (n_k + Vβ)
Tensor gibbs_theta(const GibbsState& s);  // [D,K]  θ_dk = (n_dk + α_k) / (N_d + α_0)
// log p(w, z) with φ and θ integrated out (G&S 2004 eqs. 2 and 3): a sampler's
// progress measure, rising as it leaves the random start.
double gibbs_log_joint(const GibbsState& s);

// Re-estimates the asymmetric α from the state's n_dk (lda_alpha.cpp): Minka's
// fixed point for the Dirichlet-multinomial evidence, with count histograms
// (Wallach, Mimno & McCallum 2009 "Rethinking LDA: why priors matter"). The
// samplers read s.alpha at the start of every sweep.
void gibbs_optimize_alpha(GibbsState& s, int64_t iterations = 50);

// ---- the fit ----

struct LdaGibbsOptions {
  int64_t K = 10;
  double alpha = -1;    // symmetric Dirichlet on θ; <= 0 means 50 / K (G&S 2004, WarpLDA's default)
  double beta = 0.01;   // symmetric Dirichlet on φ
  int64_t sweeps = 200;
  GibbsSamplerKind sampler = GibbsSamplerKind::sparse;
  uint64_t seed = 0;
  int64_t log_joint_every = 0;  // record gibbs_log_joint every n sweeps (0: never)
  // > 0: phi is the mean of the φ estimates of every average_every-th sweep from
  // sweep average_from on (several posterior samples average out the noise of
  // one; Griffiths & Steyvers 2004 section 2.2); 0: φ of the final state.
  int64_t average_from = 0;
  int64_t average_every = 5;
  // > 0: an asymmetric α, re-estimated (gibbs_optimize_alpha) after every
  // optimize_alpha_every-th sweep from sweep optimize_alpha_from on (Wallach et
  // al. 2009: it raises held-out likelihood, mostly by giving common topics a
  // larger α_k); 0: α stays symmetric. result.state.alpha is the final α.
  int64_t optimize_alpha_every = 0;
  int64_t optimize_alpha_from = 0;
  // Called after every sweep with the state synced (counts current), e.g. to draw pictures.
  std::function<void(int64_t sweep, const GibbsState&)> on_sweep = {};
};

struct LdaGibbsResult {
  GibbsState state;
  Tensor phi, theta;                 // φ (averaged when asked) and θ of the final state
  int64_t phi_samples = 1;           // states averaged into phi
  std::vector<double> log_joint;     // when asked for
  std::vector<int64_t> log_joint_sweep;
  double sample_seconds = 0;         // the sweeps only
  double tokens_per_second = 0;      // token updates per second of sample_seconds
};

LdaGibbsResult lda_gibbs(const Corpus& train, const LdaGibbsOptions& opt);

// Held-out documents' θ given fixed topics φ [K,V] ("folding in"): Gibbs on
//   p(z_i = k | z_−i) ∝ (n_dk + α_k) φ_kw
// for `sweeps` sweeps from a random start, θ_dk = (n_dk + α_k) / (N_d + α_0)
// averaged over the sweeps after burn_in. Returns [D,K] (rows of empty
// documents are the prior mean α / α_0). alpha: [K] (the fit's state.alpha),
// or one value for a symmetric prior.
Tensor gibbs_infer_theta(const Tensor& phi, const Corpus& docs, const std::vector<double>& alpha, int64_t sweeps = 50,
                         int64_t burn_in = 10, uint64_t seed = 0);
Tensor gibbs_infer_theta(const Tensor& phi, const Corpus& docs, double alpha, int64_t sweeps = 50,
                         int64_t burn_in = 10, uint64_t seed = 0);

}  // namespace latent::models
