// Chapter 06 — the convolutional autoencoder (conv_autoencoder.h).
#include "models/ch06/conv_autoencoder.h"

#include <chrono>
#include <cmath>

#include "nn/data.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "tensor/index.h"
#include "nn/optim.h"
#include "nn/progress.h"

namespace latent::models {

void seeded_init(nn::Module& m, Generator& g) {
  for (auto& [name, p] : m.named_parameters()) {
    Var v = p;
    if (v.dim() >= 2) {
      const double a = 1.0 / std::sqrt((double)nn::init::fans(v.shape()).first);
      nn::init::uniform(v, -a, a, &g);
    } else {
      nn::init::constant(v, 0.0);
    }
  }
}

ConvAutoencoder::ConvAutoencoder(const ConvAutoencoderConfig& c) : cfg_(c) {
  if (c.height < 4 || c.width < 4 || c.height % 4 || c.width % 4 || c.channels1 < 1 || c.channels2 < 1 || c.code < 1)
    fail("ConvAutoencoder", "needs H and W divisible by 4 and positive channels and code; got " +
                                std::to_string(c.height) + "x" + std::to_string(c.width) + ", channels " +
                                std::to_string(c.channels1) + "/" + std::to_string(c.channels2) + ", code " +
                                std::to_string(c.code));
  using namespace nn;
  const int64_t h4 = c.height / 4, w4 = c.width / 4, flat = c.channels2 * h4 * w4;
  encoder_ = register_module("encoder", make<Sequential>(std::vector<ModulePtr>{
      make<Conv2d>(1, c.channels1, 3, 2, 1), make<ReLU>(),
      make<Conv2d>(c.channels1, c.channels2, 3, 2, 1), make<ReLU>(),
      make<Flatten>(), make<Linear>(flat, c.code)}));
  decoder_ = register_module("decoder", make<Sequential>(std::vector<ModulePtr>{
      make<Linear>(c.code, flat), make<ReLU>(), make<Reshape>(Shape{c.channels2, h4, w4}),
      make<ConvTranspose2d>(c.channels2, c.channels1, 3, 2, 1, true, 1), make<ReLU>(),
      make<ConvTranspose2d>(c.channels1, 1, 3, 2, 1, true, 1)}));
  Generator g(c.seed);
  seeded_init(*this, g);
}

std::string ConvAutoencoder::describe() const {
  return "conv autoencoder " + std::to_string(cfg_.height) + "x" + std::to_string(cfg_.width) + " -conv(" +
         std::to_string(cfg_.channels1) + ")-conv(" + std::to_string(cfg_.channels2) + ")- code " +
         std::to_string(cfg_.code) + " -convT(" + std::to_string(cfg_.channels1) + ")-convT(1)";
}

Tensor ConvAutoencoder::check_input(const std::string& op, const Tensor& x) const {
  const int64_t D = cfg_.height * cfg_.width;
  const bool ok = x.defined() && x.dim() >= 2 && x.size(0) >= 1 && x.numel() == x.size(0) * D &&
                  (x.dim() == 2 || (x.dim() == 4 && x.size(1) == 1));
  if (!ok)
    fail(op, "x " + (x.defined() ? shape_str(x.shape()) : std::string("(undefined)")) + " does not match [N,1," +
                 std::to_string(cfg_.height) + "," + std::to_string(cfg_.width) + "] (or [N," + std::to_string(D) + "])");
  return x.reshape({x.size(0), 1, cfg_.height, cfg_.width}).to(DType::f32);
}

Var ConvAutoencoder::encode(const Var& x) { return (*encoder_)(x); }

Var ConvAutoencoder::decode_logits(const Var& h) {
  if (h.dim() != 2 || h.size(1) != cfg_.code)
    fail("conv autoencoder decode", "code " + shape_str(h.shape()) + " does not match [N," + std::to_string(cfg_.code) + "]");
  return (*decoder_)(h);
}

Tensor ConvAutoencoder::codes(const Tensor& x, int64_t batch) {
  return eval_in_batches(*this, check_input("conv autoencoder codes", x), batch, [&](const Var& v) { return encode(v); },
                         "conv autoencoder codes");
}

Tensor ConvAutoencoder::reconstruct(const Tensor& x, int64_t batch) {
  return eval_in_batches(*this, check_input("conv autoencoder reconstruct", x), batch,
                         [&](const Var& v) { return forward(v); }, "conv autoencoder reconstruct");
}

AeEpoch train_conv_autoencoder(ConvAutoencoder& ae, const Tensor& x_, const AeTrainOptions& opt) {
  const Tensor x = ae.check_input("train_conv_autoencoder", x_);
  if (opt.epochs < 0 || opt.batch_size < 1 || !(opt.lr > 0) || !(opt.weight_decay >= 0))
    fail("train_conv_autoencoder", "needs epochs >= 0, batch_size >= 1, lr > 0, weight_decay >= 0");
  if (opt.objective.loss != ReconstructionLoss::cross_entropy)
    fail("train_conv_autoencoder", "trains on the cross-entropy of its sigmoid output only");
  TensorDataset data(x);
  DataLoader loader(data, opt.batch_size, {.shuffle = true, .seed = opt.seed});
  nn::Adam adam(ae.parameters(), opt.lr, 0.9, 0.999, 1e-8, opt.weight_decay);  // as train_autoencoder
  Generator g_noise(opt.seed ^ 0x9e3779b97f4a7c15ULL);
  ae.train();
  AeEpoch last;
  int64_t step = 0;
  for (int64_t e = 1; e <= opt.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    double total = 0;
    int64_t seen = 0;
    for (auto& b : loader) {
      const Tensor xi = corrupt(b.x, opt.objective.corruption, g_noise);
      adam.zero_grad();
      const double n = (double)b.x.size(0);
      Var loss = nn::bce_with_logits(ae.decode_logits(ae.encode(Var(xi))), Var(b.x), nn::Reduction::sum) / n;
      check_finite(loss, "conv autoencoder loss", step);
      loss.backward();
      adam.step();
      ++step;
      total += loss.item() * n;
      seen += b.x.size(0);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    last = {e, total / (double)seen, total / (double)seen, 0.0, secs};
    if (opt.on_epoch) opt.on_epoch(last);
  }
  return last;
}

double squared_error_per_image(ConvAutoencoder& ae, const Tensor& x) {
  const Tensor X = ae.check_input("squared_error_per_image", x);
  return sum(square(ae.reconstruct(X).to(DType::f64) - X.to(DType::f64))).item() / (double)X.size(0);
}

}  // namespace latent::models
