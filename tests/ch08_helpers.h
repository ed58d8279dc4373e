// Helpers shared by the chapter 08 test files.
#pragma once

#include <cmath>

#include "models/ch08/gan_nets.h"

namespace latent::test {

inline bool all_finite(const Tensor& t) {
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}

// A DCGAN small enough for a test step: 8 noise units, 8 channels in G and D.
inline models::GanNetConfig small_dcgan() {
  models::GanNetConfig c;
  c.latent.noise = 8, c.g_width = 8, c.d_width = 8, c.seed = 2;
  return c;
}

// A float64 MLP GAN of one hidden layer of 6 units, for steps and checks done by hand. The ring
// toy's have data_dim 2 and no Tanh on G's output (the ring's radius is 2).
inline models::GanNetConfig tiny_mlp_gan(int64_t data_dim, int64_t noise, uint64_t seed, bool tanh_output) {
  models::GanNetConfig c;
  c.arch = models::GanArch::mlp, c.data_dim = data_dim, c.hidden = 6, c.hidden_layers = 1;
  c.latent.noise = noise, c.tanh_output = tanh_output, c.dtype = DType::f64, c.seed = seed;
  return c;
}

}  // namespace latent::test
