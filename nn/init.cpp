// latent/nn — weight initialisers (see init.h).
#include "nn/init.h"

#include <cmath>

namespace latent::nn::init {

std::pair<int64_t, int64_t> fans(const Shape& s) {
  if (s.size() < 2) fail("init", "fan in/out need a weight with >= 2 dimensions, got " + shape_str(s));
  int64_t field = 1;
  for (size_t i = 2; i < s.size(); ++i) field *= s[i];
  return {s[1] * field, s[0] * field};
}

static void assign(Var& w, const Tensor& v) {
  Tensor d = w.data();
  d.copy_(v);
}

void uniform(Var& w, double lo, double hi, Generator* g) {
  assign(w, latent::uniform(w.shape(), lo, hi, w.dtype(), g));
}
void normal(Var& w, double mean, double std, Generator* g) {
  assign(w, latent::normal(w.shape(), mean, std, w.dtype(), g));
}
void constant(Var& w, double value) {
  Tensor d = w.data();
  d.fill_(value);
}

// U(-a, a) has variance a²/3, so a = std·√3.
void xavier_uniform(Var& w, double gain, Generator* g) {
  auto [in, out] = fans(w.shape());
  double a = gain * std::sqrt(6.0 / (double)(in + out));
  uniform(w, -a, a, g);
}
void xavier_normal(Var& w, double gain, Generator* g) {
  auto [in, out] = fans(w.shape());
  normal(w, 0, gain * std::sqrt(2.0 / (double)(in + out)), g);
}
void kaiming_uniform(Var& w, double a, Generator* g) {
  auto [in, out] = fans(w.shape());
  double bound = std::sqrt(6.0 / ((1 + a * a) * (double)in));
  uniform(w, -bound, bound, g);
}
void kaiming_normal(Var& w, double a, Generator* g) {
  auto [in, out] = fans(w.shape());
  normal(w, 0, std::sqrt(2.0 / ((1 + a * a) * (double)in)), g);
}

void he_normal(Var& w, double fan_in, Generator* g) {
  if (!(fan_in > 0)) fail("he_normal", "fan_in must be > 0, got " + std::to_string(fan_in));
  normal(w, 0, std::sqrt(2.0 / fan_in), g);
}

}  // namespace latent::nn::init
