// tensor/: views, broadcasting, elementwise ops and matmul — forward values.
#include "helpers.h"

using namespace latent;
using namespace latent::test;

static Tensor stack_rows(const Tensor& a, const Tensor& b) {
  Tensor out(Shape{2, a.shape()[0], a.shape()[1]}, a.dtype());
  out.select(0, 0).copy_(a);
  out.select(0, 1).copy_(b);
  return out;
}

TEST_CASE("views share storage and follow strides") {
  Tensor a = arange(0, 6).reshape({2, 3});
  CHECK(a.strides() == Shape{3, 1});
  Tensor t = a.t();
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.strides() == Shape{1, 3});
  CHECK(!t.is_contiguous());
  CHECK(t.at({2, 1}) == 5);
  t.set({0, 1}, 42);  // writes through to a
  CHECK(a.at({1, 0}) == 42);
  Tensor c = t.contiguous();
  CHECK(c.is_contiguous());
  check_values(c, {0, 42, 1, 4, 2, 5});
}

TEST_CASE("slicing with steps, select, permute, squeeze") {
  Tensor a = arange(0, 24).reshape({2, 3, 4});
  Tensor s = a.slice(2, 1, 4, 2);  // columns 1 and 3
  CHECK(s.shape() == Shape{2, 3, 2});
  check_values(s.select(0, 1), {13, 15, 17, 19, 21, 23});
  Tensor p = a.permute({2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.at({3, 1, 2}) == a.at({1, 2, 3}));
  CHECK(a.slice(0, 1, 2).squeeze(0).shape() == Shape{3, 4});
  CHECK(a.unsqueeze(1).shape() == Shape{2, 1, 3, 4});
  CHECK(a.slice(1, -2, 3).shape() == Shape{2, 2, 4});
}

TEST_CASE("reshape views when it can and copies when it must") {
  Tensor a = arange(0, 12).reshape({3, 4});
  Tensor v = a.reshape({2, 6});
  CHECK(v.storage() == a.storage());
  Tensor r = a.t().reshape({12});  // transposed: needs a copy
  CHECK(r.storage() != a.storage());
  check_values(r, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK(a.reshape({-1, 2}).shape() == Shape{6, 2});
  // a view of non-contiguous memory that still chains: rows of a column slice
  Tensor b = arange(0, 24).reshape({4, 6}).slice(1, 0, 3);
  CHECK(b.unsqueeze(0).view({1, 4, 3}).shape() == Shape{1, 4, 3});
}

TEST_CASE("broadcasting follows NumPy") {
  Tensor a = arange(0, 3).reshape({3, 1});
  Tensor b = arange(0, 4).reshape({1, 4}) * 10.0;
  Tensor c = a + b;
  CHECK(c.shape() == Shape{3, 4});
  check_values(c, {0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32});
  CHECK(broadcast_shapes("x", {5, 1, 3}, {4, 1}) == Shape{5, 4, 3});
  Tensor d = ones({2, 3}) - arange(0, 3);  // [2,3] - [3]
  check_values(d, {1, 0, -1, 1, 0, -1});
  Tensor e = arange(0, 6).reshape({2, 3}).t() * arange(1, 3);  // strided [3,2] * [2]
  check_values(e, {0, 6, 1, 8, 2, 10});
}

TEST_CASE("elementwise values") {
  Tensor x = from_vector({-2, -0.5, 0, 0.5, 3}, {5}, DType::f64);
  check_values(relu(x), {0, 0, 0, 0.5, 3});
  check_values(leaky_relu(x, 0.1), {-0.2, -0.05, 0, 0.5, 3});
  check_values(abs(x), {2, 0.5, 0, 0.5, 3});
  check_values(sign(x), {-1, -1, 0, 1, 1});
  check_values(clamp(x, -1, 1), {-1, -0.5, 0, 0.5, 1});
  check_values(sigmoid(x), {0.11920292202211755, 0.3775406687981454, 0.5, 0.6224593312018546, 0.9525741268224334});
  check_values(tanh(x), {-0.9640275800758169, -0.46211715726000974, 0, 0.46211715726000974, 0.9950547536867305});
  check_values(softplus(x), {0.12692801104297263, 0.47407698418010663, 0.6931471805599453, 0.9740769841801067, 3.048587351573742});
  check_values(elu(x), {-0.8646647167633873, -0.3934693402873666, 0, 0.5, 3});
  check_values(maximum(x, zeros({})), {0, 0, 0, 0.5, 3});
  check_values(where(gt(x, zeros({})), x, full({}, -7.0)), {-7, -7, -7, 0.5, 3});
  check_values(pow(x, 3.0), {-8, -0.125, 0, 0.125, 27});
}

TEST_CASE("stable forms do not overflow") {
  Tensor x = from_vector({-1000, 1000}, {2}, DType::f32);
  check_values(sigmoid(x), {0, 1});
  check_values(softplus(x), {0, 1000});
  check_values(log_sigmoid(x), {-1000, 0});
  check_values(logsumexp(x), {1000});
  check_values(log_softmax(x), {-2000, 0});
  // log p(x | σ(l)) for x = 0, 1 at l = ±1000, and at l = ±30 where the answer
  // is −log1p(e^−30) ≈ −9.4e-14: needs relative accuracy, not l − l.
  const Tensor l = from_vector({-1000, 1000, -1000, 1000, 30, -30}, {6}, DType::f32);
  const Tensor t = from_vector({0, 0, 1, 1, 1, 0}, {6}, DType::f32);
  const double tail = -std::log1p(std::exp(-30.0));
  const Tensor lp = bernoulli_log_prob(l, t).to(DType::f64);
  check_values(lp.slice(0, 0, 4), {0, -1000, -1000, 0});
  for (int64_t i : {4, 5}) CHECK(lp.at({i}) == doctest::Approx(tail).epsilon(1e-6));
}

// The float32 kernels of exp, sigmoid, softplus and log σ are our own
// vectorisable polynomials (tensor/elementwise.cpp), not libm: compare them with
// the double-precision ops on a grid over [-30, 30] at step 2^-12 (245,761
// points) plus the tails, in units of the float spacing at the true value (ulp).
TEST_CASE("float32 exp, sigmoid, softplus, log_sigmoid agree with float64 to 3 ulp") {
  std::vector<double> xs;
  for (double x = -30; x <= 30; x += 1.0 / 4096) xs.push_back(x);
  for (double x : {-104.0, -88.0, -50.0, -1e-30, 0.0, 1e-30, 40.0, 88.0, 1e6}) xs.push_back(x);
  const Tensor x64 = from_vector(xs, {(int64_t)xs.size()}, DType::f64);
  const Tensor x32 = x64.to(DType::f32);
  const Tensor xr = x32.to(DType::f64);  // the float inputs, exactly
  struct Op { const char* name; Tensor (*f)(const Tensor&); };
  for (Op op : {Op{"exp", exp}, Op{"sigmoid", sigmoid}, Op{"softplus", softplus}, Op{"log_sigmoid", log_sigmoid}}) {
    const Tensor got = op.f(x32).to(DType::f64), want = op.f(xr);
    double worst = 0;
    int64_t at = 0;
    for (int64_t i = 0; i < (int64_t)xs.size(); ++i) {
      const double w = want.at({i}), g = got.at({i});
      if (std::isinf(w)) { CHECK(g == w); continue; }
      // the float spacing at w (denormal floor 2^-149)
      const double ulp = std::max(std::ldexp(1.0, std::ilogb(std::max(std::abs(w), 1e-38)) - 23), std::ldexp(1.0, -149));
      const double err = std::abs(g - w) / ulp;
      if (err > worst) worst = err, at = i;
    }
    // Measured: exp 0.95, sigmoid 2.5, softplus and log σ 2.7 ulp (the last two
    // inherit exp's error in e^-|x| and add log1p's).
    INFO(std::string(op.name) << ": worst error " << worst << " ulp at x = " << xr.at({at}));
    CHECK(worst < 3.0);
  }
}

TEST_CASE("matmul: 2-d, transposed views, batched with broadcasting, vectors") {
  Tensor a = arange(1, 7, 1, DType::f64).reshape({2, 3});
  Tensor b = arange(1, 7, 1, DType::f64).reshape({3, 2});
  check_values(matmul(a, b), {22, 28, 49, 64});
  check_values(matmul(b.t(), a.t()), {22, 49, 28, 64});  // (AB)ᵀ = BᵀAᵀ through BLAS flags
  // batched [2,2,3] x [3,2] and [2,2,3] x [2,3,2] agree with per-batch products
  Tensor A = arange(0, 12, 1, DType::f64).reshape({2, 2, 3});
  Tensor B = arange(0, 12, 1, DType::f64).reshape({2, 3, 2});
  Tensor C = matmul(A, B);
  CHECK(C.shape() == Shape{2, 2, 2});
  check_close(C.select(0, 1), matmul(A.select(0, 1), B.select(0, 1)));
  check_close(matmul(A, b), stack_rows(matmul(A.select(0, 0), b), matmul(A.select(0, 1), b)));
  // broadcast batch: [3,1,2,3] x [2,3,2] -> [3,2,2,2]
  Tensor A4 = arange(0, 18, 1, DType::f64).reshape({3, 1, 2, 3});
  Tensor C4 = matmul(A4, B);
  CHECK(C4.shape() == Shape{3, 2, 2, 2});
  check_close(C4.select(0, 2).select(0, 1), matmul(A4.select(0, 2).select(0, 0), B.select(0, 1)));
  // vectors
  Tensor v = from_vector({1, 0, -1}, {3}, DType::f64);
  check_values(matmul(a, v), {-2, -2});
  check_values(matmul(v, b), {-4, -4});
  CHECK(matmul(v, v).item() == 2);
  // float32 1024-size sanity against float64
  Tensor x = uniform({64, 50}), y = uniform({50, 70});
  check_close(matmul(x, y).to(DType::f64), matmul(x.to(DType::f64), y.to(DType::f64)), 1e-4, 1e-4);
}

TEST_CASE("creation and printing") {
  check_values(linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1});
  check_values(eye(2), {1, 0, 0, 1});
  check_values(arange(3, 0, -1), {3, 2, 1});
  CHECK(full({2}, 7, DType::i64).dtype() == DType::i64);
  std::string s = arange(0, 4).reshape({2, 2}).str();
  CHECK(s.find("[[0, 1],") != std::string::npos);
  CHECK(s.find("shape=[2,2]") != std::string::npos);
  std::string big = arange(0, 5000).str();
  CHECK(big.find("...") != std::string::npos);
  CHECK(big.size() < 200);
}

TEST_CASE("dtype conversion and integer tensors") {
  Tensor i = from_vector_i({1, 2, 3}, {3});
  Tensor f = i.to(DType::f32) / 2.0;
  check_values(f, {0.5, 1, 1.5});
  Tensor s = add(i, i);
  CHECK(s.dtype() == DType::i64);
  check_values(s, {2, 4, 6});
  CHECK((i + f).dtype() == DType::f32);
}
