// Chapter 08 grader. References: hand-computed values, log σ(l) computed
// directly at moderate logits, the penalty written out for critics whose
// gradient is known in closed form, finite differences (gradcheck, float64;
// for the penalty with respect to the critic's weights, i.e. through the
// double backward), and the library (models/ch08: discriminator_loss,
// generator_loss, gradient_penalty, MinibatchStddev, a GanDiscriminator as
// critic), whose values and weight gradients yours must reproduce.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autodiff/gradcheck.h"
#include "exercises/ch08/exercises.h"
#include "exercises/grader_check.h"
#include "models/ch08/gan_losses.h"
#include "models/ch08/gan_nets.h"
#include "models/ch08/gan_tricks.h"

using namespace latent;
namespace ex = latent::exercises::ch08;
using models::GanLoss;

namespace {

Tensor rnd(const Shape& s, uint64_t seed, double lo = -1.5, double hi = 1.5) {
  Generator g(seed);
  return uniform(s, lo, hi, DType::f64, &g);
}
Tensor vec(const std::vector<double>& v) { return from_vector(v, {(int64_t)v.size()}, DType::f64); }
Tensor one_number(double v) { return full({}, v, DType::f64); }
double sig(double x) { return 1 / (1 + std::exp(-x)); }

using latent::exercises::check_close;  // exercises/grader_check.h
void check_close(const Var& got, const Tensor& want, double tol, const std::string& what) {
  REQUIRE_MESSAGE(got.defined(), what << " was not set");
  check_close(got.data().to(DType::f64), want.to(DType::f64), tol, what);
}
bool same(const Var& got, const Tensor& other, double tol = 1e-9) {
  return got.defined() && got.shape() == other.shape() &&
         max(abs(got.data().to(DType::f64) - other.to(DType::f64))).item() < tol;
}
bool all_finite(const Tensor& t) {
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}
// A loss is one number: a 0-d Var.
void require_scalar(const Var& v, const std::string& what) {
  REQUIRE_MESSAGE(v.defined(), what << " returned nothing");
  REQUIRE_MESSAGE(v.dim() == 0, what << " has shape " << shape_str(v.shape())
                                     << ": a loss is one number, the mean over the batch (0-d)");
}

// d out / d inputs as plain tensors (zeros where out does not depend on an input).
std::vector<Tensor> grads_of(const Var& out, const std::vector<Var>& inputs) {
  std::vector<Tensor> g;
  for (const Var& v : grad({out}, inputs, {}, false, false, /*allow_unused=*/true)) g.push_back(v.data());
  return g;
}

// A small smooth critic whose weights are gradcheck's inputs: x [N,3] → tanh(x W1ᵀ + b1) w2ᵀ, [N,1].
Var tiny_critic(const Var& x, const std::vector<Var>& p) { return linear(tanh(linear(x, p[0], p[1])), p[2], Var()); }

// The penalty for the critic D(x) = ½‖x_i‖² (row by row), whose gradient is x̂_i itself:
// GP = mean_i (‖x̂_i‖ − 1)², x̂ = ε x + (1 − ε) x̃, written out element by element.
double quadratic_penalty(const Tensor& real, const Tensor& fake, const Tensor& eps, bool swap_eps = false) {
  const int64_t n = real.size(0), d = real.size(1);
  double gp = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double e = swap_eps ? 1 - eps.at({i}) : eps.at({i});
    double s = 0;
    for (int64_t j = 0; j < d; ++j) {
      const double x = e * real.at({i, j}) + (1 - e) * fake.at({i, j});
      s += x * x;
    }
    gp += (std::sqrt(s) - 1) * (std::sqrt(s) - 1) / (double)n;
  }
  return gp;
}
Var half_square_critic(const Var& x) { return sum(square(x), {1}, /*keepdim=*/true) * 0.5; }

// A float64 DCGAN critic without batch norm (Gulrajani et al. §4: a penalty needs D(x̂_i) to
// depend on x̂_i alone), narrow so that the test stays fast.
models::GanNetConfig small_critic_config(uint64_t seed) {
  models::GanNetConfig c;
  c.arch = models::GanArch::dcgan;
  c.latent.noise = 4;
  c.g_width = 2, c.d_width = 3;
  c.d_batch_norm = false;
  c.dtype = DType::f64;
  c.seed = seed;
  return c;
}

}  // namespace

