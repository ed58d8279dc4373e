// autodiff/: the engine — accumulation, no-grad, detach, grad(), second order,
// graph release, DOT export.
#include "helpers.h"

using namespace latent;
using namespace latent::test;

TEST_CASE("backward of a scalar accumulates into leaves") {
  Var x(from_vector({1, 2, 3}, {3}, DType::f64), true);
  Var y = sum(x * x);  // dy/dx = 2x
  y.backward();
  check_values(x.grad().data(), {2, 4, 6});
  sum(x * 3.0).backward();  // gradients add up until zero_grad
  check_values(x.grad().data(), {5, 7, 9});
  x.zero_grad();
  CHECK(!x.grad().defined());
}

TEST_CASE("a Var used twice gets both contributions (diamond graph)") {
  Var x(scalar(3.0, DType::f64), true);
  Var a = x * 2.0, b = exp(x);
  Var y = a * b;  // y = 2x e^x, dy/dx = 2e^x + 2x e^x
  y.backward();
  CHECK(x.grad().item() == doctest::Approx(2 * std::exp(3.0) * 4));
}

TEST_CASE("non-scalar outputs need an explicit grad_output") {
  Var x(ones({2}, DType::f64), true);
  check_error([&] { (x * 2.0).backward(); }, {"backward", "not a scalar", "[2]"});
  (x * 2.0).backward(Var(from_vector({1, 10}, {2}, DType::f64)));
  check_values(x.grad().data(), {2, 20});
}

TEST_CASE("no-grad guard and detach make constants") {
  Var x(ones({2}), true);
  {
    NoGradGuard ng;
    Var y = x * 2.0;
    CHECK(!y.requires_grad());
    CHECK(!grad_enabled());
  }
  CHECK(grad_enabled());
  Var d = (x * 2.0).detach();
  CHECK(!d.requires_grad());
  CHECK(d.is_leaf());
  Var z = x * d;  // d is a constant: dz/dx = d
  sum(z).backward();
  check_values(x.grad().data(), {2, 2});
}

TEST_CASE("the graph is freed after backward unless retained") {
  Var x(ones({2}, DType::f64), true);
  Var y = sum(exp(x));
  y.backward(Var(), /*retain_graph=*/true);
  y.backward();  // allowed: the first call retained it
  check_values(x.grad().data(), {2 * std::exp(1.0), 2 * std::exp(1.0)});
  check_error([&] { y.backward(); }, {"backward", "freed", "retain_graph"});
}

TEST_CASE("nodes hold only their inputs: dropping the output frees the graph") {
  Var x(ones({100}), true);
  std::weak_ptr<Node> mid;
  {
    Var h = tanh(x * 2.0);
    mid = h.node_ptr();
    Var y = sum(h);
    CHECK(!mid.expired());
  }
  CHECK(mid.expired());
}

TEST_CASE("grad(): functional gradients, unused inputs") {
  Var x(from_vector({1, 2}, {2}, DType::f64), true);
  Var w(from_vector({3, 4}, {2}, DType::f64), true);
  Var u(ones({1}, DType::f64), true);
  Var y = sum(x * w);
  auto g = grad({y}, {x, w, u}, {}, false, true, /*allow_unused=*/true);
  check_values(g[0].data(), {3, 4});
  check_values(g[1].data(), {1, 2});
  check_values(g[2].data(), {0});
  CHECK(!x.grad().defined());  // grad() does not touch .grad
  check_error([&] { grad({y}, {u}); }, {"grad", "not used"});
}

TEST_CASE("second derivative: d²(x³)/dx² = 6x") {
  Var x(from_vector({-1.5, 0.5, 2}, {3}, DType::f64), true);
  Var y = sum(pow(x, 3.0));
  Var dy = grad({y}, {x}, {}, /*create_graph=*/true)[0];  // 3x², with a graph
  check_values(dy.data(), {6.75, 0.75, 12});
  Var d2 = grad({sum(dy)}, {x})[0];
  check_values(d2.data(), {-9, 3, 12});
  // and a third: d³/dx³ = 6
  Var dy2 = grad({sum(pow(x, 3.0))}, {x}, {}, true)[0];
  Var d2b = grad({sum(dy2)}, {x}, {}, true)[0];
  check_values(grad({sum(d2b)}, {x})[0].data(), {6, 6, 6});
}

TEST_CASE("gradient penalty ||∇x D(x)||² has the right gradient w.r.t. the weights") {
  // D(x) = sum(tanh(x W) v): the WGAN-GP penalty needs d/dW of ||dD/dx||².
  VarFn penalty = [](const std::vector<Var>& in) {
    const Var &x = in[0], &W = in[1], &v = in[2];
    Var d = sum(matmul(tanh(matmul(x, W)), v));
    Var gx = grad({d}, {x}, {}, /*create_graph=*/true)[0];
    return mean(square(norm(gx, {1}) - 1.0));
  };
  CHECK_GRAD(penalty, {rand64({4, 3}, 1), rand64({3, 5}, 2), rand64({5, 1}, 3)});
}

TEST_CASE("DOT export names ops and shapes") {
  Var x(ones({2, 3}), true);
  x.set_name("x");
  Var W(ones({3, 4}), true);
  Var y = sum(relu(matmul(x, W)));
  std::string dot = to_dot(y);
  CHECK(dot.find("digraph") != std::string::npos);
  CHECK(dot.find("matmul") != std::string::npos);
  CHECK(dot.find("relu") != std::string::npos);
  CHECK(dot.find("x\\nleaf") != std::string::npos);
  CHECK(dot.find("[2,4]") != std::string::npos);
}

TEST_CASE("a custom op defined with make_op is checked like the built-ins") {
  // cube(x) = x³ with its own backward rule, 3x² g, written with Var ops.
  auto cube = [](const Var& x) {
    return make_op("cube", pow(x.data(), 3.0), {x}, [](const BackwardCtx& c) -> Grads {
      return {c.g * square(c.in(0)) * 3.0};
    });
  };
  VarFn f = [&](const std::vector<Var>& in) { return cube(in[0]); };
  CHECK_GRAD(f, {rand64({2, 3}, 5)});
  CHECK_GRADGRAD(f, {rand64({2, 3}, 5)});
}

TEST_CASE("gradcheck catches a wrong backward rule") {
  auto bad = [](const Var& x) {
    return make_op("bad_square", square(x.data()), {x}, [](const BackwardCtx& c) -> Grads {
      return {c.g * c.in(0)};  // should be 2x
    });
  };
  auto r = gradcheck([&](const std::vector<Var>& in) { return bad(in[0]); }, {rand64({3}, 1)});
  CHECK(!r.ok);
  CHECK(r.report.find("analytic") != std::string::npos);
}
