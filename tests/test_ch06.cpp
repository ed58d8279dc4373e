// Chapter 06 tests: the penalties (L1, KL sparsity, contractive) against finite
// differences and, for the contractive one, against the encoder's Jacobian built
// by autodiff; the statistics of the corruptions; training on the embedded MNIST
// subset (MLP, stacked, convolutional); linear probes and retrieval; rotation
// labels; and clear errors on bad input.
#include <cmath>

#include "helpers.h"
#include "models/ch02/pca.h"
#include "models/ch06/autoencoder.h"
#include "models/ch06/codes.h"
#include "models/ch06/conv_autoencoder.h"
#include "models/ch06/rotation.h"
#include "models/ch06/stacked.h"
#include "nn/data.h"
#include "tensor/index.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_close;
using latent::test::check_error;

namespace {

AutoencoderConfig tiny(int64_t input, std::vector<int64_t> hidden, int64_t code, uint64_t seed = 1) {
  AutoencoderConfig c;
  c.input = input, c.hidden = std::move(hidden), c.code = code, c.dtype = DType::f64, c.seed = seed;
  return c;
}

std::vector<Tensor> params_of(const Autoencoder& ae) {
  std::vector<Tensor> p;
  for (auto& l : ae.encoder_linears()) p.push_back(l->weight.data().clone()), p.push_back(l->bias.data().clone());
  for (auto& l : ae.decoder_linears()) p.push_back(l->weight.data().clone()), p.push_back(l->bias.data().clone());
  return p;
}
// Make the model compute with the given Vars (gradcheck's inputs) as its parameters.
void rebind(Autoencoder& ae, const std::vector<Var>& p) {
  size_t i = 0;
  for (auto& l : ae.encoder_linears()) l->weight = p[i++], l->bias = p[i++];
  for (auto& l : ae.decoder_linears()) l->weight = p[i++], l->bias = p[i++];
}

Mnist& embedded() {
  static Mnist m = load_mnist_embedded();
  return m;
}
Tensor train_rows(int64_t n) { return embedded().train.images.slice(0, 0, n).reshape({n, 784}); }
Tensor test_rows(int64_t n) { return embedded().test.images.slice(0, 0, n).reshape({n, 784}); }

// (1/N) Σ_n ‖x_n − mean‖²: the error of a model that ignores its input.
double mean_image_error(const Tensor& X, const Tensor& reference) {
  const Tensor m = mean(reference, {0}, true);
  return sum(square(X - m)).item() / (double)X.size(0);
}

}  // namespace

TEST_CASE("ch06: the L1 and KL sparsity penalties have the stated values and gradients") {
  const Tensor a = test::rand64({5, 4}, 1, -2, 2);
  const double rho = 0.1;
  {
    NoGradGuard ng;
    const Tensor h = sigmoid(a);
    double kl = 0, l1 = 0;
    for (int64_t j = 0; j < 4; ++j) {
      double r = 0;
      for (int64_t n = 0; n < 5; ++n) r += h.at({n, j}) / 5, l1 += std::abs(a.at({n, j})) / 5;
      kl += rho * std::log(rho / r) + (1 - rho) * std::log((1 - rho) / (1 - r));
    }
    CHECK(kl_sparsity_penalty(Var(h), rho).item() == doctest::Approx(kl).epsilon(1e-12));
    CHECK(l1_activation_penalty(Var(a)).item() == doctest::Approx(l1).epsilon(1e-12));
    // KL(ρ ‖ ρ̂) = 0 exactly when every unit's mean is ρ.
    CHECK(kl_sparsity_penalty(Var(full({3, 2}, rho, DType::f64)), rho).item() == doctest::Approx(0).epsilon(1e-12));
  }
  CHECK_GRAD([&](const std::vector<Var>& v) { return kl_sparsity_penalty(sigmoid(v[0]), rho); }, {a});
  CHECK_GRAD([&](const std::vector<Var>& v) { return l1_activation_penalty(v[0]); }, {a});  // no entry near 0
}

