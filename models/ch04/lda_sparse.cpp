// Chapter 04 — SparseLDA (Yao, Mimno & McCallum 2009, section 3): the plain
// sampler's conditional, computed in three buckets.
//
//   (n_dk + α_k)(n_kw + β)/(n_k + Vβ)
//     =  α_k β / (n_k + Vβ)               s: "smoothing", every topic
//     +  n_dk β / (n_k + Vβ)              r: "document", topics with n_dk > 0
//     +  (n_dk + α_k) n_kw / (n_k + Vβ)   q: "topic-word", topics with n_kw > 0
//
// (α_k: asymmetric when optimised, Wallach et al. 2009; symmetric α_k = α is
// the paper's case.)
// The sums s and r change by a few terms when one token moves, so they are
// updated, not recomputed; only q is computed afresh, over the word's nonzero
// topics (at most min(K, its frequency)), using the per-document coefficient
// c_k = (n_dk + α_k)/(n_k + Vβ). One uniform u in [0, s + r + q) then picks a
// bucket and a topic inside it. The s bucket spans all K topics, so its terms
// are also summed in blocks of kBlock: a draw from s walks the block sums, then
// one block — O(K/16 + 16), not O(K), which matters at K >= 100 where rare
// words draw from s often. On text most of the mass is in q (see
// share_q), so a draw costs O(topics of the word), not O(K). It is the same
// distribution as the plain sampler's, term by term (tested: chi-square).
#include <algorithm>
#include <cmath>

#include "models/ch04/lda_gibbs.h"

