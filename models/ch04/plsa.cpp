// Chapter 04 — pLSA by (tempered) EM (see plsa.h).
#include "models/ch04/plsa.h"

#include <algorithm>
#include <cmath>

#include "models/ch04/fast_rng.h"

namespace latent::models {

double plsa_posterior(const double* theta_d, const double* beta_w, int64_t K, double temperature, double* post) {
  double pw = 0;
  for (int64_t k = 0; k < K; ++k) pw += post[k] = theta_d[k] * beta_w[k];
  if (!(pw > 0)) {  // the word has no mass in any topic of d: spread evenly
    for (int64_t k = 0; k < K; ++k) post[k] = 1.0 / (double)K;
    return pw;
  }
  if (temperature == 1.0) {
    for (int64_t k = 0; k < K; ++k) post[k] /= pw;
  } else {
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += post[k] = std::pow(post[k] / pw, temperature);
    for (int64_t k = 0; k < K; ++k) post[k] /= s;
  }
  return pw;
}

namespace {
void normalise_rows(std::vector<double>& m, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    double* p = m.data() + r * cols;
    double s = 0;
    for (int64_t c = 0; c < cols; ++c) s += p[c];
    for (int64_t c = 0; c < cols; ++c) p[c] = s > 0 ? p[c] / s : 1.0 / (double)cols;
  }
}
}  // namespace

PlsaResult plsa_fit(const BagOfWords& bow, const PlsaOptions& opt) {
  if (opt.K < 1) fail("plsa_fit", "K must be >= 1, got " + std::to_string(opt.K));
  if (!(opt.temperature > 0 && opt.temperature <= 1))
    fail("plsa_fit", "temperature must be in (0, 1], got " + std::to_string(opt.temperature));
  if (bow.total() <= 0) fail("plsa_fit", "the corpus has no tokens (" + std::to_string(bow.num_docs) + " documents)");
  const int64_t K = opt.K, V = bow.vocab_size, D = bow.num_docs;
  // θ [D,K] and β stored transposed, [V,K], so a word's K values are contiguous.
  std::vector<double> theta((size_t)(D * K)), beta_t((size_t)(V * K)), new_theta, new_beta_t, post((size_t)K);
  FastRng rng(opt.seed);
  for (auto& v : theta) v = 0.5 + rng.uniform();
  for (auto& v : beta_t) v = 0.5 + rng.uniform();
  normalise_rows(theta, D, K);
  // β_{·|z} sums to one over words: normalise columns of beta_t.
  auto normalise_topics = [&](std::vector<double>& bt) {
    std::vector<double> s((size_t)K, 0.0);
    for (int64_t w = 0; w < V; ++w)
      for (int64_t k = 0; k < K; ++k) s[k] += bt[w * K + k];
    for (int64_t w = 0; w < V; ++w)
      for (int64_t k = 0; k < K; ++k) bt[w * K + k] = s[k] > 0 ? bt[w * K + k] / s[k] : 1.0 / (double)V;
  };
  normalise_topics(beta_t);
  PlsaResult r;
  for (int64_t it = 0; it < opt.max_iter; ++it) {
    new_theta.assign(theta.size(), 0.0);
    new_beta_t.assign(beta_t.size(), 0.0);
    double L = 0;
    for (int64_t d = 0; d < D; ++d) {
      const double* th = theta.data() + d * K;
      double* nt = new_theta.data() + d * K;
      for (int64_t j = bow.row_start[d]; j < bow.row_start[d + 1]; ++j) {
        const int64_t w = bow.word[j];
        const double n = bow.count[j];
        const double pw = plsa_posterior(th, beta_t.data() + w * K, K, opt.temperature, post.data());  // E-step
        L += n * std::log(std::max(pw, 1e-300));
        double* nb = new_beta_t.data() + w * K;
        for (int64_t k = 0; k < K; ++k) {  // soft counts n_dw p(z|d,w) into both M-step sums
          nt[k] += n * post[k];
          nb[k] += n * post[k];
        }
      }
    }
    r.loglik_history.push_back(L);
    normalise_rows(new_theta, D, K);  // θ_{z|d} ∝ Σ_w n_dwz
    normalise_topics(new_beta_t);     // β_{w|z} ∝ Σ_d n_dwz
    theta.swap(new_theta);
    beta_t.swap(new_beta_t);
    r.n_iter = it + 1;
    const size_t h = r.loglik_history.size();
    if (h >= 2 && std::abs(r.loglik_history[h - 1] - r.loglik_history[h - 2]) <= opt.tol * std::abs(L)) {
      r.converged = true;
      break;
    }
  }
  r.theta = from_vector(theta, {D, K}, DType::f64);
  r.beta = from_vector(beta_t, {V, K}, DType::f64).t().contiguous();
  return r;
}

Tensor plsa_fold_in(const Tensor& beta, const BagOfWords& docs, int64_t iters) {
  if (beta.dim() != 2 || beta.size(1) != docs.vocab_size)
    fail("plsa_fold_in", "beta must be [K,V] with V = " + std::to_string(docs.vocab_size) + ", got " +
                             shape_str(beta.shape()));
  const int64_t K = beta.size(0), D = docs.num_docs;
  std::vector<double> bt = beta.to(DType::f64).t().contiguous().to_vector();
  std::vector<double> theta((size_t)(D * K), 1.0 / (double)K), acc((size_t)K), post((size_t)K);
  for (int64_t d = 0; d < D; ++d) {
    double* th = theta.data() + d * K;
    for (int64_t it = 0; it < iters; ++it) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t j = docs.row_start[d]; j < docs.row_start[d + 1]; ++j) {
        plsa_posterior(th, bt.data() + (int64_t)docs.word[j] * K, K, 1.0, post.data());
        for (int64_t k = 0; k < K; ++k) acc[k] += docs.count[j] * post[k];
      }
      double s = 0;
      for (double a : acc) s += a;
      if (s <= 0) break;  // empty document: stays uniform
      for (int64_t k = 0; k < K; ++k) th[k] = acc[k] / s;
    }
  }
  return from_vector(theta, {D, K}, DType::f64);
}

}  // namespace latent::models
