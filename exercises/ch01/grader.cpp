// Chapter 01 grader.
#include <doctest/doctest.h>

#include <cmath>

#include "autodiff/gradcheck.h"
#include "exercises/ch01/exercises.h"
#include "tensor/random.h"

using namespace latent;
namespace ex = latent::exercises::ch01;

namespace {
Tensor rnd(const Shape& s, uint64_t seed) {
  Generator g(seed);
  return uniform(s, -2, 2, DType::f64, &g);
}
}  // namespace

TEST_CASE("ch01 exercise: linear_forward" * doctest::test_suite("exercise ch01")) {
  Tensor x = from_vector({1, 0, -1, 2, 1, 0}, {2, 3}, DType::f64);
  Tensor W = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64);
  Tensor b = from_vector({0.5, -0.5}, {2}, DType::f64);
  std::vector<double> y = ex::linear_forward(Var(x), Var(W), Var(b)).data().to_vector();
  std::vector<double> want = {-1.5, -2.5, 4.5, 12.5};
  REQUIRE(y.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(y[i] == doctest::Approx(want[i]));
  auto r = gradcheck([](const std::vector<Var>& v) { return ex::linear_forward(v[0], v[1], v[2]); },
                     {rnd({4, 3}, 1), rnd({2, 3}, 2), rnd({2}, 3)});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("ch01 exercise: softmax_cross_entropy" * doctest::test_suite("exercise ch01")) {
  // Reference: torch.nn.functional.cross_entropy (PyTorch 1.13).
  Tensor z = from_vector({-1, 2, 0.5, 3, -2, 0}, {2, 3}, DType::f64);
  Tensor y = from_vector_i({1, 0}, {2});
  CHECK(ex::softmax_cross_entropy(Var(z), y).item() == doctest::Approx(0.14814826601715214));
  Tensor big = from_vector({1000, -1000, 0}, {1, 3}, DType::f64);
  CHECK_MESSAGE(std::isfinite(ex::softmax_cross_entropy(Var(big), from_vector_i({1}, {1})).item()),
                "not stable for large logits: use logsumexp");
  auto r = gradcheck([&](const std::vector<Var>& v) { return ex::softmax_cross_entropy(v[0], y); }, {rnd({2, 3}, 4)});
  CHECK_MESSAGE(r.ok, r.report);
}

TEST_CASE("ch01 exercise: softmax_cross_entropy_grad" * doctest::test_suite("exercise ch01")) {
  Tensor z = rnd({4, 5}, 5);
  Tensor y = from_vector_i({0, 4, 2, 2}, {4});
  // the reference: backward() through L = mean(logsumexp(z) - z_y), with a hand-made one-hot
  Tensor onehot = zeros({4, 5}, DType::f64);
  for (int64_t n = 0; n < 4; ++n) onehot.set({n, (int64_t)y.at({n})}, 1);
  Var zv(z, true);
  mean(logsumexp(zv, {1}) - sum(zv * Var(onehot), {1})).backward();
  std::vector<double> want = zv.grad().data().to_vector();
  std::vector<double> got = ex::softmax_cross_entropy_grad(z, y).to_vector();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-9));
}
