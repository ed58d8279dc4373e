// Chapter 06 — rotation prediction as a pretext task (rotation.h).
#include "models/ch06/rotation.h"

#include <chrono>

#include "models/ch06/conv_autoencoder.h"
#include "nn/data.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "nn/progress.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

// [N,C,H,W] → the same with the axis reversed (a mirror), by gathering slices in reverse order.
Tensor flip(const Tensor& x, int64_t axis) {
  const int64_t n = x.size(axis);
  return index_select(x, axis, arange((double)n - 1, -1, -1, DType::i64));
}

Tensor as_images(const std::string& op, const Tensor& x) {
  if (!x.defined() || x.dim() < 2 || x.size(0) < 1 || x.numel() != x.size(0) * 784 ||
      (x.dim() != 2 && !(x.dim() == 4 && x.size(1) == 1)))
    fail(op, "x " + (x.defined() ? shape_str(x.shape()) : std::string("(undefined)")) +
                 " must be MNIST-sized images [N,1,28,28] or [N,784]");
  return x.reshape({x.size(0), 1, 28, 28}).to(DType::f32);
}

}  // namespace

Tensor rotate_quarter_turns(const Tensor& x, int64_t k) {
  if (!x.defined() || x.dim() != 4)
    fail("rotate_quarter_turns", "images must be [N, C, H, W], got " + (x.defined() ? shape_str(x.shape()) : "(undefined)"));
  k = ((k % 4) + 4) % 4;
  if (k % 2 == 1 && x.size(2) != x.size(3))
    fail("rotate_quarter_turns", "a quarter turn needs square images, got " + shape_str(x.shape()));
  // Counterclockwise by 90°: transpose the image axes, then reverse the rows
  // (out[i][j] = in[j][W−1−i]). 180° reverses both axes; 270° is 90° the other way.
  switch (k) {
    case 1: return flip(x.transpose(2, 3), 2);
    case 2: return flip(flip(x, 2), 3);
    case 3: return flip(x.transpose(2, 3), 3);
    default: return x.contiguous();
  }
}

RotationBatch rotation_batch(const Tensor& images) {
  if (!images.defined() || images.dim() != 4)
    fail("rotation_batch", "images must be [N, C, H, W], got " + (images.defined() ? shape_str(images.shape()) : "(undefined)"));
  const int64_t N = images.size(0);
  // stack along axis 1 then merge: rows 4n..4n+3 are image n's four rotations.
  std::vector<Tensor> r;
  for (int64_t k = 0; k < 4; ++k) r.push_back(rotate_quarter_turns(images, k));
  Shape s = images.shape();
  s[0] = 4 * N;
  RotationBatch b;
  b.images = stack(r, 1).reshape(s);
  b.labels = arange(0, 4, 1, DType::i64).unsqueeze(0).expand({N, 4}).contiguous().reshape({4 * N});
  return b;
}

RotationNet::RotationNet(const RotationNetConfig& c) : cfg_(c) {
  if (c.channels1 < 1 || c.channels2 < 1)
    fail("RotationNet", "channels must be positive, got " + std::to_string(c.channels1) + ", " + std::to_string(c.channels2));
  using namespace nn;
  trunk_ = register_module("trunk", make<Sequential>(std::vector<ModulePtr>{
      make<Conv2d>(1, c.channels1, 3, 1, 1), make<ReLU>(), make<MaxPool2d>(2),             // 14x14
      make<Conv2d>(c.channels1, c.channels2, 3, 1, 1), make<ReLU>(), make<MaxPool2d>(2),   // 7x7
      make<Conv2d>(c.channels2, c.channels2, 3, 1, 1), make<ReLU>(), make<MaxPool2d>(2, 2, 1),  // 4x4
      make<Flatten>()}));
  head_ = register_module("head", make<Linear>(c.channels2 * 16, 4));
  Generator g(c.seed);
  seeded_init(*this, g);
}

std::string RotationNet::describe() const {
  return "rotation net conv(" + std::to_string(cfg_.channels1) + ")-conv(" + std::to_string(cfg_.channels2) + ")-conv(" +
         std::to_string(cfg_.channels2) + ") -> " + std::to_string(feature_size()) + " features -> 4";
}

Var RotationNet::features(const Var& x) {
  if (x.dim() != 4 || x.size(1) != 1 || x.size(2) != 28 || x.size(3) != 28)
    fail("rotation net", "x " + shape_str(x.shape()) + " must be [N,1,28,28]");
  return (*trunk_)(x);
}

Var RotationNet::forward(const Var& x) { return (*head_)(features(x)); }

Tensor RotationNet::feature_tensor(const Tensor& x_, int64_t batch) {
  const Tensor x = as_images("rotation net features", x_);
  return eval_in_batches(*this, x, batch, [&](const Var& v) { return features(v); }, "rotation net features");
}

RotationEpoch train_rotation_net(RotationNet& net, const Tensor& images, const RotationTrainOptions& opt) {
  const Tensor x = as_images("train_rotation_net", images);
  if (opt.epochs < 0 || opt.batch_size < 1 || !(opt.lr > 0))
    fail("train_rotation_net", "needs epochs >= 0, batch_size >= 1, lr > 0");
  TensorDataset data(x);
  DataLoader loader(data, opt.batch_size, {.shuffle = true, .seed = opt.seed});
  nn::Adam adam(net.parameters(), opt.lr);
  net.train();
  RotationEpoch last;
  int64_t step = 0;
  for (int64_t e = 1; e <= opt.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    double loss = 0, correct = 0;
    int64_t seen = 0;
    for (auto& b : loader) {
      const RotationBatch rb = rotation_batch(b.x);  // the labels are the rotations, never the digits
      adam.zero_grad();
      Var logits = net(Var(rb.images));
      Var l = nn::cross_entropy(logits, rb.labels);
      check_finite(l, "rotation loss", step);
      l.backward();
      adam.step();
      ++step;
      const double n = (double)rb.labels.size(0);
      loss += l.item() * n;
      correct += nn::accuracy(logits.data(), rb.labels) * n;
      seen += rb.labels.size(0);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    last = {e, loss / (double)seen, correct / (double)seen, secs};
    if (opt.on_epoch) opt.on_epoch(last);
  }
  return last;
}

double rotation_accuracy(RotationNet& net, const Tensor& images, int64_t batch) {
  const Tensor x = as_images("rotation_accuracy", images);
  if (batch < 1) fail("rotation_accuracy", "needs batch >= 1, got " + std::to_string(batch));
  NoGradGuard ng;
  const bool was = net.is_training();
  net.eval();
  double correct = 0;
  for (int64_t i = 0; i < x.size(0); i += batch) {
    const RotationBatch rb = rotation_batch(x.slice(0, i, std::min(x.size(0), i + batch)));
    correct += nn::accuracy(net(Var(rb.images)).data(), rb.labels) * (double)rb.labels.size(0);
  }
  net.train(was);
  return correct / (4.0 * (double)x.size(0));
}

}  // namespace latent::models
