// Chapter 02 exercises — your answers go here (see exercises.h).
#include "exercises/ch02/exercises.h"

namespace latent::exercises::ch02 {

PcaByHand pca_by_covariance(const Tensor&, int64_t) { fail("exercise", "not implemented: pca_by_covariance"); }
Tensor pca_project(const Tensor&, const Tensor&, const Tensor&) { fail("exercise", "not implemented: pca_project"); }
Tensor pca_reconstruct(const Tensor&, const Tensor&, const Tensor&) {
  fail("exercise", "not implemented: pca_reconstruct");
}
PpcaParams ppca_em_step(const Tensor&, const PpcaParams&) { fail("exercise", "not implemented: ppca_em_step"); }

}  // namespace latent::exercises::ch02
