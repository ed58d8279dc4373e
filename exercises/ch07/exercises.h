// Chapter 07 exercises — the three computations a VAE's training step rests
// on: the reparameterised sample, the Gaussian KL, the ELBO.
// Grader: exercises/ch07/grader.cpp (ctest -L ch07). Stubs: stubs.cpp.
// Read docs/07-variational-autoencoders.md first; models/ch07/ has the
// library versions (vae.cpp: try not to peek).
//
// The encoder gives, for each row of a batch of N examples, the mean μ [N,L]
// and the log-variance log σ² [N,L] of q(z|x) = N(μ, diag σ²) over an
// L-dimensional code z; the prior is p(z) = N(0, I). Everything here is a Var
// (autodiff/ops.h): training differentiates through it, so use Var ops only
// (exp, square, softplus, sum, ...), never .data() or plain Tensors in the
// middle of the computation, or the gradient stops there. The grader checks
// your gradients as well as your values.
//
// Shapes: per-example results are [N], one number per row. Do not sum or
// average over the batch: the caller decides (the library averages).
#pragma once

#include "autodiff/ops.h"

namespace latent::exercises::ch07 {

// The reparameterisation trick (Kingma & Welling 2014, §2.4), z [N,L]:
//   z = μ + σ ⊙ ε,   σ = exp(½ log σ²)
// ε [N,L] holds N(0, 1) draws and is passed in, so the result is a
// deterministic, differentiable function of μ and log σ²:
//   ∂z/∂μ = 1,   ∂z/∂(log σ²) = ½ σ ε.
// Hint: the encoder outputs the log-*variance*. σ = exp(log σ²) would be the
// variance, and σ = sqrt(exp(log σ²)) is right but underflows to 0 for
// very negative log σ² earlier than it needs to; exp(0.5 · logvar) is the one.
Var reparameterize(const Var& mu, const Var& logvar, const Tensor& eps);

// KL(N(μ, diag σ²) ‖ N(0, I)) of each row, [N]:
//   KL = −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j),   σ²_j = exp(log σ²_j)
// (derived in the chapter: E_q[log q(z) − log p(z)], with E_q[(z_j − μ_j)²] = σ²_j
// and E_q[z_j²] = μ_j² + σ²_j). Checks on your formula: it is ≥ 0, and 0
// exactly when μ = 0 and log σ² = 0 (q is the prior).
// Hint: use log σ² as given. Computing σ² = exp(logvar) and then log(σ²) turns
// log σ² = −800 into log(0) = −∞; the formula above needs no log at all.
Var gaussian_kl(const Var& mu, const Var& logvar);

// The one-sample ELBO of each row, [N], for a Bernoulli decoder:
//   ELBO = log p(x|z) − KL(q(z|x) ‖ p(z))
//   log p(x|z) = Σ_d [ x_d log σ(l_d) + (1 − x_d) log(1 − σ(l_d)) ]
// where logits [N,D] = decoder(z) for the z drawn by reparameterize, and
// x [N,D] holds pixels in [0, 1] (binary, or grey levels as pytorch/examples).
// Sum over the D pixels (a log-likelihood of the whole image, in nats), not
// the mean. Maximising the ELBO is minimising −ELBO = BCE + KL.
// Hint: σ(l) rounds to exactly 1 once l > 37 (float64) and to 0 below
// l ≈ −745, and then log(1 − σ(l)) or log σ(l) is −∞. With log σ(l) = l − softplus(l) and
// log(1 − σ(l)) = −softplus(l), the whole term is  x_d l_d − softplus(l_d),
// exact for every logit (the same identity as nn::bce_with_logits).
Var elbo_bernoulli(const Tensor& x, const Var& logits, const Var& mu, const Var& logvar);

}  // namespace latent::exercises::ch07
