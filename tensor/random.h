// latent/tensor — reproducible random numbers.
//
// A counter-based generator: the i-th number of a stream is a hash of
// (seed, i), so element i of a sampled tensor does not depend on which thread
// computed it. The same seed gives the same tensors for any thread count
// (stronger than per-thread streams, and just as parallel).
#pragma once

#include "tensor/tensor.h"

namespace latent {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
  void manual_seed(uint64_t seed) { seed_ = seed; counter_ = 0; }
  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }      // saved in checkpoints
  void set_counter(uint64_t c) { counter_ = c; }
  // Reserve n numbers of the stream; returns the first counter.
  uint64_t reserve(uint64_t n) { uint64_t c = counter_; counter_ += n; return c; }
  // The i-th 64-bit number of this stream (SplitMix64's mixer on seed and i).
  uint64_t bits(uint64_t i) const;
  double uniform01(uint64_t i) const;  // in [0, 1), 53 random bits
  // Sequential convenience draws (each consumes from the stream).
  double next_uniform() { return uniform01(reserve(1)); }
  double next_normal();
  int64_t next_int(int64_t n);  // uniform in [0, n)

 private:
  uint64_t seed_ = 0, counter_ = 0;
};

// The generator used when none is passed.
Generator& default_generator();
void manual_seed(uint64_t seed);

Tensor uniform(const Shape& s, double lo = 0, double hi = 1, DType d = DType::f32, Generator* g = nullptr);
Tensor normal(const Shape& s, double mean = 0, double std = 1, DType d = DType::f32, Generator* g = nullptr);
// 1 with probability p (elementwise), else 0; same dtype as p.
Tensor bernoulli(const Tensor& p, Generator* g = nullptr);
// One index per row of probs [..., K] (rows need not be normalised): int64 [...].
Tensor categorical(const Tensor& probs, Generator* g = nullptr);
// A random permutation of 0..n-1 (int64), by Fisher–Yates.
Tensor permutation(int64_t n, Generator* g = nullptr);
Tensor randint(int64_t lo, int64_t hi, const Shape& s, Generator* g = nullptr);

}  // namespace latent
