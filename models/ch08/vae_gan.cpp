// VAE-GAN: the encoder, and one training step of Larsen et al. 2016's algorithm 1.
#include "models/ch08/vae_gan.h"

#include <cmath>
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/progress.h"

namespace latent::models {

namespace {
GanNetConfig nets_of(const VaeGanConfig& c) {
  GanNetConfig n;
  n.arch = GanArch::dcgan;
  n.latent = LatentSpec{c.latent, 0, 0, 0};
  n.g_width = n.d_width = c.width;
  n.d_batch_norm = false;  // D's features of x and x̃ are compared image by image
  n.he_init = true;        // without batch norm, N(0, 0.02²) would shrink D's signal (docs/08, BEGAN)
  n.seed = c.seed * 3 + 2, n.dtype = c.dtype;
  return n;
}
// ½ Σ over everything but the batch of (a − b)², averaged over the batch.
Var half_squared_error(const Var& a, const Var& b) {
  return mean(sum(square(flatten(a - b, 1)), Axes{1}) * 0.5);
}
}  // namespace

ImageEncoder::ImageEncoder(int64_t w, int64_t latent_, uint64_t seed, DType dtype) : latent(latent_) {
  if (w < 1 || latent < 1) fail("ImageEncoder", "width and latent must be >= 1");
  Generator g(seed);
  auto conv1 = nn::make<nn::Conv2d>(1, w, 4, 2, 1), conv2 = nn::make<nn::Conv2d>(w, 2 * w, 4, 2, 1);
  auto head = nn::make<nn::Linear>(2 * w * 49, 2 * latent);
  nn::init::he_normal(conv1->weight, 16.0, &g);  // He et al. 2015
  nn::init::he_normal(conv2->weight, 16.0 * (double)w, &g);
  nn::init::normal(head->weight, 0, 0.01, &g);  // μ ≈ 0, log σ² ≈ 0 at the start: q(z|x) ≈ the prior
  for (auto* b : {&conv1->bias, &conv2->bias, &head->bias}) nn::init::constant(*b, 0);
  net_ = register_module("net", std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
                                    conv1, nn::make<nn::LeakyReLU>(0.2), conv2, nn::make<nn::BatchNorm>(2 * w, true),
                                    nn::make<nn::LeakyReLU>(0.2), nn::make<nn::Flatten>(), head}));
  cast_parameters(*this, dtype);
}

Var ImageEncoder::forward(const Var& x) {
  check_images("ImageEncoder", x, 1);
  return (*net_)(x);
}

std::string ImageEncoder::describe() const { return "ImageEncoder(" + net_->describe() + ")"; }

VaeGan::VaeGan(const VaeGanConfig& c) : cfg_(c), rng_(c.seed * 3 + 7) {
  if (c.width < 1) fail("VaeGan", "width must be >= 1, got " + std::to_string(c.width));
  if (c.latent < 1) fail("VaeGan", "latent must be >= 1, got " + std::to_string(c.latent));
  if (!(c.lr > 0)) fail("VaeGan", "lr must be > 0, got " + num_str(c.lr));
  if (!(c.beta1 >= 0 && c.beta1 < 1)) fail("VaeGan", "beta1 must be in [0, 1), got " + num_str(c.beta1));
  encoder = register_module("encoder", std::make_shared<ImageEncoder>(c.width, c.latent, c.seed * 3 + 1, c.dtype));
  const GanNetConfig n = nets_of(c);
  decoder = register_module("decoder", std::make_shared<GanGenerator>(n));
  std::vector<Var> vae = encoder->parameters();
  for (const Var& p : decoder->parameters()) vae.push_back(p);
  vae_opt_ = std::make_unique<nn::Adam>(vae, c.lr, c.beta1);
  if (c.adversarial) {
    discriminator = register_module("discriminator", std::make_shared<GanDiscriminator>(n));
    d_opt_ = std::make_unique<nn::Adam>(discriminator->parameters(), c.lr, c.beta1);
  }
}

