// Chapter 08 tests: the seven GAN losses against hand computations, the
// gradient penalty's double backward and every new layer against finite
// differences (float64), the optimal discriminator on a 1-d toy, the ring's
// mode-coverage metric, and bad configurations. The nets, the trainer and
// the latent helpers are tested in test_ch08_nets.cpp.
#include <cmath>
#include <filesystem>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/gan_latent.h"
#include "models/ch08/gan_train.h"
#include "models/ch08/progressive.h"
#include "models/ch08/ring_toy.h"
#include "nn/image.h"
#include "nn/optim.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;
using latent::test::small_dcgan;

namespace {

double sig(double x) { return 1 / (1 + std::exp(-x)); }

Var vec(const std::vector<double>& v) { return Var(from_vector(v, {(int64_t)v.size(), 1}, DType::f64)); }

// A small smooth critic whose weights are gradcheck's inputs: x [N,3] → tanh(x W1ᵀ + b1) w2ᵀ.
Var tiny_critic(const Var& x, const std::vector<Var>& p) { return linear(tanh(linear(x, p[0], p[1])), p[2], Var()); }

}  // namespace

// ---------------------------------------------------------------- losses

TEST_CASE("ch08: each loss of Lucic et al.'s table matches a hand computation on tiny inputs") {
  const std::vector<double> r = {0.5, -1.0}, f = {2.0, 0.3};
  const Var R = vec(r), F = vec(f);
  auto m2 = [](double a, double b) { return (a + b) / 2; };
  // −E log σ(r) − E log(1 − σ(f))
  const double bce = m2(-std::log(sig(r[0])), -std::log(sig(r[1]))) + m2(-std::log(1 - sig(f[0])), -std::log(1 - sig(f[1])));
  struct Row {
    GanLoss loss;
    double d, g;
  };
  const double k = 0.3;
  for (const Row& row : {
           Row{GanLoss::minimax, bce, m2(std::log(1 - sig(f[0])), std::log(1 - sig(f[1])))},
           Row{GanLoss::non_saturating, bce, m2(-std::log(sig(f[0])), -std::log(sig(f[1])))},
           Row{GanLoss::least_squares, m2((r[0] - 1) * (r[0] - 1), (r[1] - 1) * (r[1] - 1)) + m2(f[0] * f[0], f[1] * f[1]),
               m2((f[0] - 1) * (f[0] - 1), (f[1] - 1) * (f[1] - 1))},
           Row{GanLoss::wasserstein, m2(f[0], f[1]) - m2(r[0], r[1]), -m2(f[0], f[1])},
           Row{GanLoss::wgan_gp, m2(f[0], f[1]) - m2(r[0], r[1]), -m2(f[0], f[1])},
           Row{GanLoss::dragan, bce, m2(-std::log(sig(f[0])), -std::log(sig(f[1])))},
           Row{GanLoss::began, m2(r[0], r[1]) - k * m2(f[0], f[1]), m2(f[0], f[1])}}) {
    CAPTURE(gan_loss_name(row.loss));
    CHECK(discriminator_loss(row.loss, R, F, 1.0, k).item() == doctest::Approx(row.d).epsilon(1e-12));
    CHECK(generator_loss(row.loss, F).item() == doctest::Approx(row.g).epsilon(1e-12));
    CHECK(gan_loss_from_name(gan_loss_name(row.loss)) == row.loss);
    // ... and their gradients in D's outputs (what flows back into D and, through D, into G).
    CHECK_GRAD([&](const std::vector<Var>& v) { return discriminator_loss(row.loss, v[0], v[1], 1.0, k); },
               {R.data().clone(), F.data().clone()});
    CHECK_GRAD([&](const std::vector<Var>& v) { return generator_loss(row.loss, v[0]); }, {F.data().clone()});
  }
  // One-sided label smoothing: the real target becomes 0.9, the fake one stays 0.
  const double t = 0.9;
  double smooth = 0;
  for (int i = 0; i < 2; ++i)
    smooth += 0.5 * (-t * std::log(sig(r[i])) - (1 - t) * std::log(1 - sig(r[i])) - std::log(1 - sig(f[i])));
  CHECK(discriminator_loss(GanLoss::non_saturating, R, F, t).item() == doctest::Approx(smooth).epsilon(1e-12));
  CHECK(discriminator_loss(GanLoss::least_squares, R, F, t).item() ==
        doctest::Approx(m2((r[0] - t) * (r[0] - t), (r[1] - t) * (r[1] - t)) + m2(f[0] * f[0], f[1] * f[1])));
  // Finite where the naive log(σ) would give log 0.
  CHECK(std::isfinite(discriminator_loss(GanLoss::minimax, vec({-800}), vec({800})).item()));
  CHECK(discriminator_loss(GanLoss::minimax, vec({-800}), vec({800})).item() == doctest::Approx(1600));
}

