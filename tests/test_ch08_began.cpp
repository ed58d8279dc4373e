// Chapter 08 tests, BEGAN's autoencoder discriminator without batch norm: each example is
// judged alone (the decoder follows D's batch-norm switch; the MNIST table's BEGAN turns batch
// norm on on purpose, docs/08), and He initialisation keeps a
// batch-norm-free net at a usable scale where DCGAN's N(0, 0.02²) shrinks it.
#include <cmath>
#include <map>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/gan_train.h"

using namespace latent;
using namespace latent::models;
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

