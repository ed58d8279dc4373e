// latent/tensor — reproducible random numbers (see random.h).
#include "tensor/random.h"

#include <cmath>

#include "tensor/kernels.h"

namespace latent {

uint64_t Generator::bits(uint64_t i) const {
  // SplitMix64 (Steele, Lea & Flood 2014) applied to a seed-dependent counter;
  // the seed is mixed once more so nearby seeds give unrelated streams.
  uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ULL + (seed_ ^ 0xD1B54A32D192ED03ULL) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
double Generator::uniform01(uint64_t i) const { return (double)(bits(i) >> 11) * 0x1.0p-53; }

// Box–Muller: two uniforms give a standard normal.
static double box_muller(const Generator& g, uint64_t i) {
  double u1 = g.uniform01(2 * i), u2 = g.uniform01(2 * i + 1);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
}
double Generator::next_normal() {
  uint64_t c = reserve(2);
  double u1 = uniform01(c), u2 = uniform01(c + 1);
  return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(2.0 * M_PI * u2);
}
int64_t Generator::next_int(int64_t n) {
  if (n <= 0) fail("next_int", "n must be positive, got " + std::to_string(n));
  return (int64_t)(next_uniform() * (double)n);
}

Generator& default_generator() {
  static Generator g(0);
  return g;
}
void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

static Generator& gen(Generator* g) { return g ? *g : default_generator(); }

template <class F>
static Tensor fill_random(const char* op, const Shape& s, DType d, Generator& g, uint64_t per, F f) {
  Tensor t(s, d);
  int64_t n = t.numel();
  uint64_t base = g.reserve(per * n);
  detail::dispatch_float(d, op, [&](auto z_) { using T = decltype(z_);
    T* p = t.data<T>();
#pragma omp parallel for if (n >= detail::kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) p[i] = (T)f(base / per + i);
  });
  return t;
}

Tensor uniform(const Shape& s, double lo, double hi, DType d, Generator* g0) {
  if (!(lo <= hi)) fail("uniform", "lo " + std::to_string(lo) + " > hi " + std::to_string(hi));
  Generator& g = gen(g0);
  return fill_random("uniform", s, d, g, 1, [&](uint64_t i) { return lo + (hi - lo) * g.uniform01(i); });
}

Tensor normal(const Shape& s, double mean, double std, DType d, Generator* g0) {
  if (!(std >= 0)) fail("normal", "std must be >= 0, got " + std::to_string(std));
  Generator& g = gen(g0);
  // reserve 2 numbers per element; box_muller(i) reads 2i and 2i+1
  g.reserve(g.counter() % 2);  // align to an even counter
  return fill_random("normal", s, d, g, 2, [&](uint64_t i) { return mean + std * box_muller(g, i); });
}

Tensor bernoulli(const Tensor& p0, Generator* g0) {
  Generator& g = gen(g0);
  Tensor p = p0.contiguous();
  int64_t n = p.numel();
  Tensor out(p.shape(), p.dtype());
  uint64_t base = g.reserve(n);
  detail::dispatch_float(p.dtype(), "bernoulli", [&](auto z_) { using T = decltype(z_);
    const T* pp = p.data<T>();
    T* po = out.data<T>();
    for (int64_t i = 0; i < n; ++i)
      if (!(pp[i] >= 0 && pp[i] <= 1))
        fail("bernoulli", "probability " + std::to_string((double)pp[i]) + " at index " +
                              std::to_string(i) + " is outside [0, 1]");
#pragma omp parallel for if (n >= detail::kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) po[i] = g.uniform01(base + i) < (double)pp[i] ? 1 : 0;
  });
  return out;
}

Tensor categorical(const Tensor& probs, Generator* g0) {
  if (probs.dim() < 1) fail("categorical", "probs must have at least 1 dimension");
  Generator& g = gen(g0);
  Tensor p = probs.to(DType::f64).contiguous();
  int64_t K = p.shape().back(), rows = p.numel() / std::max<int64_t>(K, 1);
  Shape os(p.shape().begin(), p.shape().end() - 1);
  Tensor out(os, DType::i64);
  const double* pp = p.data<double>();
  int64_t* po = out.data<int64_t>();
  uint64_t base = g.reserve(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = pp + r * K;
    double total = 0;
    for (int64_t k = 0; k < K; ++k) {
      if (!(row[k] >= 0)) fail("categorical", "negative or NaN probability in row " + std::to_string(r));
      total += row[k];
    }
    if (!(total > 0)) fail("categorical", "row " + std::to_string(r) + " has zero total probability");
    double u = g.uniform01(base + r) * total, c = 0;
    int64_t k = 0;
    for (; k < K - 1; ++k) {
      c += row[k];
      if (u < c) break;
    }
    po[r] = k;
  }
  return out;
}

Tensor permutation(int64_t n, Generator* g0) {
  Generator& g = gen(g0);
  Tensor t = arange(0, (double)n, 1, DType::i64);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[g.next_int(i + 1)]);
  return t;
}

Tensor randint(int64_t lo, int64_t hi, const Shape& s, Generator* g0) {
  if (hi <= lo) fail("randint", "empty range [" + std::to_string(lo) + ", " + std::to_string(hi) + ")");
  Generator& g = gen(g0);
  Tensor t(s, DType::i64);
  int64_t n = t.numel();
  uint64_t base = g.reserve(n);
  int64_t* p = t.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) p[i] = lo + (int64_t)(g.uniform01(base + i) * (double)(hi - lo));
  return t;
}

}  // namespace latent