TEST_CASE("ch08: the BEGAN balance k_t and M_global follow Berthelot et al.'s eqs. 4 and 5") {
  BeganBalance b{0.2, 0.5, 0.01};
  b.update(0.3, 0.1);  // k + λ(γ L(x) − L(x̂)) = 0.2 + 0.01 (0.15 − 0.1)
  CHECK(b.k == doctest::Approx(0.2005));
  CHECK(b.convergence(0.3, 0.1) == doctest::Approx(0.3 + 0.05));
  BeganBalance lo{0.0, 0.5, 1.0}, hi{0.9, 0.5, 1.0};
  lo.update(0.1, 2.0), hi.update(4.0, 0.0);
  CHECK(lo.k == 0.0);  // clipped into [0, 1]
  CHECK(hi.k == 1.0);
  const Var x(from_vector({1, 2, 3, 4}, {2, 2}, DType::f64)), y(from_vector({1, 0, 3, 5}, {2, 2}, DType::f64));
  check_close(began_reconstruction_error(x, y).data(), from_vector({1.0, 0.5}, {2}, DType::f64));
}

TEST_CASE("ch08: the gradient penalty: exact for a linear critic, and its double backward matches finite differences") {
  // D(x) = w·x has ∇D = w everywhere, so the penalty is (‖w‖ − 1)².
  const Tensor w = from_vector({3.0, 4.0}, {1, 2}, DType::f64);
  const Tensor pts = test::rand64({5, 2}, 3);
  CHECK(gradient_penalty([&](const Var& x) { return linear(x, Var(w), Var()); }, pts).item() == doctest::Approx(16.0));
  // d/dθ of E(‖∇_x D_θ(x)‖ − 1)²: backward through a graph that itself came from backward.
  const Tensor x = test::rand64({4, 3}, 4, -2, 2);
  CHECK_GRAD([&](const std::vector<Var>& p) { return gradient_penalty([&](const Var& v) { return tiny_critic(v, p); }, x); },
             {test::rand64({5, 3}, 5), test::rand64({5}, 6), test::rand64({1, 5}, 7)});
  // The value equals the definition written out with grad() and norm().
  const std::vector<Tensor> p = {test::rand64({5, 3}, 5), test::rand64({5}, 6), test::rand64({1, 5}, 7)};
  const std::vector<Var> pv = {Var(p[0]), Var(p[1]), Var(p[2])};
  Var xv(x, true);
  const Var g = grad({sum(tiny_critic(xv, pv))}, {xv}, {}, true)[0];
  CHECK(gradient_penalty([&](const Var& v) { return tiny_critic(v, pv); }, x).item() ==
        doctest::Approx(mean(square(norm(g, {1}) - 1.0)).item()).epsilon(1e-9));
}

