// Chapter 04 grader.
#include <doctest/doctest.h>

#include <cmath>

#include "exercises/ch04/exercises.h"

namespace ex = latent::exercises::ch04;

TEST_CASE("ch04 exercise: plsa_e_step" * doctest::test_suite("exercise ch04")) {
  // D = 1, K = 2, V = 2 by hand: θ = (.2, .8), β_0 = (.5, .5), β_1 = (.1, .9).
  //   word 0: (.2*.5, .8*.1) = (.10, .08) / .18      word 1: (.2*.5, .8*.9) = (.10, .72) / .82
  std::vector<double> post = ex::plsa_e_step({0.2, 0.8}, {0.5, 0.5, 0.1, 0.9}, 1, 2, 2);
  REQUIRE(post.size() == 4);
  CHECK(post[0] == doctest::Approx(0.10 / 0.18));
  CHECK(post[1] == doctest::Approx(0.08 / 0.18));
  CHECK(post[2] == doctest::Approx(0.10 / 0.82));
  CHECK(post[3] == doctest::Approx(0.72 / 0.82));
  // D = 2, K = 3, V = 4: every posterior sums to one and follows θ_{z|d} β_{w|z}.
  std::vector<double> theta = {0.5, 0.3, 0.2, 0.1, 0.1, 0.8};
  std::vector<double> beta = {0.4, 0.3, 0.2, 0.1, 0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.5, 0.5};
  post = ex::plsa_e_step(theta, beta, 2, 3, 4);
  REQUIRE(post.size() == 24);
  for (int d = 0; d < 2; ++d)
    for (int w = 0; w < 4; ++w) {
      const double* p = post.data() + (d * 4 + w) * 3;
      CHECK(p[0] + p[1] + p[2] == doctest::Approx(1.0));
      // ratio of topics 0 and 1 = θ_0 β_w|0 / (θ_1 β_w|1)
      CHECK(p[0] * theta[d * 3 + 1] * beta[4 + w] == doctest::Approx(p[1] * theta[d * 3] * beta[w]));
    }
  CHECK(post[2] == doctest::Approx(0.0));  // d = 0, w = 0: topic 2 has no mass on word 0
  // A pair with no mass in any topic: uniform.
  post = ex::plsa_e_step({1.0, 0.0}, {0.0, 1.0, 0.5, 0.5}, 1, 2, 2);
  CHECK(post[0] == doctest::Approx(0.5));
  CHECK(post[1] == doctest::Approx(0.5));
}

TEST_CASE("ch04 exercise: gibbs_conditional" * doctest::test_suite("exercise ch04")) {
  // 8 tokens in 3 documents, V = 4, K = 3, α = .5, β = .2. Reference by hand (and NumPy).
  const std::vector<int64_t> doc = {0, 0, 0, 1, 1, 2, 2, 2}, word = {0, 1, 1, 2, 1, 0, 3, 1}, z = {0, 1, 2, 1, 1, 0, 2, 1};
  std::vector<double> p = ex::gibbs_conditional(doc, word, z, 1, 3, 4, 0.5, 0.2);
  REQUIRE(p.size() == 3);
  // token 1: n_dk = (1,0,1), n_kw = (0,2,1), n_k = (2,3,2) without it:
  //   (1.5 * .2 / 2.8, .5 * 2.2 / 3.8, 1.5 * 1.2 / 2.8) normalised
  const std::vector<double> want1 = {0.10307414104882462, 0.27848101265822783, 0.6184448462929475};
  for (int k = 0; k < 3; ++k) CHECK(p[k] == doctest::Approx(want1[k]).epsilon(1e-12));
  p = ex::gibbs_conditional(doc, word, z, 6, 3, 4, 0.5, 0.2);
  const std::vector<double> want6 = {0.4757709251101322, 0.27753303964757714, 0.24669603524229072};
  for (int k = 0; k < 3; ++k) CHECK(p[k] == doctest::Approx(want6[k]).epsilon(1e-12));
  // The conditional cannot depend on the token's own current topic: it is left out.
  for (int64_t own = 0; own < 3; ++own) {
    std::vector<int64_t> z2 = z;
    z2[1] = own;
    std::vector<double> q = ex::gibbs_conditional(doc, word, z2, 1, 3, 4, 0.5, 0.2);
    for (int k = 0; k < 3; ++k)
      CHECK_MESSAGE(q[k] == doctest::Approx(want1[k]).epsilon(1e-12),
                    "with z_1 = " << own << " the result changed: leave token i out of every count");
  }
}

TEST_CASE("ch04 exercise: completion_perplexity" * doctest::test_suite("exercise ch04")) {
  // A uniform model over V words has perplexity V.
  std::vector<double> phi_u(2 * 5, 0.2), theta_u(3 * 2, 0.5);
  const std::vector<std::vector<int64_t>> scored = {{0, 1}, {2}, {3, 0, 4}};
  const std::vector<bool> all(5, true);
  CHECK(ex::completion_perplexity(theta_u, phi_u, 2, 5, scored, all) == doctest::Approx(5.0));
  // By hand, V = 4: θ rows (1,0), (0,2) (not normalised: use (0,1)), (.5,.5);
  // φ_0 = (.7,.1,.1,.1), φ_1 = (.1,.1,.6,.2); word 3 never seen in training.
  const std::vector<double> phi = {.7, .1, .1, .1, .1, .1, .6, .2}, theta = {1, 0, 0, 2, 1, 1};
  const std::vector<bool> seen = {true, true, true, false};
  const std::vector<std::vector<int64_t>> sc = {{0, 1}, {2}, {3, 0}};
  const double ll = std::log(.7) + std::log(.1) + std::log(.6) + std::log(.4);
  CHECK(ex::completion_perplexity(theta, phi, 2, 4, sc, seen) == doctest::Approx(std::exp(-ll / 4)));
  // An empty scored document adds nothing.
  const std::vector<std::vector<int64_t>> sc2 = {{0, 1}, {}, {3, 0}};
  const double ll2 = std::log(.7) + std::log(.1) + std::log(.4);
  CHECK(ex::completion_perplexity(theta, phi, 2, 4, sc2, seen) == doctest::Approx(std::exp(-ll2 / 3)));
}
