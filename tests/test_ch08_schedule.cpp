// Chapter 08 tests, the learning-rate decay: set_decayed_rates' arithmetic and refusals,
// train_gan's lr_decay over every step (the earlier rates put back after), and the ring's
// set_ring_rates.
#include <utility>
#include <vector>

#include "ch08_helpers.h"
#include "helpers.h"
#include "models/ch08/ring_toy.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;

namespace {

const GanNetConfig tiny_ring_gan = latent::test::tiny_mlp_gan(2, 3, 4, false);

GanTrainConfig rates(double lr_d, double lr_g) {
  GanTrainConfig t;
  t.lr_d = lr_d, t.lr_g = lr_g, t.seed = 5;
  return t;
}

}  // namespace

TEST_CASE("ch08: set_decayed_rates scales both rates by 1 - step/total and refuses steps outside the run") {
  GanGenerator G(tiny_ring_gan);
  GanDiscriminator D(tiny_ring_gan);
  GanTrainer trainer(G, D, rates(4e-3, 2e-3));
  set_decayed_rates(trainer, 3, 4);  // the last step: a quarter of each rate
  CHECK(trainer.d_optimizer().lr() == doctest::Approx(1e-3).epsilon(1e-15));
  CHECK(trainer.g_optimizer().lr() == doctest::Approx(5e-4).epsilon(1e-15));
  set_decayed_rates(trainer, 0, 4);  // the first: the config's rates
  CHECK(trainer.d_optimizer().lr() == 4e-3);
  CHECK(trainer.g_optimizer().lr() == 2e-3);
  check_error([&] { set_decayed_rates(trainer, 4, 4); }, {"set_decayed_rates", "step 4 is outside [0, 4)"});
  check_error([&] { set_decayed_rates(trainer, -1, 4); }, {"set_decayed_rates", "step -1"});
  check_error([&] { set_decayed_rates(trainer, 0, 0); }, {"set_decayed_rates", "[0, 0)"});
}

TEST_CASE("ch08: train_gan with lr_decay takes step s at (1 - s/total) of the rates, then puts back the earlier ones") {
  Generator g(7);
  const Tensor data = sample_ring(22, g, {}, DType::f64);  // batch 4: 5 steps an epoch, 2 examples dropped
  // Every batch; epochs cut to 3 steps (quick runs); a cut longer than an epoch (no effect).
  for (auto [cut, total] : std::vector<std::pair<int64_t, size_t>>{{0, 10}, {3, 6}, {7, 10}}) {
    CAPTURE(cut);
    GanGenerator G(tiny_ring_gan);
    GanDiscriminator D(tiny_ring_gan);
    GanTrainer trainer(G, D, rates(4e-3, 2e-3));
    trainer.d_optimizer().set_lr(3e-3), trainer.g_optimizer().set_lr(1e-3);  // a caller's own rates
    std::vector<double> d_rates, g_rates;
    GanFitOptions o;
    o.epochs = 2, o.batch_size = 4, o.max_steps_per_epoch = cut, o.lr_decay = true;
    o.on_step = [&](int64_t, const GanStepStats&) {  // runs after the step: the rates it used
      d_rates.push_back(trainer.d_optimizer().lr());
      g_rates.push_back(trainer.g_optimizer().lr());
    };
    train_gan(trainer, data, Tensor(), o);
    REQUIRE(d_rates.size() == total);
    for (size_t s = 0; s < total; ++s) {  // decayed from the config's rates
      const double f = 1.0 - (double)s / (double)total;
      CHECK(d_rates[s] == doctest::Approx(4e-3 * f).epsilon(1e-15));
      CHECK(g_rates[s] == doctest::Approx(2e-3 * f).epsilon(1e-15));
    }
    CHECK(trainer.d_optimizer().lr() == 3e-3);  // the caller's rates back
    CHECK(trainer.g_optimizer().lr() == 1e-3);
  }
  GanGenerator G(tiny_ring_gan);
  GanDiscriminator D(tiny_ring_gan);
  GanTrainer trainer(G, D, rates(4e-3, 2e-3));
  GanFitOptions o;
  o.batch_size = 4, o.lr_decay = true;
  // A callback that throws mid-run leaves the rates as they were, not decayed.
  o.epochs = 2;
  o.on_step = [&](int64_t step, const GanStepStats&) {
    if (step == 4) throw Error("stop here");
  };
  CHECK_THROWS_AS(train_gan(trainer, data, Tensor(), o), Error);
  CHECK(trainer.d_optimizer().lr() == 4e-3);
  CHECK(trainer.g_optimizer().lr() == 2e-3);
  // No epochs: nothing to decay, nothing refused.
  o.epochs = 0, o.on_step = {};
  CHECK_NOTHROW(train_gan(trainer, data, Tensor(), o));
  // Without lr_decay every step runs at the config's rates.
  o.epochs = 1, o.lr_decay = false;
  int64_t steps = 0;
  o.on_step = [&](int64_t, const GanStepStats&) {
    ++steps;
    CHECK(trainer.d_optimizer().lr() == 4e-3);
    CHECK(trainer.g_optimizer().lr() == 2e-3);
  };
  train_gan(trainer, data, Tensor(), o);
  CHECK(steps == 5);
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
