// Chapter 08 — progressive growing 7 → 14 → 28 with fade-in (progressive.h).
#include "models/ch08/progressive.h"

#include <cmath>

#include "autodiff/ops_conv.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

using nn::ModulePtr;
constexpr int64_t kStages = 3;
std::string str(int64_t v) { return std::to_string(v); }

void check_config(const ProgressiveConfig& c) {
  if (c.noise < 1 || c.channels < 1 || (int64_t)c.widths.size() != kStages)
    fail("ProgressiveConfig", "needs noise >= 1, channels >= 1 and 3 widths (7, 14, 28 pixels); got noise " +
                                  str(c.noise) + ", channels " + str(c.channels) + ", " + str((int64_t)c.widths.size()) +
                                  " widths");
  for (int64_t w : c.widths)
    if (w < 1) fail("ProgressiveConfig", "widths must be >= 1");
  if (c.dtype != DType::f32 && c.dtype != DType::f64) fail("ProgressiveConfig", "dtype must be f32 or f64");
}

void check_growth(const std::string& op, GrowthState g) {
  if (g.stage < 0 || g.stage >= kStages || !(g.alpha >= 0 && g.alpha <= 1))
    fail(op, "stage must be 0, 1 or 2 and alpha in [0, 1]; got stage " + str(g.stage) + ", alpha " +
                 std::to_string(g.alpha));
}

// Equalised 3x3 conv (padding 1) + LeakyReLU(0.2) [+ pixel norm].
std::vector<ModulePtr> conv3(int64_t in, int64_t out, bool pixel_norm, Generator& g) {
  std::vector<ModulePtr> v{nn::make<EqualizedConv2d>(in, out, 3, 1, 1, true, std::sqrt(2.0), DType::f32, &g),
                           nn::make<nn::LeakyReLU>(0.2)};
  if (pixel_norm) v.push_back(nn::make<PixelNorm>());
  return v;
}
std::shared_ptr<nn::Sequential> seq(std::vector<ModulePtr> a, const std::vector<ModulePtr>& b = {}) {
  a.insert(a.end(), b.begin(), b.end());
  return std::make_shared<nn::Sequential>(a);
}
// 1x1 conv between images and feature maps (gain 1: a linear map, as Karras et al.'s toRGB).
ModulePtr conv1(int64_t in, int64_t out, Generator& g) {
  return nn::make<EqualizedConv2d>(in, out, 1, 1, 0, true, 1.0, DType::f32, &g);
}

// z → PixelNorm → dense to [N, w, 7, 7] → LeakyReLU → PixelNorm (Karras et al. table 2's first block).
class InputBlock : public nn::Module {
 public:
  InputBlock(int64_t noise, int64_t width, Generator& g) : width_(width) {
    dense_ = register_module("dense", nn::make<EqualizedLinear>(noise, width * 49, true, std::sqrt(2.0) / 4,
                                                                DType::f32, &g));
  }
  Var forward(const Var& z) override {
    Var h = reshape((*dense_)(PixelNorm()(z)), {z.size(0), width_, 7, 7});
    return PixelNorm()(leaky_relu(h, 0.2));
  }
  std::string describe() const override { return "InputBlock"; }

 private:
  int64_t width_;
  std::shared_ptr<EqualizedLinear> dense_;
};

}  // namespace

ProgressiveGenerator::ProgressiveGenerator(const ProgressiveConfig& c) : cfg_(c) {
  check_config(c);
  Generator g(c.seed);
  const auto& w = c.widths;
  input_ = register_module("input", std::make_shared<InputBlock>(c.noise, w[0], g));
  for (int64_t s = 0; s < kStages; ++s) {
    // Stage 0's block refines the 7x7 maps; later blocks work on upsampled maps.
    const int64_t in = s == 0 ? w[0] : w[s - 1];
    blocks_.push_back(register_module("block" + str(s), seq(conv3(in, w[s], true, g), conv3(w[s], w[s], true, g))));
    to_rgb_.push_back(register_module("to_rgb" + str(s), seq({conv1(w[s], c.channels, g)})));
  }
  cast_parameters(*this, c.dtype);
}

void ProgressiveGenerator::set_growth(GrowthState g) {
  check_growth("ProgressiveGenerator", g);
  growth = g;
}

Var ProgressiveGenerator::generate(const Var& z, const Tensor& y) {
  if (y.defined()) fail("ProgressiveGenerator", "is not conditional: labels given");
  if (z.dim() != 2 || z.size(1) != cfg_.noise)
    fail("ProgressiveGenerator", "expects z [N," + str(cfg_.noise) + "], got " + shape_str(z.shape()));
  check_growth("ProgressiveGenerator", growth);
  Var h = (*blocks_[0])((*input_)(z));
  for (int64_t s = 1; s < growth.stage; ++s) h = (*blocks_[s])(upsample2x(h));
  if (growth.stage == 0) return (*to_rgb_[0])(h);
  const int64_t s = growth.stage;
  const Var fresh = (*to_rgb_[s])((*blocks_[s])(upsample2x(h)));
  if (growth.alpha >= 1) return fresh;
  // Fade-in: the old stage's image, upsampled, blended with the new one.
  return fresh * growth.alpha + upsample2x((*to_rgb_[s - 1])(h)) * (1 - growth.alpha);
}

std::string ProgressiveGenerator::describe() const {
  return "progressive generator, stage " + str(growth.stage) + " (" + str(growth.resolution()) + "x" +
         str(growth.resolution()) + ")";
}

