// Chapter 08 tests, the networks and the training loop: the default DCGAN
// against bench/train_bench.cpp's PyTorch peer, cGAN / InfoGAN / BEGAN /
// progressive nets' shapes and one training step each, the trainer's n_critic
// schedule, a short GAN run on the ring, train_gan's logs, callbacks and
// checkpoints, and the latent helpers. Losses, penalties, trick layers and bad
// configurations are in test_ch08.cpp.
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
using latent::test::all_finite;
using latent::test::small_dcgan;


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

TEST_CASE("ch08: the InfoGAN MNIST nets (fc_hidden): a fully connected layer in G and D, features of that width") {
  GanNetConfig c = small_dcgan();
  c.fc_hidden = 24, c.latent.categorical = 10, c.latent.continuous = 2;
  Gan gan(c);
  CHECK(gan.discriminator->feature_dim() == 24);
  // G: Linear(20→24), BN(24), Linear(24→16·49), BN(16·49), ConvT(16→8), BN(8), ConvT(8→1).
  auto shapes = [](nn::Module& m) {
    std::vector<Shape> s;
    for (const Var& p : m.parameters()) s.push_back(p.shape());
    return s;
  };
  // Weights, in order; no bias before a batch norm (its mean cancels it).
  const std::vector<Shape> g = shapes(*gan.generator);
  REQUIRE(g.size() == 10);
  CHECK(g[0] == Shape{24, 8 + 10 + 2});  // Linear(20→24)
  CHECK(g[1] == Shape{24});              // its batch norm's γ, β
  CHECK(g[3] == Shape{16 * 49, 24});     // Linear(24→16·49)
  CHECK(g[6] == Shape{16, 8, 4, 4});     // ConvT(16→8)
  CHECK(g[9] == Shape{8, 1, 4, 4});      // ConvT(8→1)
  const std::vector<Shape> d = shapes(*gan.discriminator);
  // conv(1→8), conv(8→16), BN(16), Linear(16·49→24), BN(24), head, Q head
  REQUIRE(d.size() >= 7);
  CHECK(d[4] == Shape{24, 16 * 49});
  CHECK(d[5] == Shape{24});
  CHECK(d[7] == Shape{1, 24});
  Generator rng(3);
  const LatentSample s = sample_latent(c.latent, 5, rng);
  const Var x = gan.generator->generate(Var(s.z));
  CHECK(x.shape() == Shape{5, 1, 28, 28});
  const DiscriminatorOutput out = gan.discriminator->run(x);
  CHECK(out.features.shape() == Shape{5, 24});
  CHECK(out.score.shape() == Shape{5, 1});
  CHECK(out.q.shape() == Shape{5, 10 + 2 * 2});
  GanTrainConfig t;
  const GanStepStats st = one_image_step(*gan.generator, *gan.discriminator, t);
  CHECK(std::isfinite(st.d_loss));
  CHECK(st.info > 0);
  c.fc_hidden = -1;
  check_error([&] { Gan bad(c); }, {"GanNetConfig", "fc_hidden", "-1"});
  c.fc_hidden = 24, c.arch = GanArch::mlp;
  check_error([&] { Gan bad(c); }, {"GanNetConfig", "fc_hidden", "mlp"});
  // With pixel norm, G normalises the 7x7 maps per pixel, not the flat 16·49 vector.
  GanNetConfig pn = small_dcgan();
  pn.fc_hidden = 24, pn.pixel_norm = true;
  Gan pgan(pn);
  CHECK(pgan.generator->generate(Var(sample_latent(pn.latent, 3, rng).z)).shape() == Shape{3, 1, 28, 28});
}

TEST_CASE("ch08: the mapping network (mapping_layers): noise through LeakyReLU layers, codes around it") {
  GanNetConfig c = small_dcgan();
  c.latent.categorical = 3, c.latent.continuous = 1, c.dtype = DType::f64;
  c.mapping_layers = 2, c.mapping_width = 5;
  GanGenerator G(c);
  G.eval();  // batch norm's running statistics: each row on its own
  // The net behind the mapping is the net of a G whose noise is the mapping's width: same weights.
  GanNetConfig plain = c;
  plain.mapping_layers = 0, plain.latent.noise = 5;
  GanGenerator P(plain);
  P.eval();
  std::vector<std::string> mapping_names;
  for (const auto& [name, p] : G.named_parameters())
    if (name.rfind("mapping.", 0) == 0) mapping_names.push_back(name);
  REQUIRE(mapping_names.size() == 4);  // two Linear layers, weight and bias
  std::map<std::string, Tensor> sd = G.state_dict();
  const Tensor W1 = sd.at(mapping_names[0]), b1 = sd.at(mapping_names[1]);
  const Tensor W2 = sd.at(mapping_names[2]), b2 = sd.at(mapping_names[3]);
  CHECK(W1.shape() == Shape{5, 8});
  CHECK(W2.shape() == Shape{5, 5});
  for (const auto& [name, p] : P.named_parameters()) check_close(sd.at("net." + name.substr(name.find('.') + 1)), p.data(), 0, 0);
  Generator rng(4);
  const Tensor z = sample_latent(c.latent, 6, rng, DType::f64).z;
  auto leaky = [](const Tensor& t) { return maximum(t, t * 0.2); };
  const Tensor h = leaky(matmul(leaky(matmul(z.slice(1, 0, 8), W1.t()) + b1), W2.t()) + b2);
  NoGradGuard ng;
  check_close(G.generate(Var(z)).data(), P.generate(Var(concat({h, z.slice(1, 8, 12)}, 1))).data(), 1e-12, 1e-10);
  CHECK(G.describe().find("mapping 2 x 5") != std::string::npos);
  // A cGAN's label joins after the mapping as well.
  GanNetConfig cc = c;
  cc.latent.classes = 4;
  GanGenerator CG(cc);
  GanNetConfig cp = plain;
  cp.latent.classes = 4;
  GanGenerator CP(cp);
  CG.eval(), CP.eval();
  const Tensor y = from_vector_i({0, 3, 1, 2, 2, 0}, {6});
  CHECK(max(abs(CG.generate(Var(z), y).data() - CP.generate(Var(concat({h, z.slice(1, 8, 12)}, 1)), y).data())).item() < 1e-12);
  // Off: no mapping in the state dict (checkpoints of earlier nets still load); BEGAN's decoder never has one.
  for (const auto& [name, t] : P.state_dict()) CHECK(name.find("mapping") == std::string::npos);
  GanNetConfig ae = small_dcgan();
  ae.autoencoder = true, ae.d_batch_norm = false, ae.mapping_layers = 3;
  GanDiscriminator D(ae);
  for (const auto& [name, t] : D.state_dict()) CHECK(name.find("mapping") == std::string::npos);
  c.mapping_layers = -1;
  check_error([&] { GanGenerator bad(c); }, {"GanNetConfig", "mapping_layers must be >= 0", "got mapping_layers -1"});
  c.mapping_layers = 1, c.mapping_width = 0;
  check_error([&] { GanGenerator bad(c); }, {"GanNetConfig", "mapping_width >= 1", "got mapping_layers 1, mapping_width 0"});
}

