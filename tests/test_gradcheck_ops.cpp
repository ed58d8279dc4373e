// autodiff/: every differentiable op, gradient-checked in float64 by central
// differences on every element — with broadcasting, strided (non-contiguous)
// inputs, reductions over several axes — and second derivatives.
#include "helpers.h"

using namespace latent;
using namespace latent::test;

namespace {
using Fn1 = std::function<Var(const Var&)>;
using Fn2 = std::function<Var(const Var&, const Var&)>;

VarFn f1(Fn1 f) { return [f](const std::vector<Var>& v) { return f(v[0]); }; }
VarFn f2(Fn2 f) { return [f](const std::vector<Var>& v) { return f(v[0], v[1]); }; }

// A strided view: the transpose of a contiguous [c, r] tensor, shape [r, c].
Tensor strided(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  return rand64({s[1], s[0]}, seed, lo, hi).t();
}
}  // namespace

TEST_CASE("binary elementwise ops, same shape, broadcast, and strided") {
  std::vector<std::pair<const char*, Fn2>> ops = {
      {"add", [](const Var& a, const Var& b) { return a + b; }},
      {"sub", [](const Var& a, const Var& b) { return a - b; }},
      {"mul", [](const Var& a, const Var& b) { return a * b; }},
      {"div", [](const Var& a, const Var& b) { return a / (b + 3.0); }},
      {"pow", [](const Var& a, const Var& b) { return pow(a + 2.0, b); }},
      {"maximum", [](const Var& a, const Var& b) { return maximum(a, b); }},
      {"minimum", [](const Var& a, const Var& b) { return minimum(a, b); }},
      // logits a·4 reach both tails of softplus; x = (b+1)/2 is a grey level in [0, 1]
      {"bernoulli_log_prob", [](const Var& a, const Var& b) { return bernoulli_log_prob(a * 4.0, (b + 1.0) * 0.5); }},
  };
  for (auto& [name, op] : ops) {
    CAPTURE(name);
    CHECK_GRAD(f2(op), {rand64({3, 4}, 1), rand64({3, 4}, 2)});
    CHECK_GRAD(f2(op), {rand64({2, 3, 4}, 3), rand64({3, 1}, 4)});  // broadcast both ways
    CHECK_GRAD(f2(op), {rand64({4}, 5), rand64({2, 3, 1}, 6)});
    CHECK_GRAD(f2(op), {strided({3, 4}, 7), strided({3, 4}, 8)});
    CHECK_GRADGRAD(f2(op), {rand64({2, 3}, 9), rand64({3}, 10)});
  }
}

TEST_CASE("unary elementwise ops and activations") {
  std::vector<std::pair<const char*, Fn1>> ops = {
      {"neg", [](const Var& a) { return -a; }},
      {"exp", [](const Var& a) { return exp(a); }},
      {"log", [](const Var& a) { return log(a + 2.0); }},
      {"log1p", [](const Var& a) { return log1p(a + 1.5); }},
      {"sqrt", [](const Var& a) { return sqrt(a + 2.0); }},
      {"abs", [](const Var& a) { return abs(a); }},
      {"square", [](const Var& a) { return square(a); }},
      {"pow 3", [](const Var& a) { return pow(a, 3.0); }},
      {"pow -1.5", [](const Var& a) { return pow(a + 2.0, -1.5); }},
      {"clamp", [](const Var& a) { return clamp(a, -0.5, 0.5); }},
      {"sigmoid", [](const Var& a) { return sigmoid(a * 3.0); }},
      {"log_sigmoid", [](const Var& a) { return log_sigmoid(a * 3.0); }},
      {"tanh", [](const Var& a) { return tanh(a * 2.0); }},
      {"relu", [](const Var& a) { return relu(a); }},
      {"leaky_relu", [](const Var& a) { return leaky_relu(a, 0.2); }},
      {"softplus", [](const Var& a) { return softplus(a * 3.0); }},
      {"elu", [](const Var& a) { return elu(a, 1.3); }},
      {"where", [](const Var& a) { return where(gt(a.data(), zeros({}, DType::f64)), a * 2.0, exp(a)); }},
      {"scalar ops", [](const Var& a) { return (2.0 - a) * 3.0 / 4.0 + 1.0 / (a + 3.0); }},
  };
  for (auto& [name, op] : ops) {
    CAPTURE(name);
    CHECK_GRAD(f1(op), {rand64({3, 4}, 11)});
    CHECK_GRAD(f1(op), {strided({3, 4}, 12)});
    CHECK_GRADGRAD(f1(op), {rand64({2, 3}, 13)});
  }
}

