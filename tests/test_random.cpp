// tensor/: random numbers are reproducible and have the right moments.
#include <omp.h>

#include "helpers.h"

using namespace latent;
using namespace latent::test;

TEST_CASE("same seed, same numbers, whatever the thread count") {
  Generator g1(42), g2(42);
  set_num_threads(1);
  Tensor a = normal({100000}, 0, 1, DType::f32, &g1);
  set_num_threads(2);
  Tensor b = normal({100000}, 0, 1, DType::f32, &g2);
  check_close(a, b, 0, 0);
  Generator g3(43);
  CHECK(normal({4}, 0, 1, DType::f32, &g3).to_vector() != normal({4}, 0, 1, DType::f32, &g1).to_vector());
}

TEST_CASE("moments of uniform, normal, bernoulli") {
  Generator g(1);
  Tensor u = uniform({200000}, -1, 3, DType::f64, &g);
  CHECK(mean(u).item() == doctest::Approx(1.0).epsilon(0.01));
  CHECK(var(u).item() == doctest::Approx(16.0 / 12).epsilon(0.02));
  CHECK(min(u).item() >= -1);
  CHECK(max(u).item() < 3);
  Tensor n = normal({200000}, 2, 3, DType::f64, &g);
  CHECK(mean(n).item() == doctest::Approx(2.0).epsilon(0.01));
  CHECK(std::sqrt(var(n).item()) == doctest::Approx(3.0).epsilon(0.01));
  Tensor b = bernoulli(full({100000}, 0.3), &g);
  CHECK(mean(b).item() == doctest::Approx(0.3).epsilon(0.02));
}

TEST_CASE("categorical follows its weights; permutation is a permutation") {
  Generator g(3);
  Tensor p = from_vector({1, 0, 3}, {1, 3}).expand({30000, 3});
  Tensor c = categorical(p, &g);
  Tensor hits0 = sum(eq(c, zeros({}, DType::i64)).to(DType::f64));
  Tensor hits1 = sum(eq(c, ones({}, DType::i64)).to(DType::f64));
  CHECK(hits0.item() / 30000 == doctest::Approx(0.25).epsilon(0.05));
  CHECK(hits1.item() == 0);
  Tensor perm = permutation(1000, &g);
  std::vector<double> v = perm.to_vector();
  std::sort(v.begin(), v.end());
  for (int i = 0; i < 1000; ++i) CHECK(v[i] == i);
  Tensor r = randint(3, 7, {1000}, &g);
  CHECK(min(r).item() == 3);
  CHECK(max(r).item() == 6);
}
