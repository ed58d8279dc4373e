// Chapter 08 — training a GAN: one trainer for every loss of gan_losses.h,
// the tricks of gan_tricks.h as switches, and an epoch loop for images.
//
//   GanNetConfig net;                                  // DCGAN for MNIST
//   Gan gan(net);
//   GanTrainConfig cfg;                                // NS GAN, Adam 2e-4, β1 = 0.5
//   GanTrainer trainer(*gan.generator, *gan.discriminator, cfg);
//   GanFitOptions fit{.epochs = 5, .on_epoch = [&](const GanEpochLog& e) { ...write a grid... }};
//   GanHistory h = train_gan(trainer, to_pm1(mnist.train.images), Tensor(), fit);
//
// One step (Goodfellow et al. 2014, algorithm 1, with n_critic D steps per G step
// as in Arjovsky et al. 2017, algorithm 1):
//   D step: x̂ = G(z) (no gradient into G), L_D from D(x) and D(x̂) [+ penalty]
//           [+ λ_I L_I on Q(x̂)], one optimiser step on D's parameters
//           [WGAN: then clip every weight of D into [−c, c]].
//   G step (after every n_critic-th D step): a fresh x̂ = G(z), L_G through D
//           [feature matching instead] [+ λ_I L_I], one step on G's parameters.
// Real and fake batches go through D separately, so batch norm in D
// normalises each with its own statistics (as the DCGAN reference code does).
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/ch08/gan_latent.h"
#include "models/ch08/gan_losses.h"
#include "nn/optim.h"

namespace latent::models {

enum class GanOptimizer { adam, rmsprop };

struct GanTrainConfig {
  GanLoss loss = GanLoss::non_saturating;
  // D (critic) steps per G step. Arjovsky et al. and Gulrajani et al. use 5 for the
  // Wasserstein losses: the critic should be near its optimum for its value to
  // estimate the distance whose gradient G follows.
  int64_t n_critic = 1;
  // Adam with β1 = 0.5 (Radford et al. §4: 0.9 oscillated); RMSProp for the clipped
  // WGAN (Arjovsky et al. §3: momentum-based optimisers were unstable with clipping).
  GanOptimizer optimizer = GanOptimizer::adam;
  double lr_d = 2e-4, lr_g = 2e-4, beta1 = 0.5, beta2 = 0.999;
  double clip = 0.01;       // WGAN: D's weights clipped into [−clip, clip] after each step
  double gp_weight = 10.0;  // λ of WGAN-GP (Gulrajani et al.) and DRAGAN (Kodali et al.)
  double dragan_c = 0.5;    // DRAGAN's perturbation scale, in units of the data's std
  double began_gamma = 0.5, began_lambda_k = 0.001;  // BEGAN's diversity ratio γ and k's learning rate
  // One-sided label smoothing (Salimans et al. 2016 §3.4): D's target for real data, e.g. 0.9.
  double real_label = 1.0;
  // Feature matching (Salimans et al. §3.1): G's loss is ‖E f(x) − E f(G(z))‖² on D's features.
  bool feature_matching = false;
  // InfoGAN (Chen et al. 2016, eq. 5): λ on the mutual-information term, and the continuous
  // codes' weight inside it (Chen et al. use a smaller λ for continuous codes).
  double info_weight = 1.0, info_continuous_weight = 0.1;
  // Top-k training (Sinha et al. 2020): G's loss averages only over the fraction top_k of its
  // batch that D scores as most real (BEGAN: reconstructs best); the other fakes' gradients,
  // which point towards wherever D thinks real data are on average, are dropped (all of them
  // only when D has no batch norm: with it, every fake shapes the batch statistics). 1: off.
  double top_k = 1.0;
  // Historical averaging (Salimans et al. §3.3): weight of ‖θ − θ̄‖² in each player's loss (0: off).
  double historical_averaging = 0.0;
  uint64_t seed = 0;  // z, codes and the penalty points
};
// Checks a config: n_critic >= 1, positive learning rates, label in (0, 1], ...
// The error names the field and the value.
void validate(const GanTrainConfig& c);

// What one call of GanTrainer::step did. g_loss is NaN on a step without a G update.
struct GanStepStats {
  double d_loss = 0;   // L_D including penalty and λ_I L_I
  double g_loss = std::numeric_limits<double>::quiet_NaN();
  double penalty = 0;  // the gradient penalty (before λ), WGAN-GP and DRAGAN
  double info = 0;     // L_I on the D step's fakes (InfoGAN)
  double d_real = 0, d_fake = 0;  // mean D output on the real and fake batch
  double began_k = 0, began_m = 0;  // BEGAN: k_t after the update, M_global
  bool g_step = false;
};

// L_I = CE(Q's logits, c_cat) + w · Σ_j −log N(c_j; μ_j, σ_j²) (mean over the batch):
// the negative of InfoGAN's variational lower bound on I(c; G(z, c)), up to the
// constant H(c) (Chen et al. §5). q is [N, K + 2M] as DiscriminatorOutput::q.
Var info_loss(const Var& q, const LatentSpec& spec, const LatentSample& codes, double continuous_weight);

// Top-k training's choice: the rows of the ceil(fraction · N) fakes D rates most real, best
// first: the largest scores [N,1], or for BEGAN the smallest reconstruction errors. (For LSGAN,
// as in Sinha et al., a score above 1 counts as more real, though (s − 1)² then grows again.)
Tensor top_k_rows(const Tensor& score, double fraction, GanLoss loss);

class GanTrainer {
 public:
  GanTrainer(GeneratorNet& G, DiscriminatorNet& D, const GanTrainConfig& config);
  // One D step on the batch `real` (labels y int64 [N] for a cGAN), and a G step
  // after every n_critic-th D step. Throws latent::Error "training diverged: ..."
  // at the first non-finite loss.
  GanStepStats step(const Tensor& real, const Tensor& y = Tensor());
  // The two halves. A Fake (z and G(z, y) with its graph) made by the caller is used as it
  // is; an empty one means "draw fresh z". g_step's real batch is for feature matching.
  struct Fake {
    LatentSample z;
    Var x;
  };
  double d_step(const Tensor& real, const Tensor& y, GanStepStats& stats, const Fake& fake = {});
  double g_step(const Tensor& real, const Tensor& y, const Fake& fake = {});