TEST_CASE("reductions over one, several and all axes, with and without keepdim") {
  std::vector<Axes> axes_list = {{}, {0}, {2}, {0, 2}, {-1, 1}};
  for (const Axes& ax : axes_list) {
    for (bool keep : {false, true}) {
      CAPTURE(shape_str(ax));
      CAPTURE(keep);
      CHECK_GRAD(f1([&](const Var& a) { return sum(a, ax, keep); }), {rand64({2, 3, 4}, 21)});
      CHECK_GRAD(f1([&](const Var& a) { return mean(a, ax, keep); }), {rand64({2, 3, 4}, 22)});
      CHECK_GRAD(f1([&](const Var& a) { return max(a, ax, keep); }), {rand64({2, 3, 4}, 23)});
      CHECK_GRAD(f1([&](const Var& a) { return min(a, ax, keep); }), {rand64({2, 3, 4}, 24)});
      CHECK_GRAD(f1([&](const Var& a) { return var(a, ax, keep, true); }), {rand64({2, 3, 4}, 25)});
      CHECK_GRAD(f1([&](const Var& a) { return logsumexp(a, ax, keep); }), {rand64({2, 3, 4}, 26)});
      CHECK_GRAD(f1([&](const Var& a) { return norm(a, ax, keep); }), {rand64({2, 3, 4}, 27)});
    }
  }
  // a strided input (a permuted view)
  Tensor p = rand64({4, 2, 3}, 28).permute({1, 2, 0});
  CHECK_GRAD(f1([](const Var& a) { return sum(a, {0, 2}); }), {p});
  CHECK_GRAD(f1([](const Var& a) { return logsumexp(a, {1}); }), {p});
}

TEST_CASE("softmax and log_softmax along each axis") {
  for (int64_t ax : {0, 1, -1}) {
    CAPTURE(ax);
    // weight the outputs so the gradient is not trivially zero (softmax sums to 1)
    Tensor w = rand64({3, 4}, 30);
    CHECK_GRAD(f1([&](const Var& a) { return softmax(a, ax) * Var(w); }), {rand64({3, 4}, 31)});
    CHECK_GRAD(f1([&](const Var& a) { return log_softmax(a, ax) * Var(w); }), {rand64({3, 4}, 32)});
    CHECK_GRADGRAD(f1([&](const Var& a) { return log_softmax(a, ax) * Var(w); }), {rand64({3, 4}, 33)});
  }
}

TEST_CASE("second derivatives of reductions, pow, sqrt, norm") {
  CHECK_GRADGRAD(f1([](const Var& a) { return sum(a * a, {1}); }), {rand64({2, 3}, 41)});
  CHECK_GRADGRAD(f1([](const Var& a) { return mean(exp(a), {0}); }), {rand64({2, 3}, 42)});
  CHECK_GRADGRAD(f1([](const Var& a) { return norm(a, {1}); }), {rand64({2, 3}, 43)});
  CHECK_GRADGRAD(f1([](const Var& a) { return sqrt(a + 2.0); }), {rand64({2, 3}, 44)});
  CHECK_GRADGRAD(f1([](const Var& a) { return logsumexp(a, {1}); }), {rand64({2, 3}, 45)});
  CHECK_GRADGRAD(f1([](const Var& a) { return var(a, {1}); }), {rand64({2, 3}, 46)});
}

