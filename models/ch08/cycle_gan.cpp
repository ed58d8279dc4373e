// CycleGAN: the translators, and one training step (Zhu et al. 2017, eq. 1–3).
#include "models/ch08/cycle_gan.h"

#include <cmath>
#include "models/ch08/gan_losses.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/progress.h"

namespace latent::models {

namespace {

// He et al. 2015's N(0, 2/fan_in) (nn/init.h): without normalisation layers, the default scale
// would shrink the signal layer by layer. fan_in counts the inputs each output sums: in·k² for
// a convolution, in·k²/s² for a transposed one of stride s.
template <class Layer>
std::shared_ptr<Layer> he(std::shared_ptr<Layer> l, double fan_in, Generator& g) {
  nn::init::he_normal(l->weight, fan_in, &g);
  nn::init::constant(l->bias, 0);
  return l;
}

}  // namespace

ImageTranslator::ImageTranslator(int64_t w, uint64_t seed, DType dtype) {
  if (w < 1) fail("ImageTranslator", "width must be >= 1, got " + std::to_string(w));
  Generator g(seed);
  net_ = register_module(
      "net", std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
                 he(nn::make<nn::Conv2d>(1, w, 4, 2, 1), 16.0, g), nn::make<nn::LeakyReLU>(0.2),
                 he(nn::make<nn::Conv2d>(w, 2 * w, 4, 2, 1), 16.0 * (double)w, g), nn::make<nn::ReLU>(),
                 he(nn::make<nn::ConvTranspose2d>(2 * w, w, 4, 2, 1), 4.0 * 2 * (double)w, g), nn::make<nn::ReLU>(),
                 he(nn::make<nn::ConvTranspose2d>(w, 1, 4, 2, 1), 4.0 * (double)w, g), nn::make<nn::Tanh>()}));
  cast_parameters(*this, dtype);
}

Var ImageTranslator::forward(const Var& x) {
  check_images("ImageTranslator", x, 1);
  return (*net_)(x);
}

std::string ImageTranslator::describe() const { return "ImageTranslator(" + net_->describe() + ")"; }

CycleGan::CycleGan(const CycleGanConfig& c) : cfg_(c) {
  if (c.width < 1) fail("CycleGan", "width must be >= 1, got " + std::to_string(c.width));
  if (!(c.cycle_weight >= 0)) fail("CycleGan", "cycle_weight must be >= 0, got " + num_str(c.cycle_weight));
  if (!(c.lr > 0)) fail("CycleGan", "lr must be > 0, got " + num_str(c.lr));
  if (!(c.beta1 >= 0 && c.beta1 < 1)) fail("CycleGan", "beta1 must be in [0, 1), got " + num_str(c.beta1));
  g_ab = register_module("g_ab", std::make_shared<ImageTranslator>(c.width, c.seed * 4 + 1, c.dtype));
  g_ba = register_module("g_ba", std::make_shared<ImageTranslator>(c.width, c.seed * 4 + 2, c.dtype));
  GanNetConfig d;  // the DCGAN discriminator, batch norm on, one score per image
  d.arch = GanArch::dcgan, d.d_width = c.width, d.dtype = c.dtype;
  d.seed = c.seed * 4 + 3;
  d_a = register_module("d_a", std::make_shared<GanDiscriminator>(d));
  d.seed = c.seed * 4 + 4;
  d_b = register_module("d_b", std::make_shared<GanDiscriminator>(d));
  std::vector<Var> gp = g_ab->parameters(), dp = d_a->parameters();
  for (const Var& p : g_ba->parameters()) gp.push_back(p);
  for (const Var& p : d_b->parameters()) dp.push_back(p);
  g_opt_ = std::make_unique<nn::Adam>(gp, c.lr, c.beta1);
  d_opt_ = std::make_unique<nn::Adam>(dp, c.lr, c.beta1);
}

CycleStats CycleGan::step(const Tensor& a_, const Tensor& b_) {
  const Var a(a_), b(b_);
  check_images("CycleGan::step (domain A)", a, 1);
  check_images("CycleGan::step (domain B)", b, 1);
  if (a.size(0) < 2 || b.size(0) < 2)
    fail("CycleGan::step", "needs batches of at least 2 images (batch norm in D), got " + std::to_string(a.size(0)) +
                               " and " + std::to_string(b.size(0)));
  train();
  CycleStats st;
  // The translators' step, eq. 3: fool the other domain's D, and come back to where they started.
  g_opt_->zero_grad();
  const Var fake_b = (*g_ab)(a), fake_a = (*g_ba)(b);
  const Var gan = generator_loss(GanLoss::least_squares, d_b->run(fake_b).score) +
                  generator_loss(GanLoss::least_squares, d_a->run(fake_a).score);
  const Var cycle = mean(abs((*g_ba)(fake_b) - a)) + mean(abs((*g_ab)(fake_a) - b));
  const Var loss = gan + cycle * cfg_.cycle_weight;
  check_finite(loss, "CycleGan translators' loss", steps_);
  loss.backward();  // also fills the Ds' gradients; their step zeroes them first
  g_opt_->step();
  st.g_gan = gan.item(), st.cycle = cycle.item();
  // The discriminators' step on the same fakes, detached: real images towards 1, fakes towards 0.
  // Zhu et al. (§4) halve D's loss "to slow down the rate at which D learns relative to G"; with
  // Adam, whose step is invariant to a constant factor on the loss (up to its ε), that changes
  // almost nothing but the reported d_a, d_b. Kept to report their quantity.
  d_opt_->zero_grad();
  const Var la = discriminator_loss(GanLoss::least_squares, d_a->run(a).score, d_a->run(Var(fake_a.data())).score) * 0.5;
  const Var lb = discriminator_loss(GanLoss::least_squares, d_b->run(b).score, d_b->run(Var(fake_b.data())).score) * 0.5;
  const Var dl = la + lb;
  check_finite(dl, "CycleGan discriminators' loss", steps_);
  dl.backward();
  d_opt_->step();
  st.d_a = la.item(), st.d_b = lb.item();
  ++steps_;
  return st;
}

namespace {
Tensor translate(nn::Module& all, ImageTranslator& t, const Tensor& x) {
  all.eval();
  NoGradGuard ng;
  const Tensor out = t(Var(x)).data();
  all.train();
  return out;
}
}  // namespace

Tensor CycleGan::a_to_b(const Tensor& a) { return translate(*this, *g_ab, a); }
Tensor CycleGan::b_to_a(const Tensor& b) { return translate(*this, *g_ba, b); }

std::string CycleGan::describe() const {
  return "CycleGan(G: A->B and F: B->A " + g_ab->describe() + ", two DCGAN discriminators of width " +
         std::to_string(cfg_.width) + ", lambda " + std::to_string(cfg_.cycle_weight) + ")";
}

}  // namespace latent::models
