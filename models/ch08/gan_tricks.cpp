// Chapter 08 — GAN training tricks (gan_tricks.h).
#include "models/ch08/gan_tricks.h"

#include <cmath>

#include "nn/init.h"

namespace latent::models {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// A parameter of the given shape and dtype drawn from N(0, std²) with g.
Tensor normal_init(const Shape& s, double std, DType dtype, Generator* g) { return normal(s, 0, std, dtype, g); }

}  // namespace

void update_average(nn::Module& average, nn::Module& live, double beta) {
  if (!(beta >= 0 && beta < 1)) fail("update_average", "beta must be in [0, 1), got " + num_str(beta));
  const auto avg = average.named_parameters(), cur = live.named_parameters();
  if (avg.size() != cur.size())
    fail("update_average", "the average has " + str((int64_t)avg.size()) + " parameters, the live net " +
                               str((int64_t)cur.size()) + ": not two nets of one config");
  for (size_t i = 0; i < avg.size(); ++i) {
    const Var &a = avg[i].second, &c = cur[i].second;
    if (avg[i].first != cur[i].first || a.shape() != c.shape() || a.dtype() != c.dtype())
      fail("update_average", "parameter " + str((int64_t)i) + " is " + avg[i].first + " " + shape_str(a.shape()) + " " +
                                 dtype_name(a.dtype()) + " in the average and " + cur[i].first + " " +
                                 shape_str(c.shape()) + " " + dtype_name(c.dtype()) + " in the live net");
  }
  // θ̄ += (1 − β)(θ − θ̄), the same as β θ̄ + (1 − β) θ with one temporary.
  for (size_t i = 0; i < avg.size(); ++i) {
    Tensor a = avg[i].second.data();
    add_(a, sub(cur[i].second.data(), a), 1.0 - beta);
  }
}

Var PixelNorm::forward(const Var& x) {
  if (x.dim() < 2) fail("PixelNorm", "expects [N, C, ...], got " + shape_str(x.shape()));
  return x / sqrt(mean(square(x), {1}, /*keepdim=*/true) + eps);
}

Var MinibatchStddev::forward(const Var& x) {
  if (x.dim() != 2 && x.dim() != 4)
    fail("MinibatchStddev", "expects [N, F] or [N, C, H, W], got " + shape_str(x.shape()));
  if (x.size(0) < 2) fail("MinibatchStddev", "needs a batch of at least 2 examples, got " + shape_str(x.shape()));
  // σ of each feature and position over the batch (biased, as Karras et al.'s
  // code), then one average: a single statistic of the batch's diversity.
  const Var s = mean(sqrt(var(x, {0}) + eps));
  Shape one(x.dim(), 1), target = x.shape();
  target[1] = 1;
  return concat({x, expand(reshape(s, one), target)}, 1);
}

MinibatchDiscrimination::MinibatchDiscrimination(int64_t in, int64_t b, int64_t c, DType dtype, Generator* g)
    : in_features(in), kernels(b), kernel_dims(c) {
  if (in < 1 || b < 1 || c < 1)
    fail("MinibatchDiscrimination", "sizes must be positive: in " + str(in) + ", kernels " + str(b) + ", dims " + str(c));
  T = register_parameter("T", normal_init({in, b * c}, 0.1, dtype, g));
}

Var MinibatchDiscrimination::forward(const Var& x) {
  if (x.dim() != 2 || x.size(1) != in_features)
    fail(describe(), "expects input [N," + str(in_features) + "], got " + shape_str(x.shape()));
  const int64_t n = x.size(0);
  const Var m = reshape(matmul(x, T), {n, kernels, kernel_dims});          // M_i: [N, B, C]
  const Var l1 = sum(abs(unsqueeze(m, 1) - unsqueeze(m, 0)), {3});         // ‖M_i,b − M_j,b‖₁: [N, N, B]
  // Σ_j exp(−l1) includes j = i, whose term is exp(0) = 1: subtract it.
  const Var o = sum(exp(neg(l1)), {1}) - 1.0;                             // [N, B]
  return concat({x, o}, 1);
}

std::string MinibatchDiscrimination::describe() const {
  return "MinibatchDiscrimination(" + str(in_features) + " -> +" + str(kernels) + " kernels x " + str(kernel_dims) + ")";
}

