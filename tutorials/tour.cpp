// latent tour — for now, the core at work: a tiny network trained with the
// autodiff engine alone (no nn/ layers yet), printing its loss as it falls.
//
// Data: two interleaved spirals in 2-D (a classic that a linear model cannot
// separate). Model: 2 -> 32 -> 32 -> 1 with tanh, trained on the logistic
// loss by full-batch gradient descent with momentum.
#include <cmath>
#include <cstdio>

#include "autodiff/ops.h"
#include "tensor/random.h"

using namespace latent;

// n points per class on two spirals, with a little noise.
static void make_spirals(int64_t n, Generator& g, Tensor& x, Tensor& y) {
  x = Tensor({2 * n, 2}, DType::f32);
  y = Tensor({2 * n, 1}, DType::f32);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < n; ++i) {
      double t = 0.25 + 2.75 * M_PI * (double)i / (double)n, r = t / (3 * M_PI);
      double sgn = c ? -1 : 1;
      int64_t k = c * n + i;
      x.set({k, 0}, sgn * r * std::cos(t) + 0.02 * g.next_normal());
      x.set({k, 1}, sgn * r * std::sin(t) + 0.02 * g.next_normal());
      y.set({k, 0}, (double)c);
    }
}

// Binary cross-entropy from logits z: mean(softplus(z) - y z), stable for any z.
static Var bce_with_logits(const Var& z, const Var& y) { return mean(softplus(z) - y * z); }

int main() {
  std::printf("latent tour — chapter 00: the autodiff core trains a tiny network\n");
  Generator g(0);
  Tensor xt, yt;
  make_spirals(200, g, xt, yt);
  Var x(xt), y(yt);

  // Parameters: W ~ N(0, 1/fan_in) keeps tanh units out of saturation at the start.
  auto param = [&](Shape s, double std) { return Var(normal(s, 0, std, DType::f32, &g), true); };
  std::vector<Var> params = {param({32, 2}, 1.0), param({32}, 0.0), param({32, 32}, 1 / std::sqrt(32.0)),
                             param({32}, 0.0), param({1, 32}, 1 / std::sqrt(32.0)), param({1}, 0.0)};
  std::vector<Tensor> velocity;
  for (auto& p : params) velocity.push_back(zeros_like(p.data()));

  auto forward = [&](const Var& in) {
    Var h1 = tanh(linear(in, params[0], params[1]));
    Var h2 = tanh(linear(h1, params[2], params[3]));
    return linear(h2, params[4], params[5]);
  };
  const double lr = 0.5, momentum = 0.9;
  double first = 0, last = 0;
  for (int step = 0; step <= 1500; ++step) {
    Var loss = bce_with_logits(forward(x), y);
    for (auto& p : params) p.zero_grad();
    loss.backward();
    {
      NoGradGuard ng;  // the update itself is not part of any graph
      for (size_t i = 0; i < params.size(); ++i) {
        // v <- momentum v - lr g;  p <- p + v
        Tensor& v = velocity[i];
        v = mul(v, momentum);
        add_(v, params[i].grad().data(), -lr);
        Tensor w = params[i].data();
        add_(w, v);
      }
    }
    if (step == 0) first = loss.item();
    last = loss.item();
    if (step % 250 == 0) std::printf("  step %4d   loss %.4f\n", step, loss.item());
  }
  Tensor pred = gt(forward(x).data(), zeros({}));
  double acc = mean(eq(pred, yt)).item();
  std::printf("loss %.4f -> %.4f, training accuracy %.1f %%\n", first, last, 100 * acc);
  return last < first ? 0 : 1;
}
