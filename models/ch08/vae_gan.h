// Chapter 08 — VAE-GAN (Larsen et al. 2016): a VAE whose reconstruction error is measured in a
// discriminator's features instead of pixel by pixel.
//
//   VaeGan vg(VaeGanConfig{});
//   for (...) VaeGanStats s = vg.step(batch);     // images [N,1,28,28] in [−1, 1]
//   Tensor samples = vg.sample(64, gen);          // decoder on z ~ N(0, I)
//
// A VAE's Gaussian or Bernoulli pixel likelihood scores a reconstruction shifted by one pixel as
// badly as a wrong digit, so the decoder hedges and draws blurry means (chapter 07). Larsen et
// al. measure the error in the l-th layer of a GAN discriminator instead, whose features are
// trained to tell real images from generated ones:
//
//   L_prior = KL(q(z|x) ‖ N(0, I))                                     (their eq. 1's KL)
//   L_llike = ½ ‖Dis_l(x̃) − Dis_l(x)‖² per image, x̃ = Dec(z), z ~ q(z|x)   (eq. 6–7, σ = 1)
//   L_GAN   = log Dis(x) + log(1 − Dis(Dec(z))) + log(1 − Dis(Dec(z_p))), z_p ~ N(0, I)   (eq. 8)
//
// and train each net on its own part (their algorithm 1): the encoder on L_prior + L_llike,
// the decoder on γ L_llike − L_GAN (here in the non-saturating form, with γ = 1), the
// discriminator on −L_GAN (to tell x from both kinds of fakes). With `adversarial = false` the
// same encoder and decoder train as a plain VAE with chapter 07's Bernoulli pixel likelihood
// on the grey levels, the baseline the tutorial scores beside it.
//
// Differences from Larsen et al.: 28x28 DCGAN-style nets (encoder = D's two convolutions, decoder =
// the DCGAN generator of gan_nets.h), D without batch norm (features of x and x̃ are compared
// one image at a time, so batch statistics must not mix them) and with He initialisation, γ = 1
// (their decoder weighs L_llike by γ), and the KL weighted by 1.
#pragma once
#include <memory>
#include "models/ch08/gan_nets.h"
#include "nn/optim.h"

namespace latent::models {

struct VaeGanConfig {
  int64_t width = 32, latent = 32;  // nets' width (encoder w, 2w maps; G and D as gan_nets.h); z's size
  bool adversarial = true;          // false: a plain VAE of the same encoder and decoder (pixel likelihood)
  double lr = 2e-4, beta1 = 0.5;    // Adam for every net (Radford et al.'s; Larsen et al. use RMSProp 3e-4)
  uint64_t seed = 0;
  DType dtype = DType::f32;
};

struct VaeGanStats {
  double prior = 0;  // L_prior, mean over the batch (nats)
  double llike = 0;  // L_llike, mean over the batch: in D's features (adversarial) or pixels (plain)
  double d_loss = 0, g_loss = 0;  // D's loss and the decoder's adversarial part (0 when plain)
};

// One batch's terms, each with its graph: what step() trains on. g_adv and d are undefined for
// the plain VAE. The encoder and decoder step on prior + llike + g_adv, where g_adv reaches only
// the decoder (z detached); D steps on d, whose fakes are detached.
struct VaeGanLosses {
  Var prior, llike, g_adv, d;
};

// q(z|x): Conv(1→w, 4, s2) LeakyReLU → Conv(w→2w, 4, s2) BN LeakyReLU → Linear(2w·49 → 2·latent) = [μ, log σ²].
class ImageEncoder : public nn::Module {
 public:
  ImageEncoder(int64_t width, int64_t latent, uint64_t seed, DType dtype = DType::f32);
  Var forward(const Var& x) override;  // [N, 2·latent]
  std::string describe() const override;
  int64_t latent;

 private:
  std::shared_ptr<nn::Sequential> net_;
};

class VaeGan : public nn::Module {
 public:
  explicit VaeGan(const VaeGanConfig& config);
  // One step of every net on a batch x [N,1,28,28] in [−1, 1], N >= 2.
  VaeGanStats step(const Tensor& x);
  VaeGanLosses losses(const Tensor& x);        // the terms of one step, not applied (train mode)
  Tensor reconstruct(const Tensor& x);         // Dec(μ(x)), evaluation mode, no graph
  Tensor sample(int64_t n, Generator& g);      // Dec(z), z ~ N(0, I)
  std::string describe() const override;
  std::shared_ptr<ImageEncoder> encoder;
  std::shared_ptr<GanGenerator> decoder;
  std::shared_ptr<GanDiscriminator> discriminator;  // present only when adversarial
  const VaeGanConfig& config() const { return cfg_; }

 private:
  VaeGanConfig cfg_;
  std::unique_ptr<nn::Adam> vae_opt_, d_opt_;
  Generator rng_;
  int64_t steps_ = 0;
};

}  // namespace latent::models
