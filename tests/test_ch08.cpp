// Chapter 08 tests: the seven GAN losses against hand computations, the
// gradient penalty's double backward and every new layer against finite
// differences (float64), the optimal discriminator on a 1-d toy, the ring's
// mode-coverage metric, a short GAN run on the ring, the DCGAN / cGAN /
// InfoGAN / BEGAN / progressive nets' shapes and one training step each, the
// latent helpers, checkpoints, and bad configurations.
#include <cmath>
#include <filesystem>

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

namespace {

double sig(double x) { return 1 / (1 + std::exp(-x)); }

Var vec(const std::vector<double>& v) { return Var(from_vector(v, {(int64_t)v.size(), 1}, DType::f64)); }

// A small smooth critic whose weights are gradcheck's inputs: x [N,3] → tanh(x W1ᵀ + b1) w2ᵀ.
Var tiny_critic(const Var& x, const std::vector<Var>& p) { return linear(tanh(linear(x, p[0], p[1])), p[2], Var()); }

bool all_finite(const Tensor& t) {
  for (double v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}

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

// ---------------------------------------------------------------- nets

TEST_CASE("ch08: the default DCGAN is bench/train_bench.cpp's PyTorch peer, layer for layer") {
  GanNetConfig cfg;  // the defaults: DCGAN, nz = 100, w = 64
  Gan gan(cfg);
  using namespace latent::nn;
  // The peer's nets, built as in bench/train_bench.cpp.
  auto G = make<Sequential>(std::vector<ModulePtr>{
      make<ConvTranspose2d>(100, 128, 7, 1, 0, false), BatchNorm2d(128), make<ReLU>(),
      make<ConvTranspose2d>(128, 64, 4, 2, 1, false), BatchNorm2d(64), make<ReLU>(),
      make<ConvTranspose2d>(64, 1, 4, 2, 1, false), make<Tanh>()});
  auto D = make<Sequential>(std::vector<ModulePtr>{
      make<Conv2d>(1, 64, 4, 2, 1, false), make<LeakyReLU>(0.2),
      make<Conv2d>(64, 128, 4, 2, 1, false), BatchNorm2d(128), make<LeakyReLU>(0.2),
      make<Conv2d>(128, 1, 7, 1, 0, false), make<Flatten>()});
  CHECK(gan.generator->num_parameters() == G->num_parameters());
  CHECK(gan.discriminator->num_parameters() == D->num_parameters());
  // Same parameters in the same order: copy ours into the peer and compare outputs.
  for (auto [ours, peer] : {std::pair<Module*, Module*>{gan.generator.get(), G.get()}, {gan.discriminator.get(), D.get()}}) {
    auto a = ours->parameters(), b = peer->parameters();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      REQUIRE(a[i].numel() == b[i].numel());
      Tensor(b[i].data()).copy_(a[i].data().reshape(b[i].shape()));
    }
  }
  Generator g(3);
  const Tensor z = normal({4, 100}, 0, 1, DType::f32, &g);
  NoGradGuard ng;
  const Tensor x = gan.generator->generate(Var(z)).data();
  CHECK(x.shape() == Shape{4, 1, 28, 28});
  check_close(x, (*G)(Var(z.reshape({4, 100, 1, 1}))).data(), 1e-5, 1e-4);
  const Tensor s = gan.discriminator->run(Var(x)).score.data();
  CHECK(s.shape() == Shape{4, 1});
  check_close(s, (*D)(Var(x)).data(), 1e-5, 1e-4);
  // DCGAN's initialisation: weights N(0, 0.02²).
  const Tensor w = gan.generator->parameters()[0].data();
  CHECK(std::sqrt(var(w).item()) == doctest::Approx(0.02).epsilon(0.05));
}

namespace {
// One trainer step on random images; returns the stats after checking they are finite.
GanStepStats one_image_step(GeneratorNet& G, DiscriminatorNet& D, GanTrainConfig t, const Tensor& y = Tensor(),
                            int64_t res = 28) {
  GanTrainer trainer(G, D, t);
  Generator g(9);
  const Tensor real = uniform({6, 1, res, res}, -1, 1, DType::f32, &g);
  GanStepStats st = trainer.step(real, y);
  CHECK(std::isfinite(st.d_loss));
  CHECK(std::isfinite(st.g_loss));
  CHECK(st.g_step);
  for (const Var& p : D.parameters()) CHECK(all_finite(p.data()));
  for (const Var& p : G.parameters()) CHECK(all_finite(p.data()));
  return st;
}
GanNetConfig small_dcgan() {
  GanNetConfig c;
  c.latent.noise = 8, c.g_width = 8, c.d_width = 8, c.seed = 2;
  return c;
}
}  // namespace

TEST_CASE("ch08: conditional GANs (concatenated labels, projection) give one score per image and train a step") {
  const Tensor y = from_vector_i({0, 1, 2, 0, 1, 2}, {6});
  for (Conditioning cond : {Conditioning::concat, Conditioning::projection}) {
    CAPTURE((int)cond);
    GanNetConfig c = small_dcgan();
    c.latent.classes = 3, c.conditioning = cond;
    Gan gan(c);
    Generator g(4);
    const LatentSample z = sample_latent(c.latent, 6, g);
    Var x = gan.generator->generate(Var(z.z), y);
    CHECK(x.shape() == Shape{6, 1, 28, 28});
    CHECK(gan.discriminator->run(x, y).score.shape() == Shape{6, 1});
    {  // The label matters: another y gives another image from the same z.
      NoGradGuard ng;
      const Tensor x2 = gan.generator->generate(Var(z.z), from_vector_i({1, 2, 0, 1, 2, 0}, {6})).data();
      CHECK(max(abs(x2 - x.data())).item() > 1e-4);
    }
    one_image_step(*gan.generator, *gan.discriminator, GanTrainConfig{}, y);
  }
  Gan cgan([] { GanNetConfig c = small_dcgan(); c.latent.classes = 3; return c; }());
  Generator g(5);
  const Tensor z = normal({6, 8}, 0, 1, DType::f32, &g);
  check_error([&] { cgan.generator->generate(Var(z)); }, {"GanGenerator", "needs labels"});
  check_error([&] { cgan.generator->generate(Var(z), from_vector_i({0, 1}, {2})); }, {"GanGenerator", "[2]", "[6]"});
  Gan plain(small_dcgan());
  check_error([&] { plain.generator->generate(Var(z), y); }, {"GanGenerator", "unconditional"});
}

TEST_CASE("ch08: InfoGAN: codes in G's input, a Q head on D, and the information loss by hand") {
  GanNetConfig c = small_dcgan();
  c.latent.categorical = 10, c.latent.continuous = 2;
  Gan gan(c);
  Generator g(6);
  const LatentSample s = sample_latent(c.latent, 6, g);
  CHECK(s.z.shape() == Shape{6, 8 + 10 + 2});
  const DiscriminatorOutput out = gan.discriminator->run(gan.generator->generate(Var(s.z)));
  CHECK(out.q.shape() == Shape{6, 10 + 2 * 2});
  // L_I = CE + w Σ_j ½(log 2π + s_j + (c_j − μ_j)² e^{−s_j}), by hand for one example.
  LatentSpec spec{1, 3, 1, 0};
  LatentSample codes;
  codes.categorical = from_vector_i({2}, {1});
  codes.continuous = from_vector({0.5}, {1, 1}, DType::f64);
  const Tensor q = from_vector({0.1, -0.3, 0.7, 0.2, -0.4}, {1, 5}, DType::f64);  // logits, μ, log σ²
  const double lse = std::log(std::exp(0.1) + std::exp(-0.3) + std::exp(0.7));
  const double nll = 0.5 * (std::log(2 * M_PI) - 0.4 + 0.09 * std::exp(0.4));
  CHECK(info_loss(Var(q), spec, codes, 0.1).item() == doctest::Approx(lse - 0.7 + 0.1 * nll).epsilon(1e-12));
  check_error([&] { info_loss(Var(q.slice(1, 0, 4)), spec, codes, 0.1); }, {"info_loss", "[1,4]", "[N,5]"});
  GanTrainConfig t;
  const GanStepStats st = one_image_step(*gan.generator, *gan.discriminator, t);
  CHECK(st.info > 0);
  CHECK_GRAD([&](const std::vector<Var>& v) { return info_loss(v[0], spec, codes, 0.1); }, {q});
}

TEST_CASE("ch08: BEGAN's autoencoder discriminator scores by reconstruction error and k_t moves") {
  GanNetConfig c = small_dcgan();
  c.autoencoder = true, c.began_code = 8;
  Gan gan(c);
  Generator g(7);
  const Tensor x = uniform({6, 1, 28, 28}, -1, 1, DType::f32, &g);
  const DiscriminatorOutput out = gan.discriminator->run(Var(x));
  CHECK(out.score.shape() == Shape{6, 1});
  CHECK(out.features.shape() == Shape{6, 8});
  CHECK(min(out.score.data()).item() >= 0);
  GanTrainConfig t;
  t.loss = GanLoss::began, t.began_lambda_k = 0.1;
  const GanStepStats st = one_image_step(*gan.generator, *gan.discriminator, t);
  CHECK(st.began_m > 0);
  CHECK((st.began_k >= 0 && st.began_k <= 1));
}

TEST_CASE("ch08: the tricks (pixel norm, equalised lr, minibatch stddev, minibatch discrimination) in a DCGAN step") {
  GanNetConfig c = small_dcgan();
  c.pixel_norm = true, c.equalized_lr = true, c.minibatch_stddev = true, c.mbd_kernels = 4, c.mbd_dims = 3;
  c.d_batch_norm = false;
  Gan gan(c);
  CHECK(gan.discriminator->feature_dim() == (2 * 8 + 1) * 49);
  GanTrainConfig t;
  t.real_label = 0.9, t.feature_matching = true, t.historical_averaging = 0.01;
  one_image_step(*gan.generator, *gan.discriminator, t);
  // And every loss with its penalty on the same small DCGAN (WGAN-GP needs no batch norm in D).
  for (GanLoss loss : all_gan_losses()) {
    CAPTURE(gan_loss_name(loss));
    GanNetConfig cl = small_dcgan();
    cl.d_batch_norm = false, cl.autoencoder = loss == GanLoss::began;
    Gan g2(cl);
    GanTrainConfig tl;
    tl.loss = loss;
    const GanStepStats st = one_image_step(*g2.generator, *g2.discriminator, tl);
    if (loss == GanLoss::wgan_gp || loss == GanLoss::dragan) CHECK(st.penalty > 0);
    if (loss == GanLoss::wasserstein)
      for (const Var& p : g2.discriminator->parameters()) CHECK(max(abs(p.data())).item() <= tl.clip + 1e-7);
  }
}

TEST_CASE("ch08: progressive growing: shapes at 7, 14, 28 pixels, the fade-in blend, and a step at each stage") {
  ProgressiveConfig pc;
  pc.noise = 8, pc.widths = {8, 8, 4}, pc.seed = 3;
  ProgressiveGenerator G(pc);
  ProgressiveDiscriminator D(pc);
  Generator g(8);
  const Tensor z = normal({4, 8}, 0, 1, DType::f32, &g);
  NoGradGuard ng;
  for (int64_t s = 0; s < 3; ++s) {
    G.set_growth({s, 1.0}), D.set_growth({s, 1.0});
    const Tensor x = G.generate(Var(z)).data();
    CHECK(x.shape() == Shape{4, 1, 7 << s, 7 << s});
    CHECK(D.run(Var(x)).score.shape() == Shape{4, 1});
  }
  // α = 0: the new stage contributes nothing; G's output is the previous stage's image upsampled.
  G.set_growth({1, 0.0});
  const Tensor faded = G.generate(Var(z)).data();
  G.set_growth({0, 1.0});
  check_close(faded, upsample2x(G.generate(Var(z))).data(), 1e-6);
  // The real images are blended the same way.
  const Tensor imgs = uniform({2, 1, 28, 28}, -1, 1, DType::f32, &g);
  check_close(progressive_real(imgs, {1, 0.0}), upsample2x(Var(progressive_real(imgs, {0, 1.0}))).data(), 1e-6);
  CHECK(progressive_real(imgs, {2, 1.0}).shape() == Shape{2, 1, 28, 28});
  check_error([&] { G.set_growth({3, 1.0}); }, {"ProgressiveGenerator", "stage"});
  D.set_growth({2, 1.0});
  check_error([&] { D.run(Var(zeros({2, 1, 14, 14}))); }, {"ProgressiveDiscriminator", "[N,1,28,28]", "[2,1,14,14]"});
}

TEST_CASE("ch08: train_progressive walks 7 -> 14 -> 28 with fades and stays finite") {
  ProgressiveConfig pc;
  pc.noise = 8, pc.widths = {8, 8, 4}, pc.seed = 4;
  ProgressiveGenerator G(pc);
  ProgressiveDiscriminator D(pc);
  GanTrainConfig t;
  t.loss = GanLoss::wgan_gp, t.lr_d = t.lr_g = 1e-3, t.beta1 = 0.0, t.beta2 = 0.99;
  GanTrainer trainer(G, D, t);
  Generator g(10);
  const Tensor data = uniform({32, 1, 28, 28}, -1, 1, DType::f32, &g);
  std::vector<GrowthState> phases;
  ProgressiveSchedule sch;
  sch.steps_per_phase = 2, sch.batch_size = 4;
  sch.on_phase = [&](GrowthState s, double d, double gl) {
    phases.push_back(s);
    CHECK(std::isfinite(d));
    CHECK(std::isfinite(gl));
  };
  const auto steps = train_progressive(trainer, G, D, data, sch);
  CHECK(steps.size() == 10);
  REQUIRE(phases.size() == 5);
  CHECK(phases.back().stage == 2);
  CHECK(phases.back().alpha == 1.0);
  CHECK(phases[1].stage == 1);  // the first fade ends at α = 1
}

// ---------------------------------------------------------------- training, helpers, errors

TEST_CASE("ch08: the trainer takes n_critic D steps per G step and each loss's step is finite on the ring") {
  for (GanLoss loss : all_gan_losses()) {
    CAPTURE(gan_loss_name(loss));
    RingRun r = ring_setting(loss, 1);
    r.net.hidden = 16;
    GanGenerator G(r.net);
    GanDiscriminator D(r.net);
    GanTrainer t(G, D, r.train);
    Generator g(2);
    for (int64_t s = 1; s <= 2 * r.train.n_critic; ++s) {
      const GanStepStats st = t.step(sample_ring(32, g));
      CHECK(std::isfinite(st.d_loss));
      CHECK(st.g_step == (s % r.train.n_critic == 0));
    }
    CHECK(t.g_steps() == 2);
  }
}

TEST_CASE("ch08: a short MLP GAN run on the ring covers several modes") {
  RingRun r = ring_setting(GanLoss::non_saturating, 0);
  r.steps = 1500;
  // Nets this small gain nothing from threads, and lose much to their synchronisation on a busy machine.
  const int threads = get_num_threads();
  set_num_threads(1);
  const RingResult res = train_ring(r);
  set_num_threads(threads);
  CAPTURE(res.coverage.high_quality);
  // An untrained G puts nothing within 3σ of a mode; after training most modes hold samples.
  CHECK(res.coverage.modes_covered >= 4);
  CHECK(res.samples.shape() == Shape{2500, 2});
}

TEST_CASE("ch08: train_gan logs losses per step and epoch, calls back, checkpoints, and stops at NaN") {
  GanNetConfig c = small_dcgan();
  Gan gan(c);
  GanTrainer trainer(*gan.generator, *gan.discriminator, GanTrainConfig{});
  Generator g(12);
  const Tensor data = uniform({20, 1, 28, 28}, -1, 1, DType::f32, &g);
  const std::string path = (std::filesystem::temp_directory_path() / "latent_ch08_test.ckpt").string();
  int calls = 0;
  GanFitOptions o;
  o.epochs = 2, o.batch_size = 8, o.checkpoint_path = path;
  o.on_epoch = [&](const GanEpochLog& e) {
    ++calls;
    CHECK(e.steps == 2);
  };
  const GanHistory h = train_gan(trainer, data, Tensor(), o);
  CHECK(calls == 2);
  CHECK(h.steps.size() == 4);  // 20 examples, batches of 8, the last 4 dropped
  CHECK(std::isfinite(h.epochs[1].d_loss));
  // The checkpoint restores G into a differently seeded copy.
  GanNetConfig c2 = c;
  c2.seed = 99;
  Gan other(c2);
  const auto meta = load_gan_checkpoint(path, *other.generator, *other.discriminator);
  CHECK(meta.at("epoch") == 2);
  const Tensor z = normal({3, 8}, 0, 1, DType::f32, &g);
  check_close(generate_images(*other.generator, z), generate_images(*gan.generator, z));
  GanNetConfig wide = c;
  wide.g_width = 16;
  Gan mismatch(wide);
  check_error([&] { load_gan_checkpoint(path, *mismatch.generator, *mismatch.discriminator); }, {"load_checkpoint"});
  std::filesystem::remove(path);
  // A NaN in the data reaches the loss: the run stops saying where.
  Tensor bad = data.clone();
  bad.set({0, 0, 0, 0}, NAN);
  GanFitOptions o2;
  o2.epochs = 1, o2.batch_size = 20;
  check_error([&] { train_gan(trainer, bad, Tensor(), o2); }, {"training diverged", "discriminator loss"});
}

TEST_CASE("ch08: latent helpers: code layout, slerp and lerp, sample grids as PNG") {
  LatentSpec spec{2, 3, 1, 0};
  const Tensor noise = from_vector({0.5, -0.5}, {1, 2});
  const Tensor z = make_latent(spec, noise, from_vector_i({1}, {1}), from_vector({0.25}, {1, 1}));
  check_close(z, from_vector({0.5, -0.5, 0, 1, 0, 0.25}, {1, 6}));
  check_error([&] { make_latent(spec, noise, Tensor(), from_vector({0.25}, {1, 1})); }, {"make_latent", "categorical"});
  Generator g(13);
  const LatentSample s = sample_latent(spec, 500, g);
  CHECK(min(s.continuous).item() >= -1);
  CHECK(max(s.continuous).item() <= 1);
  CHECK(max(s.categorical).item() == 2);
  // Endpoints are a and b; slerp keeps the norm between two points of equal norm, lerp does not.
  const Tensor a = from_vector({3, 0, 0}, {1, 3}), b = from_vector({0, 3, 0}, {1, 3});
  const Tensor sl = interpolate_latent(a, b, 5, Interpolation::slerp), li = interpolate_latent(a, b, 5, Interpolation::linear);
  check_close(sl.slice(0, 0, 1), a, 1e-6);
  check_close(sl.slice(0, 4, 5), b, 1e-6);
  check_close(norm(sl, {1}), full({5}, 3.0), 1e-5);
  CHECK(norm(li, {1}).at({2}) == doctest::Approx(3 / std::sqrt(2.0)).epsilon(1e-6));
  check_close(li.slice(0, 2, 3), from_vector({1.5, 1.5, 0}, {1, 3}), 1e-6);
  check_error([&] { interpolate_latent(a, b, 1); }, {"interpolate_latent", "steps"});
  // A 2x2 grid of 28x28 samples with 1-pixel gaps.
  Gan gan(small_dcgan());
  const std::string path = (std::filesystem::temp_directory_path() / "latent_ch08_grid.png").string();
  write_sample_grid(path, *gan.generator, sample_latent(gan.generator->latent(), 4, g).z, Tensor(), 2);
  CHECK(read_png(path).shape() == Shape{57, 57});
  CHECK(gan.generator->is_training());  // put back in the mode it was in
  std::filesystem::remove(path);
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
