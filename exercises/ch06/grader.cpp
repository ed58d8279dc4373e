// Chapter 06 grader. References: hand-computed values; statistics of many
// draws (4–6 standard errors, so a right answer fails with probability far
// below 1e-4 and the seeds are fixed anyway); the same draws made from a
// Generator with the same seed; the encoder's Jacobian built row by row by
// autodiff; finite differences (gradcheck); and the library (models/ch06:
// corrupt, contractive_penalty, kl_sparsity_penalty, autoencoder_loss).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autodiff/gradcheck.h"
#include "exercises/ch06/exercises.h"
#include "exercises/grader_check.h"
#include "models/ch06/autoencoder.h"

using namespace latent;
namespace ex = latent::exercises::ch06;

namespace {

Tensor rnd(const Shape& s, uint64_t seed, double lo = -1.5, double hi = 1.5) {
  Generator g(seed);
  return uniform(s, lo, hi, DType::f64, &g);
}
Tensor vec(const std::vector<double>& v, const Shape& s) { return from_vector(v, s, DType::f64); }

using latent::exercises::check_close;  // exercises/grader_check.h
void check_close(const Var& got, const Tensor& want, double tol, const std::string& what) {
  REQUIRE_MESSAGE(got.defined(), what << " was not set");
  check_close(got.data(), want, tol, what);
}
// Equal (within tol) to a known wrong answer: used to name the mistake.
bool same(const Tensor& got, const Tensor& other, double tol = 1e-10) {
  return got.defined() && got.shape() == other.shape() &&
         max(abs(got.to(DType::f64) - other.to(DType::f64))).item() <= tol;
}
bool same(const Var& got, const Tensor& other, double tol = 1e-10) { return got.defined() && same(got.data(), other, tol); }
double sigmoid1(double a) { return 1 / (1 + std::exp(-a)); }

// A float64 autoencoder with one sigmoid encoder layer D → k: the contractive penalty's setting.
models::Autoencoder one_layer(int64_t D, int64_t k, uint64_t seed) {
  models::AutoencoderConfig c;
  c.input = D, c.code = k, c.dtype = DType::f64, c.seed = seed, c.undercomplete = false;
  return models::Autoencoder(c);
}

}  // namespace