TEST_CASE("ch06: the contractive penalty equals the squared Frobenius norm of the autodiff Jacobian") {
  const int64_t N = 3, D = 5, K = 4;
  const Tensor x = test::rand64({N, D}, 2), W = test::rand64({K, D}, 3), b = test::rand64({K}, 4);
  // Brute force: row j of J(x_n) is ∂h_nj/∂x_n, from the gradient of Σ_n h_nj w.r.t. x (examples
  // are independent, so that gradient's row n is exactly row j of example n's Jacobian).
  Var xv(x, true);
  Var h = sigmoid(linear(xv, Var(W), Var(b)));
  double frob = 0;
  for (int64_t j = 0; j < K; ++j) {
    const Tensor gj = grad({sum(select(h, 1, j))}, {xv}, {}, false, true)[0].data();
    frob += sum(square(gj)).item();
  }
  CHECK(contractive_penalty(h, Var(W)).item() == doctest::Approx(frob / N).epsilon(1e-12));
  // Its gradient in W and b (through h too), as training differentiates it.
  CHECK_GRAD([&](const std::vector<Var>& v) { return contractive_penalty(sigmoid(linear(Var(x), v[0], v[1])), v[0]); },
             {W, b});
}

TEST_CASE("ch06: the full objective's gradient matches finite differences (CE/SE, L1, KL, contractive)") {
  const Tensor x = test::rand64({4, 6}, 5, 0, 1), xi = test::rand64({4, 6}, 6, 0, 1);
  struct Case {
    const char* name;
    AutoencoderConfig cfg;
    AeObjective obj;
  };
  AutoencoderConfig deep = tiny(6, {5}, 3, 7), shallow = tiny(6, {}, 8, 8), linear_out = tiny(6, {4}, 2, 9);
  shallow.undercomplete = false;
  deep.hidden_activation = Activation::relu, deep.code_activation = Activation::linear;
  linear_out.output_activation = Activation::linear;
  std::vector<Case> cases = {
      {"deep, relu, linear code, cross-entropy", deep, {}},
      {"overcomplete sparse (L1 + KL) + contractive", shallow,
       {.l1 = 0.3, .sparsity_weight = 0.5, .sparsity_target = 0.2, .contractive = 0.7}},
      {"linear output, squared error", linear_out, {.loss = ReconstructionLoss::squared_error}},
  };
  for (auto& c : cases) {
    CAPTURE(c.name);
    Autoencoder ae(c.cfg);
    CHECK_GRAD([&](const std::vector<Var>& p) { rebind(ae, p); return autoencoder_loss(ae, x, xi, c.obj).loss; },
               params_of(ae));
  }
}

TEST_CASE("ch06: masking destroys exactly the stated fraction; Gaussian noise has the stated std") {
  Generator g(10);
  const Tensor ones_ = ones({200, 784});
  const Tensor m = corrupt(ones_, {Corruption::Kind::masking, 0.25}, g);
  const Tensor zeros_per_row = sum(1.0 - m, {1});
  CHECK(min(zeros_per_row).item() == 196);  // round(0.25 · 784)
  CHECK(max(zeros_per_row).item() == 196);
  // Every pixel is equally likely to be masked: each column's masked count is Binomial(200, 1/4).
  const Tensor per_col = sum(1.0 - m, {0});
  CHECK(mean(per_col).item() == doctest::Approx(50).epsilon(1e-9));
  CHECK(max(per_col).item() < 50 + 6 * std::sqrt(200 * 0.25 * 0.75));
  const Tensor x = uniform({400, 784}, 0, 1, DType::f32, &g);
  const Tensor noise = (corrupt(x, {Corruption::Kind::gaussian, 0.3}, g) - x).to(DType::f64);
  const double n = (double)noise.numel();
  CHECK(std::abs(mean(noise).item()) < 4 * 0.3 / std::sqrt(n));
  CHECK(std::sqrt(var(noise).item()) == doctest::Approx(0.3).epsilon(0.01));
  CHECK(corruption_name({Corruption::Kind::masking, 0.25}) == "masking 25%");
  // The same seed gives the same corruption; none returns the input.
  Generator g1(3), g2(3);
  check_close(corrupt(x, {Corruption::Kind::masking, 0.5}, g1), corrupt(x, {Corruption::Kind::masking, 0.5}, g2), 0, 0);
  check_close(corrupt(x, {}, g1), x, 0, 0);
}

TEST_CASE("ch06: an undercomplete autoencoder learns MNIST digits far below the mean-image error") {
  const Tensor X = train_rows(1000), Xt = test_rows(200);
  AutoencoderConfig cfg;
  cfg.hidden = {128}, cfg.code = 16, cfg.hidden_activation = Activation::relu, cfg.code_activation = Activation::linear;
  Autoencoder ae(cfg);
  std::vector<AeEpoch> epochs;
  train_autoencoder(ae, X, {.epochs = 8, .batch_size = 50, .lr = 2e-3, .seed = 1,
                            .on_epoch = [&](const AeEpoch& e) { epochs.push_back(e); }});
  REQUIRE(epochs.size() == 8);
  CHECK(epochs.back().loss < epochs.front().loss);
  const double err = squared_error_per_image(ae, Xt), baseline = mean_image_error(Xt, X);
  const double pca4 = pca_reconstruction_error(pca_fit(X, 4), Xt);
  MESSAGE("AE-16 test error " << err << ", PCA-4 " << pca4 << ", mean image " << baseline);
  CHECK(err < 0.6 * baseline);
  CHECK(err < pca4);  // four times the code of PCA-4 buys a lower error, even on 1,000 images
  CHECK(ae.codes(Xt).shape() == Shape{200, 16});
  CHECK(ae.reconstruct(Xt.reshape({200, 1, 28, 28})).shape() == Shape{200, 784});
}

