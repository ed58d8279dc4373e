// Chapter 08 exercises — four pieces of a GAN's training step: the
// discriminator's loss, the non-saturating generator loss, WGAN-GP's gradient
// penalty (a gradient of a gradient), and the minibatch standard deviation
// layer of progressive GANs.
// Grader: exercises/ch08/grader.cpp (ctest -L ch08). Stubs: stubs.cpp.
// Read docs/08-gans.md first; models/ch08/ has the library versions
// (gan_losses.cpp, gan_tricks.cpp: try not to peek).
//
// Everything here is a Var (autodiff/ops.h): training differentiates through
// it, so use Var ops only (softplus, log_sigmoid, sqrt, var, grad, ...), never
// .data() or plain Tensors in the middle of the computation, or the gradient
// stops there. The grader checks your gradients as well as your values.
#pragma once

#include <functional>

#include "autodiff/ops.h"

namespace latent::exercises::ch08 {

// The discriminator's loss of the original GAN (Goodfellow et al. 2014), a
// scalar (0-d), from D's *logits* l (D(x) = σ(l)) on a real batch [N] and a
// fake batch [M] (N and M may differ):
//   L_D = −E_real[ t log σ(l) + (1 − t) log(1 − σ(l)) ] − E_fake[ log(1 − σ(l)) ]
// i.e. the binary cross-entropy with target t for real examples and 0 for
// fakes, each averaged over its own batch, then added. t = real_target is 1
// normally; t = 0.9 is one-sided label smoothing (Salimans et al. 2016 §3.4).
// Hint: σ(l) rounds to exactly 1 in float64 once l > 37 (to 0 once l < −745),
// and then log(1 − σ(l)) (or log σ(l)) is −∞. Never take the log of σ: use
//   log σ(l) = −softplus(−l),   log(1 − σ(l)) = −softplus(l),
// which are exact for every logit (the grader tries l = ±100 and ±1000).
Var discriminator_loss(const Var& real_logits, const Var& fake_logits, double real_target = 1.0);

// The non-saturating generator loss (Goodfellow et al. §3), a scalar, from
// D's logits on a fake batch [M]:
//   L_G = −E_fake[ log σ(l) ]
// rather than the minimax game's E[log(1 − σ(l))], which is flat exactly when
// D rejects the fakes confidently (l ≪ 0), at the start of training.
// Hint: the same identity as above; −log σ(l) is softplus(−l).
Var generator_loss(const Var& fake_logits);

// WGAN-GP's gradient penalty (Gulrajani et al. 2017, eq. 3 and algorithm 1):
//   x̂_i = ε_i x_i + (1 − ε_i) x̃_i            (x real, x̃ fake, ε_i in [0, 1])
//   GP  = (1/N) Σ_i ( ‖∇_x̂ D(x̂_i)‖₂ − 1 )²
// a scalar. real and fake are batches of the same shape [N, ...] (vectors
// [N, D] or images [N, C, H, W]); eps [N] holds one coefficient per example.
// The norm of example i runs over all of its axes but the first. critic(x)
// returns D's scores [N, 1] (or [N]) for a batch x; D(x̂_i) depends on x̂_i
// only (no batch norm in a critic with a penalty).
// The point of the exercise: GP is added to the critic's loss, so it must be
// differentiable in the critic's *weights* (the ones inside `critic`). The
// gradient ∇_x̂ D is itself computed by backpropagation; ask grad(...) for it
// with create_graph = true, so that the result has a graph of its own, and the
// critic's loss.backward() then runs a backward pass through a backward pass.
// Hints:
//   - x̂ must be a Var that requires a gradient: Var(points, true).
//   - The gradient of Σ_i D(x̂_i) with respect to x̂ holds every ∇D(x̂_i) at once,
//     row by row (not of the mean: that divides each gradient by N).
//   - eps [N] must broadcast over the other axes: reshape it to [N, 1, ...]
//     first. Broadcasting [N] against [N, D] lines it up with the *last* axis.
//   - √ has no derivative at 0; √(Σ g² + 1e-12) keeps a zero gradient finite.
Var gradient_penalty(const std::function<Var(const Var&)>& critic, const Tensor& real, const Tensor& fake,
                     const Tensor& eps);

// The minibatch standard deviation layer (Karras et al. 2018, §3): for x
// [N, C, H, W] (or [N, F]),
//   s_{c,h,w} = √( Var_n[x_{n,c,h,w}] + eps )     over the batch, biased (÷N)
//   s̄         = mean over c, h, w of s_{c,h,w}   one number for the whole batch
// and s̄ is appended to every example as one more channel, constant over its
// positions: the result is [N, C+1, H, W] (or [N, F+1]), with x unchanged in
// the first C channels. D can then see that a batch of fakes varies less
// than a batch of real data, a symptom of mode collapse.
// Hints: autodiff/ops.h's var(x, axes) is biased by default; the eps inside
// the √ keeps the gradient finite for a batch of identical examples (√ at 0);
// s̄ must stay a Var (expand it, then concat along axis 1), since D's gradient
// flows through it into every example.
Var minibatch_stddev(const Var& x, double eps = 1e-8);

}  // namespace latent::exercises::ch08
