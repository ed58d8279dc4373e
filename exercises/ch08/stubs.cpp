// Chapter 08 exercises — your answers go here (see exercises.h).
#include "exercises/ch08/exercises.h"

namespace latent::exercises::ch08 {

Var discriminator_loss(const Var&, const Var&, double) { fail("exercise", "not implemented: discriminator_loss"); }

Var generator_loss(const Var&) { fail("exercise", "not implemented: generator_loss"); }

Var gradient_penalty(const std::function<Var(const Var&)>&, const Tensor&, const Tensor&, const Tensor&) {
  fail("exercise", "not implemented: gradient_penalty");
}

Var minibatch_stddev(const Var&, double) { fail("exercise", "not implemented: minibatch_stddev"); }

}  // namespace latent::exercises::ch08
