// Chapter 07 grader. References: hand-computed values, numerical integration
// of the KL over a 1-d Gaussian, log σ(l) computed directly, finite
// differences (gradcheck), and the library (models/ch07: Vae, vae_loss;
// nn::kl_normal), whose loss and parameter gradients your ELBO must reproduce.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autodiff/gradcheck.h"
#include "exercises/grader_check.h"
#include "exercises/ch07/exercises.h"
#include "models/ch07/vae.h"
#include "nn/loss.h"

using namespace latent;
namespace ex = latent::exercises::ch07;
using models::Vae;
using models::VaeConfig;

namespace {

Tensor rnd(const Shape& s, uint64_t seed, double lo = -1.5, double hi = 1.5) {
  Generator g(seed);
  return uniform(s, lo, hi, DType::f64, &g);
}
Tensor gauss(const Shape& s, uint64_t seed) {
  Generator g(seed);
  return normal(s, 0, 1, DType::f64, &g);
}
Tensor binary(int64_t N, int64_t D, uint64_t seed) {
  Generator g(seed);
  return bernoulli(full({N, D}, 0.5, DType::f64), &g);
}
Tensor vec(const std::vector<double>& v, const Shape& s) { return from_vector(v, s, DType::f64); }

using latent::exercises::check_close;  // exercises/grader_check.h
// The same for a Var's value.
void check_close(const Var& got, const Tensor& want, double tol, const std::string& what) {
  REQUIRE_MESSAGE(got.defined(), what << " was not set");
  check_close(got.data(), want, tol, what);
}
bool same(const Var& got, const Tensor& other, double tol = 1e-10) {
  return got.defined() && got.shape() == other.shape() && max(abs(got.data().to(DType::f64) - other)).item() < tol;
}

// KL(N(μ, σ²) ‖ N(0, 1)) for one coordinate by the trapezoid rule on μ ± 14σ:
// ∫ q(z) (log q(z) − log p(z)) dz, with log q − log p = −½((z−μ)²/σ² + log σ²) + ½ z².
double kl_integral(double mu, double logvar) {
  const double s = std::exp(0.5 * logvar), lo = mu - 14 * s, hi = mu + 14 * s;
  const int n = 40000;
  const double h = (hi - lo) / n;
  double acc = 0;
  for (int i = 0; i <= n; ++i) {
    const double z = lo + h * i, u = (z - mu) / s;
    const double q = std::exp(-0.5 * u * u) / (s * std::sqrt(2 * M_PI));
    acc += (i == 0 || i == n ? 0.5 : 1.0) * q * (-0.5 * (u * u + logvar) + 0.5 * z * z);
  }
  return acc * h;
}

// A float64 Bernoulli VAE, small.
VaeConfig tiny(int64_t input, int64_t hidden, int64_t latent, uint64_t seed) {
  VaeConfig c;
  c.input = input, c.hidden = hidden, c.latent = latent, c.dtype = DType::f64, c.seed = seed;
  return c;
}

// d loss / d every parameter of the model, as plain tensors (zeros where the loss does not depend on one).
std::vector<Tensor> param_grads(const Var& loss, const Vae& v) {
  std::vector<Tensor> out;
  for (const Var& g : grad({loss}, v.parameters(), {}, false, false, /*allow_unused=*/true)) out.push_back(g.data());
  return out;
}
void check_param_grads(const Var& got_loss, const Var& want_loss, const Vae& v, const std::string& what) {
  REQUIRE_MESSAGE(got_loss.requires_grad(),
                  what << " does not depend on the parameters: build it from Var ops only, no .data()");
  const std::vector<Tensor> got = param_grads(got_loss, v), want = param_grads(want_loss, v);
  const auto named = v.named_parameters();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    check_close(got[i], want[i], 1e-9, what + ": the gradient for " + named[i].first);
}

}  // namespace

