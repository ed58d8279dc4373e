// Tests for tensor/index and autodiff/ops_index: forward values worked out by
// hand (several are the examples of PyTorch's documentation), gradchecks of
// the four differentiable ops, a gradgradcheck, and the error messages.
#include "autodiff/ops_index.h"
#include "helpers.h"
#include "tensor/index.h"

using namespace latent;
using latent::test::check_close;
using latent::test::check_error;
using latent::test::check_values;
using latent::test::rand64;

namespace {
Tensor idx(const std::vector<int64_t>& v, const Shape& s) { return from_vector_i(v, s); }
Tensor f64(const std::vector<double>& v, const Shape& s) { return from_vector(v, s, DType::f64); }
}  // namespace

// GCC 12.2 with -march=native (LATENT_NATIVE) miscompiles braced lists of a
// repeated value followed by zeros: {4,4,4,0} arrives as {4,4,4,4}. Many
// literals below have that form; if this case fails, the others fail for the
// same reason. CMakeLists.txt builds with -fno-tree-slp-vectorize for it.
TEST_CASE("toolchain: braced int64 lists arrive intact") {
  // (Compared with sums, not with another literal that may be miscompiled alike.)
  CHECK_MESSAGE(sum(idx({1, 1, 0, 0}, {4})).item() == 2, "{1,1,0,0} became {1,1,1,1}: see above");
  CHECK_MESSAGE(sum(idx({4, 4, 4, 0}, {4})).item() == 12, "{4,4,4,0} became {4,4,4,4}: see above");
}

TEST_CASE("gather: forward") {
  // torch.gather docs: t = [[1,2],[3,4]], index [[0,0],[1,0]] along 1 -> [[1,1],[4,3]].
  Tensor t = from_vector({1, 2, 3, 4}, {2, 2});
  Tensor g = gather(t, 1, idx({0, 0, 1, 0}, {2, 2}));
  CHECK(g.dtype() == DType::f32);
  check_values(g, {1, 1, 4, 3});
  check_values(gather(t, 0, idx({1, 0}, {1, 2})), {3, 2});  // out[0][j] = t[index[0][j]][j]
  check_values(gather(t, -1, idx({1, 0}, {2, 1})), {2, 3});  // each row's "label" column
  // index smaller than the input off the axis: only the leading block is read.
  Tensor a = arange(0, 24, 1, DType::f64).reshape({2, 3, 4});  // a[i][j][k] = 12i + 4j + k
  Tensor r = gather(a, 1, idx({2, 0, 1, 1}, {2, 1, 2}));
  CHECK(r.shape() == Shape{2, 1, 2});
  check_values(r, {8, 1, 16, 17});  // a[0][2][0], a[0][0][1], a[1][1][0], a[1][1][1]
  // A transposed (non-contiguous) input and an int64 input.
  check_values(gather(t.t(), 1, idx({1, 1, 0, 0}, {2, 2})), {3, 3, 2, 2});
  check_values(gather(idx({5, 6, 7}, {3}), 0, idx({2, 2, 0}, {3})), {7, 7, 5});
  // A large input goes through the threaded path with the same answer.
  Tensor big = rand64({300, 200}, 1);
  Tensor bi = randint(0, 200, {300, 150});
  Tensor bg = gather(big, 1, bi);
  CHECK(bg.at({123, 45}) == big.at({123, (int64_t)bi.at({123, 45})}));
}

