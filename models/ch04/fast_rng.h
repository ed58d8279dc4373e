// Chapter 04 — a small, fast random-number stream for the Gibbs samplers.
//
// A sampler draws one uniform number per token, tens of millions per second;
// a call into latent::Generator (tensor/random.h) per draw would cost more than
// the rest of the update at K = 20. SplitMix64 (Steele, Lea & Flood 2014) is a
// few instructions, passes BigCrush, and is what Generator hashes with; seeded
// from the user's seed it makes every run reproducible.
#pragma once

#include <cstdint>

namespace latent::models {

class FastRng {
 public:
  explicit FastRng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (double)(next() >> 11) * 0x1.0p-53; }  // [0, 1), 53 bits
  int64_t below(int64_t n) { return (int64_t)(uniform() * (double)n); }  // [0, n)

 private:
  uint64_t state_;
};

}  // namespace latent::models
