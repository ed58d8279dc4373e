// Chapter 08's tutorial, the helpers (tutorials/ch08_gans_parts.cpp): the setting, the ring
// toy with snapshots over training, per-loss training settings on MNIST, and scoring.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "models/ch08/gan_metrics.h"
#include "models/ch08/gan_train.h"
#include "models/ch08/ring_toy.h"
#include "tutorials/runner.h"

namespace latent::tutorial::ch08 {

using namespace latent::models;

// Everything that differs between the quick tour and the full setting.
struct Setting {
  std::string name;
  bool full_mnist = false;
  // The ring of 8 Gaussians: the losses run, D steps per loss and seeds per loss (ring_setting's
  // nets and optimisers). NS and WGAN-GP are pictured over training when present.
  std::vector<GanLoss> ring_losses;
  int64_t ring_steps = 5000, ring_seeds = 1;
  // > 0: one more row, the clipped WGAN with a clip scaled to the ring (0.05), this many D steps
  // and the learning rates decayed to 0 (ring_toy.h's RingRun::lr_decay), ring_seeds seeds.
  int64_t ring_wgan_long_steps = 0;
  // A cure for the misses: these losses again with the minibatch-stddev feature in D
  // (GanNetConfig::minibatch_stddev), ring_steps D steps, ring_seeds seeds.
  std::vector<GanLoss> ring_mbstd_losses;
  // Both cures: these losses again with the minibatch-stddev feature and both learning rates
  // decayed linearly to 0 (RingRun::lr_decay), ring_steps D steps, ring_seeds seeds.
  std::vector<GanLoss> ring_mbstd_decay_losses;
  // > 0: a BEGAN row with batch norm in its autoencoder (ring_toy.h's use_began_batch_norm), this
  // many D steps of batch 128, ring_seeds seeds.
  int64_t ring_began_bn_steps = 0;
  // The main DCGAN, the cGAN and InfoGAN (NS loss, Adam with β1 0.5): width of G and D, epochs,
  // batch, learning rate (the quick run on 2,000 images takes more, smaller steps at a higher
  // rate to draw digits within a few hundred steps).
  int64_t width = 64, epochs = 3, batch = 64;
  double lr = 2e-4;
  // The main DCGAN and InfoGAN in the full run: InfoGAN's MNIST nets (gan_nets.h, fc_hidden:
  // one fully connected layer of 1,024 units in each net); 0: the plain DCGAN. lr_g: the main
  // DCGAN's G learning rate (Chen et al.'s 1e-3 in the full run; InfoGAN always uses theirs).
  int64_t fc_hidden = 0;
  double lr_g = 2e-4;
  // The main DCGAN's G: a mapping network of this many layers (gan_nets.h, mapping_layers;
  // 512 wide) between z and the net. 0: none.
  int64_t mapping_layers = 0;
  // The main DCGAN also keeps an exponential moving average of G's weights with this β
  // (Yazıcı et al. 2019; update_average in gan_tricks.h) and scores it beside G.
  double g_average = 0.999;
  // Generated images scored per evaluation (the test set's size, so that the real ceiling is
  // measured on as many images: the Fréchet distance is biased upwards for small N) and MS-SSIM pairs.
  int64_t eval_images = 500, ssim_pairs = 1000;
  int64_t side_epochs = 5;  // the conditional GAN and InfoGAN
  // The self-conditioned DCGAN (part `selfcond`): a cGAN on this many k-means clusters of the
  // training images, with the main DCGAN's nets (not its mapping), rates, batch and weight
  // average; 0: skipped.
  int64_t selfcond_clusters = 0, selfcond_epochs = 0;
  // The MNIST loss table: every loss on the same DCGAN (width table_width) for table_epochs
  // epochs (the same number of D steps each), table_seeds seeds; table_losses empty: skipped.
  std::vector<GanLoss> table_losses;
  int64_t table_width = 32, table_epochs = 0, table_seeds = 1;
  // CycleGAN on digits and inverted digits (part `cycle`): width of its nets, steps, batch.
  int64_t cycle_width = 16, cycle_steps = 300, cycle_batch = 32;
  // VAE-GAN beside a plain VAE of the same nets (part `vaegan`): width, latent size, epochs, batch.
  int64_t vaegan_width = 16, vaegan_latent = 16, vaegan_epochs = 10, vaegan_batch = 32;
};
Setting setting_for(bool quick);

// ---- the ring toy ----

struct RingTrace {
  ModeCoverage coverage;              // of run.eval_samples samples after training
  std::vector<int64_t> at;            // the D steps of the snapshots
  std::vector<Tensor> snapshots;      // G's samples [n, 2] at those steps
  std::vector<double> d_loss, g_loss; // per D step (g_loss NaN on steps without a G step)
  double seconds = 0;
};
// train_ring's loop (GanTrainer::step on fresh ring samples, rates set by set_ring_rates)
// with snapshots of 1,000 samples at the D steps in `at` (0: before training).
RingTrace trace_ring(const RingRun& run, const std::vector<int64_t>& at);
// A square panel: the 8 centres as crosses, the samples as blue dots, on a fixed [−3, 3]² view.
Tensor ring_panel(const Tensor& samples, int64_t size = 220);
// Panels side by side (a grey line between them) as one PNG.
void write_panels(const std::string& path, const std::vector<Tensor>& panels);

// ---- MNIST ----

// The nets and optimiser of `loss` on MNIST: a DCGAN of width `width` for every loss, with what
// each loss's paper prescribes (ch08_gans_parts.cpp lists the choices and their sources).
struct MnistGan {
  GanNetConfig net;
  GanTrainConfig train;
};
MnistGan mnist_setup(GanLoss loss, int64_t width, uint64_t seed);

// The metric LeNet and the real reference (training images), prepared once.
struct Scorer {
  MetricNet net;
  ReferenceSet reference;
  ScoreOptions options;
  Generator rng;
  GanScores ceiling;  // real test images scored against the reference
  GanScores score(const Tensor& images01);                    // every metric
  std::pair<double, double> is_fid(const Tensor& images01);   // only IS and Fréchet distance (cheap)
};

// Trains one GAN on MNIST images x in [−1, 1] (labels y for a cGAN) with train_gan,
// saying one line per epoch, then running on_epoch (e.g. a sample grid); on_step runs after
// every step (e.g. to average G's weights).
GanHistory fit(Tutorial& T, const std::string& label, GeneratorNet& G, DiscriminatorNet& D, const GanTrainConfig& cfg,
               const Tensor& x, const Tensor& y, int64_t epochs, int64_t batch,
               const std::function<void(const GanEpochLog&)>& on_epoch = {},
               const std::function<void(int64_t, const GanStepStats&)>& on_step = {});

// The DCGAN part's last score (ch08_gans_between.cpp): G's samples sorted by the norm of its
// Jacobian, LeNet's doubt per tenth, and the scores with 10 % and 20 % of the largest dropped.
void between_digits(Tutorial& T, const Setting& S, GeneratorNet& G, Scorer& sc, const std::string& setting,
                    uint64_t seed);

// The tutorial's last steps: a conditional GAN's digits and InfoGAN's codes; every loss on MNIST.
void conditional_and_infogan(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& labels, Scorer& sc);
void loss_table(Tutorial& T, const Setting& S, const Tensor& x, Scorer& sc);
// The self-conditioned DCGAN (ch08_gans_selfcond.cpp): x in [−1, 1] to train on, the same
// images in [0, 1] to cluster, and the digit labels, read only to report purity.
void self_conditioned(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& images01, const Tensor& digits,
                      Scorer& sc);

// CycleGAN (ch08_gans_cycle.cpp): x, the training images in [−1, 1], split into two unpaired
// domains (digits, and other digits inverted); test01, test images in [0, 1], to score the map.
void cycle_gan(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& test01);
// VAE-GAN and a plain VAE (ch08_gans_vaegan.cpp): x in [−1, 1] to train on, test01 to reconstruct.
void vae_gan(Tutorial& T, const Setting& S, const Tensor& x, const Tensor& test01, Scorer& sc);

// Per row of probs [N, K], the index of the largest: LeNet's digit for each image.
std::vector<int64_t> predicted_digits(const Tensor& probs);

// 1, 2, ..., n: the x axis of a per-step curve.
std::vector<double> steps_axis(size_t n);
// A moving average over `window` points, skipping NaN (G's loss on D-only steps).
std::vector<double> smoothed(const std::vector<double>& v, size_t window);

}  // namespace latent::tutorial::ch08