TEST_CASE("scatter_add: forward") {
  // torch.Tensor.scatter_add_ docs: ones(2,5) scattered along 0 into zeros(3,5).
  Tensor index = idx({0, 1, 2, 0, 0, 0, 1, 2, 2, 2}, {2, 5});
  Tensor r = scatter_add(zeros({3, 5}), 0, index, ones({2, 5}));
  check_values(r, {2, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1});
  // The input is copied, not modified; src larger than index: the rest is ignored.
  Tensor a = f64({1, 1, 1, 1}, {2, 2});
  Tensor s = f64({10, 20, 30, 40, 50, 60}, {2, 3});
  Tensor out = scatter_add(a, 1, idx({1, 1, 0, 1}, {2, 2}), s);
  check_values(out, {1, 31, 41, 51});  // row 0: 1, 1+10+20; row 1: 1+40, 1+50
  check_values(a, {1, 1, 1, 1});
  // scatter_add is the adjoint of gather: <gather(x, i), y> = <x, scatter_add(0, i, y)>.
  Tensor x = rand64({4, 5}, 2), y = rand64({4, 3}, 3);
  Tensor i = randint(0, 5, {4, 3});
  double lhs = sum(gather(x, 1, i) * y).item();
  double rhs = sum(x * scatter_add(zeros_like(x), 1, i, y)).item();
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
}

TEST_CASE("index_select and index_add: forward") {
  Tensor table = arange(0, 12, 1, DType::f64).reshape({4, 3});  // row r = [3r, 3r+1, 3r+2]
  Tensor e = index_select(table, 0, idx({2, 0, 2}, {3}));       // an embedding lookup
  CHECK(e.shape() == Shape{3, 3});
  check_values(e, {6, 7, 8, 0, 1, 2, 6, 7, 8});
  check_values(index_select(table, 1, idx({2, 0}, {2})), {2, 0, 5, 3, 8, 6, 11, 9});
  check_values(index_select(table.t(), 0, idx({1}, {1})), {1, 4, 7, 10});
  CHECK(index_select(table, 0, idx({}, {0})).shape() == Shape{0, 3});
  // index_add: repeated index 0 accumulates.
  Tensor src = f64({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3});
  Tensor r = index_add(zeros({5, 3}, DType::f64), 0, idx({0, 4, 2, 0}, {4}), src);
  check_values(r, {11, 13, 15, 0, 0, 0, 7, 8, 9, 0, 0, 0, 4, 5, 6});
  Tensor c = index_add(ones({2, 3}, DType::f64), 1, idx({2, 2}, {2}), f64({1, 2, 3, 4}, {2, 2}));
  check_values(c, {1, 1, 4, 1, 1, 8});
  // Adjoint pair, as for gather / scatter_add.
  Tensor x = rand64({6, 4}, 4), y = rand64({6, 5}, 5);
  Tensor i = randint(0, 4, {5});
  CHECK(sum(index_select(x, 1, i) * y).item() ==
        doctest::Approx(sum(x * index_add(zeros_like(x), 1, i, y)).item()).epsilon(1e-12));
  // Large enough for the threaded loops (outer 40 x K 500 x inner 3 elements).
  Tensor bx = rand64({40, 300, 3}, 6), by = rand64({40, 500, 3}, 7);
  Tensor bi = randint(0, 300, {500});
  CHECK(sum(index_select(bx, 1, bi) * by).item() ==
        doctest::Approx(sum(bx * index_add(zeros_like(bx), 1, bi, by)).item()).epsilon(1e-10));
  Tensor sel = index_select(bx, 1, bi);
  CHECK(sel.at({39, 499, 2}) == bx.at({39, (int64_t)bi.at({499}), 2}));
}

TEST_CASE("one_hot") {
  Tensor o = one_hot(idx({2, 0, 1}, {3}), 3);
  CHECK(o.shape() == Shape{3, 3});
  CHECK(o.dtype() == DType::f32);
  check_values(o, {0, 0, 1, 1, 0, 0, 0, 1, 0});
  Tensor o2 = one_hot(idx({1, 0, 0, 1}, {2, 2}), 2, DType::f64);
  CHECK(o2.shape() == Shape{2, 2, 2});
  check_values(o2, {0, 1, 1, 0, 1, 0, 0, 1});
  CHECK(one_hot(idx({3}, {1}), 4, DType::i64).dtype() == DType::i64);
}

