// Chapter 07 exercises — reference solutions. Try the stubs first!
#include "exercises/ch07/exercises.h"

namespace latent::exercises::ch07 {

namespace {
// A wrong-shaped argument would broadcast silently into a wrong answer: refuse it.
void check_same(const char* op, const Shape& a, const char* an, const Shape& b, const char* bn) {
  if (a != b) fail(op, std::string(an) + " " + shape_str(a) + " and " + bn + " " + shape_str(b) + " must match");
}
}  // namespace

Var reparameterize(const Var& mu, const Var& logvar, const Tensor& eps) {
  check_same("reparameterize", mu.shape(), "mu", logvar.shape(), "logvar");
  check_same("reparameterize", mu.shape(), "mu", eps.shape(), "eps");
  return mu + exp(logvar * 0.5) * Var(eps.to(mu.dtype()));  // σ = exp(½ log σ²)
}

Var gaussian_kl(const Var& mu, const Var& logvar) {
  check_same("gaussian_kl", mu.shape(), "mu", logvar.shape(), "logvar");
  return sum(1.0 + logvar - square(mu) - exp(logvar), {-1}) * -0.5;  // no log: log σ² is given
}

Var elbo_bernoulli(const Tensor& x_, const Var& logits, const Var& mu, const Var& logvar) {
  check_same("elbo_bernoulli", x_.shape(), "x", logits.shape(), "logits");
  const Var x(x_.to(logits.dtype()));
  Var log_px = sum(x * logits - softplus(logits), {-1});  // x log σ(l) + (1 − x) log(1 − σ(l))
  return log_px - gaussian_kl(mu, logvar);
}

}  // namespace latent::exercises::ch07
