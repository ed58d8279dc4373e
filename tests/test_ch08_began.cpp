// Chapter 08 tests, BEGAN's autoencoder discriminator without batch norm: each example is
// judged alone (the decoder follows D's batch-norm switch; the MNIST table's BEGAN turns batch
// norm on on purpose, docs/08), and He initialisation keeps a
// batch-norm-free net at a usable scale where DCGAN's N(0, 0.02²) shrinks it. Then batch norm in
// the MLP autoencoder (mlp_batch_norm), which the ring's BEGAN uses, and γ above 1.
#include <cmath>
#include <map>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/gan_train.h"
#include "models/ch08/ring_toy.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;
using latent::test::small_dcgan;

TEST_CASE("ch08: BEGAN's D without batch norm scores an image the same among others as among copies of itself") {
  Generator g(7);
  const Tensor x = uniform({6, 1, 28, 28}, -1, 1, DType::f32, &g);
  // With batch norm off in D (d_batch_norm = false), that includes D's decoder: each example's
  // score is then its own, so an image scores the same among five others as among five copies
  // of itself. With batch norm in the decoder, the copies (what a collapsed G makes) would be
  // normalised by their own batch statistics and scored differently (this test then fails).
  GanNetConfig nb = small_dcgan();
  nb.autoencoder = true, nb.began_code = 8;
  nb.d_batch_norm = false;
  Gan plain(nb);
  for (const auto& [name, b] : plain.discriminator->named_buffers())
    CHECK_MESSAGE(name.find("running") == std::string::npos, name);
  plain.discriminator->train();
  const double among_others = plain.discriminator->run(Var(x)).score.data().at({0, 0});
  const Tensor copies = x.slice(0, 0, 1).expand({6, 1, 28, 28}).contiguous();
  const Tensor s = plain.discriminator->run(Var(copies)).score.data();
  for (int64_t i = 0; i < 6; ++i) CHECK(s.at({i, 0}) == doctest::Approx(among_others).epsilon(1e-5));
}

TEST_CASE("ch08: He init draws each layer at sqrt(2 / fan_in), and keeps a G without batch norm at unit scale") {
  // fan_in counts the inputs each output sums: 100 for the 7x7 kernel on G's 1x1 input, in·k²/s²
  // for the stride-2 transposed convolutions (128·16/4 and 64·16/4).
  GanNetConfig c;  // the default generator: z 100 → 128 maps 7x7 → 64 maps 14x14 → 1 map 28x28
  c.g_batch_norm = false, c.he_init = true;
  GanGenerator he(c);
  const std::map<std::string, double> fan = {{"net.1.weight", 100}, {"net.3.weight", 512}, {"net.5.weight", 256}};
  int64_t checked = 0;
  for (const auto& [name, p] : he.named_parameters()) {
    if (!fan.count(name)) continue;
    ++checked;
    const double sd = std::sqrt(var(p.data().reshape({p.numel()}).to(DType::f64)).item());
    CHECK_MESSAGE(sd == doctest::Approx(std::sqrt(2.0 / fan.at(name))).epsilon(0.1), name);
  }
  CHECK(checked == 3);
  // What that buys: the spread of G's outputs over z and pixels. With N(0, 0.02²) and no batch
  // norm, each layer multiplies it by about 0.02·sqrt(fan_in)/sqrt(2) ≪ 1.
  Generator g(3);
  auto spread = [&](GanGenerator& G) {
    NoGradGuard ng;
    const Tensor x = G.generate(Var(normal({64, 100}, 0, 1, DType::f32, &g))).data();
    return std::sqrt(var(x.reshape({64 * 784}).to(DType::f64)).item());
  };
  c.he_init = false;
  GanGenerator plain(c);
  const double s_he = spread(he), s_plain = spread(plain);
  MESSAGE("output spread: N(0, 0.02^2) " << s_plain << ", He " << s_he);
  CHECK(s_he > 0.2);
  CHECK(s_plain < 0.05 * s_he);
}


