// Chapter 04 exercises — the three computations every topic model here rests on.
// Grader: exercises/ch04/grader.cpp (ctest -L ch04). Stubs: stubs.cpp.
// Read docs/04-topic-models.md first; models/ch04/ has the library versions.
#pragma once

#include <cstdint>
#include <vector>

namespace latent::exercises::ch04 {

// The pLSA E-step for every (document, word) pair of a bag of words:
//   p(z | d, w) = θ_{z|d} β_{w|z} / Σ_z' θ_{z'|d} β_{w|z'}
// theta: D x K row-major (θ_{z|d} at theta[d*K + z]); beta: K x V row-major
// (β_{w|z} at beta[z*V + w]). Returns D x V x K (p(z|d,w) at [(d*V + w)*K + z]).
// When Σ_z θ β is 0 for a pair, return the uniform 1/K for it.
std::vector<double> plsa_e_step(const std::vector<double>& theta, const std::vector<double>& beta, int64_t D,
                                int64_t K, int64_t V);

// The collapsed Gibbs conditional of LDA (Griffiths & Steyvers 2004, eq. 5) for
// token i of a corpus, normalised over the K topics:
//   p(z_i = k | z_−i, w) ∝ (n_dk + α) (n_kw + β) / (n_k + Vβ)
// where every count leaves token i out: n_dk counts the tokens of i's document
// (doc[j] == doc[i], j ≠ i) with topic k, n_kw the tokens of word w = word[i]
// with topic k, n_k all tokens with topic k. doc, word, z: one entry per token.
std::vector<double> gibbs_conditional(const std::vector<int64_t>& doc, const std::vector<int64_t>& word,
                                      const std::vector<int64_t>& z, int64_t i, int64_t K, int64_t V, double alpha,
                                      double beta);

// Document-completion perplexity:
//   exp( − Σ_d Σ_{w ∈ scored[d]} log Σ_k θ_dk φ_kw / N )
// theta: D x K row-major (rows need not sum to 1: normalise each), phi: K x V
// row-major (rows sum to 1), scored[d]: the word ids scored in document d.
// Words with seen[w] false are skipped; N counts the tokens scored.
double completion_perplexity(const std::vector<double>& theta, const std::vector<double>& phi, int64_t K, int64_t V,
                             const std::vector<std::vector<int64_t>>& scored, const std::vector<bool>& seen);

}  // namespace latent::exercises::ch04
