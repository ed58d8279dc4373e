// nn/: modules, layers, losses, optimizers, schedules.
#include "helpers.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/optim.h"

using namespace latent;
using namespace latent::test;
namespace L = latent::nn;

TEST_CASE("modules register parameters, buffers and children by path") {
  auto net = L::make<L::Sequential>(std::vector<L::ModulePtr>{
      L::make<L::Linear>(4, 3), L::make<L::ReLU>(), L::BatchNorm1d(3), L::make<L::Linear>(3, 2, false)});
  auto names = net->named_parameters();
  REQUIRE(names.size() == 5);
  CHECK(names[0].first == "0.weight");
  CHECK(names[2].first == "2.weight");
  CHECK(names[4].first == "3.weight");
  CHECK(net->num_parameters() == 4 * 3 + 3 + 3 + 3 + 3 * 2);
  auto state = net->state_dict();
  CHECK(state.count("2.running_mean"));
  CHECK(net->summary().find("Linear(4 -> 3)") != std::string::npos);
  net->eval();
  CHECK(!(*net)[2]->is_training());
  // load_state_dict copies into the existing storage, checks names and shapes
  auto other = L::make<L::Sequential>(std::vector<L::ModulePtr>{
      L::make<L::Linear>(4, 3), L::make<L::ReLU>(), L::BatchNorm1d(3), L::make<L::Linear>(3, 2, false)});
  other->load_state_dict(state);
  check_close(other->named_parameters()[0].second.data(), names[0].second.data(), 0, 0);
  state.erase("0.bias");
  check_error([&] { other->load_state_dict(state); }, {"load_state_dict", "missing", "0.bias"});
  state["0.bias"] = zeros({4});
  check_error([&] { other->load_state_dict(state); }, {"load_state_dict", "0.bias", "[4]", "[3]"});
}

TEST_CASE("Linear and Conv2d compute what they say") {
  L::Linear lin(3, 2);
  Tensor w = lin.weight.data();
  w.copy_(from_vector({1, 2, 3, 4, 5, 6}, {2, 3}));
  Tensor b = lin.bias.data();
  b.copy_(from_vector({0.5, -0.5}, {2}));
  check_values(lin(Var(from_vector({1, 0, -1}, {1, 3}))).data(), {-1.5, -2.5});
  check_error([&] { lin(Var(zeros({2, 4}))); }, {"Linear(3 -> 2)", "[N,3]", "[2,4]"});
  L::Conv2d conv(1, 1, 3, 1, 1);
  Tensor cw = conv.weight.data();
  cw.fill_(1);
  Tensor cb = conv.bias.data();
  cb.fill_(0);
  Var y = conv(Var(ones({1, 1, 3, 3})));  // 3x3 box sum with zero padding
  check_values(y.data(), {4, 6, 4, 6, 9, 6, 4, 6, 4});
  L::ConvTranspose2d up(2, 3, 4, 2, 1);
  CHECK(up(Var(ones({1, 2, 7, 7}))).shape() == Shape{1, 3, 14, 14});
  L::MaxPool2d pool(2);
  CHECK(pool(Var(ones({1, 1, 4, 6}))).shape() == Shape{1, 1, 2, 3});
}

TEST_CASE("BatchNorm normalises in training and uses running statistics in eval") {
  L::BatchNorm bn(2, false, 1e-5, 0.5);
  Tensor x = from_vector({1, 10, 3, 20, 5, 30}, {3, 2});
  Var y = bn(Var(x));
  check_close(mean(y.data(), {0}), zeros({2}), 1e-6);
  check_close(var(y.data(), {0}), ones({2}), 1e-4);
  // running stats moved halfway (momentum 0.5) to the batch mean / unbiased variance
  check_values(bn.running_mean, {1.5, 10});
  check_values(bn.running_var, {0.5 + 0.5 * 4, 0.5 + 0.5 * 100});
  bn.eval();
  Var z = bn(Var(from_vector({1.5, 10}, {1, 2})));
  check_values(z.data(), {0, 0}, 1e-5);
  // gradient of the training-mode normalisation, in float64
  L::BatchNorm bn2(3, true);
  VarFn f = [&](const std::vector<Var>& in) {
    Var xs = in[0];
    Var mu = mean(xs, {0, 2, 3}, true);
    return (xs - mu) / sqrt(var(xs, {0, 2, 3}, true) + 1e-5) * Var(rand64({1, 3, 1, 1}, 9));
  };
  CHECK_GRAD(f, {rand64({2, 3, 2, 2}, 4)});
}

TEST_CASE("Dropout keeps 1-p of the units, scaled, and nothing changes in eval") {
  Generator g(5);
  L::Dropout d(0.25, &g);
  Tensor y = d(Var(ones({100000}))).data();
  CHECK(mean(y).item() == doctest::Approx(1.0).epsilon(0.01));
  CHECK(max(y).item() == doctest::Approx(1 / 0.75));
  d.eval();
  check_close(d(Var(ones({10}))).data(), ones({10}));
}

