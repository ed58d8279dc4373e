// Chapter 08 — the GAN losses of Lucic et al. 2018's table (gan_losses.h).
#include "models/ch08/gan_losses.h"

#include <algorithm>
#include <cmath>

namespace latent::models {

namespace {

// [N] or [N, 1] -> [N]; anything else names the shape.
Var per_example(const std::string& op, const Var& v) {
  if (v.dim() == 1) return v;
  if (v.dim() == 2 && v.size(1) == 1) return reshape(v, {v.size(0)});
  fail(op, "expects one output per example, [N] or [N,1], got " + shape_str(v.shape()));
}

}  // namespace

std::vector<GanLoss> all_gan_losses() {
  return {GanLoss::minimax, GanLoss::non_saturating, GanLoss::least_squares, GanLoss::wasserstein,
          GanLoss::wgan_gp, GanLoss::dragan,         GanLoss::began};
}

std::string gan_loss_name(GanLoss loss) {
  switch (loss) {
    case GanLoss::minimax: return "mm";
    case GanLoss::non_saturating: return "ns";
    case GanLoss::least_squares: return "lsgan";
    case GanLoss::wasserstein: return "wgan";
    case GanLoss::wgan_gp: return "wgan-gp";
    case GanLoss::dragan: return "dragan";
    case GanLoss::began: return "began";
  }
  return "?";
}

GanLoss gan_loss_from_name(const std::string& name) {
  std::string valid;
  for (GanLoss l : all_gan_losses()) {
    if (gan_loss_name(l) == name) return l;
    valid += (valid.empty() ? "" : ", ") + gan_loss_name(l);
  }
  fail("gan_loss_from_name", "unknown GAN loss '" + name + "' (valid: " + valid + ")");
}

Var discriminator_loss(GanLoss loss, const Var& d_real_, const Var& d_fake_, double real_target, double began_k) {
  const std::string op = "discriminator_loss(" + gan_loss_name(loss) + ")";
  const Var r = per_example(op, d_real_), f = per_example(op, d_fake_);
  if (real_target != 1.0 && (loss == GanLoss::wasserstein || loss == GanLoss::wgan_gp || loss == GanLoss::began))
    fail(op, "label smoothing (real_target " + std::to_string(real_target) +
                 ") has no meaning for a loss without labels; use real_target = 1");
  switch (loss) {
    case GanLoss::minimax:
    case GanLoss::non_saturating:
    case GanLoss::dragan:
      // −t log σ(r) − (1 − t) log(1 − σ(r)) − log(1 − σ(f))
      //   = softplus(r) − t r + softplus(f)   (the BCE with logits, targets t and 0).
      return mean(softplus(r) - r * real_target) + mean(softplus(f));
    case GanLoss::least_squares:
      return mean(square(r - real_target)) + mean(square(f));
    case GanLoss::wasserstein:
    case GanLoss::wgan_gp:
      // The critic maximises E[D(x)] − E[D(x̂)], the dual form of the earth-mover
      // distance over 1-Lipschitz D (Arjovsky et al. 2017, eq. 3).
      return mean(f) - mean(r);
    case GanLoss::began:
      return mean(r) - mean(f) * began_k;
  }
  return Var();
}

Var generator_loss(GanLoss loss, const Var& d_fake_) {
  const Var f = per_example("generator_loss(" + gan_loss_name(loss) + ")", d_fake_);
  switch (loss) {
    case GanLoss::minimax: return neg(mean(softplus(f)));  // E[log(1 − σ(f))] = −E[softplus(f)]
    case GanLoss::non_saturating:
    case GanLoss::dragan: return mean(softplus(neg(f)));  // −E[log σ(f)] = E[softplus(−f)]
    case GanLoss::least_squares: return mean(square(f - 1.0));
    case GanLoss::wasserstein:
    case GanLoss::wgan_gp: return neg(mean(f));
    case GanLoss::began: return mean(f);
  }
  return Var();
}

Var gradient_penalty(const std::function<Var(const Var&)>& critic, const Tensor& points, double target) {
  if (!points.defined() || points.dim() < 2 || points.size(0) < 1)
    fail("gradient_penalty", "expects points [N, ...] with N >= 1, got " +
                                 (points.defined() ? shape_str(points.shape()) : std::string("(undefined)")));
  Var x(points, /*requires_grad=*/true);
  // Σ_i D(x̃_i): example i's output depends only on x̃_i (true without batch
  // norm), so its gradient with respect to x̃ holds every ∇D(x̃_i) at once.
  const Var out = critic(x);
  const Var g = grad({sum(out)}, {x}, {}, /*create_graph=*/true)[0];
  // ‖g‖ = √(Σ g² + 1e-12): the tiny constant keeps the derivative of √ finite
  // where a gradient is exactly 0 (a dead ReLU region), where √ has none.
  const Var norms = sqrt(sum(square(flatten(g, 1)), {1}) + 1e-12);
  return mean(square(norms - target));
}

Tensor wgan_gp_points(const Tensor& real, const Tensor& fake, Generator& g) {
  if (real.shape() != fake.shape())
    fail("wgan_gp_points", "real " + shape_str(real.shape()) + " and fake " + shape_str(fake.shape()) + " differ in shape");
  Shape s(real.dim(), 1);
  s[0] = real.size(0);
  const Tensor eps = uniform(s, 0, 1, real.dtype(), &g);  // broadcast over the other axes
  return eps * real + (1.0 - eps) * fake;
}

Tensor dragan_points(const Tensor& real, Generator& g, double c) {
  if (!(c > 0)) fail("dragan_points", "c must be > 0, got " + std::to_string(c));
  const double s = std::sqrt(var(real.to(DType::f64)).item());
  return real + normal(real.shape(), 0, c * s, real.dtype(), &g);
}

Var began_reconstruction_error(const Var& x, const Var& reconstruction) {
  if (x.shape() != reconstruction.shape())
    fail("began_reconstruction_error", "x " + shape_str(x.shape()) + " and its reconstruction " +
                                           shape_str(reconstruction.shape()) + " differ in shape");
  return mean(abs(flatten(x - reconstruction, 1)), {1});
}

void BeganBalance::update(double loss_real, double loss_fake) {
  k = std::clamp(k + lambda_k * (gamma * loss_real - loss_fake), 0.0, 1.0);
}

double BeganBalance::convergence(double loss_real, double loss_fake) const {
  return loss_real + std::abs(gamma * loss_real - loss_fake);
}

}  // namespace latent::models
