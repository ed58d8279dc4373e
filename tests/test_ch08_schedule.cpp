// Chapter 08 tests, the learning-rate decay: set_decayed_rates' arithmetic and refusals,
// train_gan's lr_decay over every step (rates restored after), and the ring's set_ring_rates.
#include <vector>

#include "helpers.h"
#include "models/ch08/ring_toy.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;

namespace {

GanNetConfig tiny_ring_gan() {
  GanNetConfig c;
  c.arch = GanArch::mlp, c.data_dim = 2, c.hidden = 6, c.hidden_layers = 1, c.latent.noise = 3;
  c.tanh_output = false, c.dtype = DType::f64, c.seed = 4;
  return c;
}

GanTrainConfig rates(double lr_d, double lr_g) {
  GanTrainConfig t;
  t.lr_d = lr_d, t.lr_g = lr_g, t.seed = 5;
  return t;
}

}  // namespace

TEST_CASE("ch08: set_decayed_rates scales both rates by 1 - step/total and refuses steps outside the run") {
  GanGenerator G(tiny_ring_gan());
  GanDiscriminator D(tiny_ring_gan());
  GanTrainer trainer(G, D, rates(4e-3, 2e-3));
  set_decayed_rates(trainer, 0, 4);
  CHECK(trainer.d_optimizer().lr() == 4e-3);
  CHECK(trainer.g_optimizer().lr() == 2e-3);
  set_decayed_rates(trainer, 3, 4);  // the last step: a quarter of each rate
  CHECK(trainer.d_optimizer().lr() == doctest::Approx(1e-3).epsilon(1e-15));
  CHECK(trainer.g_optimizer().lr() == doctest::Approx(5e-4).epsilon(1e-15));
  check_error([&] { set_decayed_rates(trainer, 4, 4); }, {"set_decayed_rates", "step 4 is outside [0, 4)"});
  check_error([&] { set_decayed_rates(trainer, -1, 4); }, {"set_decayed_rates", "step -1"});
  check_error([&] { set_decayed_rates(trainer, 0, 0); }, {"set_decayed_rates", "[0, 0)"});
}

TEST_CASE("ch08: train_gan with lr_decay takes step s at (1 - s/total) of the rates, then restores them") {
  Generator g(7);
  const Tensor data = sample_ring(20, g, {}, DType::f64);  // batch 4: 5 steps an epoch
  for (int64_t cut : {0, 3}) {  // every batch, and epochs cut to 3 steps (quick runs)
    GanGenerator G(tiny_ring_gan());
    GanDiscriminator D(tiny_ring_gan());
    GanTrainer trainer(G, D, rates(4e-3, 2e-3));
    std::vector<double> d_rates, g_rates;
    GanFitOptions o;
    o.epochs = 2, o.batch_size = 4, o.max_steps_per_epoch = cut, o.lr_decay = true;
    o.on_step = [&](int64_t, const GanStepStats&) {  // runs after the step: the rates it used
      d_rates.push_back(trainer.d_optimizer().lr());
      g_rates.push_back(trainer.g_optimizer().lr());
    };
    train_gan(trainer, data, Tensor(), o);
    const size_t total = cut > 0 ? 6 : 10;
    REQUIRE(d_rates.size() == total);
    for (size_t s = 0; s < total; ++s) {
      const double f = 1.0 - (double)s / (double)total;
      CHECK(d_rates[s] == doctest::Approx(4e-3 * f).epsilon(1e-15));
      CHECK(g_rates[s] == doctest::Approx(2e-3 * f).epsilon(1e-15));
    }
    CHECK(trainer.d_optimizer().lr() == 4e-3);  // back to the config's
    CHECK(trainer.g_optimizer().lr() == 2e-3);
  }
  // Without it every step runs at the config's rates.
  GanGenerator G(tiny_ring_gan());
  GanDiscriminator D(tiny_ring_gan());
  GanTrainer trainer(G, D, rates(4e-3, 2e-3));
  GanFitOptions o;
  o.epochs = 1, o.batch_size = 4;
  o.on_step = [&](int64_t, const GanStepStats&) { CHECK(trainer.d_optimizer().lr() == 4e-3); };
  train_gan(trainer, data, Tensor(), o);
}

TEST_CASE("ch08: set_ring_rates decays only when the run asks, and refuses steps outside it") {
  RingRun run = ring_setting(GanLoss::non_saturating, 0);
  run.steps = 8;
  GanGenerator G(run.net);
  GanDiscriminator D(run.net);
  GanTrainer trainer(G, D, run.train);
  set_ring_rates(trainer, run, 6);  // lr_decay off: untouched
  CHECK(trainer.d_optimizer().lr() == run.train.lr_d);
  run.lr_decay = true;
  set_ring_rates(trainer, run, 6);
  CHECK(trainer.d_optimizer().lr() == doctest::Approx(run.train.lr_d * 0.25).epsilon(1e-15));
  CHECK(trainer.g_optimizer().lr() == doctest::Approx(run.train.lr_g * 0.25).epsilon(1e-15));
  check_error([&] { set_ring_rates(trainer, run, 8); }, {"set_ring_rates", "step 8 is outside [0, 8)"});
}
