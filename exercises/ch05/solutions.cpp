// Chapter 05 exercises — reference solutions. Try the stubs first!
#include "exercises/ch05/exercises.h"

namespace latent::exercises::ch05 {

namespace {
// A wrong-shaped u would broadcast silently into wrong samples: refuse it.
void check_uniforms(const char* op, const Tensor& u, int64_t rows, int64_t cols, const char* name) {
  if (u.dim() != 2 || u.size(0) != rows || u.size(1) != cols)
    fail(op, std::string(name) + " must be " + shape_str({rows, cols}) + ", got " + shape_str(u.shape()));
}
// 1 where u < p: a Bernoulli(p) draw from the uniforms u, in p's dtype.
Tensor sample(const Tensor& u, const Tensor& p) { return lt(u, p).to(p.dtype()); }
}  // namespace

Tensor free_energy(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& v_) {
  const Tensor v = v_.to(W.dtype());
  return -matmul(v, b) - sum(softplus(matmul(v, W) + c), {1});  // softplus: max(x,0) + log1p(e^−|x|)
}

Cd1Step cd1_step(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& v0_, const Tensor& u_h,
                 const Tensor& u_v, double lr) {
  const Tensor v0 = v0_.to(W.dtype());
  const int64_t B = v0.size(0);
  check_uniforms("cd1_step", u_h, B, W.size(1), "u_h");
  check_uniforms("cd1_step", u_v, B, W.size(0), "u_v");
  Cd1Step s;
  s.h0 = sigmoid(matmul(v0, W) + c);                      // p(h = 1 | v0)
  s.hs = sample(u_h, s.h0);
  s.v1 = sample(u_v, sigmoid(matmul(s.hs, W.t()) + b));   // v1 ~ p(v | hs)
  s.h1 = sigmoid(matmul(s.v1, W) + c);                    // p(h = 1 | v1)
  const double k = lr / (double)B;
  s.dW = (matmul(v0.t(), s.h0) - matmul(s.v1.t(), s.h1)) * k;
  s.db = sum(v0 - s.v1, {0}) * k;
  s.dc = sum(s.h0 - s.h1, {0}) * k;
  return s;
}

Tensor ais_transition(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& bA, const Tensor& v_,
                      double beta, const Tensor& u_h, const Tensor& u_v) {
  const Tensor v = v_.to(W.dtype());
  check_uniforms("ais_transition", u_h, v.size(0), W.size(1), "u_h");
  check_uniforms("ais_transition", u_v, v.size(0), W.size(0), "u_v");
  const Tensor h = sample(u_h, sigmoid(beta * (matmul(v, W) + c)));            // p_β(h | v)
  return sample(u_v, sigmoid((1 - beta) * bA.to(W.dtype()) + beta * (matmul(h, W.t()) + b)));  // p_β(v | h)
}

Tensor ais_log_weight_increment(const Tensor& W, const Tensor& b, const Tensor& c, const Tensor& bA,
                                const Tensor& v_, double beta_prev, double beta) {
  const Tensor v = v_.to(W.dtype());
  const Tensor a = matmul(v, W) + c;
  return (beta - beta_prev) * matmul(v, b - bA.to(W.dtype())) +
         sum(softplus(beta * a) - softplus(beta_prev * a), {1});
}

}  // namespace latent::exercises::ch05