TEST_CASE("ch06 exercise: the denoising corruption" * doctest::test_suite("exercise ch06")) {
  const Tensor x = rnd({6, 10}, 1, 0.5, 1.5), x_before = x.clone();  // no zeros: a 0 in x̃ means "masked"

  SUBCASE("masking: exact cases") {
    Generator g(2);
    check_close(ex::mask_inputs(x, 0.0, g), x, 0, "mask_inputs with p = 0 (nothing is destroyed)");
    const Tensor all = ex::mask_inputs(x, 1.0, g);
    check_close(all, zeros({6, 10}, DType::f64), 0, "mask_inputs with p = 1 (everything is destroyed)");
    const Tensor half = ex::mask_inputs(x, 0.5, g);
    check_close(x, x_before, 0, "x after mask_inputs (corrupt a copy, leave x as it is)");
    // The kept inputs keep their value; the others are exactly 0.
    const Tensor kept = ne(half, zeros_like(half));
    if (same(half, x * kept / 0.5)) FAIL_CHECK("the kept inputs were divided by 1 − p, as in dropout: keep them as they are");
    check_close(half, x * kept, 0, "mask_inputs: every entry is either x or 0");
    const Tensor f32 = ex::mask_inputs(x.to(DType::f32).reshape({6, 1, 2, 5}), 0.5, g);
    CHECK_MESSAGE(f32.dtype() == DType::f32, "float32 in should give float32 out");
    CHECK_MESSAGE(f32.shape() == (Shape{6, 1, 2, 5}), "mask_inputs changed the shape to " << shape_str(f32.shape()));
    CHECK_THROWS_MESSAGE(ex::mask_inputs(x, 1.5, g), "p = 1.5 is not a probability: raise an error");
    CHECK_THROWS_MESSAGE(ex::mask_inputs(x, -0.1, g), "p = −0.1 is not a probability: raise an error");
  }

  SUBCASE("masking: statistics of many draws") {
    const int64_t N = 400, D = 784;
    const double p = 0.3;
    Generator g(3);
    const Tensor m = ex::mask_inputs(ones({N, D}, DType::f64), p, g);
    REQUIRE(m.shape() == (Shape{N, D}));
    const Tensor destroyed = 1.0 - m;  // 1 where masked
    const double n = (double)(N * D), frac = mean(destroyed).item();
    if (std::abs(frac - (1 - p)) < 0.01) FAIL_CHECK("about 1 − p of the inputs were destroyed: p is the probability of 0");
    CHECK_MESSAGE(std::abs(frac - p) < 4 * std::sqrt(p * (1 - p) / n),
                  "a fraction " << frac << " of the inputs was set to 0, expected p = " << p);
    // Independent per input: the count per row is Binomial(D, p), with variance D p (1 − p)
    // (the library's fixed-count masking has variance 0). The sample variance of 400 counts is
    // within 5 standard errors, 5·sqrt(2/399) ≈ 0.35 relative, of it.
    const Tensor per_row = sum(destroyed, {1});
    const double v = var(per_row).item(), want_v = D * p * (1 - p);
    CHECK_MESSAGE(std::abs(v - want_v) < 0.35 * want_v,
                  "the number of masked inputs per example has variance " << v << ", expected D p (1 − p) = " << want_v
                      << (v < 1e-9 ? " (every example lost exactly the same number: mask each input independently)" : ""));
    // Every position is equally likely: each column's count is Binomial(N, p).
    const Tensor per_col = sum(destroyed, {0});
    const double sd = std::sqrt(N * p * (1 - p));
    CHECK_MESSAGE(max(abs(per_col - N * p)).item() < 6 * sd, "some pixel positions are masked far more often than others");
    // A fresh mask at every call: the same generator gives a different x̃ next time.
    const Tensor again = ex::mask_inputs(ones({N, D}, DType::f64), p, g);
    CHECK_MESSAGE(!same(again, m), "two calls with the same generator gave the same mask: draw from g, do not reseed");
    // E[x̃] = (1 − p) x, for any x.
    const Tensor xs = rnd({N, D}, 4, 0, 1);
    const double ratio = sum(ex::mask_inputs(xs, p, g)).item() / sum(xs).item();
    CHECK_MESSAGE(std::abs(ratio - (1 - p)) < 0.01, "E[x̃] / E[x] is " << ratio << ", expected 1 − p = " << 1 - p);
  }

  SUBCASE("masking: the same draws as the reference") {
    Generator g1(5), g2(5);
    const Tensor mine = ex::mask_inputs(x, 0.4, g1);
    const Tensor want = x * bernoulli(full(x.shape(), 0.6, DType::f64), &g2);
    if (!same(mine, want, 0))
      FAIL_CHECK("the mask differs from the reference drawn with the same seed: draw it with one call, "
                 "bernoulli(full(x.shape(), 1 − p, x.dtype()), &g), and keep x where it is 1");
    CHECK_MESSAGE(g1.counter() == g2.counter(), "mask_inputs used " << g1.counter() << " random numbers, expected "
                                                                    << g2.counter() << " (one per input)");
  }

  SUBCASE("Gaussian noise") {
    Generator g(6);
    check_close(ex::add_gaussian_noise(x, 0.0, g), x, 0, "add_gaussian_noise with σ = 0");
    const int64_t N = 400, D = 784;
    const double sigma = 0.3;
    const Tensor z = zeros({N, D}, DType::f64);
    const Tensor noise = ex::add_gaussian_noise(z, sigma, g);
    REQUIRE(noise.shape() == (Shape{N, D}));
    const double n = (double)(N * D), sd = std::sqrt(var(noise).item());
    CHECK_MESSAGE(std::abs(mean(noise).item()) < 4 * sigma / std::sqrt(n), "the noise has mean " << mean(noise).item());
    if (std::abs(sd - sigma * sigma) < 0.01 * sigma * sigma) FAIL_CHECK("the noise has std σ², not σ: σ is the std");
    CHECK_MESSAGE(std::abs(sd - sigma) < 0.01 * sigma, "the noise has std " << sd << ", expected σ = " << sigma);
    const double negative = mean(lt(noise, z)).item();
    CHECK_MESSAGE(std::abs(negative - 0.5) < 0.01, "a fraction " << negative << " of 0 + noise is negative, expected "
                                                                   << "about 0.5 (do not clip)");
    check_close(x, x_before, 0, "x after add_gaussian_noise (return a new tensor)");
    // The same draws as the library's corruption, from the same seed.
    for (DType d : {DType::f64, DType::f32}) {
      Generator g1(7), g2(7);
      const Tensor xd = x.to(d);
      const Tensor mine = ex::add_gaussian_noise(xd, sigma, g1);
      CHECK_MESSAGE(mine.dtype() == d, "add_gaussian_noise changed the dtype");
      const Tensor want = models::corrupt(xd, {models::Corruption::Kind::gaussian, sigma}, g2);
      check_close(mine.to(DType::f64), want.to(DType::f64), d == DType::f64 ? 1e-14 : 1e-6,
                  std::string("x̃ against models::corrupt with the same seed (") + dtype_name(d) +
                      "; draw ε with one call, normal(x.shape(), 0, σ, x.dtype(), &g))");
    }
    CHECK_THROWS_MESSAGE(ex::add_gaussian_noise(x, -1.0, g), "σ = −1 is not a standard deviation: raise an error");
  }
}

