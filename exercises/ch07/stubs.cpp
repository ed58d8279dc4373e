// Chapter 07 exercises — your answers go here (see exercises.h).
#include "exercises/ch07/exercises.h"

namespace latent::exercises::ch07 {

Var reparameterize(const Var&, const Var&, const Tensor&) { fail("exercise", "not implemented: reparameterize"); }

Var gaussian_kl(const Var&, const Var&) { fail("exercise", "not implemented: gaussian_kl"); }

Var elbo_bernoulli(const Tensor&, const Var&, const Var&, const Var&) {
  fail("exercise", "not implemented: elbo_bernoulli");
}

}  // namespace latent::exercises::ch07
