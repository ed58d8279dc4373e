// Chapter 08 — CycleGAN (Zhu et al. 2017) on a toy pair of digit domains.
//
//   CycleGan cg(CycleGanConfig{});
//   for (...) CycleStats s = cg.step(digits_batch, inverted_batch);   // unpaired batches
//   Tensor translated = cg.a_to_b(test_digits);                         // [N,1,28,28] in [-1,1]
//
// Two domains A and B with no paired examples, two translators G: A → B and F: B → A, and one
// discriminator per domain. Each translator plays a least-squares GAN (Mao et al. 2017; Zhu et
// al. §4 chose it for its stability) against its target domain's D, and the cycle-consistency
// loss ties the two translators together:
//
//   L_GAN(G, D_B) = E_b (D_B(b) − 1)² + E_a D_B(G(a))²         (Zhu et al. eq. 1, LSGAN form)
//   L_cyc(G, F)   = E_a |F(G(a)) − a| + E_b |G(F(b)) − b|       (eq. 2; means over pixels)
//   L(G, F)       = L_GAN(G, D_B) + L_GAN(F, D_A) + λ L_cyc      (eq. 3; λ = 10)
//
// The GAN terms alone only ask that G(a) look like some image of B; any mapping that
// scrambles which a goes to which b would do. The cycle term asks that F can undo G, so G
// must keep what identifies a, and a correspondence between the domains is learned without
// one pair. The toy pair here (tutorial 08, part `cycle`): digits, and other digits with
// their grey levels inverted, where the true map is known (b = −a in [−1, 1]) and the
// learned one can be scored against it.
//
// Differences from Zhu et al.: small encoder-decoder translators without normalisation (theirs
// are residual nets with instance norm), the DCGAN discriminator of gan_nets.h (theirs is a
// 70x70 PatchGAN), and no buffer of 50 past fakes for D.
#pragma once
#include <memory>
#include "models/ch08/gan_nets.h"
#include "nn/optim.h"

namespace latent::models {

struct CycleGanConfig {
  int64_t width = 32;          // translators: w then 2w feature maps; each D: the DCGAN D of width w
  double cycle_weight = 10.0;  // λ of eq. 3 (Zhu et al. §4)
  double lr = 2e-4, beta1 = 0.5;  // Adam for all four nets (Zhu et al. §4)
  uint64_t seed = 0;           // initial weights
  DType dtype = DType::f32;    // f64 for gradient checks
};

// Image to image, [N,1,28,28] → [N,1,28,28], Tanh out:
//   Conv(1→w, 4, s2) LeakyReLU(0.2) → Conv(w→2w, 4, s2) ReLU → ConvT(2w→w, 4, s2) ReLU → ConvT(w→1, 4, s2) Tanh
// 28 → 14 → 7 → 14 → 28: a 7x7 bottleneck of 2w maps, enough to carry a digit's strokes.
class ImageTranslator : public nn::Module {
 public:
  ImageTranslator(int64_t width, uint64_t seed, DType dtype = DType::f32);
  Var forward(const Var& x) override;
  std::string describe() const override;

 private:
  std::shared_ptr<nn::Sequential> net_;
};

// The four losses of one step (before λ for the cycle term).
struct CycleStats {
  double d_a = 0, d_b = 0;  // each D's least-squares loss, halved as Zhu et al. §4 (0.25 at D(x) = 0.5 everywhere)
  double g_gan = 0;         // L_GAN of G plus that of F, the translators' side
  double cycle = 0;         // L_cyc
};

class CycleGan : public nn::Module {
 public:
  explicit CycleGan(const CycleGanConfig& config);
  // One step of the translators (eq. 3), then one of both discriminators on the same fakes,
  // detached. a, b: batches of A and B, [N,1,28,28] in [−1, 1], N >= 2 (their sizes may differ).
  CycleStats step(const Tensor& a, const Tensor& b);
  Tensor a_to_b(const Tensor& a);  // G(a), evaluation mode, no graph
  Tensor b_to_a(const Tensor& b);  // F(b)
  std::string describe() const override;
  std::shared_ptr<ImageTranslator> g_ab, g_ba;  // G and F
  std::shared_ptr<GanDiscriminator> d_a, d_b;
  const CycleGanConfig& config() const { return cfg_; }

 private:
  CycleGanConfig cfg_;
  std::unique_ptr<nn::Adam> g_opt_, d_opt_;
  int64_t steps_ = 0;
};

}  // namespace latent::models