TEST_CASE("ch08: mapping_lr_scale: the same function at the start, m times the step on the mapping's weights") {
  GanNetConfig c = latent::test::tiny_mlp_gan(3, 2, 7, true);
  c.mapping_layers = 2, c.mapping_width = 4;
  GanNetConfig slow = c;
  slow.mapping_lr_scale = 0.1;
  GanGenerator G(c), S(slow);
  const Tensor z = latent::test::rand64({5, 2}, 3);
  {
    NoGradGuard ng;
    check_close(S.generate(Var(z)).data(), G.generate(Var(z)).data(), 1e-7, 1e-6);  // V is drawn in float32
  }
  // The first mapping layer's effective weight W = m·V before and after one Adam step on the same loss.
  auto effective = [](GanGenerator& net, double m) { return net.named_parameters()[0].second.data() * m; };
  auto step = [&](GanGenerator& net) {
    nn::Adam opt(net.parameters(), 1e-3);
    sum(square(net.generate(Var(z)))).backward();
    opt.step();
  };
  const Tensor g0 = effective(G, 1.0), s0 = effective(S, 0.1);
  step(G), step(S);
  const Tensor dg = effective(G, 1.0) - g0, ds = effective(S, 0.1) - s0;
  // Adam's first step moves each trained value by about lr: V by 1e-3, so W by m·1e-3.
  CHECK(max(abs(dg)).item() == doctest::Approx(1e-3).epsilon(0.01));
  CHECK(max(abs(ds)).item() == doctest::Approx(1e-4).epsilon(0.01));
  slow.mapping_lr_scale = 0;
  check_error([&] { GanGenerator bad(slow); }, {"GanNetConfig", "mapping_lr_scale must be in (0, 1], got 0"});
}

TEST_CASE("ch08: gradients through the mapping network, float64, every element of z and the mapping's weights") {
  GanNetConfig c = latent::test::tiny_mlp_gan(3, 2, 7, true);
  c.latent.continuous = 1;  // a code beside the noise: z's last column skips the mapping
  c.mapping_layers = 2, c.mapping_width = 4;
  GanGenerator G(c);
  std::vector<std::pair<std::string, Var>> params = G.named_parameters();
  Var W1 = params[0].second;  // the mapping's first weight
  REQUIRE(params[0].first.rfind("mapping.", 0) == 0);
  const Tensor r = latent::test::rand64({4, 3}, 9);  // a fixed linear read-out of G's output
  const Tensor z0 = latent::test::rand64({4, 3}, 8, -2, 2);
  CHECK_GRAD([&](const std::vector<Var>& v) { return sum(G.generate(v[0]) * Var(r)); }, {z0});
  // The mapping's first weight, element by element against central differences.
  auto loss = [&] { return sum(G.generate(Var(z0)) * Var(r)); };
  const Tensor analytic = grad({loss()}, {W1})[0].data();
  Tensor& w = W1.node()->value;
  const double h = 1e-6;
  for (int64_t i = 0; i < w.size(0); ++i)
    for (int64_t j = 0; j < w.size(1); ++j) {
      const double keep = w.at({i, j});
      w.set({i, j}, keep + h);
      const double up = loss().data().item();
      w.set({i, j}, keep - h);
      const double down = loss().data().item();
      w.set({i, j}, keep);
      CHECK(analytic.at({i, j}) == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6).scale(1));
    }
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
  // A per-example gradient penalty with batch norm in D is refused, naming the layer.
  for (GanLoss loss : {GanLoss::wgan_gp, GanLoss::dragan}) {
    Gan with_bn(small_dcgan());
    GanTrainConfig tl;
    tl.loss = loss;
    check_error([&] { GanTrainer(*with_bn.generator, *with_bn.discriminator, tl); },
                {"GanTrainer", gan_loss_name(loss), "batch norm", "d_batch_norm = false"});
    tl.gp_weight = 0;  // no penalty, nothing to refuse
    GanTrainer ok(*with_bn.generator, *with_bn.discriminator, tl);
  }
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