TEST_CASE("ch07 exercise: reparameterize" * doctest::test_suite("exercise ch07")) {
  // By hand: μ = (1, −2, 0), log σ² = (log 4, 0, −2 log 10), ε = (0.5, −1, 3):
  //   σ = (2, 1, 0.1), z = (1 + 1, −2 − 1, 0 + 0.3) = (2, −3, 0.3).
  const Tensor mu = vec({1, -2, 0}, {1, 3}), lv = vec({std::log(4.0), 0, -2 * std::log(10.0)}, {1, 3});
  const Tensor eps = vec({0.5, -1, 3}, {1, 3});
  const Var z = ex::reparameterize(Var(mu), Var(lv), eps);
  if (same(z, mu + exp(lv) * eps))
    FAIL_CHECK("z used σ = exp(log σ²), which is the variance: σ = exp(½ log σ²)");
  if (same(z, mu + lv * eps)) FAIL_CHECK("z used σ = log σ²: σ = exp(½ log σ²)");
  if (same(z, mu + exp(lv * 0.5))) FAIL_CHECK("z forgot ε: z = μ + σ ⊙ ε");
  check_close(z, vec({2, -3, 0.3}, {1, 3}), 1e-12, "z of the hand example");

  // ε = 0 gives μ; log σ² = 0 gives μ + ε; a batch [N, L] keeps its shape.
  const Tensor M = rnd({5, 4}, 1), LV = rnd({5, 4}, 2, -3, 2), E = gauss({5, 4}, 3);
  check_close(ex::reparameterize(Var(M), Var(LV), zeros({5, 4}, DType::f64)), M, 1e-15, "z with ε = 0 (must be μ)");
  check_close(ex::reparameterize(Var(M), Var(zeros({5, 4}, DType::f64)), E), M + E, 1e-14, "z with log σ² = 0");
  check_close(ex::reparameterize(Var(M), Var(LV), E), M + exp(LV * 0.5) * E, 1e-13, "z = μ + exp(½ log σ²) ε");

  // Many draws: the z's of one row have mean μ and variance σ² (4 standard errors).
  {
    const int64_t S = 100000;
    const Tensor m1 = vec({0.7, -1.2}, {1, 2}).expand({S, 2}).contiguous();
    const Tensor l1 = vec({-0.5, 1.1}, {1, 2}).expand({S, 2}).contiguous();
    const Tensor zs = ex::reparameterize(Var(m1), Var(l1), gauss({S, 2}, 4)).data();
    REQUIRE(zs.shape() == Shape{S, 2});
    const std::vector<double> m = mean(zs, {0}).to_vector(), va = var(zs, {0}).to_vector();
    const double want_m[] = {0.7, -1.2}, want_v[] = {std::exp(-0.5), std::exp(1.1)};
    for (int j = 0; j < 2; ++j) {
      CHECK_MESSAGE(std::abs(m[j] - want_m[j]) < 4 * std::sqrt(want_v[j] / S),
                    "coordinate " << j << ": the z's have mean " << m[j] << ", μ = " << want_m[j]);
      CHECK_MESSAGE(std::abs(va[j] - want_v[j]) < 4 * want_v[j] * std::sqrt(2.0 / S),
                    "coordinate " << j << ": the z's have variance " << va[j] << ", σ² = exp(log σ²) = " << want_v[j]);
    }
  }

  // The point of the trick: z is differentiable in μ and log σ² (∂z/∂μ = 1, ∂z/∂ log σ² = ½ σ ε).
  auto r = gradcheck([&](const std::vector<Var>& p) { return ex::reparameterize(p[0], p[1], E); }, {M, LV});
  CHECK_MESSAGE(r.ok, "the gradient of z: " << r.report);
  {
    Var m(M, true), l(LV, true);
    const Var zz = ex::reparameterize(m, l, E);
    REQUIRE_MESSAGE(zz.requires_grad(), "z does not depend on μ and log σ²: use Var ops only, no .data()");
    const auto g = grad({sum(zz)}, {m, l}, {}, false, false, true);
    check_close(g[0], ones({5, 4}, DType::f64), 1e-14, "∂Σz/∂μ (must be 1)");
    check_close(g[1], exp(LV * 0.5) * E * 0.5, 1e-13, "∂Σz/∂ log σ² (must be ½ σ ε)");
  }
}