TEST_CASE("concat, stack, split") {
  Tensor a = f64({1, 2, 3, 4}, {2, 2}), b = f64({5, 6}, {1, 2});
  check_values(concat({a, b}, 0), {1, 2, 3, 4, 5, 6});
  check_values(concat({a, b.t()}, 1), {1, 2, 5, 3, 4, 6});
  check_values(concat({a, a.t()}, -1), {1, 2, 1, 3, 3, 4, 2, 4});  // a non-contiguous input
  check_values(concat({a}, 0), {1, 2, 3, 4});
  Tensor s0 = stack({a, a * 10.0}, 0);
  CHECK(s0.shape() == Shape{2, 2, 2});
  check_values(s0, {1, 2, 3, 4, 10, 20, 30, 40});
  Tensor s2 = stack({a, a * 10.0}, -1);
  CHECK(s2.shape() == Shape{2, 2, 2});
  check_values(s2, {1, 10, 2, 20, 3, 30, 4, 40});
  check_values(stack({f64({1, 2}, {2}), f64({3, 4}, {2})}, 1), {1, 3, 2, 4});
  // split: views of the input, and concat undoes it.
  Tensor x = arange(0, 12, 1, DType::f64).reshape({3, 4});
  auto parts = split(x, {1, 0, 3}, 1);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].shape() == Shape{3, 1});
  CHECK(parts[1].shape() == Shape{3, 0});
  CHECK(parts[2].shape() == Shape{3, 3});
  check_values(parts[2], {1, 2, 3, 5, 6, 7, 9, 10, 11});
  check_close(concat(parts, 1), x);
  parts[0].set({1, 0}, -1);  // a view: writes reach x
  CHECK(x.at({1, 0}) == -1);
}

TEST_CASE("gradcheck: gather, scatter_add, index_select, index_add") {
  // Repeated indices, so gradients must accumulate.
  Tensor gi = idx({0, 0, 3, 2, 1, 2}, {2, 3});
  CHECK_GRAD([&](const std::vector<Var>& v) { return gather(v[0], 1, gi); }, {rand64({2, 4}, 10)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return gather(v[0], 0, idx({1, 0, 1, 1}, {1, 4})); },
             {rand64({2, 4}, 11)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return scatter_add(v[0], 1, gi, v[1]); },
             {rand64({2, 4}, 12), rand64({2, 3}, 13)});
  Tensor si = idx({2, 0, 2, 1}, {4});
  CHECK_GRAD([&](const std::vector<Var>& v) { return index_select(v[0], 0, si); }, {rand64({3, 2}, 14)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return index_select(v[0], 1, si); }, {rand64({2, 3}, 15)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return index_add(v[0], 0, si, v[1]); },
             {rand64({3, 2}, 16), rand64({4, 2}, 17)});
  // Inside a larger expression: the cross-entropy pattern -log softmax picked by label.
  Tensor labels = idx({2, 0, 1}, {3, 1});
  CHECK_GRAD([&](const std::vector<Var>& v) { return mean(neg(gather(log_softmax(v[0], 1), 1, labels))); },
             {rand64({3, 4}, 18)});
}

TEST_CASE("gradgradcheck: gather and index_select") {
  Tensor gi = idx({0, 0, 3, 2, 1, 2}, {2, 3});
  // Linear: the second derivative is 0, but the double-backward graph must still be right.
  CHECK_GRADGRAD([&](const std::vector<Var>& v) { return gather(v[0], 1, gi); }, {rand64({2, 4}, 20)});
  // Nonlinear around it: the backward of square reads gather's output.
  CHECK_GRADGRAD([&](const std::vector<Var>& v) { return square(gather(v[0], 1, gi)); },
                 {rand64({2, 4}, 21)});
  CHECK_GRADGRAD([&](const std::vector<Var>& v) { return square(scatter_add(v[0], 1, gi, v[1])); },
                 {rand64({2, 4}, 22), rand64({2, 3}, 23)});
  Tensor si = idx({2, 0, 2}, {3});
  CHECK_GRADGRAD([&](const std::vector<Var>& v) { return square(index_select(v[0], 0, si)) * 0.5; },
                 {rand64({3, 2}, 24)});
  CHECK_GRADGRAD([&](const std::vector<Var>& v) { return square(index_add(v[0], 0, si, v[1])); },
                 {rand64({3, 2}, 25), rand64({3, 2}, 26)});
}

