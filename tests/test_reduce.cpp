// tensor/: reductions over any set of axes, with keepdim; softmax family.
#include "helpers.h"

using namespace latent;
using namespace latent::test;

TEST_CASE("sum/mean/max/min over axes, prefix, suffix, middle and all") {
  Tensor a = arange(0, 24, 1, DType::f64).reshape({2, 3, 4});
  check_values(sum(a), {276});
  check_values(sum(a, {0}), {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
  check_values(sum(a, {2}), {6, 22, 38, 54, 70, 86});
  check_values(sum(a, {1}), {12, 15, 18, 21, 48, 51, 54, 57});
  check_values(sum(a, {0, 2}), {60, 92, 124});
  CHECK(sum(a, {0, 2}, true).shape() == Shape{1, 3, 1});
  check_values(mean(a, {-1}), {1.5, 5.5, 9.5, 13.5, 17.5, 21.5});
  check_values(max(a, {1}), {8, 9, 10, 11, 20, 21, 22, 23});
  check_values(min(a, {0, 1}), {0, 1, 2, 3});
  // a transposed (non-contiguous) input
  check_values(sum(a.transpose(0, 2), {2}), {12, 20, 28, 14, 22, 30, 16, 24, 32, 18, 26, 34}, 1e-9);
}

TEST_CASE("var, norm, logsumexp, argmax") {
  Tensor a = from_vector({1, 2, 3, 4, 10, 20, 30, 40}, {2, 4}, DType::f64);
  check_values(var(a, {1}), {1.25, 125});
  check_values(var(a, {1}, false, true), {5.0 / 3, 500.0 / 3});
  check_values(norm(a, {1}), {std::sqrt(30.0), std::sqrt(3000.0)});
  check_values(logsumexp(a, {1}), {4.440189698561196, 40.00004540096037});
  Tensor am = argmax(from_vector({3, 1, 4, 1, 5, 9, 2, 6}, {2, 4}), 1);
  CHECK(am.dtype() == DType::i64);
  check_values(am, {2, 1});
  check_values(argmax(from_vector({3, 1, 4, 1, 5, 9, 2, 6}, {2, 4}), 0), {1, 1, 0, 1});
  check_values(argmin(from_vector({3, 1, 4, 1, 5, 9, 2, 6}, {2, 2, 2}), 1), {0, 0, 1, 1});
}

TEST_CASE("softmax rows sum to one; log_softmax = log(softmax)") {
  Tensor x = rand64({3, 5}, 1, -5, 5);
  Tensor s = softmax(x, 1);
  check_close(sum(s, {1}), ones({3}, DType::f64));
  check_close(log_softmax(x, 1), log(s), 1e-12);
  check_close(sum(softmax(x, 0), {0}), ones({5}, DType::f64));
}

TEST_CASE("large reductions agree with a double-precision reference") {
  // 3M floats: exercises the threaded paths (split rows, column sums).
  Generator g(7);
  Tensor x = uniform({1000, 3000}, 0, 1, DType::f32, &g);
  Tensor ref = sum(x.to(DType::f64));
  CHECK(std::abs(sum(x).item() - ref.item()) < 1e-6 * ref.item());
  check_close(sum(x, {0}).to(DType::f64), sum(x.to(DType::f64), {0}), 1e-2, 1e-5);
  check_close(max(x, {1}).to(DType::f64), max(x.to(DType::f64), {1}));
}

TEST_CASE("sum_to inverts broadcasting") {
  Tensor g = ones({4, 2, 3});
  check_values(sum_to(g, {2, 1}), {12, 12});
  check_values(sum_to(g, {3}), {8, 8, 8});
  CHECK(sum_to(g, {4, 2, 3}).shape() == Shape{4, 2, 3});
}
