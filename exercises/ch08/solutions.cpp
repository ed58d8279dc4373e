// Chapter 08 exercises — reference solutions. Try the stubs first!
#include "exercises/ch08/exercises.h"

namespace latent::exercises::ch08 {

namespace {
// One logit per example: [N]. A [N, 1] column would broadcast against [N] into [N, N] elsewhere.
void check_logits(const char* op, const Var& l, const char* name) {
  if (l.dim() != 1) fail(op, std::string(name) + " must be one logit per example, [N], got " + shape_str(l.shape()));
}
}  // namespace

Var discriminator_loss(const Var& real, const Var& fake, double t) {
  check_logits("discriminator_loss", real, "real_logits");
  check_logits("discriminator_loss", fake, "fake_logits");
  // −t log σ(r) − (1 − t) log(1 − σ(r)) = t softplus(−r) + (1 − t) softplus(r);  −log(1 − σ(f)) = softplus(f)
  return mean(softplus(neg(real)) * t + softplus(real) * (1 - t)) + mean(softplus(fake));
}

Var generator_loss(const Var& fake) {
  check_logits("generator_loss", fake, "fake_logits");
  return mean(softplus(neg(fake)));  // −log σ(f)
}

Var gradient_penalty(const std::function<Var(const Var&)>& critic, const Tensor& real, const Tensor& fake,
                     const Tensor& eps) {
  if (real.shape() != fake.shape() || real.dim() < 2)
    fail("gradient_penalty", "real " + shape_str(real.shape()) + " and fake " + shape_str(fake.shape()) +
                                 " must be batches [N, ...] of the same shape");
  if (eps.dim() != 1 || eps.size(0) != real.size(0))
    fail("gradient_penalty", "eps must be [N] = [" + std::to_string(real.size(0)) + "], got " + shape_str(eps.shape()));
  Shape s(real.dim(), 1);
  s[0] = real.size(0);
  const Tensor e = eps.to(real.dtype()).reshape(s);  // [N, 1, ...]: one ε per example
  Var x(e * real + (1.0 - e) * fake, /*requires_grad=*/true);
  const Var g = grad({sum(critic(x))}, {x}, {}, /*create_graph=*/true)[0];  // row i = ∇D(x̂_i)
  const Var norms = sqrt(sum(square(flatten(g, 1)), {1}) + 1e-12);
  return mean(square(norms - 1.0));
}

Var minibatch_stddev(const Var& x, double eps) {
  if (x.dim() != 2 && x.dim() != 4) fail("minibatch_stddev", "expects [N, F] or [N, C, H, W], got " + shape_str(x.shape()));
  if (x.size(0) < 2) fail("minibatch_stddev", "needs a batch of at least 2, got " + shape_str(x.shape()));
  const Var s = mean(sqrt(var(x, {0}) + eps));  // biased variance over the batch, then one mean
  Shape one(x.dim(), 1), target = x.shape();
  target[1] = 1;
  return concat({x, expand(reshape(s, one), target)}, 1);
}

}  // namespace latent::exercises::ch08