TEST_CASE("ch06 exercise: the contractive penalty" * doctest::test_suite("exercise ch06")) {
  SUBCASE("by hand") {
    // W = (1, −2), b = 0: a = x₁ − 2 x₂. Rows x = (0, 0) and (1, 0.5) give a = 0, h = ½,
    // (h(1 − h))² = 1/16, Σ_i W_i² = 5: ‖J‖²_F = 5/16. Row (2, 0): a = 2.
    const Tensor x = vec({0, 0, 1, 0.5, 2, 0}, {3, 2}), W = vec({1, -2}, {1, 2}), b = vec({0}, {1});
    const double s2 = sigmoid1(2) * (1 - sigmoid1(2));
    const Tensor want = vec({5.0 / 16, 5.0 / 16, 5 * s2 * s2}, {3});
    const Var got = ex::contractive_penalty(Var(x), Var(W), Var(b));
    if (same(got, vec({5.0 / 4, 5.0 / 4, 5 * s2}, {3})))
      FAIL_CHECK("‖J‖²_F squares every entry h_j (1 − h_j) W_ji: square the slope h_j (1 − h_j) too");
    if (same(got, vec({1.0 / 16, 1.0 / 16, s2 * s2}, {3}))) FAIL_CHECK("the weights are missing: ∂h_j/∂x_i = h_j (1 − h_j) W_ji");
    check_close(got, want, 1e-14, "‖J‖²_F of the hand example (one number per example, [N])");
  }

  const int64_t N = 4, D = 6, K = 5;
  const Tensor x = rnd({N, D}, 10, 0, 1), W = rnd({K, D}, 11), b = rnd({K}, 12, -0.5, 0.5);

  SUBCASE("against the Jacobian built by autodiff") {
    // Row j of example n's Jacobian is ∂h_nj/∂x_n: the gradient of Σ_n h_nj with respect to x
    // (the examples do not interact, so its row n is example n's alone).
    Var xv(x, true);
    const Var h = sigmoid(linear(xv, Var(W), Var(b)));
    Tensor frob = zeros({N}, DType::f64);
    for (int64_t j = 0; j < K; ++j) {
      const Tensor gj = grad({sum(select(h, 1, j))}, {xv}, {}, false, true)[0].data();
      frob = frob + sum(square(gj), {1});
    }
    const Var got = ex::contractive_penalty(Var(x), Var(W), Var(b));
    const Tensor h0 = sigmoid(linear(Var(x), Var(W), Var(b))).data();
    if (same(got, sum(square(h0 * (1.0 - h0)), {1}) * sum(square(W)) / (double)K))
      FAIL_CHECK("Σ_i W_ji² belongs to unit j alone: one norm per row of W, not an average over W");
    check_close(got, frob, 1e-12, "‖J‖²_F against Σ_j ‖∂h_j/∂x‖² computed by autodiff");
  }

  SUBCASE("against models::contractive_penalty, inside an autoencoder") {
    models::Autoencoder ae = one_layer(D, K, 13);
    const Var& We = ae.encoder_linears()[0]->weight;
    const Var& be = ae.encoder_linears()[0]->bias;
    const Var mine = ex::contractive_penalty(Var(x), We, be);
    REQUIRE(mine.defined());
    REQUIRE_MESSAGE(mine.requires_grad(), "the penalty does not depend on W and b: build it from Var ops only, no .data()");
    const Var lib = models::contractive_penalty(ae.encode(Var(x)), We);
    CHECK_MESSAGE(mean(mine).item() == doctest::Approx(lib.item()).epsilon(1e-12),
                  "the batch mean of your penalty against models::contractive_penalty");
    // Its gradient for the encoder's weight and bias, as training uses it.
    const auto gm = grad({mean(mine)}, {We, be}, {}, false, false, true), gl = grad({lib}, {We, be}, {}, false, false, true);
    check_close(gm[0], gl[0].data(), 1e-10, "the penalty's gradient for the encoder weight");
    check_close(gm[1], gl[1].data(), 1e-10, "the penalty's gradient for the encoder bias");
    // And the training objective: λ times your penalty is what autoencoder_loss adds.
    const double lambda = 0.7;
    const models::AeTerms t = models::autoencoder_loss(ae, x, x, {.contractive = lambda});
    CHECK_MESSAGE(t.penalty == doctest::Approx(lambda * mean(mine).item()).epsilon(1e-12),
                  "λ · mean penalty against autoencoder_loss's penalty term");
  }

  SUBCASE("gradients, float32, saturated units") {
    auto r = gradcheck([](const std::vector<Var>& p) { return ex::contractive_penalty(p[0], p[1], p[2]); }, {x, W, b});
    CHECK_MESSAGE(r.ok, "the gradient of the penalty in x, W and b: " << r.report);
    const Var p32 = ex::contractive_penalty(Var(x.to(DType::f32)), Var(W.to(DType::f32)), Var(b.to(DType::f32)));
    REQUIRE(p32.defined());
    CHECK_MESSAGE(p32.dtype() == DType::f32, "float32 inputs should give a float32 penalty");
    check_close(p32.data().to(DType::f64), ex::contractive_penalty(Var(x), Var(W), Var(b)).data(), 1e-5, "the penalty in float32");
    // Pre-activations near ±1000: saturated units have slope 0, so the penalty is ~0 and finite
    // (σ'(a) computed as e^{−a} / (1 + e^{−a})² would give ∞/∞ = NaN at a = −1000).
    for (double bias : {1000.0, -1000.0}) {
      const Var sat = ex::contractive_penalty(Var(x), Var(W), Var(full({K}, bias, DType::f64)));
      REQUIRE(sat.defined());
      CHECK_MESSAGE(std::isfinite(sum(sat.data()).item()), "the penalty of units saturated at b = " << bias << " is not finite");
      CHECK_MESSAGE(max(sat.data()).item() < 1e-30, "saturated sigmoid units have no slope: their penalty is ~0");
    }
  }
}