TEST_CASE("ch06: a sparse autoencoder meets its target mean activation; a denoising one removes masking noise") {
  const Tensor X = train_rows(1000);
  AutoencoderConfig cfg;
  cfg.code = 100;
  Autoencoder sparse(cfg);
  const double rho = 0.05;
  train_autoencoder(sparse, X, {.epochs = 15, .batch_size = 25, .lr = 1e-2,
                                .objective = {.sparsity_weight = 10.0, .sparsity_target = rho}, .seed = 2});
  // Denoising: the reconstruction of a masked image is nearer the clean image than the masked one is.
  Autoencoder dae(cfg);
  const Corruption mask{Corruption::Kind::masking, 0.3};
  train_autoencoder(dae, X, {.epochs = 15, .batch_size = 25, .lr = 1e-2, .objective = {.corruption = mask}, .seed = 3});
  // The same code without the penalty (the denoising AE) is far denser.
  const double mean_act = mean(sparse.codes(X)).item(), mean_plain = mean(dae.codes(X)).item();
  MESSAGE("mean code activation: sparse AE " << mean_act << ", without the penalty " << mean_plain);
  CHECK(mean_act < 2 * rho);  // from 0.5 at the start (zero biases)
  CHECK(mean_act < 0.5 * mean_plain);
  Generator g(4);
  const Tensor Xt = test_rows(200), noisy = corrupt(Xt, mask, g);
  const double before = sum(square(noisy - Xt)).item() / 200, after = sum(square(dae.reconstruct(noisy) - Xt)).item() / 200;
  MESSAGE("masked images: error " << before << " before, " << after << " after denoising");
  CHECK(after < 0.75 * before);
}

TEST_CASE("ch06: greedy stacking gives a deep autoencoder that fine-tuning improves") {
  const Tensor X = train_rows(600), Xt = test_rows(200);
  StackedConfig s;
  s.sizes = {784, 128, 32};
  std::vector<int64_t> layer_epochs(2, 0);
  auto deep = pretrain_stacked(X, s, {.epochs = 5, .batch_size = 25, .lr = 1e-2, .seed = 5},
                               [&](int64_t l, const AeEpoch&) { ++layer_epochs[(size_t)l]; });
  CHECK(layer_epochs == std::vector<int64_t>{5, 5});
  CHECK(deep->describe() == "autoencoder 784-128-32 (sigmoid hidden, sigmoid code, sigmoid output)");
  Autoencoder random(stacked_config(s));
  const double err_random = squared_error_per_image(random, Xt), err_stacked = squared_error_per_image(*deep, Xt);
  train_autoencoder(*deep, X, {.epochs = 3, .batch_size = 50, .lr = 1e-3, .seed = 6});
  const double err_tuned = squared_error_per_image(*deep, Xt);
  MESSAGE("deep AE test error: random " << err_random << ", stacked " << err_stacked << ", fine-tuned " << err_tuned);
  CHECK(err_stacked < 0.7 * err_random);
  CHECK(err_tuned < err_stacked);
}

TEST_CASE("ch06: the convolutional autoencoder's shapes, and one epoch of training lowers its error") {
  ConvAutoencoder ae({.channels1 = 8, .channels2 = 16, .code = 10, .seed = 1});
  const Tensor X = train_rows(300);
  Var h = ae.encode(Var(ae.check_input("test", X.slice(0, 0, 4))));
  CHECK(h.shape() == Shape{4, 10});
  Var out = ae(Var(ae.check_input("test", X.slice(0, 0, 4))));
  CHECK(out.shape() == Shape{4, 1, 28, 28});
  CHECK(min(out.data()).item() >= 0);
  CHECK(max(out.data()).item() <= 1);
  CHECK(ae.codes(X).shape() == Shape{300, 10});
  const double before = squared_error_per_image(ae, X);
  train_conv_autoencoder(ae, X, {.epochs = 2, .batch_size = 25, .lr = 3e-3, .seed = 2});
  CHECK(squared_error_per_image(ae, X) < 0.8 * before);
  ConvAutoencoder other({.height = 32, .width = 16});
  CHECK(other.reconstruct(zeros({2, 1, 32, 16})).shape() == Shape{2, 1, 32, 16});
}

