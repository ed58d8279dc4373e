// Chapter 00 grader: each exercise checked by gradcheck (and gradgradcheck).
#include <doctest/doctest.h>

#include <cmath>

#include "autodiff/gradcheck.h"
#include "exercises/ch00/exercises.h"
#include "tensor/random.h"

using namespace latent;
namespace ex = latent::exercises::ch00;

namespace {
Tensor rnd(const Shape& s, uint64_t seed) {
  Generator g(seed);
  return uniform(s, -1, 1, DType::f64, &g);
}
#define GRADE(fn, ...)                                  \
  do {                                                  \
    auto r = gradcheck(fn, __VA_ARGS__);                \
    CHECK_MESSAGE(r.ok, r.report);                      \
  } while (0)
}  // namespace

TEST_CASE("ch00 exercise: mul_backward" * doctest::test_suite("exercise ch00")) {
  VarFn f = [](const std::vector<Var>& v) {
    return make_op("my_mul", mul(v[0].data(), v[1].data()), {v[0], v[1]},
                   [](const BackwardCtx& c) { return ex::mul_backward(c.in(0), c.in(1), c.g); });
  };
  GRADE(f, {rnd({2, 3}, 1), rnd({2, 3}, 2)});
  auto r2 = gradgradcheck(f, {rnd({2, 3}, 3), rnd({2, 3}, 4)});
  CHECK_MESSAGE(r2.ok, "second order (is your rule written with Var ops?): " << r2.report);
}

TEST_CASE("ch00 exercise: matmul_backward" * doctest::test_suite("exercise ch00")) {
  VarFn f = [](const std::vector<Var>& v) {
    return make_op("my_matmul", matmul(v[0].data(), v[1].data()), {v[0], v[1]},
                   [](const BackwardCtx& c) { return ex::matmul_backward(c.in(0), c.in(1), c.g); });
  };
  GRADE(f, {rnd({3, 4}, 5), rnd({4, 2}, 6)});
}

TEST_CASE("ch00 exercise: sigmoid_backward" * doctest::test_suite("exercise ch00")) {
  VarFn f = [](const std::vector<Var>& v) {
    return make_op("my_sigmoid", sigmoid(v[0].data()), {v[0]},
                   [](const BackwardCtx& c) -> Grads { return {ex::sigmoid_backward(c.out, c.g)}; });
  };
  GRADE(f, {rnd({3, 3}, 7)});
}

TEST_CASE("ch00 exercise: a custom op, swish" * doctest::test_suite("exercise ch00")) {
  Tensor x = from_vector({-2, 0, 1.5}, {3}, DType::f64);
  Tensor y = ex::swish(Var(x)).data();
  for (int i = 0; i < 3; ++i) {
    double xi = x.at({i});
    CHECK(y.at({i}) == doctest::Approx(xi / (1 + std::exp(-xi))));
  }
  VarFn f = [](const std::vector<Var>& v) { return ex::swish(v[0]); };
  GRADE(f, {rnd({2, 3}, 8)});
  auto r2 = gradgradcheck(f, {rnd({2, 3}, 9)});
  CHECK_MESSAGE(r2.ok, "second order: " << r2.report);
}