TEST_CASE("matmul: 2-d, transposed views, batched, broadcast batch, vectors; second order") {
  auto mm = f2([](const Var& a, const Var& b) { return matmul(a, b); });
  CHECK_GRAD(mm, {rand64({3, 4}, 51), rand64({4, 2}, 52)});
  CHECK_GRAD(mm, {strided({3, 4}, 53), strided({4, 2}, 54)});
  CHECK_GRAD(mm, {rand64({2, 3, 4}, 55), rand64({2, 4, 2}, 56)});
  CHECK_GRAD(mm, {rand64({2, 3, 4}, 57), rand64({4, 2}, 58)});
  CHECK_GRAD(mm, {rand64({3, 4}, 59), rand64({2, 4, 2}, 60)});
  CHECK_GRAD(mm, {rand64({2, 1, 3, 4}, 61), rand64({3, 4, 2}, 62)});
  CHECK_GRAD(mm, {rand64({4}, 63), rand64({4, 2}, 64)});
  CHECK_GRAD(mm, {rand64({3, 4}, 65), rand64({4}, 66)});
  CHECK_GRAD(mm, {rand64({4}, 67), rand64({4}, 68)});
  CHECK_GRADGRAD(mm, {rand64({3, 4}, 69), rand64({4, 2}, 70)});
  CHECK_GRADGRAD(mm, {rand64({2, 3, 4}, 71), rand64({4, 2}, 72)});
  // a two-layer net: second order through matmul and tanh together
  CHECK_GRADGRAD(f2([](const Var& x, const Var& w) { return tanh(matmul(tanh(matmul(x, w)), transpose(w, 0, 1))); }),
                 {rand64({2, 3}, 73), rand64({3, 3}, 74)});
}

TEST_CASE("linear = x Wᵀ + b") {
  VarFn lin = [](const std::vector<Var>& v) { return linear(v[0], v[1], v[2]); };
  CHECK_GRAD(lin, {rand64({4, 3}, 81), rand64({2, 3}, 82), rand64({2}, 83)});
  CHECK_GRAD(lin, {strided({4, 3}, 84), rand64({2, 3}, 85), rand64({2}, 86)});
  CHECK_GRADGRAD(lin, {rand64({4, 3}, 87), rand64({2, 3}, 88), rand64({2}, 89)});
  VarFn nob = [](const std::vector<Var>& v) { return linear(v[0], v[1], Var()); };
  CHECK_GRAD(nob, {rand64({4, 3}, 90), rand64({2, 3}, 91)});
}

TEST_CASE("shape ops: reshape, transpose, permute, expand, slice, select, concat, stack, split") {
  CHECK_GRAD(f1([](const Var& a) { return reshape(a, {4, 3}) * Var(rand64({4, 3}, 1)); }), {strided({3, 4}, 101)});
  CHECK_GRAD(f1([](const Var& a) { return transpose(a, 0, 2); }), {rand64({2, 3, 4}, 102)});
  CHECK_GRAD(f1([](const Var& a) { return permute(a, {2, 0, 1}); }), {rand64({2, 3, 4}, 103)});
  CHECK_GRAD(f1([](const Var& a) { return expand(a, {2, 3, 4}) * Var(rand64({2, 3, 4}, 2)); }), {rand64({3, 1}, 104)});
  CHECK_GRAD(f1([](const Var& a) { return slice(a, 1, 1, 4, 2); }), {rand64({2, 5}, 105)});
  CHECK_GRAD(f1([](const Var& a) { return select(a, 0, -1); }), {rand64({3, 2}, 106)});
  CHECK_GRAD(f2([](const Var& a, const Var& b) { return concat({a, b, a}, 1); }), {rand64({2, 3}, 107), rand64({2, 1}, 108)});
  CHECK_GRAD(f2([](const Var& a, const Var& b) { return stack({a, b}, 1); }), {rand64({2, 3}, 109), rand64({2, 3}, 110)});
  CHECK_GRAD(f1([](const Var& a) {
               auto parts = split(a, {1, 3}, 1);
               return parts[1] * 2.0 + sum(parts[0]);
             }),
             {rand64({2, 4}, 111)});
  CHECK_GRADGRAD(f1([](const Var& a) { return square(slice(a, 1, 0, 2)); }), {rand64({2, 3}, 112)});
  CHECK_GRADGRAD(f1([](const Var& a) { return square(expand(a, {3, 2})); }), {rand64({1, 2}, 113)});
}
