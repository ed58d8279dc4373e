// Chapter 08 — spectral normalisation (spectral_norm.h).
#include "models/ch08/spectral_norm.h"

#include <cmath>

#include "autodiff/ops_conv.h"

namespace latent::models {

namespace {
Tensor unit(const Tensor& a) { return div(a, scalar(std::sqrt(sum(mul(a, a)).item()) + 1e-12, a.dtype())); }
}  // namespace

SpectralNorm::SpectralNorm(nn::ModulePtr layer, Generator* g) : layer_(std::move(layer)) {
  linear_ = dynamic_cast<nn::Linear*>(layer_.get());
  conv_ = dynamic_cast<nn::Conv2d*>(layer_.get());
  if (!linear_ && !conv_)
    fail("SpectralNorm", "wraps an nn::Linear or an nn::Conv2d, got " + (layer_ ? layer_->describe() : std::string("null")));
  register_module("layer", layer_);
  const Var& w = linear_ ? linear_->weight : conv_->weight;
  u = register_buffer("u", unit(normal({w.size(0)}, 0, 1, DType::f32, g)));
}

Var SpectralNorm::forward(const Var& x) {
  const Var& w = linear_ ? linear_->weight : conv_->weight;
  const int64_t out = w.size(0);
  const Var W = reshape(w, {out, w.numel() / out});  // [out, in·k²]
  Tensor uu = u.to(w.dtype()), v;
  {
    NoGradGuard ng;
    const Tensor Wm = W.data();
    v = unit(matmul(uu.reshape({1, out}), Wm).reshape({W.size(1)}));  // Wᵀu
    if (is_training()) {
      uu = unit(matmul(Wm, v.reshape({W.size(1), 1})).reshape({out}));  // W v
      u.copy_(uu.to(u.dtype()));
    }
  }
  // σ = uᵀ W v, differentiable in W.
  const Var sigma = sum(matmul(matmul(Var(uu.reshape({1, out})), W), Var(v.reshape({W.size(1), 1}))));
  sigma_ = sigma.item();
  const Var w_sn = w / sigma;
  if (linear_) {
    if (x.dim() != 2 || x.size(1) != w.size(1))
      fail(describe(), "expects input [N," + std::to_string(w.size(1)) + "], got " + shape_str(x.shape()));
    return linear(x, w_sn, linear_->bias);
  }
  if (x.dim() != 4 || x.size(1) != w.size(1))
    fail(describe(), "expects input [N," + std::to_string(w.size(1)) + ",H,W], got " + shape_str(x.shape()));
  return conv2d(x, w_sn, conv_->bias, conv_->params);
}

std::string SpectralNorm::describe() const { return "SpectralNorm(" + layer_->describe() + ")"; }

}  // namespace latent::models