TEST_CASE("initialisers have the variance they promise") {
  Generator g(1);
  Var w(zeros({500, 400}), true);
  L::init::kaiming_normal(w, 0, &g);
  CHECK(var(w.data()).item() == doctest::Approx(2.0 / 400).epsilon(0.02));
  L::init::xavier_uniform(w, 1, &g);
  CHECK(var(w.data()).item() == doctest::Approx(2.0 / 900).epsilon(0.02));
  L::init::normal(w, 0, 0.02, &g);
  CHECK(std::sqrt(var(w.data()).item()) == doctest::Approx(0.02).epsilon(0.02));
  // he_normal takes the fan-in from the caller, not from the weight's shape (which would say
  // 400 here): for a transposed convolution the true one is in·k²/s², e.g. 500·4·4/4 = 2000.
  L::init::he_normal(w, 2000, &g);
  CHECK(var(w.data()).item() == doctest::Approx(2.0 / 2000).epsilon(0.02));
  CHECK_THROWS_WITH_AS(L::init::he_normal(w, 0, &g), doctest::Contains("he_normal: fan_in must be > 0"), Error);
}

TEST_CASE("losses: values against PyTorch, gradients by gradcheck") {
  // Reference values from torch.nn.functional (PyTorch 1.13), float64.
  Tensor z = from_vector({-1, 2, 0.5, 3, -2, 0}, {2, 3}, DType::f64);
  Tensor t = from_vector({0, 1, 1, 1, 0, 0.5}, {2, 3}, DType::f64);
  Tensor labels = from_vector_i({1, 0}, {2});
  CHECK(L::cross_entropy(Var(z), labels).item() == doctest::Approx(0.14814826601715214).epsilon(1e-12));
  CHECK(L::bce_with_logits(Var(z), Var(t)).item() == doctest::Approx(0.29715487098632704).epsilon(1e-12));
  CHECK(L::bce_loss(sigmoid(Var(z)), Var(t)).item() == doctest::Approx(0.297154870986327).epsilon(1e-12));
  Tensor mu = from_vector({0.5, -1}, {1, 2}, DType::f64), lv = from_vector({0.2, -0.3}, {1, 2}, DType::f64);
  CHECK(L::kl_normal(Var(mu), Var(lv), L::Reduction::sum).item() == doctest::Approx(0.656110489420944).epsilon(1e-12));
  CHECK(L::gaussian_nll(Var(from_vector({1, 0}, {1, 2}, DType::f64)), Var(mu), Var(lv)).item() ==
        doctest::Approx(1.2825739071660474).epsilon(1e-12));
  CHECK(L::mse_loss(Var(z), Var(t), L::Reduction::sum).item() == doctest::Approx(1 + 1 + 0.25 + 4 + 4 + 0.25));
  CHECK(L::l1_loss(Var(z), Var(t)).item() == doctest::Approx((1 + 1 + 0.5 + 2 + 2 + 0.5) / 6));
  // extreme logits stay finite
  Tensor big = from_vector({-1000, 1000}, {1, 2});
  CHECK(std::isfinite(L::bce_with_logits(Var(big), Var(from_vector({1, 0}, {1, 2}))).item()));
  CHECK(std::isfinite(L::cross_entropy(Var(big), from_vector_i({0}, {1})).item()));
  CHECK(L::bce_loss(Var(from_vector({0, 1}, {1, 2})), Var(from_vector({1, 0}, {1, 2}))).item() == doctest::Approx(100));

  CHECK_GRAD([&](const std::vector<Var>& v) { return L::cross_entropy(v[0], labels); }, {rand64({2, 3}, 1)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return L::bce_with_logits(v[0], Var(t)); }, {rand64({2, 3}, 2)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return L::bce_loss(sigmoid(v[0]), Var(t)); }, {rand64({2, 3}, 3)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return L::kl_normal(v[0], v[1]); }, {rand64({2, 3}, 4), rand64({2, 3}, 5)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return L::gaussian_nll(Var(t), v[0], v[1]); }, {rand64({2, 3}, 6), rand64({2, 3}, 7)});
  CHECK_GRADGRAD([&](const std::vector<Var>& v) { return L::cross_entropy(v[0], labels); }, {rand64({2, 3}, 8)});
  check_error([&] { L::cross_entropy(Var(z), from_vector_i({1, 3}, {2})); }, {"one_hot", "3"});
  check_error([&] { L::mse_loss(Var(z), Var(zeros({3, 2}))); }, {"mse_loss", "[2,3]", "[3,2]"});
}

namespace {
// Three steps on L(w) = Σ c_i w_i² from w = [1, -2, 3], as in the PyTorch reference.
std::vector<double> three_steps(std::function<std::unique_ptr<L::Optimizer>(std::vector<Var>)> make) {
  Var w(from_vector({1, -2, 3}, {3}, DType::f64), true);
  Var c(from_vector({0.5, 1, 2}, {3}, DType::f64));
  auto opt = make({w});
  for (int i = 0; i < 3; ++i) {
    opt->zero_grad();
    sum(c * square(w)).backward();
    opt->step();
  }
  return w.data().to_vector();
}
void check_vec(const std::vector<double>& a, const std::vector<double>& b) {
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(b[i]).epsilon(1e-9));
}
}  // namespace

