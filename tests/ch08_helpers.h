// Helpers shared by the chapter 08 test files (test_ch08.cpp, test_ch08_nets.cpp).
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

}  // namespace latent::test
