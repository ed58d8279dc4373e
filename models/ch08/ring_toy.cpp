// Chapter 08 — the ring of 8 Gaussians and its mode-coverage metric (ring_toy.h).
#include "models/ch08/ring_toy.h"

#include <chrono>
#include <cmath>

namespace latent::models {

Tensor ring_centers(const RingConfig& r) {
  if (r.modes < 1 || !(r.radius > 0) || !(r.std > 0))
    fail("ring_centers", "needs modes >= 1, radius > 0, std > 0; got " + std::to_string(r.modes) + ", " +
                             std::to_string(r.radius) + ", " + std::to_string(r.std));
  Tensor c({r.modes, 2}, DType::f64);
  for (int64_t k = 0; k < r.modes; ++k) {
    const double a = 2 * M_PI * (double)k / (double)r.modes;
    c.set({k, 0}, r.radius * std::cos(a));
    c.set({k, 1}, r.radius * std::sin(a));
  }
  return c;
}

Tensor sample_ring(int64_t n, Generator& g, const RingConfig& r, DType dtype) {
  if (n < 1) fail("sample_ring", "n must be >= 1, got " + std::to_string(n));
  const Tensor centers = ring_centers(r);
  const Tensor k = randint(0, r.modes, {n}, &g);
  const Tensor noise = normal({n, 2}, 0, r.std, DType::f64, &g);
  Tensor x({n, 2}, DType::f64);
  const int64_t* kk = k.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < 2; ++j) x.set({i, j}, centers.at({kk[i], j}) + noise.at({i, j}));
  return x.to(dtype);
}

ModeCoverage mode_coverage(const Tensor& samples, const RingConfig& r, int64_t min_count, double n_sigma) {
  if (!samples.defined() || samples.dim() != 2 || samples.size(1) != 2 || samples.size(0) < 1)
    fail("mode_coverage", "expects samples [N,2], got " +
                              (samples.defined() ? shape_str(samples.shape()) : std::string("(undefined)")));
  if (min_count < 1 || !(n_sigma > 0)) fail("mode_coverage", "needs min_count >= 1 and n_sigma > 0");
  const Tensor centers = ring_centers(r);
  const Tensor s = samples.to(DType::f64).contiguous();
  const double* p = s.data<double>();
  const int64_t n = s.size(0);
  ModeCoverage m;
  m.counts.assign((size_t)r.modes, 0);
  int64_t good = 0;
  const double limit = n_sigma * r.std;
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = -1;
    double best_d = INFINITY;
    for (int64_t k = 0; k < r.modes; ++k) {
      const double d = std::hypot(p[2 * i] - centers.at({k, 0}), p[2 * i + 1] - centers.at({k, 1}));
      if (d < best_d) best_d = d, best = k;
    }
    if (best_d <= limit) ++good, ++m.counts[(size_t)best];  // NaN samples fail the test and count as bad
  }
  m.high_quality = (double)good / (double)n;
  for (int64_t c : m.counts) m.modes_covered += c >= min_count ? 1 : 0;
  return m;
}

RingRun ring_setting(GanLoss loss, uint64_t seed) {
  RingRun run;
  GanNetConfig& n = run.net;
  n.arch = GanArch::mlp;
  n.latent.noise = 16;
  n.data_dim = 2, n.hidden = 128, n.hidden_layers = 2;
  n.tanh_output = false;  // the ring reaches ±2
  // BEGAN's autoencoder needs a bottleneck narrower than the data, or it reconstructs
  // fakes as well as reals (an identity map): a 1-d code for 2-d points.
  n.autoencoder = loss == GanLoss::began;
  n.began_code = 1;
  n.seed = seed;
  GanTrainConfig& t = run.train;
  t.loss = loss;
  t.seed = seed;
  // Adam(β1 = 0.5) at 1e-3 for both players: with 1e-4 (the image setting) nothing
  // reaches the modes' 0.06 radius within this budget.
  t.lr_d = t.lr_g = 1e-3;
  t.beta1 = 0.5, t.beta2 = 0.999;
  // λ = 0.1 for the gradient penalties: Gulrajani et al.'s own toy code (gan_toy.py) uses it,
  // since λ = 10 forces ‖∇D‖ ≈ 1 over distances larger than the gaps between modes.
  t.gp_weight = 0.1;
  // The clipped WGAN as Arjovsky et al.: 5 critic steps per G step, RMSProp. WGAN-GP with
  // one critic step (as Karras et al. 2018 train it with Adam): 5 steps cost 5x the budget.
  if (loss == GanLoss::wasserstein) t.n_critic = 5, t.optimizer = GanOptimizer::rmsprop;
  run.steps = 10000;
  run.batch_size = 64;
  return run;
}