TEST_CASE("ch08 exercise: discriminator_loss" * doctest::test_suite("exercise ch08")) {
  // By hand: every logit 0 (D = ½ everywhere): −log ½ for the real term, −log ½ for the fake one.
  {
    const Var l = ex::discriminator_loss(Var(vec({0, 0})), Var(vec({0, 0, 0})));
    require_scalar(l, "discriminator_loss");
    if (same(l, one_number(-2 * std::log(2.0))))
      FAIL_CHECK("the loss has the wrong sign: D minimises −E log σ(l_real) − E log(1 − σ(l_fake)) ≥ 0");
    if (same(l, one_number(std::log(2.0))))
      FAIL_CHECK("the two terms are averaged together: average each over its own batch, then add them");
    check_close(l, one_number(2 * std::log(2.0)), 1e-14, "L_D with every logit 0 (must be 2 log 2)");
  }

  // Against log σ computed directly, at moderate logits, with batches of different sizes.
  const Tensor r = rnd({5}, 1, -6, 6), f = rnd({3}, 2, -6, 6);
  for (double t : {1.0, 0.9}) {
    CAPTURE(t);
    double want = 0;
    for (double v : r.to_vector()) want += -(t * std::log(sig(v)) + (1 - t) * std::log(1 - sig(v))) / 5;
    for (double v : f.to_vector()) want += -std::log(1 - sig(v)) / 3;
    const Var got = ex::discriminator_loss(Var(r), Var(f), t);
    require_scalar(got, "discriminator_loss");
    if (same(got, models::discriminator_loss(GanLoss::non_saturating, Var(f), Var(r), t).data()))
      FAIL_CHECK("real and fake are swapped: D pushes real logits up (−log σ(l)) and fake logits down "
                 "(−log(1 − σ(l)))");
    if (t != 1.0) {
      double two_sided = 0;
      for (double v : r.to_vector()) two_sided += -(t * std::log(sig(v)) + (1 - t) * std::log(1 - sig(v))) / 5;
      for (double v : f.to_vector()) two_sided += -((1 - t) * std::log(sig(v)) + t * std::log(1 - sig(v))) / 3;
      if (same(got, one_number(two_sided)))
        FAIL_CHECK("label smoothing is one-sided: only the real target becomes t, the fake target stays 0 "
                   "(Salimans et al. §3.4)");
    }
    check_close(got, one_number(want), 1e-12, "L_D against −t log σ(l) − (1 − t) log(1 − σ(l)) − log(1 − σ(l'))");
    check_close(got, models::discriminator_loss(GanLoss::non_saturating, Var(r), Var(f), t).data(), 1e-12,
                "L_D against models::discriminator_loss(non_saturating)");
  }

  // Logits where σ rounds to exactly 0 or 1: every value stays finite and exact.
  //   real ±100/±1000 on the right side cost softplus(−100) ≈ 4e-44, i.e. 0;
  //   on the wrong side they cost |l| each: mean(100, 1000) + mean(100, 1000) = 1100.
  {
    const Var good = ex::discriminator_loss(Var(vec({100, 1000})), Var(vec({-100, -1000})));
    require_scalar(good, "discriminator_loss");
    CHECK_MESSAGE(all_finite(good.data()), "L_D at logits ±100, ±1000 is " << good.item()
                                               << ": never take log σ(l); use log σ(l) = −softplus(−l)");
    check_close(good, one_number(0), 1e-12, "L_D when D is right with logits ±100, ±1000");
    check_close(ex::discriminator_loss(Var(vec({-100, -1000})), Var(vec({100, 1000}))), one_number(1100), 1e-12,
                "L_D when D is wrong with logits ±100, ±1000 (must be 550 + 550)");
    // With t = 0.9, a very confident real logit costs (1 − t)·l: 0.1 · mean(100, 1000) = 55.
    check_close(ex::discriminator_loss(Var(vec({100, 1000})), Var(vec({-100, -1000})), 0.9), one_number(55), 1e-12,
                "L_D with t = 0.9 at real logits 100, 1000 (must be 0.1 · 550 = 55)");
    const Var f32 = ex::discriminator_loss(Var(vec({100, -100}).to(DType::f32)), Var(vec({100, -100}).to(DType::f32)));
    REQUIRE(f32.defined());
    CHECK_MESSAGE(f32.dtype() == DType::f32, "float32 logits should give a float32 loss");
    CHECK_MESSAGE(all_finite(f32.data()), "L_D in float32 at logits ±100 is " << f32.item());
    check_close(f32, one_number(100), 1e-6, "L_D in float32 at logits ±100 (must be 50 + 50)");
  }

  // Gradients: ∂L/∂l_real,i = (σ(l_i) − t)/N, ∂L/∂l_fake,j = σ(l_j)/M; finite at ±1000 too.
  {
    Var rv(vec({-1000, -2, 0.5, 1000}), true), fv(vec({-1000, 3, 1000}), true);
    const Var l = ex::discriminator_loss(rv, fv, 0.9);
    require_scalar(l, "discriminator_loss");
    REQUIRE_MESSAGE(l.requires_grad(), "L_D does not depend on the logits: use Var ops only, no .data()");
    const std::vector<Tensor> g = grads_of(l, {rv, fv});
    check_close(g[0], (sigmoid(rv.data()) - 0.9) / 4.0, 1e-12, "∂L_D/∂l_real (must be (σ(l) − t)/N)");
    check_close(g[1], sigmoid(fv.data()) / 3.0, 1e-12, "∂L_D/∂l_fake (must be σ(l)/M)");
  }
  auto r1 = gradcheck([](const std::vector<Var>& p) { return ex::discriminator_loss(p[0], p[1], 0.9); },
                      {rnd({4}, 3, -5, 5), rnd({6}, 4, -5, 5)});
  CHECK_MESSAGE(r1.ok, "the gradient of L_D: " << r1.report);
}

