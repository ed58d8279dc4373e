// Chapter 08 — spectral normalisation (spectral_norm.h).
#include "models/ch08/spectral_norm.h"

#include <cmath>

#include "autodiff/ops_conv.h"

namespace latent::models {

namespace {
Tensor unit(const Tensor& a) { return div(a, scalar(std::sqrt(sum(mul(a, a)).item()) + 1e-12, a.dtype())); }

// One power-iteration step on the matrix Wm [out, rest] from u [out]: v = Wᵀu/‖Wᵀu‖, then
// u = W v/‖W v‖ (both float64, whatever W's dtype).
void power_step(const Tensor& Wm, Tensor& u, Tensor& v) {
  const Tensor W = Wm.to(DType::f64);
  v = unit(matmul(u.reshape({1, W.size(0)}), W).reshape({W.size(1)}));
  u = unit(matmul(W, v.reshape({W.size(1), 1})).reshape({W.size(0)}));
}
}  // namespace

SpectralNorm::SpectralNorm(nn::ModulePtr layer, Generator* g) : layer_(std::move(layer)) {
  linear_ = dynamic_cast<nn::Linear*>(layer_.get());
  conv_ = dynamic_cast<nn::Conv2d*>(layer_.get());
  if (!linear_ && !conv_)
    fail("SpectralNorm", "wraps an nn::Linear or an nn::Conv2d, got " + (layer_ ? layer_->describe() : std::string("null")));
  register_module("layer", layer_);
  const Var& w = linear_ ? linear_->weight : conv_->weight;
  // u in float64 (a buffer is not cast with the parameters). A random start is far from the
  // top singular vector, so take 15 steps now, as PyTorch's spectral_norm does at creation:
  // an evaluation pass before any training pass then already divides by nearly σ(W).
  Tensor uu = unit(normal({w.size(0)}, 0, 1, DType::f64, g)), v;
  for (int i = 0; i < 15; ++i) power_step(w.data().reshape({w.size(0), w.numel() / w.size(0)}), uu, v);
  u = register_buffer("u", uu);
}

Var SpectralNorm::forward(const Var& x) {
  const Var& w = linear_ ? linear_->weight : conv_->weight;
  const int64_t in = w.size(1), out = w.size(0);
  if (linear_ && (x.dim() != 2 || x.size(1) != in))
    fail(describe(), "expects input [N," + std::to_string(in) + "], got " + shape_str(x.shape()));
  if (conv_ && (x.dim() != 4 || x.size(1) != in))
    fail(describe(), "expects input [N," + std::to_string(in) + ",H,W], got " + shape_str(x.shape()));
  const Var W = reshape(w, {out, w.numel() / out});  // [out, in·k²]
  Tensor uu = u.clone(), v;
  {
    NoGradGuard ng;
    if (is_training()) {
      power_step(W.data(), uu, v);
      u.copy_(uu);
    } else {
      v = unit(matmul(uu.reshape({1, out}), W.data().to(DType::f64)).reshape({W.size(1)}));  // Wᵀu
    }
  }
  // σ = uᵀ W v, differentiable in W (u and v constants).
  const Var sigma = sum(matmul(matmul(Var(uu.to(w.dtype()).reshape({1, out})), W), Var(v.to(w.dtype()).reshape({W.size(1), 1}))));
  sigma_ = sigma.item();
  const Var w_sn = w / sigma;
  return linear_ ? linear(x, w_sn, linear_->bias) : conv2d(x, w_sn, conv_->bias, conv_->params);
}

std::string SpectralNorm::describe() const { return "SpectralNorm(" + layer_->describe() + ")"; }

}  // namespace latent::models
