// Chapter 04 exercises — your code goes here (see exercises.h).
#include "exercises/ch04/exercises.h"
#include "tensor/tensor.h"  // latent::fail

namespace latent::exercises::ch04 {

std::vector<double> plsa_e_step(const std::vector<double>&, const std::vector<double>&, int64_t, int64_t, int64_t) {
  fail("exercise", "not implemented: plsa_e_step");
}

std::vector<double> gibbs_conditional(const std::vector<int64_t>&, const std::vector<int64_t>&,
                                      const std::vector<int64_t>&, int64_t, int64_t, int64_t, double, double) {
  fail("exercise", "not implemented: gibbs_conditional");
}

double completion_perplexity(const std::vector<double>&, const std::vector<double>&, int64_t, int64_t,
                             const std::vector<std::vector<int64_t>>&, const std::vector<bool>&) {
  fail("exercise", "not implemented: completion_perplexity");
}

}  // namespace latent::exercises::ch04