TEST_CASE("ch06: a linear probe on pixels beats chance clearly; retrieval precision by hand") {
  const Mnist& m = embedded();
  const Tensor X = m.train.images.reshape({m.train.size(), 784}), Xt = m.test.images.reshape({m.test.size(), 784});
  const LinearProbe p = train_linear_probe(X, m.train.labels, 10, {.epochs = 5, .seed = 1});
  const double acc = probe_accuracy(p, Xt, m.test.labels);
  MESSAGE("linear probe on pixels, embedded subset: " << acc);
  CHECK(acc > 0.75);  // chance is 0.1
  // Retrieval: database points on a line, labels by side; the query at 0.9 has neighbours 1, 0.5, 2.
  const Tensor db = from_vector({-2, -1, 0.5, 1, 2}, {5, 1}), dbl = from_vector_i({0, 0, 1, 1, 1}, {5});
  const Tensor q = from_vector({0.9, -1.2}, {2, 1}), ql = from_vector_i({1, 1}, {2});
  // Query 1 (0.9): nearest 3 = {1, 0.5, 2}, all label 1 → 1. Query 2 (−1.2): {−1, −2, 0.5} → 1/3.
  CHECK(retrieval_precision(q, ql, db, dbl, 3) == doctest::Approx((1.0 + 1.0 / 3) / 2));
  CHECK(retrieval_precision(q, ql, db, dbl, 3, 1) == doctest::Approx((1.0 + 1.0 / 3) / 2));  // block size 1
}

TEST_CASE("ch06: rotations by quarter turns and the rotation pretext labels") {
  // [[0, 1, 2], [3, 4, 5], [6, 7, 8]] turned 90° counterclockwise is [[2, 5, 8], [1, 4, 7], [0, 3, 6]].
  const Tensor img = arange(0, 9, 1, DType::f32).reshape({1, 1, 3, 3});
  test::check_values(rotate_quarter_turns(img, 1), {2, 5, 8, 1, 4, 7, 0, 3, 6});
  test::check_values(rotate_quarter_turns(img, 2), {8, 7, 6, 5, 4, 3, 2, 1, 0});
  test::check_values(rotate_quarter_turns(img, 3), {6, 3, 0, 7, 4, 1, 8, 5, 2});
  test::check_values(rotate_quarter_turns(img, -1), {6, 3, 0, 7, 4, 1, 8, 5, 2});
  check_close(rotate_quarter_turns(img, 4), img, 0, 0);
  check_close(rotate_quarter_turns(rotate_quarter_turns(img, 1), 3), img, 0, 0);
  const Tensor two = concat({img, img + 10.0}, 0);
  const RotationBatch b = rotation_batch(two);
  CHECK(b.images.shape() == Shape{8, 1, 3, 3});
  test::check_values(b.labels, {0, 1, 2, 3, 0, 1, 2, 3});
  check_close(b.images.slice(0, 5, 6), rotate_quarter_turns(img + 10.0, 1), 0, 0);
  // A real digit: row i of its quarter turn holds what column 27 − i held (ink per column moves
  // to ink per row, in reverse order); a "1" is tall and thin, so its turn is wide and flat.
  const Tensor digit = embedded().train.images.slice(0, 3, 4);  // the 4th training image is a 1
  REQUIRE(embedded().train.labels.at({3}) == 1);
  const Tensor turned = rotate_quarter_turns(digit, 1);
  const Tensor reversed = arange(27, -1, -1, DType::i64);
  check_close(sum(turned, {3}).reshape({28}), index_select(sum(digit, {2}).reshape({28}), 0, reversed), 1e-5);
  auto spread = [](const Tensor& ink) {  // how many rows hold any ink
    return sum(gt(ink, zeros_like(ink))).item();
  };
  CHECK(spread(sum(digit, {3}).reshape({28})) > spread(sum(turned, {3}).reshape({28})) + 5);
}

TEST_CASE("ch06: the rotation net learns to tell rotations apart above chance; its features feed a probe") {
  const Tensor X = train_rows(256);
  RotationNet net({.channels1 = 8, .channels2 = 16, .seed = 1});
  const RotationEpoch e = train_rotation_net(net, X, {.epochs = 2, .batch_size = 32, .lr = 3e-3, .seed = 2});
  CHECK(std::isfinite(e.loss));
  const double acc = rotation_accuracy(net, test_rows(100));
  MESSAGE("rotation accuracy after 2 epochs on 256 images: " << acc);
  CHECK(acc > 0.5);  // chance is 0.25
  CHECK(net.feature_tensor(X.slice(0, 0, 5)).shape() == Shape{5, net.feature_size()});
}