TEST_CASE("optimizers match PyTorch's updates step for step") {
  // Reference: torch.optim (PyTorch 1.13), 3 steps, float64.
  using P = std::vector<Var>;
  check_vec(three_steps([](P p) { return std::make_unique<L::SGD>(p, 0.1); }), {0.729, -1.024, 0.648});
  check_vec(three_steps([](P p) { return std::make_unique<L::SGD>(p, 0.1, 0.9, false, 0.01); }),
            {0.481324499, -0.116388398, -1.626739203});
  check_vec(three_steps([](P p) { return std::make_unique<L::SGD>(p, 0.1, 0.9, true); }), {0.327321, 0.216704, -1.299888});
  check_vec(three_steps([](P p) { return std::make_unique<L::Adam>(p, 0.1); }),
            {0.701586274504415, -1.700623392046465, 2.700381523197209});
  check_vec(three_steps([](P p) { return std::make_unique<L::Adam>(p, 0.1, 0.9, 0.999, 1e-8, 0.1); }),
            {0.701586274221072, -1.700623392010006, 2.700381523191025});
  check_vec(three_steps([](P p) { return std::make_unique<L::AdamW>(p, 0.1, 0.1); }),
            {0.675101223189201, -1.644368683560589, 2.614405617028956});
  check_vec(three_steps([](P p) { return std::make_unique<L::RMSProp>(p, 0.01); }),
            {0.779982281982354, -1.77534944560146, 2.773888567880292});
  check_vec(three_steps([](P p) { return std::make_unique<L::RMSProp>(p, 0.01, 0.99, 1e-8, 0.5); }),
            {0.673786688775379, -1.666883411949174, 2.664732486275867});
}

TEST_CASE("clipping and schedules") {
  Var a(from_vector({3, 0}, {2}, DType::f64), true), b(from_vector({4}, {1}, DType::f64), true);
  (sum(a * Var(from_vector({3, 0}, {2}, DType::f64))) + sum(b * 4.0)).backward();  // grads [3,0], [4]
  double n = L::clip_grad_norm({a, b}, 1.0);
  CHECK(n == doctest::Approx(5));
  check_values(a.grad().data(), {0.6, 0}, 1e-6);
  check_values(b.grad().data(), {0.8}, 1e-6);
  L::clip_weights({a}, 1.0);
  check_values(a.data(), {1, 0});
  L::SGD opt({a}, 1.0);
  L::StepLR step(opt, 2, 0.5);
  step.step();
  CHECK(opt.lr() == 1.0);
  step.step();
  CHECK(opt.lr() == 0.5);
  L::CosineLR cos(opt, 10, 0.1);
  cos.set_epoch(5);
  CHECK(opt.lr() == doctest::Approx(0.1 + 0.5 * (0.5 - 0.1)));
  cos.set_epoch(10);
  CHECK(opt.lr() == doctest::Approx(0.1));
}

TEST_CASE("a small MLP learns XOR with Adam") {
  manual_seed(3);
  L::Sequential net({L::make<L::Linear>(2, 8), L::make<L::Tanh>(), L::make<L::Linear>(8, 1)});
  L::Adam opt(net.parameters(), 0.05);
  Var x(from_vector({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2})), y(from_vector({0, 1, 1, 0}, {4, 1}));
  double loss = 0;
  for (int i = 0; i < 300; ++i) {
    opt.zero_grad();
    Var l = L::bce_with_logits(net(x), y);
    l.backward();
    opt.step();
    loss = l.item();
  }
  CHECK(loss < 0.05);
}

// Adam's update splits long parameters between threads (nn/optim.cpp:
// parallel_chunks). Each element's update does not depend on the split, so 1 and
// 2 threads must agree bit for bit, for Adam and AdamW, on a parameter long
// enough (100,003 floats: an odd length, so the pieces end mid-vector) to be split.
TEST_CASE("Adam and AdamW: the update split between threads equals the 1-thread update exactly") {
  const int saved = get_num_threads();
  for (bool decoupled : {false, true}) {
    CAPTURE(decoupled);
    std::vector<Tensor> finals;
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      Generator g(5);
      const Tensor init = normal({100003}, 0, 1, DType::f32, &g);
      Var w(init.clone(), true);
      const Tensor target = normal({100003}, 0, 1, DType::f32, &g);
      nn::Adam adam({w}, 1e-2, 0.9, 0.999, 1e-8, decoupled ? 0.01 : 0.001, decoupled);
      for (int step = 0; step < 3; ++step) {
        adam.zero_grad();
        sum(square(w - Var(target))).backward();
        adam.step();
      }
      CHECK(min(abs(w.data() - init)).item() > 0.0);  // every element moved
      finals.push_back(w.data().clone());
    }
    CHECK(max(abs(finals[0] - finals[1])).item() == 0.0);
  }
  set_num_threads(saved);
}
