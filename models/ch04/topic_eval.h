// Chapter 04 — judging topic models: held-out perplexity by document
// completion, topic coherence, top words, and matching learned topics to true
// ones.
#pragma once

#include <string>
#include <vector>

#include "models/ch04/corpus.h"
#include "tensor/tensor.h"

namespace latent::models {

// Document-completion perplexity (Wallach et al. 2009; the one estimator this
// chapter scores every model with, peers included):
//
//   perplexity = exp( − Σ_d Σ_{w ∈ scored_d} log Σ_k θ_dk φ_kw  /  N )
//
// θ [D,K]: each held-out document's topic proportions, inferred from its
// observed half (rows are normalised here); φ [K,V]: p(word | topic), rows
// summing to one; scored: the other half (completion_halves). Words with
// seen[w] false (never in the training set) are skipped, and N counts the
// tokens scored. Lower is better; a uniform model over V words scores V.
struct Perplexity {
  double perplexity = 0;
  int64_t tokens = 0;
  double log_likelihood = 0;  // the sum in the exponent (nats)
};
Perplexity completion_perplexity(const Tensor& theta, const Tensor& phi, const Corpus& scored,
                                 const std::vector<bool>& seen);

// The n most probable words of each topic (rows of φ [K,V]), best first.
std::vector<std::vector<std::string>> top_words(const Tensor& phi, const std::vector<std::string>& vocab, int64_t n);
std::vector<std::vector<int64_t>> top_word_ids(const Tensor& phi, int64_t n);

// UMass coherence (Mimno et al. 2011) of each topic's top n words w_1..w_n:
//   C = Σ_{m=2..n} Σ_{l<m} log( (D(w_m, w_l) + 1) / D(w_l) )
// D(·) counts the documents of `reference` containing the word(s). Closer to 0
// is more coherent (words that co-occur). Words in no document are skipped.
std::vector<double> umass_coherence(const Tensor& phi, const Corpus& reference, int64_t n = 10);

// For each true topic (row of truth [T,V]) the best cosine similarity with a
// learned topic (row of learned [K,V]); *best_index gets that topic's index.
std::vector<double> best_topic_match(const Tensor& truth, const Tensor& learned,
                                     std::vector<int64_t>* best_index = nullptr);

}  // namespace latent::models
