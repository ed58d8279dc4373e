// latent/nn — layers. Each is a Module holding its parameters, with a
// forward(x) built from autodiff ops (so backward comes for free).
#pragma once

#include "autodiff/ops_conv.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace latent::nn {

// y = x Wᵀ + b,  W [out, in].  Default init as PyTorch: U(-1/√in, 1/√in).
class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias = true);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var weight, bias;  // bias undefined when bias = false
  int64_t in_features, out_features;
};

// 2-d convolution, W [out, in, k, k]. Input [N, in, H, W].
class Conv2d : public Module {
 public:
  Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
         bool bias = true, int64_t dilation = 1);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var weight, bias;
  int64_t in_channels, out_channels, kernel;
  Conv2dParams params;
};

// Transposed convolution (the adjoint of Conv2d; upsamples), W [in, out, k, k].
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                  bool bias = true, int64_t output_padding = 0);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var weight, bias;
  int64_t in_channels, out_channels, kernel, output_padding;
  Conv2dParams params;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0);  // stride 0 = kernel
  Var forward(const Var& x) override;
  std::string describe() const override;
  int64_t kernel, stride, padding;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t kernel, int64_t stride = 0, int64_t padding = 0);
  Var forward(const Var& x) override;
  std::string describe() const override;
  int64_t kernel, stride, padding;
};

// Batch normalisation (Ioffe & Szegedy 2015):
//   y = γ (x - μ_B) / √(σ²_B + ε) + β
// with batch statistics in training and running averages in evaluation.
// BatchNorm1d: x [N, C]; BatchNorm2d: x [N, C, H, W] (statistics over N, H, W).
class BatchNorm : public Module {
 public:
  BatchNorm(int64_t channels, bool spatial, double eps = 1e-5, double momentum = 0.1);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var weight, bias;                  // γ, β
  Tensor running_mean, running_var;  // buffers
  int64_t channels;
  bool spatial;
  double eps, momentum;
};
inline std::shared_ptr<BatchNorm> BatchNorm1d(int64_t c) { return std::make_shared<BatchNorm>(c, false); }
inline std::shared_ptr<BatchNorm> BatchNorm2d(int64_t c) { return std::make_shared<BatchNorm>(c, true); }

// Dropout (Srivastava et al. 2014), inverted: in training keep each unit with
// probability 1-p and scale by 1/(1-p), so evaluation needs no change.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* g = nullptr);
  Var forward(const Var& x) override;
  std::string describe() const override;
  double p;
  Generator* gen;  // nullptr: the default generator
};

// [N, ...] -> [N, prod(...)]
class Flatten : public Module {
 public:
  Var forward(const Var& x) override { return flatten(x, 1); }
  std::string describe() const override { return "Flatten"; }
};

// [N, ...] -> [N, shape...]
class Reshape : public Module {
 public:
  explicit Reshape(Shape shape) : shape(std::move(shape)) {}
  Var forward(const Var& x) override;
  std::string describe() const override { return "Reshape(" + shape_str(shape) + ")"; }
  Shape shape;
};

// Activations as modules, for Sequential.
#define LATENT_ACTIVATION(Name, expr)                               \
  class Name : public Module {                                      \
   public:                                                          \
    Var forward(const Var& x) override { return expr; }             \
    std::string describe() const override { return #Name; }         \
  };
LATENT_ACTIVATION(ReLU, relu(x))
LATENT_ACTIVATION(Sigmoid, sigmoid(x))
LATENT_ACTIVATION(Tanh, tanh(x))
LATENT_ACTIVATION(Softplus, softplus(x))
#undef LATENT_ACTIVATION

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope(slope) {}
  Var forward(const Var& x) override { return leaky_relu(x, slope); }
  std::string describe() const override { return "LeakyReLU(" + std::to_string(slope) + ")"; }
  double slope;
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha(alpha) {}
  Var forward(const Var& x) override { return elu(x, alpha); }
  std::string describe() const override { return "ELU"; }
  double alpha;
};

// Shorthand for building Sequentials: nn::make<Linear>(784, 400).
template <class M, class... Args>
std::shared_ptr<M> make(Args&&... args) {
  return std::make_shared<M>(std::forward<Args>(args)...);
}

}  // namespace latent::nn