TEST_CASE("ch08 exercise: generator_loss" * doctest::test_suite("exercise ch08")) {
  {
    const Var l = ex::generator_loss(Var(vec({0, 0})));
    require_scalar(l, "generator_loss");
    if (same(l, one_number(-std::log(2.0))))
      FAIL_CHECK("that is the minimax loss E[log(1 − σ(l))]; the non-saturating one is −E[log σ(l)]");
    check_close(l, one_number(std::log(2.0)), 1e-14, "L_G with logits 0 (must be log 2)");
  }
  const Tensor f = rnd({7}, 5, -6, 6);
  double want = 0;
  for (double v : f.to_vector()) want += -std::log(sig(v)) / 7;
  check_close(ex::generator_loss(Var(f)), one_number(want), 1e-12, "L_G against −mean log σ(l)");
  check_close(ex::generator_loss(Var(f)), models::generator_loss(GanLoss::non_saturating, Var(f)).data(), 1e-12,
              "L_G against models::generator_loss(non_saturating)");

  // Extreme logits: D rejects the fakes (l = −100, −1000: G pays 100, 1000) or is fooled (≈ 0).
  {
    const Var l = ex::generator_loss(Var(vec({-100, -1000, 100, 1000})));
    require_scalar(l, "generator_loss");
    CHECK_MESSAGE(all_finite(l.data()), "L_G at logits ±100, ±1000 is " << l.item()
                                            << ": use −log σ(l) = softplus(−l)");
    check_close(l, one_number(1100.0 / 4), 1e-12, "L_G at logits −100, −1000, 100, 1000 (must be 275)");
  }
  // The reason for this loss: where D confidently rejects a fake (l = −100), its gradient is
  // −(1 − σ(l))/M ≈ −1/M, full strength; the minimax loss's −σ(l)/M would be e^−100 ≈ 0.
  {
    Var fv(vec({-100, -3, 0, 4}), true);
    const Var l = ex::generator_loss(fv);
    require_scalar(l, "generator_loss");
    REQUIRE_MESSAGE(l.requires_grad(), "L_G does not depend on the logits: use Var ops only, no .data()");
    const Tensor g = grads_of(l, {fv})[0];
    if (std::abs(g.at({0})) < 1e-10)
      FAIL_CHECK("L_G's gradient at l = −100 is " << g.at({0}) << ": the loss saturates (that is the minimax one)");
    check_close(g, (sigmoid(fv.data()) - 1.0) / 4.0, 1e-12, "∂L_G/∂l (must be −(1 − σ(l))/M)");
  }
  auto r = gradcheck([](const std::vector<Var>& p) { return ex::generator_loss(p[0]); }, {rnd({5}, 6, -5, 5)});
  CHECK_MESSAGE(r.ok, "the gradient of L_G: " << r.report);
}