namespace latent::models {

namespace {
constexpr int kBlockBits = 4, kBlock = 1 << kBlockBits;
}  // namespace

SparseGibbsSampler::SparseGibbsSampler(GibbsState& s, uint64_t seed) : s_(s), rng_(seed) {
  const int64_t K = s.K, V = s.V;
  while ((int64_t(1) << topic_bits_) < K) ++topic_bits_;
  topic_mask_ = (uint32_t)((uint64_t(1) << topic_bits_) - 1);
  // Word lists: capacity min(K, frequency of w); counts must fit above the topic bits.
  std::vector<int64_t> freq((size_t)V, 0);
  for (int32_t w : s.words) ++freq[w];
  word_start_.assign((size_t)V + 1, 0);
  for (int64_t w = 0; w < V; ++w) word_start_[w + 1] = word_start_[w] + std::min<int64_t>(K, freq[w]);
  const int64_t max_freq = freq.empty() ? 0 : *std::max_element(freq.begin(), freq.end());
  if (topic_bits_ >= 32 || max_freq >= (int64_t(1) << (32 - topic_bits_)))
    fail("SparseGibbsSampler", "a word occurs " + std::to_string(max_freq) + " times: too many to pack with K = " +
                                   std::to_string(K) + " in 32 bits (use the plain sampler)");
  entries_.assign((size_t)word_start_[V], 0);
  word_len_.assign((size_t)V, 0);
  for (int64_t w = 0; w < V; ++w) {
    const int32_t* row = s.word_topic.data() + w * K;
    uint32_t* e = entries_.data() + word_start_[w];
    int32_t n = 0;
    for (int64_t k = 0; k < K; ++k)
      if (row[k] > 0) e[n++] = ((uint32_t)row[k] << topic_bits_) | (uint32_t)k;
    std::sort(e, e + n, [](uint32_t a, uint32_t b) { return a > b; });
    word_len_[w] = n;
  }
  if ((int64_t)s.alpha.size() != K)
    fail("SparseGibbsSampler", "the state has " + std::to_string(s.alpha.size()) + " alphas for K = " + std::to_string(K));
  inv_denom_.resize((size_t)K);
  s_term_.resize((size_t)K);
  s_block_.resize((size_t)((K + kBlock - 1) / kBlock));
  coef_.resize((size_t)K);
  doc_topic_.assign((size_t)K, 0);
  q_.resize((size_t)K);
  refresh();
}

// Between documents (every n_dk = 0). Recomputing s from scratch once per sweep
// also keeps rounding in its running updates from piling up.
void SparseGibbsSampler::refresh() {
  beta_ = s_.beta;
  vbeta_ = (double)s_.V * s_.beta;
  alpha_ = s_.alpha.data();
  topic_total_ = s_.topic_total.data();
  const double vbeta = vbeta_;
  std::fill(s_block_.begin(), s_block_.end(), 0.0);
  s_sum_ = 0;
  for (int64_t k = 0; k < s_.K; ++k) {
    inv_denom_[k] = 1.0 / (s_.topic_total[k] + vbeta);
    s_term_[k] = s_.alpha[k] * s_.beta * inv_denom_[k];
    s_block_[k >> kBlockBits] += s_term_[k];
    s_sum_ += s_term_[k];
    coef_[k] = s_.alpha[k] * inv_denom_[k];
  }
}

void SparseGibbsSampler::sync() {
  std::fill(s_.word_topic.begin(), s_.word_topic.end(), 0);
  for (int64_t w = 0; w < s_.V; ++w)
    for (int32_t j = 0; j < word_len_[w]; ++j) {
      const uint32_t e = entries_[word_start_[w] + j];
      s_.word_topic[(size_t)w * s_.K + (e & topic_mask_)] = (int32_t)(e >> topic_bits_);
    }
}

// Word w's count for topic k goes up by one (a new entry when k had none);
// the entry bubbles towards the front to keep the list sorted.
void SparseGibbsSampler::word_increment(int32_t w, int32_t k) {
  uint32_t* e = entries_.data() + word_start_[w];
  const int32_t n = word_len_[w];
  int32_t p = 0;
  while (p < n && (e[p] & topic_mask_) != (uint32_t)k) ++p;
  if (p == n) {  // a new nonzero topic for this word (capacity min(K, freq) always suffices)
    e[p] = (uint32_t)k;
    ++word_len_[w];
  }
  e[p] += 1u << topic_bits_;
  while (p > 0 && e[p] > e[p - 1]) {
    std::swap(e[p], e[p - 1]);
    --p;
  }
}

void SparseGibbsSampler::begin_doc(int64_t d) {
  doc_topics_.clear();
  for (int64_t i = s_.doc_start[d]; i < s_.doc_start[d + 1]; ++i)
    if (doc_topic_[s_.z[i]]++ == 0) doc_topics_.push_back(s_.z[i]);
  r_sum_ = 0;
  for (int32_t k : doc_topics_) {
    r_sum_ += s_.beta * doc_topic_[k] * inv_denom_[k];
    coef_[k] = (doc_topic_[k] + s_.alpha[k]) * inv_denom_[k];
  }
}

void SparseGibbsSampler::end_doc() {
  for (int32_t k : doc_topics_) {
    doc_topic_[k] = 0;
    coef_[k] = s_.alpha[k] * inv_denom_[k];
  }
}

// A token of topic k joins the current document: n_dk and n_k rise by one; s,
// r and c_k follow (the s term changes with n_k, so its block sum too).
inline void SparseGibbsSampler::topic_join(int32_t k) {
  const int32_t nd = doc_topic_[k]++;
  if (nd == 0) doc_topics_.push_back(k);
  const double inv = 1.0 / (++topic_total_[k] + vbeta_), st = alpha_[k] * beta_ * inv;
  r_sum_ += beta_ * ((nd + 1) * inv - nd * inv_denom_[k]);
  s_sum_ += st - s_term_[k];
  s_block_[k >> kBlockBits] += st - s_term_[k];
  s_term_[k] = st;
  inv_denom_[k] = inv;
  coef_[k] = (nd + 1 + alpha_[k]) * inv;
}

// One token of word w moves from topic `old` to a topic drawn from s + r + q.
// The word list is walked once: the q loop also takes the token out of its
// entry, and a topic drawn from q is incremented where the loop found it.
//
// Once the chain has settled most draws give the token its old topic back. So
// the token is taken out of `old` with the values it changes saved, and such a
// draw just restores them: no division, no list or document-topic changes. For
// the same reason `old` stays in doc_topics_ during the draw even when its n_dk
// is now 0 (its r term is then exactly 0, so it cannot be drawn from r).
int32_t SparseGibbsSampler::update_token(int32_t w, int32_t old) {
  const int32_t nd_old = doc_topic_[old];
  const double inv_old = inv_denom_[old], st_old = s_term_[old], coef_old = coef_[old];
  const double s_sum_old = s_sum_, r_sum_old = r_sum_, block_old = s_block_[old >> kBlockBits];
  {  // the token leaves `old`
    const double inv = 1.0 / (--topic_total_[old] + vbeta_), st = alpha_[old] * beta_ * inv;
    doc_topic_[old] = nd_old - 1;
    r_sum_ += beta_ * ((nd_old - 1) * inv - nd_old * inv_old);
    s_sum_ += st - st_old;
    s_block_[old >> kBlockBits] += st - st_old;
    s_term_[old] = st;
    inv_denom_[old] = inv;
    coef_[old] = (nd_old - 1 + alpha_[old]) * inv;
  }
  uint32_t* e = entries_.data() + word_start_[w];
  const int32_t n = word_len_[w];
  const uint32_t one = 1u << topic_bits_;
  int32_t pos_old = 0;  // the token's own entry (always present: its count is >= 1)
  while ((e[pos_old] & topic_mask_) != (uint32_t)old) ++pos_old;
  e[pos_old] -= one;
  // q: c_k n_kw over the word's nonzero topics, as running sums.
  const double* coef = coef_.data();
  double* cum = q_.data();
  double q_sum = 0;
  for (int32_t j = 0; j < n; ++j) cum[j] = q_sum += coef[e[j] & topic_mask_] * (double)(e[j] >> topic_bits_);
  double u = rng_.uniform() * (s_sum_ + r_sum_ + q_sum);
  int32_t k, jn = -1;
  if (u < q_sum) {
    ++draws_q_;
    // The lists are short on text (a few entries on average at K = 20 and
    // 100), so counting the running sums <= u, without a branch per entry,
    // beats a search whose exit point the CPU cannot predict.
    int32_t j = 0;
    for (int32_t i = 0; i + 1 < n; ++i) j += cum[i] <= u;
    k = (int32_t)(e[j] & topic_mask_);
    if ((e[j] >> topic_bits_) > 0 || j == pos_old) jn = j;
  } else if ((u -= q_sum) < r_sum_) {
    ++draws_r_;
    const size_t m = doc_topics_.size();
    size_t j = 0;
    for (; j + 1 < m; ++j)
      if ((u -= beta_ * doc_topic_[doc_topics_[j]] * inv_denom_[doc_topics_[j]]) < 0) break;
    k = doc_topics_[j];
  } else {
    u -= r_sum_;
    ++draws_s_;
    // Block sums first, then inside the block; rounding can leave u past the
    // last term, which then takes it (as in the other buckets).
    const int32_t nb = (int32_t)s_block_.size();
    int32_t b = 0;
    while (b + 1 < nb && u >= s_block_[b]) u -= s_block_[b++];
    k = b << kBlockBits;
    const int32_t last = (int32_t)std::min<int64_t>(s_.K, (int64_t)(b + 1) << kBlockBits) - 1;
    while (k < last && (u -= s_term_[k]) >= 0) ++k;
  }
  if (k == old) {  // back where it was: restore, bit for bit
    e[pos_old] += one;
    ++topic_total_[old];
    doc_topic_[old] = nd_old;
    inv_denom_[old] = inv_old;
    s_term_[old] = st_old;
    coef_[old] = coef_old;
    s_sum_ = s_sum_old;
    r_sum_ = r_sum_old;
    s_block_[old >> kBlockBits] = block_old;
    return k;
  }
  if (nd_old == 1) {  // `old` has left the document
    auto it = std::find(doc_topics_.begin(), doc_topics_.end(), old);
    *it = doc_topics_.back();
    doc_topics_.pop_back();
  }
  // Restore the order after the decrement (the entry bubbles towards the end;
  // entries it passes move up by one, jn among them), then increment.
  int32_t p = pos_old;
  while (p + 1 < n && e[p] < e[p + 1]) {
    std::swap(e[p], e[p + 1]);
    if (p + 1 == jn) jn = p;
    ++p;
  }
  if ((e[n - 1] >> topic_bits_) == 0) --word_len_[w];
  if (jn < 0) {
    word_increment(w, k);
  } else {
    e[jn] += one;
    while (jn > 0 && e[jn] > e[jn - 1]) {
      std::swap(e[jn], e[jn - 1]);
      --jn;
    }
  }
  topic_join(k);
  return k;
}

void SparseGibbsSampler::sweep() {
  refresh();  // α may have changed since the last sweep (optimize_alpha_every)
  draws_s_ = draws_r_ = draws_q_ = 0;
  for (int64_t d = 0; d < s_.num_docs(); ++d) {
    begin_doc(d);
    for (int64_t i = s_.doc_start[d]; i < s_.doc_start[d + 1]; ++i) {
      s_.z[i] = update_token(s_.words[i], s_.z[i]);
    }
    end_doc();
  }
  const double n = std::max<double>(1, (double)(draws_s_ + draws_r_ + draws_q_));
  share_s = draws_s_ / n;
  share_r = draws_r_ / n;
  share_q = draws_q_ / n;
}

void SparseGibbsSampler::resample(int64_t token) {
  if (token < 0 || token >= s_.num_tokens())
    fail("SparseGibbsSampler::resample", "token " + std::to_string(token) + " outside [0, " +
                                             std::to_string(s_.num_tokens()) + ")");
  const int64_t d = std::upper_bound(s_.doc_start.begin(), s_.doc_start.end(), token) - s_.doc_start.begin() - 1;
  refresh();
  begin_doc(d);
  s_.z[token] = update_token(s_.words[token], s_.z[token]);
  end_doc();
}

}  // namespace latent::models