TEST_CASE("ch08: WGAN-GP's points lie between real and fake; DRAGAN's around the data") {
  Generator g(3);
  const Tensor real = test::rand64({200, 2}, 1), fake = test::rand64({200, 2}, 2, 3, 4);
  const Tensor p = wgan_gp_points(real, fake, g);
  for (int64_t i = 0; i < 200; ++i) {
    const double t0 = (p.at({i, 0}) - fake.at({i, 0})) / (real.at({i, 0}) - fake.at({i, 0}));
    const double t1 = (p.at({i, 1}) - fake.at({i, 1})) / (real.at({i, 1}) - fake.at({i, 1}));
    CHECK(t0 == doctest::Approx(t1).epsilon(1e-9));  // one ε per example
    CHECK((t0 >= 0 && t0 <= 1));
  }
  const Tensor d = dragan_points(real, g, 0.5) - real;
  const double s = std::sqrt(var(real).item());
  CHECK(std::sqrt(var(d).item()) == doctest::Approx(0.5 * s).epsilon(0.1));
  check_error([&] { wgan_gp_points(real, fake.slice(0, 0, 10), g); }, {"wgan_gp_points", "[200,2]", "[10,2]"});
}

TEST_CASE("ch08: the optimal discriminator is p_data / (p_data + p_g) (Goodfellow et al. prop. 1)") {
  // p_data = N(0, 1), p_g = N(1, 0.5²): log p_data − log p_g = 1.5x² − 4x + 2 − log 2 is quadratic,
  // so D(x) = σ(a x + b x² + c) can be optimal; train it on the discriminator loss.
  Generator g(5);
  const int64_t n = 10000;
  const Tensor xr = normal({n, 1}, 0, 1, DType::f64, &g), xf = normal({n, 1}, 1, 0.5, DType::f64, &g);
  auto feats = [](const Tensor& x) {
    Tensor f({x.size(0), 2}, DType::f64);
    f.slice(1, 0, 1).copy_(x);
    f.slice(1, 1, 2).copy_(x * x);
    return f;
  };
  Var w(zeros({1, 2}, DType::f64), true), b(zeros({1}, DType::f64), true);
  nn::Adam opt({w, b}, 0.05);
  const Tensor fr = feats(xr), ff = feats(xf);
  for (int s = 0; s < 400; ++s) {
    opt.zero_grad();
    discriminator_loss(GanLoss::minimax, linear(Var(fr), w, b), linear(Var(ff), w, b)).backward();
    opt.step();
  }
  for (double x : {-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0}) {
    CAPTURE(x);
    const double pd = std::exp(-x * x / 2), pg = 2 * std::exp(-2 * (x - 1) * (x - 1));  // common factor 1/√2π dropped
    const double d = sig(w.data().at({0, 0}) * x + w.data().at({0, 1}) * x * x + b.data().at({0}));
    CHECK(std::abs(d - pd / (pd + pg)) < 0.03);
  }
}

// ---------------------------------------------------------------- layers (float64 gradient checks)

TEST_CASE("ch08: pixel norm, minibatch stddev and minibatch discrimination match finite differences") {
  PixelNorm pn;
  CHECK_GRAD([&](const std::vector<Var>& v) { return pn(v[0]); }, {test::rand64({2, 3, 2, 2}, 1)});
  {  // unit mean square over the channels at every pixel
    NoGradGuard ng;
    const Tensor y = pn(Var(test::rand64({2, 3, 2, 2}, 1))).data();
    check_close(mean(square(y), {1}), ones({2, 2, 2}, DType::f64), 1e-6);
  }
  MinibatchStddev sd;
  CHECK_GRAD([&](const std::vector<Var>& v) { return sd(v[0]); }, {test::rand64({3, 2, 2, 2}, 2)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return sd(v[0]); }, {test::rand64({4, 3}, 3)});
  {
    const Tensor x = from_vector({0, 0, 2, 4}, {2, 2}, DType::f64);  // per-feature σ: 1 and 2 -> mean 1.5
    NoGradGuard ng;
    check_close(sd(Var(x)).data(), from_vector({0, 0, 1.5, 2, 4, 1.5}, {2, 3}, DType::f64), 1e-6);
  }
  Generator g(4);
  MinibatchDiscrimination mbd(3, 2, 4, DType::f64, &g);
  const Tensor T0 = mbd.T.data().clone();
  CHECK_GRAD([&](const std::vector<Var>& v) { mbd.T = v[1]; return mbd(v[0]); }, {test::rand64({4, 3}, 5), T0});
  {  // identical examples: every o_b = N − 1 (each is at distance 0 from the other N − 1)
    mbd.T = Var(T0);
    NoGradGuard ng;
    const Tensor same = test::rand64({1, 3}, 6).expand({3, 3}).contiguous();
    check_close(mbd(Var(same)).data().slice(1, 3, 5), full({3, 2}, 2.0, DType::f64), 1e-12);
  }
}