TEST_CASE("ch06: bad input gets a clear error") {
  AutoencoderConfig c;
  c.code = 784;
  check_error([&] { Autoencoder a(c); }, {"Autoencoder", "undercomplete", "784"});
  c.code = 0;
  check_error([&] { Autoencoder a(c); }, {"Autoencoder", "positive"});
  Autoencoder ae(tiny(6, {4}, 2));
  check_error([&] { ae.codes(zeros({3, 5})); }, {"autoencoder codes", "[3,5]", "[N,6]"});
  check_error([&] { train_autoencoder(ae, zeros({3, 7}), {}); }, {"train_autoencoder", "[3,7]"});
  check_error([&] { train_autoencoder(ae, zeros({3, 6}), {.weight_decay = -1}); }, {"train_autoencoder", "weight_decay >= 0"});
  const Tensor x = zeros({3, 6}, DType::f64);
  check_error([&] { autoencoder_loss(ae, x, x, {.sparsity_weight = 1, .sparsity_target = 1.5}); }, {"rho", "(0, 1)"});
  check_error([&] { autoencoder_loss(ae, x, x, {.contractive = 1}); }, {"contractive", "one sigmoid encoder layer"});
  check_error([&] { autoencoder_loss(ae, x, x, {.l1 = -1}); }, {"autoencoder_loss", ">= 0"});
  check_error([&] { kl_sparsity_penalty(Var(zeros({2, 2})), 0.0); }, {"kl_sparsity_penalty", "(0, 1)"});
  check_error([&] { contractive_penalty(Var(zeros({2, 3})), Var(zeros({4, 5}))); }, {"contractive_penalty", "[2,3]", "[4,5]"});
  AutoencoderConfig lin = tiny(6, {}, 2);
  lin.output_activation = Activation::linear;
  Autoencoder al(lin);
  check_error([&] { autoencoder_loss(al, x, x, {}); }, {"cross-entropy", "sigmoid output"});
  Generator g(1);
  check_error([&] { corrupt(x, {Corruption::Kind::masking, 1.5}, g); }, {"corrupt", "[0, 1]"});
  check_error([&] { corrupt(x, {Corruption::Kind::gaussian, -1}, g); }, {"corrupt", ">= 0"});
  check_error([&] { stacked_config({.sizes = {784, 32}}); }, {"stacked", "two layers"});
  ConvAutoencoder conv({.code = 4});
  check_error([&] { conv.codes(zeros({2, 3, 28, 28})); }, {"conv autoencoder codes", "[2,3,28,28]"});
  check_error([&] { ConvAutoencoder bad({.height = 30}); }, {"ConvAutoencoder", "divisible by 4"});
  check_error([&] { rotate_quarter_turns(zeros({1, 1, 3, 4}), 1); }, {"rotate_quarter_turns", "square", "[1,1,3,4]"});
  check_error([&] { rotate_quarter_turns(zeros({3, 4}), 1); }, {"rotate_quarter_turns", "[N, C, H, W]"});
  check_error([&] { train_conv_autoencoder(conv, zeros({2, 1, 28, 28}), {.weight_decay = -1}); }, {"train_conv_autoencoder", "weight_decay"});
  RotationNet rot({.channels1 = 2, .channels2 = 2, .seed = 1});
  check_error([&] { rot.feature_tensor(zeros({2, 1, 28, 28}), 0); }, {"rotation net features", "batch >= 1"});
  check_error([&] { rotation_accuracy(rot, zeros({2, 1, 28, 28}), 0); }, {"rotation_accuracy", "batch >= 1"});
  check_error([&] { train_linear_probe(zeros({4, 3}), from_vector_i({0, 1, 0}, {3}), 2); }, {"train_linear_probe", "int64 [4]"});
  check_error([&] { retrieval_precision(zeros({2, 3}), from_vector_i({0, 1}, {2}), zeros({4, 2}), from_vector_i({0, 1, 0, 1}, {4}), 1); },
              {"retrieval_precision", "different sizes"});
  check_error([&] { retrieval_precision(zeros({2, 3}), from_vector_i({0, 1}, {2}), zeros({4, 3}), from_vector_i({0, 1, 0, 1}, {4}), 5); },
              {"retrieval_precision", "k"});
}
