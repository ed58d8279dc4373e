// Chapter 04 — evaluation of topic models (see topic_eval.h).
#include "models/ch04/topic_eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace latent::models {

namespace {
void check_phi(const std::string& op, const Tensor& phi) {
  if (!phi.defined() || phi.dim() != 2 || phi.size(0) < 1 || phi.size(1) < 1)
    fail(op, "phi must be [K,V], got " + (phi.defined() ? shape_str(phi.shape()) : std::string("undefined")));
}
}  // namespace

Perplexity completion_perplexity(const Tensor& theta, const Tensor& phi, const Corpus& scored,
                                 const std::vector<bool>& seen) {
  check_phi("completion_perplexity", phi);
  const int64_t K = phi.size(0), V = phi.size(1), D = scored.num_docs();
  if (theta.dim() != 2 || theta.size(0) != D || theta.size(1) != K)
    fail("completion_perplexity", "theta must be [D,K] = [" + std::to_string(D) + "," + std::to_string(K) +
                                      "] (documents scored, topics of phi), got " + shape_str(theta.shape()));
  if (scored.vocab_size() != V || (int64_t)seen.size() != V)
    fail("completion_perplexity", "phi has V = " + std::to_string(V) + " words, the corpus " +
                                      std::to_string(scored.vocab_size()) + ", seen " + std::to_string(seen.size()));
  std::vector<double> th = theta.to(DType::f64).to_vector(), ph = phi.to(DType::f64).to_vector();
  Perplexity r;
  for (int64_t d = 0; d < D; ++d) {
    const double* t = th.data() + d * K;
    const double norm = std::accumulate(t, t + K, 0.0);
    if (!(norm > 0)) fail("completion_perplexity", "theta row " + std::to_string(d) + " does not sum to a positive number");
    for (int64_t i = scored.doc_start[d]; i < scored.doc_start[d + 1]; ++i) {
      const int32_t w = scored.words[i];
      if (!seen[w]) continue;
      double p = 0;
      for (int64_t k = 0; k < K; ++k) p += t[k] * ph[k * V + w];
      r.log_likelihood += std::log(p / norm);
      ++r.tokens;
    }
  }
  if (r.tokens == 0) fail("completion_perplexity", "no scored token of a seen word");
  r.perplexity = std::exp(-r.log_likelihood / (double)r.tokens);
  return r;
}

std::vector<std::vector<int64_t>> top_word_ids(const Tensor& phi, int64_t n) {
  check_phi("top_word_ids", phi);
  const int64_t K = phi.size(0), V = phi.size(1);
  n = std::min(n, V);
  std::vector<double> ph = phi.to(DType::f64).to_vector();
  std::vector<std::vector<int64_t>> out((size_t)K);
  std::vector<int64_t> idx((size_t)V);
  for (int64_t k = 0; k < K; ++k) {
    std::iota(idx.begin(), idx.end(), 0);
    const double* row = ph.data() + k * V;
    std::partial_sort(idx.begin(), idx.begin() + n, idx.end(),
                      [&](int64_t a, int64_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
    out[k].assign(idx.begin(), idx.begin() + n);
  }
  return out;
}

std::vector<std::vector<std::string>> top_words(const Tensor& phi, const std::vector<std::string>& vocab, int64_t n) {
  if ((int64_t)vocab.size() != phi.size(1))
    fail("top_words", "vocabulary of " + std::to_string(vocab.size()) + " words for phi " + shape_str(phi.shape()));
  std::vector<std::vector<std::string>> out;
  for (auto& ids : top_word_ids(phi, n)) {
    out.emplace_back();
    for (int64_t w : ids) out.back().push_back(vocab[w]);
  }
  return out;
}

std::vector<double> umass_coherence(const Tensor& phi, const Corpus& reference, int64_t n) {
  check_phi("umass_coherence", phi);
  if (reference.vocab_size() != phi.size(1))
    fail("umass_coherence", "reference corpus has " + std::to_string(reference.vocab_size()) + " words, phi " +
                                shape_str(phi.shape()));
  // Documents containing each word, as sorted lists (only the top words are needed).
  auto tops = top_word_ids(phi, n);
  std::set<int64_t> needed;
  for (auto& t : tops) needed.insert(t.begin(), t.end());
  std::vector<std::vector<int64_t>> docs_of((size_t)reference.vocab_size());
  for (int64_t d = 0; d < reference.num_docs(); ++d)
    for (int64_t i = reference.doc_start[d]; i < reference.doc_start[d + 1]; ++i) {
      auto& l = docs_of[reference.words[i]];
      if (needed.count(reference.words[i]) && (l.empty() || l.back() != d)) l.push_back(d);
    }
  std::vector<double> out;
  for (auto& t : tops) {
    double c = 0;
    for (size_t m = 1; m < t.size(); ++m)
      for (size_t l = 0; l < m; ++l) {
        const auto &a = docs_of[t[m]], &b = docs_of[t[l]];
        if (b.empty()) continue;
        std::vector<int64_t> both;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
        c += std::log(((double)both.size() + 1) / (double)b.size());
      }
    out.push_back(c);
  }
  return out;
}

std::vector<double> best_topic_match(const Tensor& truth, const Tensor& learned, std::vector<int64_t>* best_index) {
  check_phi("best_topic_match", truth);
  check_phi("best_topic_match", learned);
  if (truth.size(1) != learned.size(1))
    fail("best_topic_match", "topics over different vocabularies: " + shape_str(truth.shape()) + " and " +
                                 shape_str(learned.shape()));
  const int64_t T = truth.size(0), K = learned.size(0), V = truth.size(1);
  std::vector<double> a = truth.to(DType::f64).to_vector(), b = learned.to(DType::f64).to_vector();
  std::vector<double> best((size_t)T, -1);
  if (best_index) best_index->assign((size_t)T, -1);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < K; ++k) {
      double ab = 0, aa = 0, bb = 0;
      for (int64_t w = 0; w < V; ++w) {
        ab += a[t * V + w] * b[k * V + w];
        aa += a[t * V + w] * a[t * V + w];
        bb += b[k * V + w] * b[k * V + w];
      }
      const double cos = ab / std::sqrt(std::max(aa * bb, 1e-300));
      if (cos > best[t]) {
        best[t] = cos;
        if (best_index) (*best_index)[t] = k;
      }
    }
  return best;
}

}  // namespace latent::models
