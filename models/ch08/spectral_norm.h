// Chapter 08 — spectral normalisation (Miyato et al. 2018), the third way to keep D
// Lipschitz, beside WGAN's clipping and WGAN-GP's penalty.
//
// A layer x ↦ W x has Lipschitz constant σ(W), W's largest singular value, and LeakyReLU's is
// 1, so a D whose every layer uses W/σ(W) is 1-Lipschitz (an upper bound: the layers' constants
// multiply). σ(W) is estimated by power iteration, one step per training forward pass, from a
// vector u kept between passes (W changes little per step, so one step tracks it):
//
//   v ← Wᵀu / ‖Wᵀu‖,   u ← W v / ‖W v‖,   σ ≈ uᵀ W v                  (Miyato et al., alg. 1)
//
// u and v are constants to autodiff; the gradient flows through W in both W and σ = uᵀWv,
// so ∂σ/∂W = u vᵀ, as in the paper's eq. 12. In evaluation mode (u fixed, v = Wᵀu/‖Wᵀu‖) that is
// exact, since σ = ‖Wᵀu‖; a training pass moves u first, and the terms through u and v it
// drops vanish only as u converges (the paper's approximation). A convolution's weight [out, in, k, k] is taken as
// the matrix [out, in·k²] (the paper's choice; the convolution's own spectral norm differs).
#pragma once

#include "nn/layers.h"

namespace latent::models {

class SpectralNorm : public nn::Module {
 public:
  // layer: an nn::Linear or an nn::Conv2d, used with its weight divided by σ; g draws u's start,
  // from which 15 power steps are taken at once.
  SpectralNorm(nn::ModulePtr layer, Generator* g = nullptr);
  Var forward(const Var& x) override;
  std::string describe() const override;
  // σ(W) as the last forward pass used it (a training pass first updates u), a plain number.
  double sigma() const { return sigma_; }
  Tensor u;  // buffer [out], float64: the running estimate of W's top left singular vector

 private:
  nn::ModulePtr layer_;
  nn::Linear* linear_ = nullptr;
  nn::Conv2d* conv_ = nullptr;
  double sigma_ = 0;
};

}  // namespace latent::models
