// Chapter 00 — tensors and autodiff: the core itself, explained by running it.
// Read along: docs/00-tensors-and-autodiff.md.
#include <cmath>
#include <fstream>

#include "autodiff/gradcheck.h"
#include "tensor/random.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {

// n points per class on two interleaved spirals: not linearly separable.
void make_spirals(int64_t n, Generator& g, Tensor& x, Tensor& y) {
  x = Tensor({2 * n, 2}, DType::f32);
  y = Tensor({2 * n, 1}, DType::f32);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < n; ++i) {
      double t = 0.25 + 2.75 * M_PI * (double)i / (double)n, r = t / (3 * M_PI), sgn = c ? -1 : 1;
      int64_t k = c * n + i;
      x.set({k, 0}, sgn * r * std::cos(t) + 0.02 * g.next_normal());
      x.set({k, 1}, sgn * r * std::sin(t) + 0.02 * g.next_normal());
      y.set({k, 0}, (double)c);
    }
}

}  // namespace

void run_chapter00(Tutorial& T) {
  T.step("A tensor is a view: storage + shape + strides + offset",
         "arange(0,6).reshape({2,3}) and its transpose share one block of memory;\n"
         "the transpose only swaps the strides.");
  Tensor a = arange(0, 6).reshape({2, 3});
  T.show("a", a);
  T.say("a.strides() = " + shape_str(a.strides()) + ",  a.t().strides() = " + shape_str(a.t().strides()) +
        ",  a.t().is_contiguous() = " + (a.t().is_contiguous() ? "true" : "false"));
  T.say("Broadcasting: [2,3] + [3] adds the row to every row; [3,1] * [1,4] makes a [3,4] table.");
  T.show("a + [10,20,30]", a + from_vector({10, 20, 30}, {3}));
  T.show("[3,1] * [1,4]", arange(1, 4).reshape({3, 1}) * arange(1, 5).reshape({1, 4}));

  T.step("A Var records the graph; backward() walks it in reverse",
         "y = sum(tanh(x W) v) for a 2-sample, 3-feature x. Each op stores its inputs and its\n"
         "backward rule; backward() visits the ops from y back to the leaves.");
  Generator g(T.options().seed);
  Var x(normal({2, 3}, 0, 1, DType::f64, &g), true);
  Var W(normal({3, 4}, 0, 1, DType::f64, &g), true);
  Var v(normal({4, 1}, 0, 1, DType::f64, &g), true);
  x.set_name("x");
  W.set_name("W");
  v.set_name("v");
  Var y = sum(matmul(tanh(matmul(x, W)), v));
  y.set_name("y");
  std::string dot_path = T.path("graph.dot");
  std::ofstream(dot_path) << to_dot(y);
  T.wrote(dot_path, "the graph in Graphviz DOT; render with: dot -Tpng " + dot_path + " -o graph.png");
  y.backward();
  T.show("dy/dW", W.grad().data());

  T.step("Trust, but verify: gradcheck",
         "Central differences (f(x+h) - f(x-h)) / 2h on every element, in float64, against the\n"
         "analytic gradient from backward(). The worst element is reported.");
  VarFn f = [](const std::vector<Var>& in) { return sum(matmul(tanh(matmul(in[0], in[1])), in[2])); };
  GradcheckResult r = gradcheck(f, {x.data(), W.data(), v.data()});
  T.say(std::string("gradcheck: ") + (r.ok ? "PASSED" : "FAILED") + " — " + r.report);
  T.figure({"gradcheck worst margin (<= 0 passes)", r.max_error, "", "<= 0", "tanh MLP, float64"});

  T.step("Gradients of gradients",
         "Backward rules are written with Var ops, so with create_graph the gradient is itself\n"
         "differentiable. d/dx x³ = 3x², and d/dx of that is 6x:");
  Var s(from_vector({-1, 0.5, 2}, {3}, DType::f64), true);
  Var d1 = grad({sum(pow(s, 3.0))}, {s}, {}, /*create_graph=*/true)[0];
  Var d2 = grad({sum(d1)}, {s})[0];
  T.show("x", s.data());
  T.show("3x²", d1.data());
  T.show("6x", d2.data());
  double err = max(abs(d2.data() - mul(s.data(), 6.0))).item();
  T.figure({"max |d²(x³)/dx² - 6x|", err, "", "0", "x = [-1, 0.5, 2]"});

  T.step("Training a tiny network with nothing but the core",
         "Two spirals, a 2-32-32-1 tanh network, logistic loss, gradient descent with momentum —\n"
         "parameters updated by hand under a NoGradGuard.");
  Tensor xt, yt;
  make_spirals(T.quick() ? 200 : 500, g, xt, yt);
  auto param = [&](Shape sh, double sd) { return Var(normal(sh, 0, sd, DType::f32, &g), true); };
  std::vector<Var> P = {param({32, 2}, 1.0), param({32}, 0.0), param({32, 32}, 1 / std::sqrt(32.0)),
                        param({32}, 0.0), param({1, 32}, 1 / std::sqrt(32.0)), param({1}, 0.0)};
  std::vector<Tensor> vel;
  for (auto& p : P) vel.push_back(zeros_like(p.data()));
  auto net = [&](const Var& in) {
    return linear(tanh(linear(tanh(linear(in, P[0], P[1])), P[2], P[3])), P[4], P[5]);
  };
  const int steps = T.quick() ? 1500 : 4000;
  double loss0 = 0, loss = 0;
  for (int it = 0; it <= steps; ++it) {
    Var z = net(Var(xt));
    Var l = mean(softplus(z) - Var(yt) * z);  // BCE from logits, stable form
    for (auto& p : P) p.zero_grad();
    l.backward();
    NoGradGuard ng;
    for (size_t i = 0; i < P.size(); ++i) {  // v ← 0.9 v − 0.5 g;  w ← w + v
      vel[i] = mul(vel[i], 0.9);
      add_(vel[i], P[i].grad().data(), -0.5);
      Tensor w = P[i].data();
      add_(w, vel[i]);
    }
    if (it == 0) loss0 = l.item();
    loss = l.item();
    if (it % (steps / 5) == 0) T.say("  step " + std::to_string(it) + "  loss " + std::to_string(loss));
  }
  double acc = 100 * mean(eq(gt(net(Var(xt)).data(), zeros({})), yt)).item();
  T.say("loss " + std::to_string(loss0) + " -> " + std::to_string(loss));
  T.figure({"spirals training accuracy", acc, "%", "~100 (separable by a 2-layer net)", std::to_string(steps) + " steps"});
}

}  // namespace latent::tutorial
