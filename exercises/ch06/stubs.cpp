// Chapter 06 exercises — your answers go here (see exercises.h).
#include "exercises/ch06/exercises.h"

namespace latent::exercises::ch06 {

Tensor mask_inputs(const Tensor&, double, Generator&) { fail("exercise", "not implemented: mask_inputs"); }

Tensor add_gaussian_noise(const Tensor&, double, Generator&) { fail("exercise", "not implemented: add_gaussian_noise"); }

Var contractive_penalty(const Var&, const Var&, const Var&) { fail("exercise", "not implemented: contractive_penalty"); }

Var kl_sparsity_penalty(const Var&, double) { fail("exercise", "not implemented: kl_sparsity_penalty"); }

}  // namespace latent::exercises::ch06
