// Chapter 08 — the 2-d toy of mode collapse: a mixture of 8 Gaussians on a
// ring (Metz et al. 2017, "Unrolled GANs", §3.1; Srivastava et al. 2017,
// VEEGAN, §5.1): modes at radius 2, angles 2πk/8, each with std 0.02. A
// generator that collapses makes samples around one mode (or hops from mode
// to mode during training) instead of covering all eight.
//
// Two numbers judge a set of generated samples (VEEGAN §5.1; PacGAN, Lin et
// al. 2018, §5.1 for the counting rule):
//   high-quality fraction: samples within 3σ of some mode's centre;
//   modes covered: modes with at least min_count of those high-quality samples
//                  (20 of 2,500 samples as in PacGAN: a handful of strays do
//                  not count as covering a mode).
#pragma once

#include <vector>

#include "models/ch08/gan_train.h"

namespace latent::models {

struct RingConfig {
  int64_t modes = 8;
  double radius = 2.0, std = 0.02;
};

Tensor ring_centers(const RingConfig& ring = {});  // [modes, 2], float64
// n draws of the mixture (equal weights): [n, 2].
Tensor sample_ring(int64_t n, Generator& g, const RingConfig& ring = {}, DType dtype = DType::f32);

struct ModeCoverage {
  int64_t modes_covered = 0;
  double high_quality = 0;      // fraction of samples within n_sigma·σ of the nearest centre
  std::vector<int64_t> counts;  // high-quality samples per mode
};
// samples [N, 2].
ModeCoverage mode_coverage(const Tensor& samples, const RingConfig& ring = {}, int64_t min_count = 20,
                           double n_sigma = 3.0);

// ---- one setting for every loss ----

// A GAN on the ring: MLP nets (gan_nets.h, arch mlp) and a fixed budget of D steps.
struct RingRun {
  GanNetConfig net;
  GanTrainConfig train;
  RingConfig ring;
  int64_t steps = 10000;      // D steps (G steps = steps / n_critic)
  int64_t batch_size = 64;
  int64_t eval_samples = 2500;
  bool lr_decay = false;      // both learning rates decay linearly to 0 over the steps
};
// The setting used for every loss: the same nets (G 16-128-128-2 with a linear output, D
// 2-128-128-1, LeakyReLU 0.2), batch 64 and 10,000 D steps (the full tour sets 20,000), Adam(1e-3,
// β1 = 0.5). Per loss only
// what its paper prescribes: λ = 0.1 for WGAN-GP and DRAGAN (the toy value of Gulrajani et al.'s
// code), RMSProp and n_critic = 5 for the clipped WGAN, and a 1-d code for BEGAN's autoencoder.
// See ring_toy.cpp for the reasons. What it gives at 20,000 D steps (the full tour, seeds 0-2,
// docs/08): 8 modes on every seed for WGAN-GP and DRAGAN; for MM, NS and LSGAN 8 on most
// seeds but 5-7 on some (which ones changes with the thread count), and 8 on every seed with
// the minibatch-stddev feature and lr_decay together;
// none for the clipped WGAN, whose critic is too constrained to model the 0.02-wide modes in
// this budget (the tour adds a longer clipped run, docs/08); one for BEGAN, which collapses
// onto the mode its autoencoder reconstructs best (0-6 with use_began_batch_norm below).
RingRun ring_setting(GanLoss loss, uint64_t seed = 0);
// A partial cure for BEGAN on the ring (docs/08, the ring toy): batch norm in the autoencoder's
// hidden layers (GanNetConfig::mlp_batch_norm; G has none), a 2-d code, D at 2e-4 and G at 1e-3 (5x, as in
// a widely copied MNIST BEGAN), γ = 4, batches of 128 and both rates decayed to 0 over `steps`
// D steps; the error stays the library's per-example L1. 0-6 modes on seeds 0-2 (docs/08).
void use_began_batch_norm(RingRun& run, int64_t steps);

struct RingResult {
  ModeCoverage coverage;
  Tensor samples;  // [eval_samples, 2] from the trained G
  std::vector<double> d_loss, g_loss;  // per D step (g_loss NaN on steps without a G step)
  double seconds = 0;
};
// The learning rates for D step `step` of `run` (run.lr_decay: linear decay to 0,
// set_decayed_rates), set on the trainer's optimisers from the trainer's config, so the trainer
// must be built from run.train; a no-op without lr_decay. train_ring calls it before every step.
// A step outside [0, run.steps) is an error (the rate would be 0 or negative).
void set_ring_rates(GanTrainer& trainer, const RingRun& run, int64_t step);
// Trains on fresh ring samples every step (the data distribution is known
// exactly, so there is no finite training set) and measures coverage.
RingResult train_ring(const RingRun& run);

}  // namespace latent::models
