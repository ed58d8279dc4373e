// Chapter 06 exercises — what stops an autoencoder from learning the identity:
// corrupting its input (denoising), penalising the encoder's Jacobian
// (contractive), and pulling each code unit's mean activation to a small
// target (KL sparsity).
// Grader: exercises/ch06/grader.cpp (ctest -L ch06). Stubs: stubs.cpp.
// Read docs/06-autoencoders.md first; models/ch06/ has the library versions
// (autoencoder.cpp: try not to peek).
//
// The corruptions work on plain Tensors: they make the input of a training
// step, nothing is differentiated through them. The penalties are Vars
// (autodiff/ops.h) and are added to the training loss, so build them from Var
// ops only (sigmoid, square, sum, log, ...): a .data() or a plain Tensor in the
// middle of the computation stops the gradient there. The grader checks your
// gradients as well as your values.
#pragma once

#include "autodiff/ops.h"
#include "tensor/random.h"

namespace latent::exercises::ch06 {

// ---- the denoising corruption (Vincent et al. 2008, §3–4) ----

// Masking noise, x [N, D] (any shape: it acts element by element): every input
// is set to 0 independently with probability p, and the others are kept as
// they are:
//   x̃ = x ⊙ m,   m_i ~ Bernoulli(1 − p)   (m_i = 1: keep, m_i = 0: destroyed)
// Draw the whole mask with ONE call, m = bernoulli(full(x.shape(), 1 − p, x.dtype()), &g),
// so that the same seed gives the same x̃ as the grader's reference.
// p must be in [0, 1] (an error otherwise). p = 0 returns x unchanged, p = 1 all zeros.
// Do not change x itself, and keep its shape and dtype.
// Hint: this is not dropout. Dropout divides the kept units by 1 − p so that
// E[x̃] = x; a denoising autoencoder's input is the damaged image itself, and
// the kept pixels keep their values (E[x̃] = (1 − p) x).
// (The library's models::corrupt destroys exactly round(p·D) inputs of each
// example instead, as Vincent et al. 2008 do; on average the two agree.)
Tensor mask_inputs(const Tensor& x, double p, Generator& g);

// Additive isotropic Gaussian noise: x̃ = x + ε, ε_i ~ N(0, σ²) independently,
// not clipped to [0, 1]. Draw ε with ONE call, normal(x.shape(), 0, σ, x.dtype(), &g).
// σ must be >= 0 (an error otherwise); σ = 0 returns x unchanged.
Tensor add_gaussian_noise(const Tensor& x, double sigma, Generator& g);

// ---- the contractive penalty (Rifai et al. 2011, eq. 2 and its closed form) ----

// For the sigmoid encoder h = σ(W x + b), W [k, D] (nn::Linear's layout: one row
// per code unit), b [k], and a batch x [N, D], the squared Frobenius norm of
// each example's Jacobian J = ∂h/∂x [k, D], one number per row, [N]:
//   ∂h_j/∂x_i = σ'(a_j) W_ji = h_j (1 − h_j) W_ji,   a = W x + b
//   ‖J‖²_F = Σ_j Σ_i (h_j (1 − h_j))² W_ji² = Σ_j (h_j (1 − h_j))² Σ_i W_ji²
// O(k·D) per example, without building J. It must be differentiable in W, b
// (training minimises it) and in x; do not sum or average over the batch.
// Hint: with nn::Linear's layout, h = linear(x, W, b) = x Wᵀ + b, and the
// inner sum runs over the inputs i, along W's second axis.
Var contractive_penalty(const Var& x, const Var& W, const Var& b);

// ---- the KL sparsity penalty (Ng, "Sparse autoencoder" lecture notes, §3) ----

// For sigmoid activations h [N, k] (every entry in (0, 1)) and a target ρ in (0, 1):
//   ρ̂_j = (1/N) Σ_n h_nj                       unit j's mean activation over the batch
//   Σ_j KL(ρ ‖ ρ̂_j) = Σ_j [ ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j)) ]
// a scalar (0-d): the KL between Bernoulli(ρ) and Bernoulli(ρ̂_j), summed over
// units. It is ≥ 0 and 0 exactly when every ρ̂_j = ρ. ρ outside (0, 1) is an
// error. The grader keeps ρ̂ inside (0, 1); the library also clamps it to
// [1e-6, 1 − 1e-6] so that a dead unit gives a large finite value.
// Hint: the penalty is on the *mean* activation of each unit, not on each
// activation: a unit may fire strongly on a few examples as long as it is
// quiet on average.
Var kl_sparsity_penalty(const Var& h, double rho);

}  // namespace latent::exercises::ch06