TEST_CASE("ch08 exercise: gradient_penalty" * doctest::test_suite("exercise ch08")) {
  // Tolerances of 1e-7 leave room for a different tiny constant inside the √ (1e-12, 1e-8, ...).
  // D(x) = ½‖x_i‖² per row has ∇D(x̂_i) = x̂_i: GP = mean (‖x̂_i‖ − 1)². N = D = 3, so a [N] ε
  // broadcast along the last axis is caught.
  {
    const Tensor real = rnd({3, 3}, 10), fake = rnd({3, 3}, 11, 1, 3), eps = vec({0.1, 0.5, 0.8});
    const Var gp = ex::gradient_penalty(half_square_critic, real, fake, eps);
    require_scalar(gp, "gradient_penalty");
    const Tensor e_last = eps.reshape({1, 3});  // the mistake: ε_j multiplying column j
    const Var wrong = models::gradient_penalty(half_square_critic, e_last * real + (1.0 - e_last) * fake);
    if (same(gp, wrong.data())) FAIL_CHECK("ε [N] was broadcast along the last axis: reshape it to [N, 1, ...]");
    if (same(gp, one_number(quadratic_penalty(real, fake, eps, /*swap_eps=*/true))))
      FAIL_CHECK("ε and 1 − ε are swapped: x̂ = ε x_real + (1 − ε) x_fake");
    check_close(gp, one_number(quadratic_penalty(real, fake, eps)), 1e-7,
                "GP of the critic ½‖x‖² (whose gradient is x̂ itself)");
    // ε = 1: the penalty sits on the real data; ε = 0: on the fakes.
    check_close(ex::gradient_penalty(half_square_critic, real, fake, vec({1, 1, 1})),
                one_number(quadratic_penalty(real, real, vec({1, 1, 1}))), 1e-7, "GP with ε = 1 (at the real points)");
    check_close(ex::gradient_penalty(half_square_critic, real, fake, vec({0, 0, 0})),
                one_number(quadratic_penalty(fake, fake, vec({0, 0, 0}))), 1e-7, "GP with ε = 0 (at the fakes)");
  }

  // A linear critic D(x) = x·w has ∇D = w at every point: GP = (‖w‖ − 1)² = (5 − 1)² = 16.
  {
    const Tensor w = from_vector({3.0, 4.0}, {1, 2}, DType::f64);
    const Var gp = ex::gradient_penalty([&](const Var& x) { return linear(x, Var(w), Var()); }, rnd({4, 2}, 7),
                                        rnd({4, 2}, 8), rnd({4}, 9, 0, 1));
    require_scalar(gp, "gradient_penalty");
    if (same(gp, one_number(0.0625)))
      FAIL_CHECK("the gradient is of the batch mean of D, which divides each ∇D(x̂_i) by N: differentiate the sum");
    check_close(gp, one_number(16), 1e-7, "GP of the linear critic x·(3, 4) (must be (5 − 1)² = 16)");
  }

  // A smooth critic with weights θ: the value against the library, and dGP/dθ through the double
  // backward, against the library and against finite differences.
  const Tensor x = rnd({4, 3}, 12, -2, 2), xf = rnd({4, 3}, 13, -2, 2), e = rnd({4}, 14, 0, 1);
  const std::vector<Tensor> theta = {rnd({5, 3}, 15), rnd({5}, 16), rnd({1, 5}, 17)};
  {
    std::vector<Var> p;
    for (const Tensor& t : theta) p.emplace_back(t, true);
    auto critic = [&](const Var& v) { return tiny_critic(v, p); };
    const Var gp = ex::gradient_penalty(critic, x, xf, e);
    require_scalar(gp, "gradient_penalty");
    const Tensor ec = e.reshape({4, 1});
    const Var lib = models::gradient_penalty(critic, ec * x + (1.0 - ec) * xf);
    check_close(gp, lib.data(), 1e-7, "GP against models::gradient_penalty");
    REQUIRE_MESSAGE(gp.requires_grad(),
                    "the penalty does not depend on the critic's weights: compute ∇_x̂ D with "
                    "grad(..., create_graph = true), so that the gradient has a graph of its own");
    const std::vector<Tensor> got = grads_of(gp, p), want = grads_of(lib, p);
    const char* names[] = {"W1", "b1", "w2"};
    for (size_t i = 0; i < got.size(); ++i)
      check_close(got[i], want[i], 1e-7, std::string("dGP/d") + names[i] + " against the library");
  }
  auto r = gradcheck(
      [&](const std::vector<Var>& p) {
        return ex::gradient_penalty([&](const Var& v) { return tiny_critic(v, p); }, x, xf, e);
      },
      theta);
  CHECK_MESSAGE(r.ok, "the penalty's gradient with respect to the critic's weights (the double backward): " << r.report);

  // Images through a real critic: models/ch08's DCGAN discriminator (no batch norm), float64.
  // The norm runs over every axis but the first, and every weight gets the library's gradient.
  {
    models::GanDiscriminator D(small_critic_config(21));
    const Tensor real = rnd({3, 1, 28, 28}, 22, -1, 1), fake = rnd({3, 1, 28, 28}, 23, -1, 1), eps = vec({0.2, 0.6, 0.9});
    auto critic = [&](const Var& v) { return D.run(v).score; };
    const Var gp = ex::gradient_penalty(critic, real, fake, eps);
    require_scalar(gp, "gradient_penalty on images");
    const Tensor ec = eps.reshape({3, 1, 1, 1});
    const Var lib = models::gradient_penalty(critic, ec * real + (1.0 - ec) * fake);
    check_close(gp, lib.data(), 1e-7, "GP of a DCGAN critic on [3,1,28,28] images against the library");
    REQUIRE_MESSAGE(gp.requires_grad(), "the penalty does not depend on the critic's weights: use create_graph = true");
    const auto params = D.parameters();
    const auto named = D.named_parameters();
    const std::vector<Tensor> got = grads_of(gp, params), want = grads_of(lib, params);
    for (size_t i = 0; i < got.size(); ++i)
      check_close(got[i], want[i], 1e-7, "dGP/d(" + named[i].first + ") of the DCGAN critic");
  }

  // A critic that is flat at the points (a dead ReLU region, here a zero weight): ‖∇D‖ = 0,
  // GP = 1, and the penalty's gradient must still be finite (√ has no derivative at 0).
  {
    Var w(zeros({1, 2}, DType::f64), true);
    const Var gp = ex::gradient_penalty([&](const Var& v) { return linear(v, w, Var()); }, rnd({3, 2}, 24),
                                        rnd({3, 2}, 25), rnd({3}, 26, 0, 1));
    require_scalar(gp, "gradient_penalty");
    check_close(gp, one_number(1), 1e-3, "GP of a critic with zero gradient (must be (0 − 1)² = 1)");
    REQUIRE(gp.requires_grad());
    const Tensor g = grads_of(gp, {w})[0];
    CHECK_MESSAGE(all_finite(g), "where ∇D = 0 the penalty's gradient is " << shape_str(g.shape()) << " "
                                     << g.to_vector()[0] << ", ...: √ has no derivative at 0; use √(Σ g² + 1e-12)");
  }
}

