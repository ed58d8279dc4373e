// Every error path: a latent::Error whose message names the op and the shapes.
#include "helpers.h"

using namespace latent;
using namespace latent::test;

TEST_CASE("matmul shape errors name both shapes and the mismatch") {
  check_error([] { matmul(zeros({64, 784}), zeros({400, 784})); },
              {"matmul: [64,784] x [400,784]: inner dimensions 784 and 400 differ"});
  check_error([] { matmul(zeros({2, 3, 4}), zeros({5, 4, 2})); }, {"matmul", "[2]", "[5]", "broadcast"});
  check_error([] { matmul(zeros({}), zeros({3})); }, {"matmul", "at least 1 dimension"});
  check_error([] { matmul(zeros({2, 2}), zeros({2, 2}, DType::f64)); }, {"matmul", "float32", "float64"});
  check_error([] { matmul(zeros({2, 2}, DType::i64), zeros({2, 2}, DType::i64)); }, {"matmul", "int64"});
}

TEST_CASE("broadcasting errors") {
  check_error([] { add(zeros({2, 3}), zeros({4})); }, {"add", "[2,3]", "[4]", "cannot be broadcast"});
  check_error([] { mul(zeros({2, 3}), zeros({3, 2})); }, {"mul", "[2,3]", "[3,2]"});
  check_error([] { where(zeros({2}), zeros({3}), zeros({3})); }, {"where", "[2]", "[3]"});
  check_error([] { zeros({2, 3}).expand({2, 4}); }, {"expand", "[2,3]", "[2,4]"});
  check_error([] { sum_to(zeros({2, 3}), {4, 3}); }, {"sum_to", "[2,3]", "[4,3]"});
}

TEST_CASE("view and indexing errors") {
  check_error([] { zeros({2, 3}).reshape({4, 2}); }, {"reshape", "[2,3]", "[4,2]"});
  check_error([] { zeros({6}).reshape({-1, -1}); }, {"reshape", "-1"});
  check_error([] { zeros({2, 3}).t().view({6}); }, {"view", "[3,2]", "reshape()"});
  check_error([] { zeros({2, 3}).transpose(0, 2); }, {"transpose", "axis 2", "2 dimensions"});
  check_error([] { zeros({2, 3}).permute({0, 0}); }, {"permute", "repeated"});
  check_error([] { zeros({2, 3}).permute({0}); }, {"permute", "[2,3]"});
  check_error([] { zeros({2, 3}).squeeze(0); }, {"squeeze", "size 2"});
  check_error([] { zeros({2, 3}).select(1, 3); }, {"select", "index 3", "[2,3]"});
  check_error([] { zeros({2, 3}).slice(0, 0, 1, 0); }, {"slice", "step"});
  check_error([] { zeros({2, 3}).at({2, 0}); }, {"at", "index 2", "axis 0"});
  check_error([] { zeros({2, 3}).at({0}); }, {"at", "1 indices", "[2,3]"});
  check_error([] { zeros({2, 3}).item(); }, {"item", "[2,3]", "6 elements"});
  check_error([] { sum(zeros({2, 3}), {3}); }, {"sum", "axis 3"});
  check_error([] { sum(zeros({2, 3}), {1, 1}); }, {"sum", "twice"});
  check_error([] { argmax(zeros({2, 0}), 1); }, {"argmax", "empty"});
  check_error([] { max(zeros({0})); }, {"max", "empty"});
}

TEST_CASE("dtype and argument errors") {
  check_error([] { exp(zeros({2}, DType::i64)); }, {"exp", "int64", "float32 or float64"});
  check_error([] { zeros({2}).data<double>(); }, {"data", "float32", "float64"});
  check_error([] { Var(zeros({2}, DType::i64), true); }, {"int64", "gradient"});
  check_error([] { arange(0, 1, 0); }, {"arange", "step"});
  check_error([] { from_vector({1, 2, 3}, {2, 2}); }, {"from_vector", "3 values", "[2,2]"});
  check_error([] { Tensor({2, -1}, DType::f32); }, {"negative", "[2,-1]"});
  check_error([] { clamp(zeros({2}), 1, 0); }, {"clamp", "lo"});
  check_error([] { uniform({2}, 1, 0); }, {"uniform", "lo"});
  check_error([] { normal({2}, 0, -1); }, {"normal", "std"});
  check_error([] { bernoulli(full({2}, 1.5)); }, {"bernoulli", "outside [0, 1]"});
  check_error([] { categorical(from_vector({1, -1}, {1, 2})); }, {"categorical", "negative"});
  check_error([] { categorical(zeros({1, 2})); }, {"categorical", "zero total"});
  check_error([] { randint(3, 3, {2}); }, {"randint", "empty range"});
  check_error([] { set_num_threads(0); }, {"set_num_threads"});
  check_error([] { var(zeros({1}), {}, false, true); }, {"var", "too few"});
}

TEST_CASE("autodiff errors") {
  Var c(ones({2}));
  check_error([&] { sum(c).backward(); }, {"backward", "does not require a gradient"});
  Var x(ones({2}), true);
  check_error([&] { (x * 2.0).requires_grad_(false); }, {"requires_grad_", "only leaves"});
  check_error([&] { sum(x).backward(Var(ones({3}))); }, {"backward", "grad_output of shape [3]", "[]"});
  check_error([&] { linear(Var(ones({4, 3})), Var(ones({2, 5})), Var()); },
              {"linear", "x [4,3] has 3 features", "W [2,5] expects 5"});
  check_error([&] { split(x, {1, 2}, 0); }, {"split", "add up to 3", "[2]"});
  auto bad = [](const Var& a) {
    return make_op("bad_shape", a.data(), {a}, [](const BackwardCtx& c) -> Grads { return {sum(c.g)}; });
  };
  check_error([&] { sum(bad(x)).backward(); }, {"backward", "'bad_shape'", "shape []", "shape [2]"});
  check_error([&] { grad({sum(x)}, {c}); }, {"grad", "does not require a gradient"});
  check_error([&] { Var().data(); }, {"undefined Var"});
}

TEST_CASE("numbers in messages: shortest %g form") {
  CHECK(num_str(0.5) == "0.5");
  CHECK(num_str(1e-4) == "0.0001");
  CHECK(num_str(2e-7) == "2e-07");
  CHECK(num_str(2.0 / 3.0, 3) == "0.667");
  CHECK(num_str(0.001, 10) == "0.001");
  CHECK(num_str(-250000) == "-250000");
}