ProgressiveDiscriminator::ProgressiveDiscriminator(const ProgressiveConfig& c) : cfg_(c) {
  check_config(c);
  Generator g(c.seed ^ 0x5851f42d4c957f2dULL);
  const auto& w = c.widths;
  for (int64_t s = 0; s < kStages; ++s) {
    from_rgb_.push_back(register_module("from_rgb" + str(s), seq({conv1(c.channels, w[s], g), nn::make<nn::LeakyReLU>(0.2)})));
    if (s == 0) {
      blocks_.push_back(nullptr);
      continue;
    }
    // Two convs, then halve the resolution by average pooling.
    blocks_.push_back(register_module("block" + str(s), seq(conv3(w[s], w[s], false, g), conv3(w[s], w[s - 1], false, g))));
    blocks_.back()->push_back(nn::make<nn::AvgPool2d>(2));
  }
  // 7x7 end: minibatch stddev map, conv, dense to features, then the score.
  final_ = register_module("final", seq({nn::make<MinibatchStddev>()}, conv3(w[0] + 1, w[0], false, g)));
  final_->push_back(nn::make<nn::Flatten>());
  final_->push_back(nn::make<EqualizedLinear>(w[0] * 49, w[0], true, std::sqrt(2.0), DType::f32, &g));
  final_->push_back(nn::make<nn::LeakyReLU>(0.2));
  head_ = register_module("head", nn::make<EqualizedLinear>(w[0], 1, true, 1.0, DType::f32, &g));
  cast_parameters(*this, c.dtype);
}

void ProgressiveDiscriminator::set_growth(GrowthState g) {
  check_growth("ProgressiveDiscriminator", g);
  growth = g;
}

DiscriminatorOutput ProgressiveDiscriminator::run(const Var& x, const Tensor& y) {
  if (y.defined()) fail("ProgressiveDiscriminator", "is not conditional: labels given");
  check_growth("ProgressiveDiscriminator", growth);
  const int64_t r = growth.resolution(), s = growth.stage;
  if (x.dim() != 4 || x.size(1) != cfg_.channels || x.size(2) != r || x.size(3) != r)
    fail("ProgressiveDiscriminator", "at stage " + str(s) + " expects images [N," + str(cfg_.channels) + "," + str(r) +
                                         "," + str(r) + "], got " + shape_str(x.shape()));
  Var h = (*from_rgb_[s])(x);
  if (s > 0) {
    h = (*blocks_[s])(h);
    // Fade-in: the new block's output blended with the downsampled image through the old fromRGB.
    if (growth.alpha < 1) h = h * growth.alpha + (*from_rgb_[s - 1])(avg_pool2d(x, 2, 2)) * (1 - growth.alpha);
    for (int64_t k = s - 1; k >= 1; --k) h = (*blocks_[k])(h);
  }
  DiscriminatorOutput out;
  out.features = (*final_)(h);
  out.score = (*head_)(out.features);
  return out;
}

std::string ProgressiveDiscriminator::describe() const {
  return "progressive discriminator, stage " + str(growth.stage);
}

Tensor progressive_real(const Tensor& images, GrowthState g) {
  check_growth("progressive_real", g);
  if (images.dim() != 4 || images.size(2) != 28 || images.size(3) != 28)
    fail("progressive_real", "expects images [N,C,28,28], got " + shape_str(images.shape()));
  auto down = [&](int64_t stage) {
    const int64_t f = 4 >> stage;  // 4, 2, 1
    return f == 1 ? images : avg_pool2d(images, f, f);
  };
  const Tensor x = down(g.stage);
  if (g.stage == 0 || g.alpha >= 1) return x;
  NoGradGuard ng;
  const Tensor coarse = upsample2x(Var(down(g.stage - 1))).data();
  return x * g.alpha + coarse * (1 - g.alpha);
}

std::vector<GanStepStats> train_progressive(GanTrainer& trainer, ProgressiveGenerator& G, ProgressiveDiscriminator& D,
                                            const Tensor& data, const ProgressiveSchedule& sch) {
  if (&trainer.generator() != &G || &trainer.discriminator() != &D)
    fail("train_progressive", "the trainer was built on other nets than the G and D given");
  if (sch.steps_per_phase < 1 || sch.batch_size < 2)
    fail("train_progressive", "needs steps_per_phase >= 1 and batch_size >= 2");
  if (data.dim() != 4 || data.size(0) < sch.batch_size)
    fail("train_progressive", "data must be images [N,C,28,28] with N >= batch_size, got " + shape_str(data.shape()));
  Generator g(sch.seed);
  std::vector<GanStepStats> all;
  auto phase = [&](int64_t stage, bool fade) {
    double d = 0, gl = 0;
    int64_t gn = 0;
    for (int64_t t = 0; t < sch.steps_per_phase; ++t) {
      const GrowthState st{stage, fade ? (double)(t + 1) / (double)sch.steps_per_phase : 1.0};
      G.set_growth(st), D.set_growth(st);
      const Tensor idx = randint(0, data.size(0), {sch.batch_size}, &g);
      const GanStepStats s = trainer.step(progressive_real(index_select(data, 0, idx), st));
      all.push_back(s);
      d += s.d_loss;
      if (s.g_step) gl += s.g_loss, ++gn;
    }
    if (sch.on_phase)
      sch.on_phase(G.growth, d / (double)sch.steps_per_phase, gn ? gl / (double)gn : std::nan(""));
  };
  phase(0, false);
  for (int64_t s = 1; s < kStages; ++s) phase(s, true), phase(s, false);
  return all;
}

}  // namespace latent::models