// Batch-norm layers (their running-mean buffers) in a module.
int64_t batch_norms(nn::Module& m) {
  int64_t n = 0;
  for (const auto& [name, b] : m.named_buffers()) n += name.find("running_mean") != std::string::npos ? 1 : 0;
  return n;
}

TEST_CASE("ch08: mlp_batch_norm: batch norm in the MLP nets whose own switch is on (D and BEGAN's decoder here), none by default") {
  RingRun run = ring_setting(GanLoss::began, 0);
  {  // the plain ring nets (every other row of the ring table) have none, whatever the switches
    GanGenerator G(run.net);
    GanDiscriminator D(run.net);
    CHECK(run.net.g_batch_norm);
    CHECK(run.net.d_batch_norm);
    CHECK(batch_norms(G) == 0);
    CHECK(batch_norms(D) == 0);
  }
  use_began_batch_norm(run, 100);
  GanGenerator G(run.net);
  GanDiscriminator D(run.net);
  CHECK(batch_norms(G) == 0);      // g_batch_norm is off
  CHECK(batch_norms(D) == 2 + 2);  // two hidden layers in the encoder, two in the decoder
  CHECK(run.batch_size == 128);
  CHECK(run.train.began_gamma == 4);  // above the paper's (0, 1]: validate accepts it
  GanNetConfig with_g = run.net;
  with_g.g_batch_norm = true;
  GanGenerator G2(with_g);
  CHECK(batch_norms(G2) == 2);
  // What batch norm does to BEGAN's score: a point among copies of itself (what a collapsed G
  // draws) is normalised by that batch's statistics and scored differently than among the ring.
  // Without batch norm (the same nets otherwise) the point scores the same in both batches.
  Generator g(5);
  const Tensor ring = sample_ring(8, g);
  Tensor copies = ring.slice(0, 0, 1).expand({8, 2}).contiguous() + normal({8, 2}, 0, 1e-3, DType::f32, &g);
  copies.slice(0, 0, 1).copy_(ring.slice(0, 0, 1));  // the same first point in both batches
  GanNetConfig off = run.net;
  off.mlp_batch_norm = false;
  GanDiscriminator D_off(off);
  for (GanDiscriminator* d : {&D, &D_off}) {
    d->train();
    const double among_ring = d->run(Var(ring)).score.data().at({0, 0});
    const double among_copies = d->run(Var(copies)).score.data().at({0, 0});
    MESSAGE(std::string(d == &D ? "batch norm" : "none") << ": score among the ring " << among_ring << ", among near copies "
                                               << among_copies);
    if (d == &D) CHECK(std::abs(among_copies - among_ring) > 0.01 * among_ring);
    else CHECK(among_copies == doctest::Approx(among_ring).epsilon(1e-6));
  }
}

TEST_CASE("ch08: BEGAN's gamma above 1 is accepted, 0 and below refused; use_began_batch_norm wants BEGAN") {
  GanTrainConfig t;
  t.loss = GanLoss::began;
  t.began_gamma = 4;
  validate(t);
  for (double bad : {0.0, -0.5}) {
    t.began_gamma = bad;
    check_error([&] { validate(t); }, {"began_gamma", "> 0"});
  }
  RingRun ns = ring_setting(GanLoss::non_saturating, 0);
  check_error([&] { use_began_batch_norm(ns, 100); }, {"use_began_batch_norm", "BEGAN", "ns"});
  RingRun b = ring_setting(GanLoss::began, 0);
  check_error([&] { use_began_batch_norm(b, 0); }, {"use_began_batch_norm", "steps >= 1", "0"});
  // A short run of the setting trains (the rates decay to 0 at its last step) and stays finite;
  // the full tour's 30,000 steps are in docs/08.
  use_began_batch_norm(b, 60);
  b.eval_samples = 200;
  const RingResult r = train_ring(b);
  CHECK(r.d_loss.size() == 60);
  CHECK(std::isfinite(sum(r.samples.to(DType::f64)).item()));
  for (double l : r.d_loss) CHECK(std::isfinite(l));
}
