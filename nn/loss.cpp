// latent/nn — loss functions (see loss.h).
#include "nn/loss.h"

#include <cmath>

#include "tensor/index.h"

namespace latent::nn {

namespace {
Var reduce(const Var& per_elem, Reduction r) {
  switch (r) {
    case Reduction::mean: return mean(per_elem);
    case Reduction::sum: return sum(per_elem);
    case Reduction::none: return per_elem;
  }
  return per_elem;
}
void same_shape(const char* op, const Var& a, const Var& b) {
  if (a.shape() != b.shape())
    fail(op, "prediction " + shape_str(a.shape()) + " and target " + shape_str(b.shape()) + " differ in shape");
}
}  // namespace

Var mse_loss(const Var& pred, const Var& target, Reduction r) {
  same_shape("mse_loss", pred, target);
  return reduce(square(pred - target), r);
}

Var l1_loss(const Var& pred, const Var& target, Reduction r) {
  same_shape("l1_loss", pred, target);
  return reduce(abs(pred - target), r);
}

Var bce_loss(const Var& p, const Var& t, Reduction r) {
  same_shape("bce_loss", p, t);
  Var log_p = maximum(log(p), Var(scalar(-100, p.dtype())));
  Var log_1mp = maximum(log(1.0 - p), Var(scalar(-100, p.dtype())));
  return reduce(neg(t * log_p + (1.0 - t) * log_1mp), r);
}

// log σ(z) = -softplus(-z), log(1-σ(z)) = -softplus(z), so
// -[t log σ(z) + (1-t) log(1-σ(z))] = softplus(z) - t z.
Var bce_with_logits(const Var& z, const Var& t, Reduction r) {
  same_shape("bce_with_logits", z, t);
  return reduce(neg(bernoulli_log_prob(z, t)), r);  // softplus(z) − t·z, one fused pass
}

Var cross_entropy(const Var& logits, const Tensor& labels, Reduction r) {
  if (logits.dim() != 2)
    fail("cross_entropy", "expects logits [N,C], got " + shape_str(logits.shape()));
  if (labels.dim() != 1 || labels.size(0) != logits.size(0))
    fail("cross_entropy", "labels " + shape_str(labels.shape()) + " do not match logits " +
                              shape_str(logits.shape()) + " (want [N] int64)");
  // one_hot checks each label is in [0, C) and names the bad one.
  Tensor picks = one_hot(labels, logits.size(1), logits.dtype());
  Var nll = neg(sum(log_softmax(logits, 1) * Var(picks), {1}));  // [N]
  return reduce(nll, r);
}

Var kl_normal(const Var& mu, const Var& logvar, Reduction r) {
  same_shape("kl_normal", mu, logvar);
  Var per_example = sum(1.0 + logvar - square(mu) - exp(logvar), {-1}) * -0.5;
  return reduce(per_example, r);
}

Var gaussian_nll(const Var& x, const Var& mu, const Var& logvar, Reduction r) {
  same_shape("gaussian_nll", x, mu);
  same_shape("gaussian_nll", mu, logvar);
  const double log2pi = std::log(2 * M_PI);
  return reduce((logvar + square(x - mu) * exp(neg(logvar)) + log2pi) * 0.5, r);
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  if (logits.dim() != 2 || labels.dim() != 1 || labels.size(0) != logits.size(0))
    fail("accuracy", "logits " + shape_str(logits.shape()) + " and labels " + shape_str(labels.shape()) + " do not match");
  Tensor pred = argmax(logits, 1);
  return mean(eq(pred, labels).to(DType::f64)).item();
}

}  // namespace latent::nn
