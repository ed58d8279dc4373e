// latent/nn — layers (see layers.h).
#include "nn/layers.h"

#include <cmath>

#include "nn/init.h"
#include "tensor/random.h"

namespace latent::nn {

namespace {
std::string str(int64_t v) { return std::to_string(v); }

// PyTorch's default for Linear and Conv: U(-1/√fan_in, 1/√fan_in) for W and b.
void default_init(Var& w, Var& b) {
  double bound = 1.0 / std::sqrt((double)init::fans(w.shape()).first);
  init::uniform(w, -bound, bound);
  if (b.defined()) init::uniform(b, -bound, bound);
}

void check_rank(const std::string& who, const Var& x, int64_t rank, const char* layout) {
  if (x.dim() != rank)
    fail(who, "expects input " + std::string(layout) + ", got " + shape_str(x.shape()));
}
}  // namespace

Linear::Linear(int64_t in, int64_t out, bool use_bias) : in_features(in), out_features(out) {
  weight = register_parameter("weight", Tensor({out, in}, DType::f32));
  if (use_bias) bias = register_parameter("bias", Tensor({out}, DType::f32));
  default_init(weight, bias);
}
Var Linear::forward(const Var& x) {
  if (x.dim() != 2 || x.size(1) != in_features)
    fail(describe(), "expects input [N," + str(in_features) + "], got " + shape_str(x.shape()));
  return linear(x, weight, bias);
}
std::string Linear::describe() const { return "Linear(" + str(in_features) + " -> " + str(out_features) + ")"; }

Conv2d::Conv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding, bool use_bias,
               int64_t dilation)
    : in_channels(in), out_channels(out), kernel(k), params(stride, padding, dilation) {
  weight = register_parameter("weight", Tensor({out, in, k, k}, DType::f32));
  if (use_bias) bias = register_parameter("bias", Tensor({out}, DType::f32));
  default_init(weight, bias);
}
Var Conv2d::forward(const Var& x) {
  check_rank(describe(), x, 4, "[N,C,H,W]");
  return conv2d(x, weight, bias, params);
}
std::string Conv2d::describe() const {
  return "Conv2d(" + str(in_channels) + " -> " + str(out_channels) + ", k=" + str(kernel) +
         ", stride=" + str(params.stride_h) + ", pad=" + str(params.pad_h) + ")";
}

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding,
                                 bool use_bias, int64_t output_padding)
    : in_channels(in), out_channels(out), kernel(k), output_padding(output_padding), params(stride, padding) {
  weight = register_parameter("weight", Tensor({in, out, k, k}, DType::f32));
  if (use_bias) bias = register_parameter("bias", Tensor({out}, DType::f32));
  // PyTorch computes fan_in from dim 1 of the weight: here out·k·k.
  double bound = 1.0 / std::sqrt((double)(out * k * k));
  init::uniform(weight, -bound, bound);
  if (bias.defined()) init::uniform(bias, -bound, bound);
}
Var ConvTranspose2d::forward(const Var& x) {
  check_rank(describe(), x, 4, "[N,C,H,W]");
  return conv_transpose2d(x, weight, bias, params, output_padding, output_padding);
}
std::string ConvTranspose2d::describe() const {
  return "ConvTranspose2d(" + str(in_channels) + " -> " + str(out_channels) + ", k=" + str(kernel) +
         ", stride=" + str(params.stride_h) + ", pad=" + str(params.pad_h) + ")";
}

MaxPool2d::MaxPool2d(int64_t k, int64_t s, int64_t p) : kernel(k), stride(s ? s : k), padding(p) {}
Var MaxPool2d::forward(const Var& x) { return max_pool2d(x, kernel, stride, padding); }
std::string MaxPool2d::describe() const { return "MaxPool2d(" + str(kernel) + ", stride=" + str(stride) + ")"; }

AvgPool2d::AvgPool2d(int64_t k, int64_t s, int64_t p) : kernel(k), stride(s ? s : k), padding(p) {}
Var AvgPool2d::forward(const Var& x) { return avg_pool2d(x, kernel, stride, padding); }
std::string AvgPool2d::describe() const { return "AvgPool2d(" + str(kernel) + ", stride=" + str(stride) + ")"; }

BatchNorm::BatchNorm(int64_t c, bool spatial, double eps, double momentum)
    : channels(c), spatial(spatial), eps(eps), momentum(momentum) {
  weight = register_parameter("weight", ones({c}));
  bias = register_parameter("bias", zeros({c}));
  running_mean = register_buffer("running_mean", zeros({c}));
  running_var = register_buffer("running_var", ones({c}));
}

Var BatchNorm::forward(const Var& x) {
  const int64_t rank = spatial ? 4 : 2;
  if (x.dim() != rank || x.size(1) != channels)
    fail(describe(), std::string("expects input ") + (spatial ? "[N," + str(channels) + ",H,W]" : "[N," + str(channels) + "]") +
                         ", got " + shape_str(x.shape()));
  Axes axes = spatial ? Axes{0, 2, 3} : Axes{0};
  Shape bshape = spatial ? Shape{1, channels, 1, 1} : Shape{1, channels};  // broadcast per channel
  Var mu, var_b;
  if (is_training()) {
    int64_t n = x.numel() / channels;
    if (n < 2) fail(describe(), "training needs more than one value per channel, got input " + shape_str(x.shape()));
    mu = mean(x, axes, true);
    var_b = var(x, axes, true);  // biased: the batch's own variance normalises it
    NoGradGuard ng;  // running averages: r <- (1-m) r + m·stat, with the unbiased variance
    Tensor rm = running_mean, rv = running_var;
    rm.copy_(add(mul(rm, 1 - momentum), mul(mu.data().reshape({channels}), momentum)));
    rv.copy_(add(mul(rv, 1 - momentum), mul(var_b.data().reshape({channels}), momentum * n / (n - 1.0))));
  } else {
    mu = Var(running_mean.reshape(bshape));
    var_b = Var(running_var.reshape(bshape));
  }
  Var xhat = (x - mu) / sqrt(var_b + eps);
  return xhat * reshape(weight, bshape) + reshape(bias, bshape);
}
std::string BatchNorm::describe() const { return std::string(spatial ? "BatchNorm2d(" : "BatchNorm1d(") + str(channels) + ")"; }

Dropout::Dropout(double p, Generator* g) : p(p), gen(g) {
  if (!(p >= 0 && p < 1)) fail("Dropout", "p must be in [0, 1), got " + std::to_string(p));
}
Var Dropout::forward(const Var& x) {
  if (!is_training() || p == 0) return x;
  Tensor keep = bernoulli(full(x.shape(), 1 - p, x.dtype()), gen);
  return x * Var(mul(keep, 1.0 / (1 - p)));
}
std::string Dropout::describe() const { return "Dropout(" + std::to_string(p) + ")"; }

Var Reshape::forward(const Var& x) {
  Shape s = {x.size(0)};
  s.insert(s.end(), shape.begin(), shape.end());
  return reshape(x, s);
}

}  // namespace latent::nn
