// Chapter 01 exercises — your answers go here (see exercises.h).
#include "exercises/ch01/exercises.h"

namespace latent::exercises::ch01 {

Var linear_forward(const Var&, const Var&, const Var&) { fail("exercise", "not implemented: linear_forward"); }
Var softmax_cross_entropy(const Var&, const Tensor&) { fail("exercise", "not implemented: softmax_cross_entropy"); }
Tensor softmax_cross_entropy_grad(const Tensor&, const Tensor&) {
  fail("exercise", "not implemented: softmax_cross_entropy_grad");
}

}  // namespace latent::exercises::ch01