TEST_CASE("ch07 exercise: gaussian_kl" * doctest::test_suite("exercise ch07")) {
  // By hand, three rows of L = 2:
  //   μ = 0, log σ² = 0:            q = p, KL = 0
  //   μ = (1, 0), log σ² = 0:       KL = ½ μ² = 0.5
  //   μ = 0, log σ² = (log 4, 0):   KL = −½ (1 + log 4 − 4) = 1.5 − log 2
  const Tensor mu = vec({0, 0, 1, 0, 0, 0}, {3, 2}), lv = vec({0, 0, 0, 0, std::log(4.0), 0}, {3, 2});
  const Var kl = ex::gaussian_kl(Var(mu), Var(lv));
  const Tensor want = vec({0, 0.5, 1.5 - std::log(2.0)}, {3});
  REQUIRE_MESSAGE(kl.defined(), "gaussian_kl returned nothing");
  if (kl.shape() == want.shape()) {
    if (same(kl, want * -1.0)) FAIL_CHECK("the KL has the wrong sign: KL = −½ Σ (1 + log σ² − μ² − σ²) ≥ 0");
    if (same(kl, vec({0, 0.5, -0.5 * (1 + std::log(4.0) - 2)}, {3})))
      FAIL_CHECK("the KL used σ = exp(½ log σ²) where σ² = exp(log σ²) belongs");
    if (same(kl, want * 0.5)) FAIL_CHECK("the KL is averaged over the L code units: sum them");
  }
  check_close(kl, want, 1e-14, "KL of the hand examples");

  // Against numerical integration of ∫ q (log q − log p) dz, coordinate by coordinate (the KL of
  // a diagonal Gaussian is the sum of the coordinates' KLs).
  const std::vector<double> m3 = {0.7, -1.2, 0.1, 2.5}, l3 = {-0.5, 0.8, -2.0, 1.7};
  double integral = 0;
  for (size_t j = 0; j < m3.size(); ++j) integral += kl_integral(m3[j], l3[j]);
  check_close(ex::gaussian_kl(Var(vec(m3, {1, 4})), Var(vec(l3, {1, 4}))), vec({integral}, {1}), 1e-8,
              "KL against ∫ q(z) (log q(z) − log p(z)) dz");

  // Against the library on a batch: one number per row, never negative.
  const Tensor M = rnd({6, 5}, 5, -2, 2), LV = rnd({6, 5}, 6, -4, 3);
  const Var mine = ex::gaussian_kl(Var(M), Var(LV));
  check_close(mine, nn::kl_normal(Var(M), Var(LV), nn::Reduction::none).data(), 1e-12,
              "KL per row against nn::kl_normal (one number per example, [N])");
  CHECK_MESSAGE(min(mine.data()).item() >= 0, "a KL divergence is never negative: check the signs");

  // float32 in, float32 out, and close to float64.
  const Var k32 = ex::gaussian_kl(Var(M.to(DType::f32)), Var(LV.to(DType::f32)));
  CHECK_MESSAGE(k32.dtype() == DType::f32, "float32 inputs should give a float32 KL");
  check_close(k32.data().to(DType::f64), nn::kl_normal(Var(M), Var(LV), nn::Reduction::none).data(), 1e-5,
              "KL in float32");

  // A posterior that is almost a point (log σ² = −800: σ² = e^−800 is 0 in float64) has a finite
  // KL, ½ (800 − 1 + μ²) per coordinate: use log σ² as given, never log(exp(log σ²)).
  const Var sharp = ex::gaussian_kl(Var(vec({0.5}, {1, 1})), Var(vec({-800}, {1, 1})));
  check_close(sharp, vec({0.5 * (800 - 1 + 0.25)}, {1}), 1e-12,
              "KL at log σ² = −800 (use log σ² directly, not log(exp(log σ²)) = log 0)");

  // Differentiable in μ and log σ²: ∂KL/∂μ = μ, ∂KL/∂ log σ² = ½ (σ² − 1).
  auto r = gradcheck([](const std::vector<Var>& p) { return ex::gaussian_kl(p[0], p[1]); }, {M, LV});
  CHECK_MESSAGE(r.ok, "the gradient of the KL: " << r.report);
  {
    Var m(M, true), l(LV, true);
    const Var k = ex::gaussian_kl(m, l);
    REQUIRE_MESSAGE(k.requires_grad(), "the KL does not depend on μ and log σ²: use Var ops only, no .data()");
    const auto g = grad({sum(k)}, {m, l}, {}, false, false, true);
    check_close(g[0], M, 1e-13, "∂KL/∂μ (must be μ)");
    check_close(g[1], (exp(LV) - 1.0) * 0.5, 1e-13, "∂KL/∂ log σ² (must be ½ (σ² − 1))");
  }
}