void use_began_batch_norm(RingRun& run, int64_t steps) {
  if (run.train.loss != GanLoss::began || !run.net.autoencoder)
    fail("use_began_batch_norm", "is for BEGAN's autoencoder D, got loss " + gan_loss_name(run.train.loss));
  if (steps < 1) fail("use_began_batch_norm", "needs steps >= 1, got " + std::to_string(steps));
  // Why each piece (docs/08): without batch norm k_t sits at 0 and G's loss is the autoencoder's
  // error alone, which pulls every sample to the one region it reconstructs best. Normalising
  // the fake batch by its own statistics rescales a clump of fakes to unit spread inside D, so
  // G feels the batch's shape. A 2-d code (1-d forces a curve that also passes between modes);
  // the library's code layer is linear, and it matters: a scratch net with a ReLU on its 2-d
  // code left one mode nearly empty on every seed (7, 7, 2 modes).
  GanNetConfig& n = run.net;
  n.mlp_batch_norm = true, n.d_batch_norm = true, n.g_batch_norm = false;
  n.began_code = 2;
  // γ = 4 lets k_t rise above 0 whenever the fakes' error falls below 4x the reals', and then
  // D's fake term works against overfull modes; at γ <= 1 k_t stays at or near 0 (the fakes are
  // rarely reconstructed better than the reals). G at 5x D's rate follows its batch-norm D.
  run.train.began_gamma = 4;
  run.train.lr_d = 2e-4, run.train.lr_g = 1e-3;
  // Batches of 128: with 64 the real batch's statistics jitter more (its mean by ~0.18 per
  // coordinate, nine times a mode's σ), and the autoencoder's error on reals is less steady; a
  // scratch run went from 6 modes at 64 to 8 at 128 (docs/08).
  run.batch_size = 128;
  run.steps = steps, run.lr_decay = true;
}

void set_ring_rates(GanTrainer& trainer, const RingRun& run, int64_t step) {
  if (!run.lr_decay) return;
  if (run.steps < 1 || step < 0 || step >= run.steps)
    fail("set_ring_rates", "step " + std::to_string(step) + " is outside [0, " + std::to_string(run.steps) +
                               "): the decayed rate would be 0 or negative");
  set_decayed_rates(trainer, step, run.steps);  // the trainer was built from run.train
}

RingResult train_ring(const RingRun& run) {
  if (run.steps < 1 || run.batch_size < 2 || run.eval_samples < 1)
    fail("train_ring", "needs steps >= 1, batch_size >= 2, eval_samples >= 1");
  if (run.net.arch != GanArch::mlp || run.net.data_dim != 2)
    fail("train_ring", "needs an MLP GAN on 2-d data (net.arch = mlp, net.data_dim = 2)");
  const auto t0 = std::chrono::steady_clock::now();
  GanGenerator G(run.net);
  GanDiscriminator D(run.net);
  GanTrainer trainer(G, D, run.train);
  Generator data_rng(run.train.seed ^ 0xd1b54a32d192ed03ULL);
  RingResult res;
  for (int64_t s = 0; s < run.steps; ++s) {
    set_ring_rates(trainer, run, s);
    const GanStepStats st = trainer.step(sample_ring(run.batch_size, data_rng, run.ring, run.net.dtype));
    res.d_loss.push_back(st.d_loss);
    res.g_loss.push_back(st.g_loss);
  }
  Generator eval_rng(run.train.seed ^ 0x8cb92ba72f3d8dd7ULL);
  {
    NoGradGuard ng;
    res.samples = G.generate(Var(sample_latent(G.latent(), run.eval_samples, eval_rng, run.net.dtype).z)).data();
  }
  res.coverage = mode_coverage(res.samples, run.ring);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace latent::models
