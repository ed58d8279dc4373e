// Chapter 00 exercises — your answers go here (see exercises.h).
#include "exercises/ch00/exercises.h"

namespace latent::exercises::ch00 {

Grads mul_backward(const Var&, const Var&, const Var&) { fail("exercise", "not implemented: mul_backward"); }
Grads matmul_backward(const Var&, const Var&, const Var&) { fail("exercise", "not implemented: matmul_backward"); }
Var sigmoid_backward(const Var&, const Var&) { fail("exercise", "not implemented: sigmoid_backward"); }
Var swish(const Var&) { fail("exercise", "not implemented: swish"); }

}  // namespace latent::exercises::ch00
