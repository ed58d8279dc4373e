// Chapter 05 exercises — your answers go here (see exercises.h).
#include "exercises/ch05/exercises.h"

namespace latent::exercises::ch05 {

Tensor free_energy(const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  fail("exercise", "not implemented: free_energy");
}

Cd1Step cd1_step(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double) {
  fail("exercise", "not implemented: cd1_step");
}

Tensor ais_transition(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double,
                      const Tensor&, const Tensor&) {
  fail("exercise", "not implemented: ais_transition");
}

Tensor ais_log_weight_increment(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double,
                                double) {
  fail("exercise", "not implemented: ais_log_weight_increment");
}

}  // namespace latent::exercises::ch05