TEST_CASE("ch07 exercise: elbo_bernoulli" * doctest::test_suite("exercise ch07")) {
  // By hand: x = (1, 0), logits 0 (σ = ½ everywhere): log p(x|z) = 2 log ½; μ = (1, 0), log σ² = 0:
  // KL = ½. ELBO = −2 log 2 − ½.
  {
    const Tensor x = vec({1, 0}, {1, 2});
    const Var e = ex::elbo_bernoulli(x, Var(zeros({1, 2}, DType::f64)), Var(vec({1, 0}, {1, 2})),
                                     Var(zeros({1, 2}, DType::f64)));
    const Tensor want = vec({-2 * std::log(2.0) - 0.5}, {1});
    if (same(e, vec({-2 * std::log(2.0) + 0.5}, {1})))
      FAIL_CHECK("the ELBO added the KL: ELBO = log p(x|z) − KL");
    if (same(e, vec({-std::log(2.0) - 0.5}, {1})))
      FAIL_CHECK("log p(x|z) is averaged over pixels: sum it (the log-likelihood of the whole image)");
    if (same(e, vec({2 * std::log(2.0) + 0.5}, {1}))) FAIL_CHECK("the ELBO has the wrong sign (that is −ELBO, the loss)");
    check_close(e, want, 1e-14, "ELBO of the hand example");
  }

  // Against log σ(l) computed directly, for moderate logits and grey-level x.
  {
    const int64_t N = 4, D = 7, L = 3;
    const Tensor x = rnd({N, D}, 7, 0, 1), l = rnd({N, D}, 8, -6, 6);
    const Tensor mu = rnd({N, L}, 9), lv = rnd({N, L}, 10, -2, 1);
    const std::vector<double> xv = x.to_vector(), lvv = l.to_vector();
    const std::vector<double> kl = nn::kl_normal(Var(mu), Var(lv), nn::Reduction::none).data().to_vector();
    std::vector<double> want;
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t d = 0; d < D; ++d) {
        const double p = 1 / (1 + std::exp(-lvv[n * D + d]));
        s += xv[n * D + d] * std::log(p) + (1 - xv[n * D + d]) * std::log(1 - p);
      }
      want.push_back(s - kl[n]);
    }
    check_close(ex::elbo_bernoulli(x, Var(l), Var(mu), Var(lv)), vec(want, {N}), 1e-12,
                "ELBO against Σ_d [x log σ(l) + (1 − x) log(1 − σ(l))] − KL (one number per example, [N])");
  }

  // Logits far beyond where σ(l) rounds to 0 or 1: x l − softplus(l) stays exact.
  //   x = (1, 0, 1, 0), l = (−1000, 1000, 800, −800): log p = −1000 − 1000 + 0 + 0.
  {
    const Var e = ex::elbo_bernoulli(vec({1, 0, 1, 0}, {1, 4}), Var(vec({-1000, 1000, 800, -800}, {1, 4})),
                                     Var(zeros({1, 1}, DType::f64)), Var(zeros({1, 1}, DType::f64)));
    check_close(e, vec({-2000}, {1}), 1e-12,
                "ELBO with logits ±1000 (compute x log σ(l) + (1 − x) log(1 − σ(l)) as x l − softplus(l))");
  }

  // In a real model: the library's loss is −mean ELBO, and its gradient with respect to every
  // weight of the encoder and decoder must be yours. z is drawn here as μ + exp(½ log σ²) ε.
  const int64_t N = 5, D = 8, L = 3;
  Vae v(tiny(D, 6, L, 11));
  const Tensor x = binary(N, D, 12), eps = gauss({N, L}, 13);
  const models::ElboTerms lib = models::vae_loss(v, x, Tensor(), eps);
  {
    auto q = v.encode(Var(x));
    const Var logits = v.decode(q.mu + exp(q.logvar * 0.5) * Var(eps));
    const Var e = ex::elbo_bernoulli(x, logits, q.mu, q.logvar);
    REQUIRE(e.defined());
    REQUIRE_MESSAGE(e.shape() == Shape{N}, "the ELBO has shape " << shape_str(e.shape()) << ", expected [" << N
                                                                   << "]: one number per example");
    CHECK_MESSAGE(-mean(e).item() == doctest::Approx(lib.loss.item()).epsilon(1e-12),
                  "−mean ELBO against models::vae_loss");
    CHECK_MESSAGE(-mean(e).item() == doctest::Approx(lib.recon + lib.kl).epsilon(1e-12),
                  "−mean ELBO against the library's recon + kl");
    check_param_grads(neg(mean(e)), lib.loss, v, "−mean ELBO");
  }
  // The whole step from your pieces: z = reparameterize(μ, log σ², ε), ELBO from its logits.
  {
    auto q = v.encode(Var(x));
    const Var z = ex::reparameterize(q.mu, q.logvar, eps);
    REQUIRE(z.defined());
    const Var e = ex::elbo_bernoulli(x, v.decode(z), q.mu, q.logvar);
    REQUIRE(e.defined());
    CHECK_MESSAGE(-mean(e).item() == doctest::Approx(lib.loss.item()).epsilon(1e-12),
                  "−mean ELBO with your reparameterize against models::vae_loss");
    check_param_grads(neg(mean(e)), models::vae_loss(v, x, Tensor(), eps).loss, v,
                      "−mean ELBO with your reparameterize");
  }

  // Finite differences with respect to the logits, μ and log σ² themselves.
  const Tensor xg = rnd({3, 4}, 14, 0, 1);
  auto r = gradcheck([&](const std::vector<Var>& p) { return ex::elbo_bernoulli(xg, p[0], p[1], p[2]); },
                     {rnd({3, 4}, 15, -4, 4), rnd({3, 2}, 16), rnd({3, 2}, 17, -2, 1)});
  CHECK_MESSAGE(r.ok, "the gradient of the ELBO: " << r.report);

  // float32 (the library's default), against float64.
  {
    const Tensor l = rnd({3, 4}, 18, -5, 5), mu = rnd({3, 2}, 19), lv = rnd({3, 2}, 20, -2, 1);
    const Var e32 = ex::elbo_bernoulli(xg.to(DType::f32), Var(l.to(DType::f32)), Var(mu.to(DType::f32)),
                                       Var(lv.to(DType::f32)));
    CHECK_MESSAGE(e32.dtype() == DType::f32, "float32 inputs should give a float32 ELBO");
    check_close(e32.data().to(DType::f64), ex::elbo_bernoulli(xg, Var(l), Var(mu), Var(lv)).data(), 1e-5,
                "ELBO in float32");
  }
}