VaeGanLosses VaeGan::losses(const Tensor& x_) {
  const Var x(x_);
  check_images("VaeGan::step", x, 1);
  if (x.size(0) < 2) fail("VaeGan::step", "needs a batch of at least 2 images (batch norm), got " + std::to_string(x.size(0)));
  train();
  const int64_t n = x.size(0), k = cfg_.latent;
  VaeGanLosses l;
  // The encoder's q(z|x) and a reparameterised draw z = μ + σ ε (chapter 07).
  const Var h = (*encoder)(x);
  const Var mu = slice(h, 1, 0, k), logvar = slice(h, 1, k, 2 * k);
  const Var eps(normal({n, k}, 0, 1, x.dtype(), &rng_));
  const Var z = mu + exp(logvar * 0.5) * eps;
  const Var x_rec = decoder->generate(z);
  l.prior = nn::kl_normal(mu, logvar);  // KL(q(z|x) ‖ N(0, I)), summed over z, mean over the batch
  if (!cfg_.adversarial) {
    // Chapter 07's Bernoulli likelihood on the grey levels t = (x + 1)/2 with means p = (x̃ + 1)/2:
    // −Σ_pixels t log p + (1 − t) log(1 − p), the pixel-wise loss whose means come out blurry.
    const Var t = (x + 1.0) * 0.5, p = clamp((x_rec + 1.0) * 0.5, 1e-6, 1 - 1e-6);
    l.llike = nn::bce_loss(p, t, nn::Reduction::sum) / (double)n;
    return l;
  }
  // L_llike in D's last hidden layer; D(x)'s features are the target, not trained by it.
  const Var target(discriminator->run(x).features.data());
  l.llike = half_squared_error(discriminator->run(x_rec).features, target);
  // The decoder's adversarial part (non-saturating), on reconstructions and on prior samples.
  // z is detached for it: in algorithm 1 the encoder is trained on L_prior + L_llike only.
  const Var zp(normal({n, k}, 0, 1, x.dtype(), &rng_));
  const Var x_prior = decoder->generate(zp), x_rec_g = decoder->generate(Var(z.data()));
  l.g_adv = mean(softplus(-discriminator->run(x_rec_g).score)) + mean(softplus(-discriminator->run(x_prior).score));
  // D: real images towards 1, both kinds of fakes (detached) towards 0 (−L_GAN, eq. 8).
  l.d = mean(softplus(-discriminator->run(x).score)) + mean(softplus(discriminator->run(Var(x_rec.data())).score)) +
        mean(softplus(discriminator->run(Var(x_prior.data())).score));
  return l;
}

VaeGanStats VaeGan::step(const Tensor& x) {
  const VaeGanLosses l = losses(x);
  VaeGanStats st;
  const Var loss = l.g_adv.defined() ? l.prior + l.llike + l.g_adv : l.prior + l.llike;
  check_finite(loss, "VaeGan encoder and decoder loss", steps_);
  vae_opt_->zero_grad();
  loss.backward();  // also fills D's gradients (through L_llike and the adversarial term): zeroed below
  vae_opt_->step();
  if (l.d.defined()) {
    // D's loss holds detached fakes and D's own weights, which the step above did not change.
    check_finite(l.d, "VaeGan discriminator loss", steps_);
    d_opt_->zero_grad();
    l.d.backward();
    d_opt_->step();
    st.d_loss = l.d.item(), st.g_loss = l.g_adv.item();
  }
  st.prior = l.prior.item(), st.llike = l.llike.item();
  ++steps_;
  return st;
}

Tensor VaeGan::reconstruct(const Tensor& x) {
  check_images("VaeGan::reconstruct", Var(x), 1);
  eval();
  NoGradGuard ng;
  const Tensor out = decoder->generate(slice((*encoder)(Var(x)), 1, 0, cfg_.latent)).data();
  train();
  return out;
}

Tensor VaeGan::sample(int64_t n, Generator& g) {
  if (n < 1) fail("VaeGan::sample", "n must be >= 1, got " + std::to_string(n));
  eval();
  NoGradGuard ng;
  const Tensor out = decoder->generate(Var(normal({n, cfg_.latent}, 0, 1, cfg_.dtype, &g))).data();
  train();
  return out;
}

std::string VaeGan::describe() const {
  return std::string(cfg_.adversarial ? "VaeGan" : "VaeGan(plain VAE)") + "(latent " + std::to_string(cfg_.latent) +
         ", width " + std::to_string(cfg_.width) + ")";
}

}  // namespace latent::models
