// Chapter 08 — progressive growing (Karras et al. 2018, "Progressive growing
// of GANs for improved quality, stability, and variation"), scaled down to
// MNIST: 7x7 → 14x14 → 28x28.
//
// Both nets start at the lowest resolution, and layers for the next one are
// added to both while training goes on. A new layer is faded in (their
// figure 2): with α rising linearly from 0 to 1,
//   G:  out = α · toRGB_new(block_new(up(h))) + (1 − α) · up(toRGB_old(h))
//   D:  h   = α · block_new(fromRGB_new(x)) + (1 − α) · fromRGB_old(down(x))
// so the new layers start as a small correction to a net that already works,
// rather than a shock. Real images are shown at the current resolution and
// blended the same way during a fade (§A.1). The coarse structure is learned
// first, on small images where it is easy, and every later stage only adds
// detail — faster and more stable than training the full net from the start.
//
// The nets follow the paper's recipe (table 2, scaled down): 3x3
// convolutions with LeakyReLU(0.2), nearest-neighbour upsampling in G and
// average pooling in D, pixel norm after every conv in G (§4.2), equalised
// learning rate everywhere (§4.1), a minibatch-stddev feature map before D's
// last block (§3), 1x1 convolutions to and from images (toRGB / fromRGB, here
// grey), and a linear output (no Tanh).
#pragma once

#include <functional>
#include <vector>

#include "models/ch08/gan_train.h"

namespace latent::models {

struct ProgressiveConfig {
  int64_t noise = 64;                        // z ~ N(0, I)
  int64_t channels = 1;                      // image channels
  std::vector<int64_t> widths = {64, 32, 16};  // feature maps at 7x7, 14x14, 28x28
  DType dtype = DType::f32;
  uint64_t seed = 0;
};

// The growing state, shared by G and D: stage 0, 1, 2 = 7, 14, 28 pixels; alpha in [0, 1]
// is the weight of the newest stage's layers (1 when not fading).
struct GrowthState {
  int64_t stage = 0;
  double alpha = 1.0;
  int64_t resolution() const { return 7 << stage; }
};

class ProgressiveGenerator : public GeneratorNet {
 public:
  explicit ProgressiveGenerator(const ProgressiveConfig& config);
  // z [N, noise] -> [N, channels, r, r] with r = growth.resolution().
  Var generate(const Var& z, const Tensor& y = Tensor()) override;
  LatentSpec latent() const override { return LatentSpec{cfg_.noise, 0, 0, 0}; }
  std::string describe() const override;
  void set_growth(GrowthState g);  // checks stage in [0, 2] and alpha in [0, 1]
  GrowthState growth;

 private:
  ProgressiveConfig cfg_;
  std::shared_ptr<nn::Module> input_;               // z → 7x7 maps
  std::vector<std::shared_ptr<nn::Sequential>> blocks_, to_rgb_;
};

class ProgressiveDiscriminator : public DiscriminatorNet {
 public:
  explicit ProgressiveDiscriminator(const ProgressiveConfig& config);
  // x [N, channels, r, r] with r = growth.resolution(); score [N, 1], features [N, widths[0]].
  DiscriminatorOutput run(const Var& x, const Tensor& y = Tensor()) override;
  std::string describe() const override;
  void set_growth(GrowthState g);
  GrowthState growth;

 private:
  ProgressiveConfig cfg_;
  std::vector<std::shared_ptr<nn::Sequential>> blocks_, from_rgb_;  // blocks_[0] unused (the 7x7 end is final_)
  std::shared_ptr<nn::Sequential> final_;
  std::shared_ptr<nn::Module> head_;
};

// Images [N, C, 28, 28] at stage s's resolution (average pooling by 4, 2 or 1); during a
// fade (alpha < 1) blended with the previous resolution upsampled, as the generator's output is.
Tensor progressive_real(const Tensor& images, GrowthState g);

struct ProgressiveSchedule {
  int64_t steps_per_phase = 500;  // D steps in each fade-in phase and each stable phase
  int64_t batch_size = 64;
  uint64_t seed = 0;              // batches
  // Called after every phase: stage, alpha at its end, and the phase's mean losses.
  std::function<void(GrowthState, double d_loss, double g_loss)> on_phase = {};
};
// Stage 0 stable; then for stages 1 and 2, a fade-in phase (α: 0 → 1) and a stable phase.
// The trainer must have been built on this G and D. data: images in [−1, 1], [N, C, 28, 28].
// Returns every step's statistics.
std::vector<GanStepStats> train_progressive(GanTrainer& trainer, ProgressiveGenerator& G, ProgressiveDiscriminator& D,
                                            const Tensor& data, const ProgressiveSchedule& schedule);

}  // namespace latent::models
