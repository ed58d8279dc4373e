// Shared by the exercise graders: compare a learner's tensor with the expected
// one and say, in the learner's terms, where and how it differs.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace latent::exercises {

// |got − want| <= tol · max(1, |want|) everywhere; reports the worst element.
// A 0-d result where a per-example vector is expected gets a hint: the usual
// mistake is summing or averaging over the batch.
inline void check_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  REQUIRE_MESSAGE(got.defined(), what << " was not set");
  REQUIRE_MESSAGE(got.shape() == want.shape(),
                  what << " has shape " << shape_str(got.shape()) << ", expected " << shape_str(want.shape())
                       << (got.dim() == 0 && want.dim() > 0
                               ? " (one number per example: do not sum or average over the batch)"
                               : ""));
  const std::vector<double> g = got.to_vector(), w = want.to_vector();
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double e = std::isfinite(g[i]) ? std::abs(g[i] - w[i]) / std::max(1.0, std::abs(w[i])) : INFINITY;
    if (!(e <= worst)) worst = e, at = i;
  }
  CHECK_MESSAGE(worst <= tol, what << ": element " << at << " is " << g[at] << ", expected " << w[at]);
}

}  // namespace latent::exercises
