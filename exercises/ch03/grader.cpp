// Chapter 03 grader.
#include <doctest/doctest.h>

#include <cmath>

#include "exercises/ch03/exercises.h"
#include "tensor/random.h"

using namespace latent;
namespace ex = latent::exercises::ch03;

namespace {
Tensor rnd(const Shape& s, uint64_t seed, DType d = DType::f64) {
  Generator g(seed);
  return uniform(s, -2, 2, d, &g);
}
}  // namespace

TEST_CASE("ch03 exercise: assign_step" * doctest::test_suite("exercise ch03")) {
  // By hand: (1,0) is equally far from (0,0) and (2,0): the lower index wins.
  Tensor X = from_vector({0, 0, 2, 0, 1, 0, 5, 5}, {4, 2}, DType::f64);
  Tensor C = from_vector({0, 0, 2, 0}, {2, 2}, DType::f64);
  Tensor d;
  Tensor lab = ex::assign_step(X, C, &d);
  REQUIRE(lab.dtype() == DType::i64);
  CHECK(lab.to_vector() == std::vector<double>{0, 1, 0, 1});
  std::vector<double> dv = d.to_vector(), want = {0, 0, 1, 34};
  REQUIRE(dv.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(dv[i] == doctest::Approx(want[i]));
  // Against brute force on random data, float64 and float32.
  for (DType dt : {DType::f64, DType::f32}) {
    Tensor P = rnd({300, 7}, 1, dt), Q = rnd({9, 7}, 2, dt);
    Tensor md;
    std::vector<double> got = ex::assign_step(P, Q, &md).to_vector(), mdv = md.to_vector();
    std::vector<double> p = P.to_vector(), q = Q.to_vector();
    int wrong = 0;
    for (int64_t i = 0; i < 300; ++i) {
      double best = 1e300;
      int64_t arg = 0;
      for (int64_t j = 0; j < 9; ++j) {
        double s = 0;
        for (int64_t t = 0; t < 7; ++t) s += (p[i * 7 + t] - q[j * 7 + t]) * (p[i * 7 + t] - q[j * 7 + t]);
        if (s < best) best = s, arg = j;
      }
      wrong += got[i] != (double)arg;
      CHECK(mdv[i] == doctest::Approx(best).epsilon(dt == DType::f32 ? 1e-4 : 1e-10));
    }
    CHECK_MESSAGE(wrong == 0, wrong << " points assigned to a centre that is not the nearest");
  }
  // A point equal to a centre: its distance is 0, never negative.
  Tensor same, Q = rnd({9, 7}, 3, DType::f32);
  ex::assign_step(Q, Q, &same);
  CHECK(min(same).item() >= 0);
}

TEST_CASE("ch03 exercise: gmm_log_responsibilities" * doctest::test_suite("exercise ch03")) {
  // Reference: scipy.stats.multivariate_normal + scipy.special.logsumexp (SciPy 1.10) for
  //   X = [[0,0],[1,2],[3,-1]], π = [.3,.7], μ = [[0,.5],[2,-.5]],
  //   Σ = [[[1,.3],[.3,.8]], [[2,-.4],[-.4,.5]]]
  Tensor X = from_vector({0, 0, 1, 2, 3, -1}, {3, 2}, DType::f64);
  Tensor w = from_vector({0.3, 0.7}, {2}, DType::f64);
  Tensor mu = from_vector({0, 0.5, 2, -0.5}, {2, 2}, DType::f64);
  Tensor S = from_vector({1, 0.3, 0.3, 0.8, 2, -0.4, -0.4, 0.5}, {2, 2, 2}, DType::f64);
  double avg = 0;
  Tensor lr = ex::gmm_log_responsibilities(X, w, mu, S, &avg);
  REQUIRE(lr.shape() == Shape{3, 2});
  std::vector<double> want = {-0.6574967139096124, -0.7301157383000008, -0.013880732721648137,
                              -4.28418587381224,   -8.962552697507713,  -0.00012812699535436067};
  std::vector<double> got = lr.to_vector();
  for (int i = 0; i < 6; ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-10));
  CHECK(avg == doctest::Approx(-3.074787625962047).epsilon(1e-12));
  // Far from every component the densities underflow to 0; the logs must not.
  Tensor far = from_vector({1e4, -1e4, 0, 0}, {2, 2}, DType::f64);
  double avg_far = 0;
  Tensor lf = ex::gmm_log_responsibilities(far, w, mu, S, &avg_far);
  CHECK_MESSAGE(std::isfinite(avg_far), "log p(x) is not finite far from the components: use logsumexp");
  for (double v : lf.to_vector()) CHECK_MESSAGE(std::isfinite(v), "a log responsibility is not finite");
  std::vector<double> r = exp(lf).to_vector();
  CHECK(r[0] + r[1] == doctest::Approx(1.0));
  CHECK(r[2] + r[3] == doctest::Approx(1.0));
}