TEST_CASE("ch06 exercise: the KL sparsity penalty" * doctest::test_suite("exercise ch06")) {
  SUBCASE("by hand") {
    // h = [[.1, .5], [.3, .5]], ρ = .2: ρ̂ = (.2, .5). Unit 1 is on target (KL 0);
    // unit 2: .2 log(.2/.5) + .8 log(.8/.5).
    const Tensor h = vec({0.1, 0.5, 0.3, 0.5}, {2, 2});
    const double rho = 0.2, kl2 = 0.2 * std::log(0.2 / 0.5) + 0.8 * std::log(0.8 / 0.5);
    const Var got = ex::kl_sparsity_penalty(Var(h), rho);
    REQUIRE(got.defined());
    if (got.dim() == 1) FAIL_CHECK("the penalty is one number, summed over the units: got " << shape_str(got.shape()));
    const double reversed = 0.5 * std::log(0.5 / 0.2) + 0.5 * std::log(0.5 / 0.8);
    if (same(got, vec({reversed}, {}))) FAIL_CHECK("that is KL(ρ̂ ‖ ρ): the penalty is KL(ρ ‖ ρ̂_j), ρ first");
    double per_activation = 0;  // (1/N) Σ_n Σ_j KL(ρ ‖ h_nj): a penalty on every activation, not on the mean
    for (double a : {0.1, 0.5, 0.3, 0.5}) per_activation += (rho * std::log(rho / a) + (1 - rho) * std::log((1 - rho) / (1 - a))) / 2;
    if (same(got, vec({per_activation}, {})) || same(got, vec({2 * per_activation}, {})))
      FAIL_CHECK("KL of each activation: the penalty is on each unit's mean ρ̂_j");
    check_close(got, vec({kl2}, {}), 1e-14, "Σ_j KL(ρ ‖ ρ̂_j) of the hand example");
    check_close(ex::kl_sparsity_penalty(Var(full({3, 4}, 0.05, DType::f64)), 0.05), vec({0}, {}), 1e-15,
                "the penalty when every unit's mean is ρ (must be 0)");
    CHECK_THROWS_MESSAGE(ex::kl_sparsity_penalty(Var(h), 0.0), "ρ = 0 is outside (0, 1): raise an error");
    CHECK_THROWS_MESSAGE(ex::kl_sparsity_penalty(Var(h), 1.0), "ρ = 1 is outside (0, 1): raise an error");
  }

  const int64_t N = 7, K = 5;
  const double rho = 0.1;
  const Tensor a = rnd({N, K}, 20, -3, 2);

  SUBCASE("against the library, and its gradient in closed form") {
    const Tensor h = sigmoid(a);
    const Var mine = ex::kl_sparsity_penalty(Var(h), rho);
    REQUIRE(mine.defined());
    check_close(mine, models::kl_sparsity_penalty(Var(h), rho).data(), 1e-12, "the penalty against models::kl_sparsity_penalty");
    CHECK_MESSAGE(mine.item() >= 0, "a KL divergence is never negative: check the signs");
    // ∂/∂h_nj = (1/N) (−ρ/ρ̂_j + (1 − ρ)/(1 − ρ̂_j)): the "sparsity term" of Ng's backpropagation.
    Var hv(h, true);
    const Var p = ex::kl_sparsity_penalty(hv, rho);
    REQUIRE_MESSAGE(p.requires_grad(), "the penalty does not depend on h: use Var ops only, no .data()");
    const Tensor rho_hat = mean(h, {0}, true);
    const Tensor want = reciprocal(1.0 - rho_hat) * (1.0 - rho) - reciprocal(rho_hat) * rho;
    check_close(grad({p}, {hv})[0], (want / (double)N).expand({N, K}).contiguous(), 1e-12,
                "∂penalty/∂h (must be (1/N)(−ρ/ρ̂_j + (1 − ρ)/(1 − ρ̂_j)))");
    auto r = gradcheck([&](const std::vector<Var>& v) { return ex::kl_sparsity_penalty(sigmoid(v[0]), rho); }, {a});
    CHECK_MESSAGE(r.ok, "the gradient of the penalty through a sigmoid: " << r.report);
  }

  SUBCASE("inside an autoencoder's objective") {
    models::Autoencoder ae = one_layer(6, K, 21);
    const Tensor x = rnd({N, 6}, 22, 0, 1);
    const double beta = 3.0;
    const models::AeTerms t = models::autoencoder_loss(ae, x, x, {.sparsity_weight = beta, .sparsity_target = rho});
    const Var mine = ex::kl_sparsity_penalty(ae.encode(Var(x)), rho);
    REQUIRE(mine.defined());
    CHECK_MESSAGE(t.penalty == doctest::Approx(beta * mine.item()).epsilon(1e-12),
                  "β · your penalty on the code against autoencoder_loss's penalty term");
  }
}