TEST_CASE("ch08: equalised-learning-rate layers scale by sqrt(2/fan_in) and match finite differences") {
  Generator g(7);
  EqualizedLinear lin(3, 2, true, std::sqrt(2.0), DType::f64, &g);
  CHECK(lin.scale == doctest::Approx(std::sqrt(2.0 / 3)));
  CHECK_GRAD([&](const std::vector<Var>& v) { lin.weight = v[1], lin.bias = v[2]; return lin(v[0]); },
             {test::rand64({2, 3}, 1), lin.weight.data().clone(), test::rand64({2}, 2)});
  EqualizedConv2d conv(2, 3, 3, 1, 1, true, std::sqrt(2.0), DType::f64, &g);
  CHECK(conv.scale == doctest::Approx(std::sqrt(2.0 / 18)));
  CHECK_GRAD([&](const std::vector<Var>& v) { conv.weight = v[1], conv.bias = v[2]; return conv(v[0]); },
             {test::rand64({1, 2, 4, 4}, 3), conv.weight.data().clone(), test::rand64({3}, 4)});
  EqualizedConvTranspose2d ct(2, 1, 4, 2, 1, true, std::sqrt(2.0), DType::f64, &g);
  CHECK_GRAD([&](const std::vector<Var>& v) { ct.weight = v[1], ct.bias = v[2]; return ct(v[0]); },
             {test::rand64({1, 2, 3, 3}, 5), ct.weight.data().clone(), test::rand64({1}, 6)});
  // The weights are stored as N(0, 1): what Adam sees has the same scale in every layer.
  EqualizedLinear big(400, 300, false, std::sqrt(2.0), DType::f64, &g);
  CHECK(std::sqrt(var(big.weight.data()).item()) == doctest::Approx(1.0).epsilon(0.02));
}

