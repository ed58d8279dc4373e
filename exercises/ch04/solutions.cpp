// Chapter 04 exercises — reference solutions. Try the stubs first!
#include <cmath>

#include "exercises/ch04/exercises.h"

namespace latent::exercises::ch04 {

std::vector<double> plsa_e_step(const std::vector<double>& theta, const std::vector<double>& beta, int64_t D,
                                int64_t K, int64_t V) {
  std::vector<double> post((size_t)(D * V * K));
  for (int64_t d = 0; d < D; ++d)
    for (int64_t w = 0; w < V; ++w) {
      double* p = post.data() + (d * V + w) * K;
      double s = 0;
      for (int64_t z = 0; z < K; ++z) s += p[z] = theta[d * K + z] * beta[z * V + w];
      for (int64_t z = 0; z < K; ++z) p[z] = s > 0 ? p[z] / s : 1.0 / (double)K;
    }
  return post;
}

std::vector<double> gibbs_conditional(const std::vector<int64_t>& doc, const std::vector<int64_t>& word,
                                      const std::vector<int64_t>& z, int64_t i, int64_t K, int64_t V, double alpha,
                                      double beta) {
  std::vector<double> ndk((size_t)K, 0), nkw((size_t)K, 0), nk((size_t)K, 0), p((size_t)K);
  for (size_t j = 0; j < z.size(); ++j) {
    if ((int64_t)j == i) continue;  // token i is left out of every count
    nk[z[j]] += 1;
    if (doc[j] == doc[i]) ndk[z[j]] += 1;
    if (word[j] == word[i]) nkw[z[j]] += 1;
  }
  double s = 0;
  for (int64_t k = 0; k < K; ++k) s += p[k] = (ndk[k] + alpha) * (nkw[k] + beta) / (nk[k] + (double)V * beta);
  for (auto& v : p) v /= s;
  return p;
}

double completion_perplexity(const std::vector<double>& theta, const std::vector<double>& phi, int64_t K, int64_t V,
                             const std::vector<std::vector<int64_t>>& scored, const std::vector<bool>& seen) {
  double ll = 0;
  int64_t n = 0;
  for (size_t d = 0; d < scored.size(); ++d) {
    double norm = 0;
    for (int64_t k = 0; k < K; ++k) norm += theta[d * K + k];
    for (int64_t w : scored[d]) {
      if (!seen[w]) continue;
      double p = 0;
      for (int64_t k = 0; k < K; ++k) p += theta[d * K + k] / norm * phi[k * V + w];
      ll += std::log(p);
      ++n;
    }
  }
  return std::exp(-ll / (double)n);
}

}  // namespace latent::exercises::ch04