EqualizedLinear::EqualizedLinear(int64_t in, int64_t out, bool bias_, double gain, DType dtype, Generator* g)
    : in_features(in), out_features(out), scale(gain / std::sqrt((double)in)) {
  weight = register_parameter("weight", normal_init({out, in}, 1.0, dtype, g));
  if (bias_) bias = register_parameter("bias", zeros({out}, dtype));
}
Var EqualizedLinear::forward(const Var& x) {
  if (x.dim() != 2 || x.size(1) != in_features)
    fail(describe(), "expects input [N," + str(in_features) + "], got " + shape_str(x.shape()));
  return linear(x, weight * scale, bias);
}
std::string EqualizedLinear::describe() const {
  return "EqualizedLinear(" + str(in_features) + " -> " + str(out_features) + ")";
}

EqualizedConv2d::EqualizedConv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding, bool bias_,
                                 double gain, DType dtype, Generator* g)
    : in_channels(in), out_channels(out), kernel(k), params(stride, padding),
      scale(gain / std::sqrt((double)(in * k * k))) {
  weight = register_parameter("weight", normal_init({out, in, k, k}, 1.0, dtype, g));
  if (bias_) bias = register_parameter("bias", zeros({out}, dtype));
}
Var EqualizedConv2d::forward(const Var& x) {
  if (x.dim() != 4 || x.size(1) != in_channels)
    fail(describe(), "expects input [N," + str(in_channels) + ",H,W], got " + shape_str(x.shape()));
  return conv2d(x, weight * scale, bias, params);
}
std::string EqualizedConv2d::describe() const {
  return "EqualizedConv2d(" + str(in_channels) + " -> " + str(out_channels) + ", k=" + str(kernel) + ")";
}

EqualizedConvTranspose2d::EqualizedConvTranspose2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding,
                                                   bool bias_, double gain, DType dtype, Generator* g)
    : in_channels(in), out_channels(out), kernel(k), params(stride, padding),
      scale(gain / std::sqrt((double)(in * k * k))) {
  weight = register_parameter("weight", normal_init({in, out, k, k}, 1.0, dtype, g));
  if (bias_) bias = register_parameter("bias", zeros({out}, dtype));
}
Var EqualizedConvTranspose2d::forward(const Var& x) {
  if (x.dim() != 4 || x.size(1) != in_channels)
    fail(describe(), "expects input [N," + str(in_channels) + ",H,W], got " + shape_str(x.shape()));
  return conv_transpose2d(x, weight * scale, bias, params);
}
std::string EqualizedConvTranspose2d::describe() const {
  return "EqualizedConvTranspose2d(" + str(in_channels) + " -> " + str(out_channels) + ", k=" + str(kernel) + ")";
}

Var feature_matching_loss(const Var& real_features, const Var& fake_features) {
  if (real_features.dim() != 2 || fake_features.dim() != 2 || real_features.size(1) != fake_features.size(1))
    fail("feature_matching_loss", "expects features [N,F] and [M,F], got " + shape_str(real_features.shape()) +
                                      " and " + shape_str(fake_features.shape()));
  // The real side is a target for G only: detach it, so no gradient reaches D through it.
  return sum(square(mean(real_features.detach(), {0}) - mean(fake_features, {0})));
}

HistoricalAverage::HistoricalAverage(std::vector<Var> params) : params_(std::move(params)) {}

void HistoricalAverage::update() {
  ++count_;
  if (average_.empty()) {
    for (const Var& p : params_) average_.push_back(p.data().clone());
    return;
  }
  // θ̄_t = θ̄_{t−1} + (θ_t − θ̄_{t−1}) / t: the running mean without storing the history.
  for (size_t i = 0; i < params_.size(); ++i) add_(average_[i], sub(params_[i].data(), average_[i]), 1.0 / (double)count_);
}

Var HistoricalAverage::penalty() const {
  if (params_.empty()) fail("HistoricalAverage", "has no parameters");
  Var total(zeros({}, params_[0].dtype()));
  if (average_.empty()) return total;
  for (size_t i = 0; i < params_.size(); ++i) total = total + sum(square(params_[i] - Var(average_[i])));
  return total;
}

Var upsample2x(const Var& x) {
  if (x.dim() != 4) fail("upsample2x", "expects [N,C,H,W], got " + shape_str(x.shape()));
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return reshape(expand(reshape(x, {n, c, h, 1, w, 1}), {n, c, h, 2, w, 2}), {n, c, 2 * h, 2 * w});
}

}  // namespace latent::models