TEST_CASE("ch08: feature matching, historical averaging and 2x upsampling match finite differences") {
  // The real features are G's target, a constant: the gradient reaches the fake side only.
  const Tensor real_f = test::rand64({3, 4}, 1);
  CHECK_GRAD([&](const std::vector<Var>& v) { return feature_matching_loss(Var(real_f), v[0]); }, {test::rand64({5, 4}, 2)});
  // ‖mean f(x) − mean f(x̂)‖² by hand.
  const Tensor a = from_vector({1, 2, 3, 4}, {2, 2}, DType::f64), b = from_vector({0, 0}, {1, 2}, DType::f64);
  CHECK(feature_matching_loss(Var(a), Var(b)).item() == doctest::Approx(4.0 + 9.0));
  Var p(from_vector({1.0, 2.0}, {2}, DType::f64), true);
  HistoricalAverage h({p});
  CHECK(h.penalty().item() == 0.0);
  h.update();
  Tensor(p.data()).copy_(from_vector({3.0, 2.0}, {2}, DType::f64));
  h.update();  // average (2, 2)
  Tensor(p.data()).copy_(from_vector({0.0, 5.0}, {2}, DType::f64));
  CHECK(h.penalty().item() == doctest::Approx(4.0 + 9.0));
  CHECK_GRAD([&](const std::vector<Var>& v) {
    HistoricalAverage hv({v[0]});
    hv.update();
    return hv.penalty() + sum(square(v[0]));  // the average is a constant: d/dθ ‖θ − θ̄‖² = 2(θ − θ̄)
  }, {test::rand64({3}, 3)});
  CHECK_GRAD([](const std::vector<Var>& v) { return upsample2x(v[0]); }, {test::rand64({1, 2, 2, 3}, 4)});
  NoGradGuard ng;
  const Tensor u = upsample2x(Var(from_vector({1, 2, 3, 4}, {1, 1, 2, 2}, DType::f64))).data();
  check_close(u.reshape({16}), from_vector({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, {16}, DType::f64));
}

// ---------------------------------------------------------------- the ring

TEST_CASE("ch08: ring coverage: exact samples cover 8 modes, a collapsed generator 1, a blob 0") {
  Generator g(11);
  const int64_t n = 2500;
  const ModeCoverage exact = mode_coverage(sample_ring(n, g));
  CHECK(exact.modes_covered == 8);
  // In 2-d, P(‖ε‖ ≤ 3σ) = 1 − e^{−9/2} for ε ~ N(0, σ²I): the "high quality" share of perfect samples.
  const double p = 1 - std::exp(-4.5);
  CHECK(std::abs(exact.high_quality - p) < 4 * std::sqrt(p * (1 - p) / n));
  // Every sample at mode 3, with the ring's own noise.
  const Tensor c = ring_centers();
  const Tensor one = normal({n, 2}, 0, 0.02, DType::f64, &g) + c.slice(0, 3, 4);
  const ModeCoverage collapsed = mode_coverage(one);
  CHECK(collapsed.modes_covered == 1);
  CHECK(collapsed.counts[3] == (int64_t)std::lround(collapsed.high_quality * n));
  CHECK(collapsed.high_quality > 0.97);
  // A blob at the centre: no high-quality sample at all.
  const ModeCoverage blob = mode_coverage(normal({n, 2}, 0, 0.5, DType::f64, &g));
  CHECK(blob.modes_covered == 0);
  CHECK(blob.high_quality < 0.01);
  // 19 samples at a mode do not cover it (min_count = 20).
  CHECK(mode_coverage(one.slice(0, 0, 19), {}, 20).modes_covered == 0);
  check_error([] { mode_coverage(zeros({4, 3})); }, {"mode_coverage", "[4,3]"});
}

TEST_CASE("ch08: bad configurations and shapes are clear errors") {
  check_error([] { gan_loss_from_name("hinge"); }, {"gan_loss_from_name", "hinge", "wgan-gp"});
  GanNetConfig c = small_dcgan();
  Gan gan(c);
  GanTrainConfig t;
  t.n_critic = 0;
  check_error([&] { GanTrainer(*gan.generator, *gan.discriminator, t); }, {"GanTrainConfig", "n_critic", "0"});
  t = GanTrainConfig{};
  t.loss = GanLoss::wasserstein, t.real_label = 0.9;
  check_error([&] { GanTrainer(*gan.generator, *gan.discriminator, t); }, {"GanTrainConfig", "label smoothing", "wgan"});
  check_error([] { discriminator_loss(GanLoss::wgan_gp, vec({1}), vec({2}), 0.9); }, {"discriminator_loss", "smoothing"});
  check_error([] { discriminator_loss(GanLoss::non_saturating, Var(zeros({2, 3})), vec({1, 2})); },
              {"discriminator_loss(ns)", "[2,3]"});
  GanNetConfig bad = c;
  bad.hidden_layers = 0;
  check_error([&] { Gan x(bad); }, {"GanNetConfig", "hidden_layers"});
  bad = c;
  bad.latent.classes = 1;
  check_error([&] { Gan x(bad); }, {"GanNetConfig", "latent.classes"});
  check_error([&] { gan.generator->generate(Var(zeros({2, 5}))); }, {"GanGenerator", "[N,8]", "[2,5]"});
  check_error([&] { gan.discriminator->run(Var(zeros({2, 1, 32, 32}))); }, {"GanDiscriminator", "[N,1,28,28]", "[2,1,32,32]"});
  GanTrainer trainer(*gan.generator, *gan.discriminator, GanTrainConfig{});
  check_error([&] { trainer.step(zeros({1, 1, 28, 28})); }, {"GanTrainer::step", "N >= 2"});
  GanFitOptions o;
  o.batch_size = 64;
  check_error([&] { train_gan(trainer, zeros({10, 1, 28, 28}), Tensor(), o); }, {"train_gan", "batch_size 64"});
  ProgressiveConfig pc;
  pc.widths = {8, 8};
  check_error([&] { ProgressiveGenerator x(pc); }, {"ProgressiveConfig", "3 widths"});
}
