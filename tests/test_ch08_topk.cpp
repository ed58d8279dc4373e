// Chapter 08 tests, top-k training (Sinha et al. 2020): which fakes are kept, and that G's
// loss and gradient come from those alone.
#include <cmath>
#include <set>
#include <vector>

#include "autodiff/ops_index.h"
#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/gan_train.h"
#include "models/ch08/ring_toy.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;

namespace {

std::vector<int64_t> rows_of(const Tensor& idx) {
  const int64_t* p = idx.data<int64_t>();
  return std::vector<int64_t>(p, p + idx.numel());
}

GanNetConfig tiny_ring_gan(bool autoencoder) {
  GanNetConfig c = latent::test::tiny_mlp_gan(2, 3, 4, false);
  c.autoencoder = autoencoder, c.began_code = 1;
  return c;
}

}  // namespace

TEST_CASE("ch08: top_k_rows keeps the fakes D rates most real, best first; BEGAN's lowest errors") {
  Tensor s({5, 1}, DType::f64);
  const std::vector<double> v = {0.3, -1.0, 2.0, 0.5, 0.1};
  for (int64_t i = 0; i < 5; ++i) s.set({i, 0}, v[(size_t)i]);
  CHECK(rows_of(top_k_rows(s, 0.4, GanLoss::non_saturating)) == std::vector<int64_t>{2, 3});
  CHECK(rows_of(top_k_rows(s, 0.5, GanLoss::wgan_gp)) == std::vector<int64_t>{2, 3, 0});  // ceil(2.5) = 3
  CHECK(rows_of(top_k_rows(s, 0.4, GanLoss::began)) == std::vector<int64_t>{1, 4});       // reconstructs best
  CHECK(rows_of(top_k_rows(s, 1.0, GanLoss::minimax)) == std::vector<int64_t>{2, 3, 0, 4, 1});
  CHECK(rows_of(top_k_rows(s, 0.01, GanLoss::minimax)) == std::vector<int64_t>{2});  // never empty
  CHECK(top_k_rows(zeros({100, 1}, DType::f64), 0.55, GanLoss::minimax).numel() == 55);  // not 56 by rounding
  check_error([&] { top_k_rows(s, 0.0, GanLoss::minimax); }, {"top_k_rows", "fraction", "(0, 1]"});
  check_error([&] { top_k_rows(s, 1.5, GanLoss::minimax); }, {"top_k_rows", "fraction"});
  check_error([&] { top_k_rows(Tensor({5}, DType::f64), 0.5, GanLoss::minimax); }, {"top_k_rows", "[N,1]", "[5]"});
}

TEST_CASE("ch08: with top_k, G's loss is the loss of the kept fakes and only they receive a gradient") {
  for (GanLoss loss : {GanLoss::non_saturating, GanLoss::least_squares, GanLoss::began}) {
    CAPTURE(gan_loss_name(loss));
    const GanNetConfig net = tiny_ring_gan(loss == GanLoss::began);
    GanGenerator G(net);
    GanDiscriminator D(net);
    GanTrainConfig t;
    t.loss = loss, t.top_k = 0.25, t.seed = 3;
    GanTrainer trainer(G, D, t);
    Generator g(11);
    const Tensor real = sample_ring(8, g, RingConfig{}, DType::f64);
    // Fakes as leaves, so their gradient can be read after G's step.
    GanTrainer::Fake fake;
    fake.x = Var(normal({8, 2}, 0, 2, DType::f64, &g), true);
    const Tensor score = D.run(fake.x.detach()).score.data();
    const Tensor kept = top_k_rows(score, 0.25, loss);
    REQUIRE(kept.numel() == 2);
    const double expected = generator_loss(loss, Var(index_select(score, 0, kept))).item();
    const double all = generator_loss(loss, Var(score)).item();
    const double got = trainer.g_step(real, Tensor(), fake);
    CHECK(got == doctest::Approx(expected).epsilon(1e-12));
    CHECK(got < all);  // the kept fakes are the ones G's loss already likes best
    const std::vector<int64_t> kept_rows = rows_of(kept);
    const std::set<int64_t> keep(kept_rows.begin(), kept_rows.end());
    const Tensor grad = fake.x.grad().data();
    for (int64_t i = 0; i < 8; ++i) {
      const double norm = std::abs(grad.at({i, 0})) + std::abs(grad.at({i, 1}));
      CHECK_MESSAGE((norm > 0) == (keep.count(i) == 1), "fake " << i << " gradient " << norm);
    }
  }
}

TEST_CASE("ch08: top_k outside (0, 1], or with feature matching, is refused with the value") {
  const GanNetConfig net = tiny_ring_gan(false);
  GanGenerator G(net);
  GanDiscriminator D(net);
  GanTrainConfig t;
  t.top_k = 0;
  check_error([&] { GanTrainer(G, D, t); }, {"top_k", "(0, 1]", "0"});
  t.top_k = 1.5;
  check_error([&] { GanTrainer(G, D, t); }, {"top_k", "1.5"});
  t.top_k = 0.5, t.feature_matching = true;
  check_error([&] { GanTrainer(G, D, t); }, {"top_k 0.5", "feature matching"});
}
