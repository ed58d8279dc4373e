// Chapter 04 — an asymmetric Dirichlet prior on θ, learned during Gibbs
// sampling (Wallach, Mimno & McCallum 2009, "Rethinking LDA: why priors
// matter").
//
// Why: with a symmetric α every topic is a priori equally likely in every
// document. On real text a few topics (here: the fortunes' generic words) occur
// in most documents and the rest in few; an asymmetric α_k lets the model say
// so, and held-out documents — of which only a few words are observed — get a
// better prior mean α/α_0 for their θ. Wallach et al. found the asymmetric α
// (with a symmetric β) consistently raised held-out likelihood.
//
// How: given the sampler's topic counts n_dk, the α that maximises the
// Dirichlet-multinomial (Pólya) evidence
//
//   p(z | α) = Π_d Γ(α_0)/Γ(N_d + α_0) Π_k Γ(n_dk + α_k)/Γ(α_k)
//
// satisfies Minka's fixed point (Minka 2000, "Estimating a Dirichlet
// distribution", eq. 55):
//
//   α_k ← α_k · Σ_d [ψ(n_dk + α_k) − ψ(α_k)] / Σ_d [ψ(N_d + α_0) − ψ(α_0)]
//
// For integer n, ψ(n + a) − ψ(a) = Σ_{f=0}^{n−1} 1/(a + f), so the sums only
// need histograms: C_k(n) = number of documents with n_dk = n and C(n) =
// number of documents of length n (Wallach's thesis 2008, §2.3 "digamma
// recurrence"; MALLET does the same). One pass over z builds them; each
// iteration then costs O(K · longest document), independent of D.
#include <algorithm>
#include <cmath>

#include "models/ch04/lda_gibbs.h"

namespace latent::models {

namespace {
// Σ_n hist[n] (ψ(n + a) − ψ(a)) by the recurrence above.
double digamma_diff_sum(const std::vector<int64_t>& hist, double a) {
  double total = 0, diff = 0;
  for (size_t n = 1; n < hist.size(); ++n) {
    diff += 1.0 / (a + (double)(n - 1));
    if (hist[n]) total += (double)hist[n] * diff;
  }
  return total;
}
}  // namespace

void gibbs_optimize_alpha(GibbsState& s, int64_t iterations) {
  const int64_t K = s.K, D = s.num_docs();
  if ((int64_t)s.alpha.size() != K || iterations < 1)
    fail("gibbs_optimize_alpha", "need " + std::to_string(K) + " alphas and iterations >= 1, got " +
                                     std::to_string(s.alpha.size()) + " and " + std::to_string(iterations));
  int64_t longest = 0;
  for (int64_t d = 0; d < D; ++d) longest = std::max(longest, s.doc_start[d + 1] - s.doc_start[d]);
  // topic_hist[k][n] = C_k(n), length_hist[n] = C(n).
  std::vector<std::vector<int64_t>> topic_hist((size_t)K, std::vector<int64_t>((size_t)longest + 1, 0));
  std::vector<int64_t> length_hist((size_t)longest + 1, 0), ndk((size_t)K, 0);
  for (int64_t d = 0; d < D; ++d) {
    ++length_hist[(size_t)(s.doc_start[d + 1] - s.doc_start[d])];
    for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i) ++ndk[s.z[i]];
    for (int64_t i = s.doc_start[d]; i < s.doc_start[d + 1]; ++i)
      if (ndk[s.z[i]] > 0) {  // each topic of the document once
        ++topic_hist[s.z[i]][ndk[s.z[i]]];
        ndk[s.z[i]] = 0;
      }
  }
  // A topic in no document would be driven to α_k = 0 and could never enter a
  // document again through the s and r buckets; a small floor keeps it alive.
  constexpr double kFloor = 1e-4;
  std::vector<double> next((size_t)K);
  for (int64_t it = 0; it < iterations; ++it) {
    const double den = digamma_diff_sum(length_hist, s.alpha_sum());
    if (!(den > 0)) return;  // no tokens: nothing to learn from
    double change = 0;
    for (int64_t k = 0; k < K; ++k) {
      next[k] = std::max(kFloor, s.alpha[k] * digamma_diff_sum(topic_hist[k], s.alpha[k]) / den);
      change = std::max(change, std::abs(next[k] - s.alpha[k]) / s.alpha[k]);
    }
    s.alpha = next;
    if (change < 1e-6) break;
  }
}

}  // namespace latent::models
