// latent/nn — loss functions. Each is a formula of autodiff ops, so its
// gradient (and second derivative) needs no extra code.
#pragma once

#include "autodiff/ops.h"

namespace latent::nn {

// How per-element (or per-example) losses are combined.
enum class Reduction { mean, sum, none };

// (pred - target)²
Var mse_loss(const Var& pred, const Var& target, Reduction r = Reduction::mean);
// |pred - target|
Var l1_loss(const Var& pred, const Var& target, Reduction r = Reduction::mean);
// -[t log p + (1-t) log(1-p)] for probabilities p; logs are clamped at -100 (as
// PyTorch) so p = 0 or 1 gives a large finite loss, not inf.
Var bce_loss(const Var& prob, const Var& target, Reduction r = Reduction::mean);
// The same from logits z (p = σ(z)), computed as softplus(z) - t z: exact and
// finite for any z. Prefer it to sigmoid + bce_loss.
Var bce_with_logits(const Var& logits, const Var& target, Reduction r = Reduction::mean);
// -log softmax(logits)[label]: logits [N, C], labels int64 [N]. mean/sum over N.
Var cross_entropy(const Var& logits, const Tensor& labels, Reduction r = Reduction::mean);
// KL(N(μ, diag σ²) || N(0, I)) = -½ Σ_j (1 + log σ²_j - μ_j² - σ²_j), summed over
// the last axis; mean/sum over the batch. (Kingma & Welling 2014, appendix B.)
Var kl_normal(const Var& mu, const Var& logvar, Reduction r = Reduction::mean);
// -log N(x; μ, σ²) = ½ (log 2π + log σ² + (x-μ)²/σ²), elementwise, then reduced.
Var gaussian_nll(const Var& x, const Var& mu, const Var& logvar, Reduction r = Reduction::mean);

// Accuracy of logits [N, C] against labels [N] (not differentiable).
double accuracy(const Tensor& logits, const Tensor& labels);

}  // namespace latent::nn
