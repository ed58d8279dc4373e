// Chapter 08 — spectral normalisation (spectral_norm.h).
#include "models/ch08/spectral_norm.h"

#include <cmath>

#include "autodiff/ops_conv.h"

namespace latent::models {

namespace {
Tensor unit(const Tensor& a) { return div(a, scalar(std::sqrt(sum(mul(a, a)).item()) + 1e-12, a.dtype())); }

// The two halves of a power-iteration step on the matrix W [out, rest] (Miyato et al., alg. 1):
// v = Wᵀu/‖Wᵀu‖ and u = W v/‖W v‖. The products run in W's dtype (the small vector is cast, W is
// not copied); the vectors are kept in float64, whatever W's dtype.
Tensor right_vector(const Tensor& W, const Tensor& u) {
  return unit(matmul(u.to(W.dtype()).reshape({1, W.size(0)}), W).reshape({W.size(1)}).to(DType::f64));
}
Tensor left_vector(const Tensor& W, const Tensor& v) {
  return unit(matmul(W, v.to(W.dtype()).reshape({W.size(1), 1})).reshape({W.size(0)}).to(DType::f64));
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
  const Tensor W = w.data().reshape({w.size(0), w.numel() / w.size(0)});
  Tensor uu = unit(normal({w.size(0)}, 0, 1, DType::f64, g));
  for (int i = 0; i < 15; ++i) uu = left_vector(W, right_vector(W, uu));
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
  // A training pass takes one power step (v from u, then u from v); an evaluation pass only
  // reads v = Wᵀu/‖Wᵀu‖ from the stored u, which it leaves alone.
  Tensor uu = u.clone(), v;
  {
    NoGradGuard ng;
    v = right_vector(W.data(), uu);
    if (is_training()) {
      uu = left_vector(W.data(), v);
      u.copy_(uu);
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
