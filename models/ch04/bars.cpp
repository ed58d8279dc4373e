// Chapter 04 — the bars corpus (see bars.h).
#include "models/ch04/bars.h"

#include <algorithm>
#include <cmath>

namespace latent::models {

Tensor bars_topics(int64_t side) {
  if (side < 2) fail("bars_topics", "side must be >= 2, got " + std::to_string(side));
  const int64_t V = side * side;
  std::vector<double> v((size_t)(2 * side * V), 0.0);
  for (int64_t b = 0; b < side; ++b)
    for (int64_t j = 0; j < side; ++j) {
      v[(size_t)(b * V + b * side + j)] = 1.0 / (double)side;           // row b
      v[(size_t)((side + b) * V + j * side + b)] = 1.0 / (double)side;  // column b
    }
  return from_vector(v, {2 * side, V}, DType::f64);
}

namespace {
// Gamma(a, 1) by Marsaglia & Tsang (2000); a < 1 via Gamma(a + 1) U^(1/a).
double sample_gamma(double a, Generator& g) {
  if (a < 1) return sample_gamma(a + 1, g) * std::pow(std::max(g.next_uniform(), 1e-300), 1.0 / a);
  const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9 * d);
  while (true) {
    double x, v;
    do {
      x = g.next_normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = g.next_uniform();
    if (std::log(std::max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}
}  // namespace

std::vector<double> sample_dirichlet(int64_t K, double alpha, Generator& g) {
  if (K < 1 || !(alpha > 0)) fail("sample_dirichlet", "need K >= 1 and alpha > 0, got K " + std::to_string(K) +
                                                          ", alpha " + std::to_string(alpha));
  std::vector<double> x((size_t)K);
  double s = 0;
  for (auto& v : x) s += v = sample_gamma(alpha, g);
  for (auto& v : x) v /= s;
  return x;
}

BarsCorpus make_bars_corpus(int64_t docs, int64_t tokens_per_doc, double alpha, uint64_t seed, int64_t side) {
  if (docs < 1 || tokens_per_doc < 1)
    fail("make_bars_corpus", "need docs >= 1 and tokens_per_doc >= 1, got " + std::to_string(docs) + " and " +
                                 std::to_string(tokens_per_doc));
  BarsCorpus b;
  b.topics = bars_topics(side);
  const int64_t K = 2 * side;
  for (int64_t r = 0; r < side; ++r)
    for (int64_t c = 0; c < side; ++c) b.corpus.vocab.push_back("r" + std::to_string(r) + "c" + std::to_string(c));
  Generator g(seed);
  std::vector<double> th;
  std::vector<int32_t> ids((size_t)tokens_per_doc);
  for (int64_t d = 0; d < docs; ++d) {
    std::vector<double> theta = sample_dirichlet(K, alpha, g);
    th.insert(th.end(), theta.begin(), theta.end());
    for (auto& w : ids) {
      // z ~ θ_d by inversion, then one of the bar's `side` pixels uniformly.
      double u = g.next_uniform();
      int64_t k = 0;
      while (k < K - 1 && (u -= theta[k]) >= 0) ++k;
      const int64_t j = g.next_int(side);
      w = (int32_t)(k < side ? k * side + j : j * side + (k - side));
    }
    b.corpus.add_document(ids, "");
  }
  b.theta = from_vector(th, {docs, K}, DType::f64);
  return b;
}

Tensor topic_images(const Tensor& phi, int64_t side, int64_t scale) {
  if (phi.dim() != 2 || phi.size(1) != side * side || scale < 1)
    fail("topic_images", "phi must be [K," + std::to_string(side * side) + "] and scale >= 1, got " +
                             shape_str(phi.shape()) + ", scale " + std::to_string(scale));
  const int64_t K = phi.size(0), S = side * scale;
  std::vector<double> p = phi.to(DType::f64).to_vector(), img((size_t)(K * S * S));
  for (int64_t k = 0; k < K; ++k) {
    const double top = *std::max_element(p.begin() + k * side * side, p.begin() + (k + 1) * side * side);
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x)  // pixel (y/scale, x/scale), brightest = 1
        img[(size_t)((k * S + y) * S + x)] = top > 0 ? p[(size_t)(k * side * side + (y / scale) * side + x / scale)] / top : 0;
  }
  return from_vector(img, {K, S, S}, DType::f32);
}

}  // namespace latent::models