  const GanTrainConfig& config() const { return cfg_; }
  GeneratorNet& generator() { return G_; }
  DiscriminatorNet& discriminator() { return D_; }
  nn::Optimizer& d_optimizer() { return *d_opt_; }
  nn::Optimizer& g_optimizer() { return *g_opt_; }
  int64_t d_steps() const { return d_steps_; }
  int64_t g_steps() const { return g_steps_; }
  BeganBalance began;  // k_t (BEGAN only)
  Generator rng;       // z, codes, penalty points

 private:
  GeneratorNet& G_;
  DiscriminatorNet& D_;
  GanTrainConfig cfg_;
  std::unique_ptr<nn::Optimizer> d_opt_, g_opt_;
  std::unique_ptr<HistoricalAverage> d_hist_, g_hist_;
  int64_t d_steps_ = 0, g_steps_ = 0;
};

// ---- the epoch loop for images (or any [N, ...] data) ----

struct GanEpochLog {
  int64_t epoch = 0;
  double d_loss = 0, g_loss = 0;  // means over the epoch's D steps and G steps
  double began_m = 0;             // BEGAN: mean M_global
  double seconds = 0;
  int64_t steps = 0;              // D steps in the epoch
};
struct GanHistory {
  std::vector<GanStepStats> steps;  // every step: the loss curves
  std::vector<GanEpochLog> epochs;
};
struct GanFitOptions {
  int64_t epochs = 5;
  int64_t batch_size = 64;
  int64_t max_steps_per_epoch = 0;  // > 0: cut each epoch short (quick runs)
  uint64_t seed = 0;                // the shuffling
  // Written after every epoch when not empty: G and D (save_gan_checkpoint).
  std::string checkpoint_path = "";
  std::function<void(const GanEpochLog&)> on_epoch = {};  // e.g. write a sample grid
  std::function<void(int64_t step, const GanStepStats&)> on_step = {};
  // Both learning rates decayed linearly to 0 over all the steps (set_decayed_rates); the
  // rates the optimisers had before are put back when training ends (or throws).
  bool lr_decay = false;
};
// Linear decay: before step `step` of `total` (0-based), both optimisers' rates become the
// config's times 1 − step/total, so the last step is taken at 1/total of them. A step outside
// [0, total) is an error (the rate would be 0 or negative). Late steps shrink, so the players
// stop circling and G settles where it is when the budget runs out.
void set_decayed_rates(GanTrainer& trainer, int64_t step, int64_t total);

// Epochs of shuffled minibatches (the last, smaller one dropped: batch norm and the
// minibatch layers want full batches). data: the training examples, images scaled to
// [−1, 1] (nn::to_pm1) to match G's Tanh; y int64 [N] or undefined.
GanHistory train_gan(GanTrainer& trainer, const Tensor& data, const Tensor& y, const GanFitOptions& options);

// G and D in one file (nn/checkpoint.h's format): "generator.<name>", "discriminator.<name>",
// "meta.<key>". Loading checks every name and shape and changes nothing on a mismatch.
void save_gan_checkpoint(const std::string& path, const nn::Module& G, const nn::Module& D,
                         const std::map<std::string, double>& meta = {});
std::map<std::string, double> load_gan_checkpoint(const std::string& path, nn::Module& G, nn::Module& D);

}  // namespace latent::models
