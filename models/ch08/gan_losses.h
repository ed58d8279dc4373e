// Chapter 08 — generative adversarial networks: the losses.
//
// A GAN (Goodfellow et al. 2014) trains two networks against each other: a
// generator G maps noise z ~ p(z) to a sample x̂ = G(z), and a discriminator
// (or "critic") D scores how real a sample looks. Which score, and which
// losses the two players minimise, is what distinguishes the GAN variants.
// These are the seven rows of Lucic et al. 2018 ("Are GANs created equal?",
// table 1), with x ~ p_data, x̂ = G(z):
//
//   loss      discriminator L_D                               generator L_G
//   MM GAN    −E[log D(x)] − E[log(1 − D(x̂))]                 E[log(1 − D(x̂))]
//   NS GAN    −E[log D(x)] − E[log(1 − D(x̂))]                 −E[log D(x̂)]
//   LSGAN     E[(D(x) − 1)²] + E[D(x̂)²]                       E[(D(x̂) − 1)²]
//   WGAN      E[D(x̂)] − E[D(x)]                                −E[D(x̂)]
//   WGAN-GP   L_D^WGAN + λ E[(‖∇D(x̃)‖₂ − 1)²], x̃ = εx + (1−ε)x̂  −E[D(x̂)]
//   DRAGAN    L_D^NS + λ E[(‖∇D(x̃)‖₂ − 1)²],  x̃ = x + δ        −E[log D(x̂)]
//   BEGAN     E[‖x − AE(x)‖₁] − k_t E[‖x̂ − AE(x̂)‖₁]            E[‖x̂ − AE(x̂)‖₁]
//
// For MM/NS/DRAGAN, D(x) = σ(logit): the functions below take the logit, and
// use log σ(l) = −softplus(−l), log(1 − σ(l)) = −softplus(l) (finite for any l).
// For LSGAN (Mao et al. 2017, with a = 0, b = c = 1; Lucic's table drops Mao's
// ½, which only rescales the learning rate) and WGAN (Arjovsky et al. 2017) the
// score is used as it is. For BEGAN (Berthelot et al. 2017) the "score" is the
// autoencoder's per-sample reconstruction error.
//
// Why the variants: with the minimax loss, at the start of training D rejects
// every x̂ confidently, log(1 − D(x̂)) saturates, and G gets no gradient
// (Goodfellow et al. §3) — the non-saturating loss has the same fixed point
// but strong gradients exactly then. For the optimal D, D*(x) =
// p_data/(p_data + p_g) (Goodfellow et al. prop. 1), and the MM game minimises
// the Jensen–Shannon divergence; LSGAN with labels b − c = 1, b − a = 2 minimises
// a Pearson χ² (Mao et al. §3.2; the 0/1 labels used here, as in their
// experiments, keep the least-squares game without that reading); WGAN the
// earth-mover distance, which needs a 1-Lipschitz critic (weight clipping,
// or the gradient penalty of Gulrajani et al. 2017).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "tensor/random.h"

namespace latent::models {

enum class GanLoss { minimax, non_saturating, least_squares, wasserstein, wgan_gp, dragan, began };

// Short names: "mm", "ns", "lsgan", "wgan", "wgan-gp", "dragan", "began". An
// unknown name is an Error listing the valid ones.
GanLoss gan_loss_from_name(const std::string& name);
std::string gan_loss_name(GanLoss loss);
std::vector<GanLoss> all_gan_losses();  // the seven, in the table's order

// L_D from D's outputs on a real batch and a fake batch, each [N] or [N, 1]
// (logits for MM/NS/DRAGAN, scores for LSGAN/WGAN/WGAN-GP, per-sample
// reconstruction errors for BEGAN). Penalties are separate (gradient_penalty).
// real_target < 1 is one-sided label smoothing (Salimans et al. 2016 §3.4): the
// real term's target becomes e.g. 0.9 (MM/NS/DRAGAN: the BCE target; LSGAN:
// (D(x) − 0.9)²); fake targets stay 0, which keeps D*(x) from rewarding G for
// staying where p_data is 0. Not defined for WGAN/BEGAN (an Error if ≠ 1).
// began_k: the BEGAN balance k_t.
Var discriminator_loss(GanLoss loss, const Var& d_real, const Var& d_fake, double real_target = 1.0,
                       double began_k = 0.0);
// L_G from D's outputs on the fake batch.
Var generator_loss(GanLoss loss, const Var& d_fake);

// ---- gradient penalties: WGAN-GP (Gulrajani et al. 2017, eq. 3), DRAGAN (Kodali et al. 2017) ----

// E_x̃[(‖∇_x̃ D(x̃)‖₂ − target)²] over the rows of `points` (the norm runs over
// every axis but the first). The gradient ∇_x̃ D is computed with create_graph,
// so the penalty is itself differentiable in D's parameters: its backward pass
// is a gradient of a gradient ("double backward").
Var gradient_penalty(const std::function<Var(const Var&)>& critic, const Tensor& points, double target = 1.0);
// WGAN-GP's points: x̃ = ε x + (1 − ε) x̂, one ε ~ U(0, 1) per example
// (Gulrajani et al. algorithm 1): on straight lines between real and fake.
Tensor wgan_gp_points(const Tensor& real, const Tensor& fake, Generator& g);
// DRAGAN's points: x̃ = x + δ, δ ~ N(0, (c·s)²) with s the batch's standard
// deviation (Kodali et al. 2017 §4: "x + δ", with c = 0.5 of the data's
// spread as in their code): D is kept smooth in a neighbourhood of the data,
// where the sharp gradients that precede mode collapse appear.
Tensor dragan_points(const Tensor& real, Generator& g, double c = 0.5);

// ---- BEGAN (Berthelot et al. 2017) ----

// L(v) = mean_pixels |v − AE(v)| per example (their eq. 1 with η = 1): [N].
Var began_reconstruction_error(const Var& x, const Var& reconstruction);

// The equilibrium control of BEGAN §3.4. With γ = E[L(x̂)]/E[L(x)] the target
// diversity ratio, k_t balances how much D works on rejecting fakes:
//   k_{t+1} = clip(k_t + λ_k (γ L(x) − L(x̂)), 0, 1),
// and M_global = L(x) + |γ L(x) − L(x̂)| measures convergence (eq. 5): it
// falls as training goes well, unlike the D and G losses.
struct BeganBalance {
  double k = 0.0, gamma = 0.5, lambda_k = 0.001;
  void update(double loss_real, double loss_fake);
  double convergence(double loss_real, double loss_fake) const;
};

}  // namespace latent::models
