// Small helpers shared by the test suites.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autodiff/gradcheck.h"
#include "tensor/random.h"

namespace latent::test {

// Elementwise |a - b| <= atol + rtol |b| with a readable failure.
inline void check_close(const Tensor& a, const Tensor& b, double atol = 1e-6, double rtol = 1e-5) {
  REQUIRE_MESSAGE(a.shape() == b.shape(), "shapes " << shape_str(a.shape()) << " vs " << shape_str(b.shape()));
  auto x = a.to_vector(), y = b.to_vector();
  for (size_t i = 0; i < x.size(); ++i) {
    bool ok = std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]) || (std::isnan(x[i]) && std::isnan(y[i]));
    if (!ok) {
      FAIL_CHECK("element " << i << ": " << x[i] << " vs " << y[i]);
      return;
    }
  }
}
inline void check_values(const Tensor& a, const std::vector<double>& v, double atol = 1e-6) {
  REQUIRE((int64_t)v.size() == a.numel());
  check_close(a, from_vector(v, a.shape(), DType::f64).to(a.dtype()), atol, 1e-5);
}

// Random float64 input in [lo, hi), seeded.
inline Tensor rand64(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  Generator g(seed);
  return uniform(s, lo, hi, DType::f64, &g);
}

#define CHECK_GRAD(f, ...)                                         \
  do {                                                             \
    auto r_ = ::latent::gradcheck(f, __VA_ARGS__);                 \
    CHECK_MESSAGE(r_.ok, r_.report);                               \
  } while (0)
#define CHECK_GRADGRAD(f, ...)                                     \
  do {                                                             \
    auto r_ = ::latent::gradgradcheck(f, __VA_ARGS__);             \
    CHECK_MESSAGE(r_.ok, r_.report);                               \
  } while (0)

// Expect a latent::Error whose message contains every fragment.
template <class F>
void check_error(F f, const std::vector<std::string>& fragments) {
  try {
    f();
    FAIL_CHECK("no exception; expected one mentioning " << fragments[0]);
  } catch (const Error& e) {
    std::string m = e.what();
    for (const auto& s : fragments) CHECK_MESSAGE(m.find(s) != std::string::npos, "'" << m << "' lacks '" << s << "'");
  }
}

}  // namespace latent::test