TEST_CASE("index errors") {
  Tensor a = zeros({2, 3});
  // Out of range, with the value, its position and the shapes.
  check_error([&] { gather(a, 1, idx({0, 3}, {2, 1})); },
              {"gather", "index 3", "position [1,0]", "axis 1 of size 3", "[2,3]", "[2,1]"});
  check_error([&] { gather(a, 1, idx({-1, 0}, {2, 1})); }, {"gather", "index -1", "negative"});
  check_error([&] { gather(a, 1, from_vector({0, 1}, {2, 1})); }, {"gather", "int64", "float32"});
  check_error([&] { gather(a, 1, idx({0, 1}, {2})); }, {"gather", "rank", "[2]", "[2,3]"});
  check_error([&] { gather(a, 1, idx({0, 0, 0}, {3, 1})); }, {"gather", "index.size(0) = 3 > 2"});
  check_error([&] { gather(a, 2, idx({0}, {1, 1})); }, {"gather", "axis 2"});
  check_error([&] { scatter_add(a, 0, idx({2}, {1, 1}), ones({1, 1})); },
              {"scatter_add", "index 2", "axis 0 of size 2"});
  check_error([&] { scatter_add(a, 0, idx({0}, {1, 1}), ones({1, 1}, DType::f64)); },
              {"scatter_add", "float64", "float32"});
  check_error([&] { scatter_add(a, 0, idx({0, 0}, {1, 2}), ones({1, 1})); },
              {"scatter_add", "src [1,1]", "index.size(1) = 2 > 1"});
  check_error([&] { index_select(a, 0, idx({0, 1}, {1, 2})); }, {"index_select", "1-d", "[1,2]"});
  check_error([&] { index_select(a, 1, idx({0, 7}, {2})); },
              {"index_select", "index 7", "position [1]", "axis 1 of size 3"});
  check_error([&] { index_select(a, 0, from_vector({0}, {1}, DType::f64)); }, {"index_select", "int64", "float64"});
  check_error([&] { index_add(a, 0, idx({0}, {1}), ones({2, 3})); },
              {"index_add", "src has shape [2,3]", "expected [1,3]"});
  check_error([&] { index_add(a, 0, idx({5}, {1}), ones({1, 3})); }, {"index_add", "index 5"});
  check_error([&] { one_hot(idx({0, 3}, {2}), 3); }, {"one_hot", "label 3", "position [1]", "3 classes"});
  check_error([&] { one_hot(idx({0}, {1}), 0); }, {"one_hot", "num_classes"});
  check_error([&] { one_hot(from_vector({0}, {1}), 2); }, {"one_hot", "int64"});
  check_error([&] { concat({}, 0); }, {"concat", "at least one"});
  check_error([&] { concat({a, zeros({2, 2})}, 0); }, {"concat", "tensor 1", "[2,2]", "[2,3]", "axis 0"});
  check_error([&] { concat({a, zeros({2, 3}, DType::f64)}, 0); }, {"concat", "tensor 1", "float64"});
  check_error([&] { concat({a, zeros({6})}, 0); }, {"concat", "[6]"});
  check_error([&] { concat({scalar(1), scalar(2)}, 0); }, {"concat", "0-d"});
  check_error([&] { stack({a, zeros({3, 2})}, 0); }, {"stack", "tensor 1", "[3,2]", "[2,3]"});
  check_error([&] { stack({a}, 3); }, {"stack", "axis 3"});
  check_error([&] { split(a, {1, 1}, 1); }, {"split", "[1,1]", "add up to 2", "size 3"});
  check_error([&] { split(a, {4, -1}, 1); }, {"split", "negative"});
  // The differentiable scatter_add wants src of the index's shape.
  check_error([&] { scatter_add(Var(a), 1, idx({0, 1}, {2, 1}), Var(ones({2, 3}))); },
              {"scatter_add", "index [2,1]", "src [2,3]"});
}