TEST_CASE("ch08 exercise: minibatch_stddev" * doctest::test_suite("exercise ch08")) {
  // By hand, [2, 2]: feature 0 takes 0 and 2 (biased std 1), feature 1 takes 1 and 5 (std 2):
  // s̄ = 1.5, appended to both rows.
  {
    const Tensor x = from_vector({0, 1, 2, 5}, {2, 2}, DType::f64);
    const Var y = ex::minibatch_stddev(Var(x), 0.0);
    REQUIRE_MESSAGE(y.defined(), "minibatch_stddev returned nothing");
    REQUIRE_MESSAGE(y.shape() == Shape({2, 3}), "minibatch_stddev of [2,2] has shape " << shape_str(y.shape())
                                                                                       << ", expected [2,3]");
    if (same(y, from_vector({0, 1, 1.5 * std::sqrt(2.0), 2, 5, 1.5 * std::sqrt(2.0)}, {2, 3}, DType::f64)))
      FAIL_CHECK("the variance is unbiased (÷(N − 1)); Karras et al. use the biased one (÷N)");
    if (same(y, from_vector({0, 1, 0.5, 2, 5, 1.5}, {2, 3}, DType::f64)))
      FAIL_CHECK("the std is taken over each example's features; it belongs over the batch (axis 0)");
    check_close(y, from_vector({0, 1, 1.5, 2, 5, 1.5}, {2, 3}, DType::f64), 1e-14,
                "minibatch_stddev of [[0, 1], [2, 5]] (must append 1.5 to each row)");
  }

  // Feature maps [N, C, H, W] -> [N, C+1, H, W], against the library; x unchanged, the new map constant.
  {
    const Tensor x = rnd({4, 3, 2, 5}, 30);
    const Var y = ex::minibatch_stddev(Var(x));
    REQUIRE(y.defined());
    REQUIRE_MESSAGE(y.shape() == Shape({4, 4, 2, 5}), "minibatch_stddev of [4,3,2,5] has shape "
                                                          << shape_str(y.shape()) << ", expected [4,4,2,5]");
    check_close(y.data().slice(1, 0, 3), x, 0, "the first C channels (must be x unchanged)");
    check_close(y, models::MinibatchStddev()(Var(x)).data(), 1e-12, "minibatch_stddev against models::MinibatchStddev");
    const Tensor m = y.data().slice(1, 3, 4);
    CHECK_MESSAGE(max(m).item() - min(m).item() < 1e-14, "the new channel must hold one number everywhere");
    const Tensor v = rnd({6, 7}, 31);
    check_close(ex::minibatch_stddev(Var(v)), models::MinibatchStddev()(Var(v)).data(), 1e-12,
                "minibatch_stddev of features [6,7] against the library");
  }

  // The gradient flows through s̄ into every example: against the library and finite differences.
  {
    const Tensor x = rnd({3, 2, 2, 2}, 32), w = rnd({3, 3, 2, 2}, 33);
    Var xv(x, true), xl(x, true);
    const Var y = ex::minibatch_stddev(xv);
    REQUIRE(y.defined());
    REQUIRE_MESSAGE(y.requires_grad(), "the output does not depend on x: use Var ops only, no .data()");
    const Tensor got = grads_of(sum(y * Var(w)), {xv})[0];
    const Tensor want = grads_of(sum(models::MinibatchStddev()(xl) * Var(w)), {xl})[0];
    check_close(got, want, 1e-10, "d(Σ w·y)/dx against the library (s̄ depends on every example)");
  }
  auto r = gradcheck([](const std::vector<Var>& p) { return ex::minibatch_stddev(p[0]); }, {rnd({3, 2, 2, 2}, 34)});
  CHECK_MESSAGE(r.ok, "the gradient of minibatch_stddev on [3,2,2,2]: " << r.report);
  auto r2 = gradcheck([](const std::vector<Var>& p) { return ex::minibatch_stddev(p[0]); }, {rnd({4, 3}, 35)});
  CHECK_MESSAGE(r2.ok, "the gradient of minibatch_stddev on [4,3]: " << r2.report);

  // A batch of identical examples (a collapsed generator): s̄ = √eps, and the gradient is finite.
  {
    const Tensor row = rnd({1, 2, 3, 3}, 36);
    Var xv(row.expand({4, 2, 3, 3}).contiguous(), true);
    const Var y = ex::minibatch_stddev(xv);
    REQUIRE(y.defined());
    check_close(y.data().slice(1, 2, 3), full({4, 1, 3, 3}, 1e-4, DType::f64), 1e-12,
                "s̄ of identical examples (must be √eps = 1e-4)");
    const Tensor g = grads_of(sum(y), {xv})[0];
    CHECK_MESSAGE(all_finite(g), "for identical examples the gradient is not finite: √ has no derivative at 0, "
                                 "keep eps inside the √");
  }
}
