// latent/nn — optimizers, gradient and weight clipping, learning-rate schedules.
//
// An optimizer holds the parameters (Vars) and, per parameter, named state
// tensors ("momentum", "exp_avg", ...). step() reads each parameter's .grad()
// and updates its value in place. The state is what a checkpoint saves, so a
// resumed run continues exactly.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "autodiff/variable.h"

namespace latent::nn {

class Optimizer {
 public:
  Optimizer(std::vector<Var> params, double lr);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  virtual std::string describe() const = 0;
  void zero_grad();  // forget every parameter's gradient
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  int64_t steps() const { return steps_; }
  const std::vector<Var>& params() const { return params_; }

  // "step", "lr", and "<param index>.<slot>" for every state tensor.
  std::map<std::string, Tensor> state_dict() const;
  void load_state_dict(const std::map<std::string, Tensor>& state);

 protected:
  // The state tensor `name` of parameter i (zeros the first time).
  Tensor& slot(size_t i, const std::string& name);
  std::vector<Var> params_;
  double lr_;
  int64_t steps_ = 0;
  std::vector<std::map<std::string, Tensor>> state_;
};

// SGD with momentum (PyTorch's form): b ← μ b + (g + λ w);  w ← w - lr·b
// Nesterov: w ← w - lr·(g + λw + μ b).
class SGD : public Optimizer {
 public:
  SGD(std::vector<Var> params, double lr, double momentum = 0, bool nesterov = false,
      double weight_decay = 0);
  void step() override;
  std::string describe() const override;
  double momentum, weight_decay;
  bool nesterov;
};

// Adam (Kingma & Ba 2015):
//   m ← β1 m + (1-β1) g,   v ← β2 v + (1-β2) g²
//   w ← w - lr · m̂ / (√v̂ + ε),  m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ)
// weight_decay adds λw to g (L2); decoupled (AdamW, Loshchilov & Hutter 2019)
// instead shrinks w ← w - lr·λ·w apart from the adaptive step.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Var> params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0, bool decoupled = false);
  void step() override;
  std::string describe() const override;
  double beta1, beta2, eps, weight_decay;
  bool decoupled;
};
// AdamW: Adam with decoupled weight decay (default λ = 0.01 as in PyTorch).
class AdamW : public Adam {
 public:
  AdamW(std::vector<Var> params, double lr = 1e-3, double weight_decay = 0.01, double beta1 = 0.9,
        double beta2 = 0.999, double eps = 1e-8)
      : Adam(std::move(params), lr, beta1, beta2, eps, weight_decay, true) {}
  std::string describe() const override;
};

// RMSProp (Tieleman & Hinton 2012): v ← α v + (1-α) g²;  w ← w - lr·g/(√v + ε)
// (with momentum: b ← μ b + g/(√v+ε); w ← w - lr·b).
class RMSProp : public Optimizer {
 public:
  RMSProp(std::vector<Var> params, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
          double momentum = 0, double weight_decay = 0);
  void step() override;
  std::string describe() const override;
  double alpha, eps, momentum, weight_decay;
};

// Rescale all gradients so their joint L2 norm is at most max_norm; returns
// the norm before clipping (Pascanu et al. 2013).
double clip_grad_norm(const std::vector<Var>& params, double max_norm);
// Clamp every parameter into [-c, c] (the original WGAN's Lipschitz constraint).
void clip_weights(const std::vector<Var>& params, double c);

// Learning-rate schedules: call step() once per epoch.
class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& opt) : opt_(opt), base_lr_(opt.lr()) {}
  virtual ~LRScheduler() = default;
  void step() { opt_.set_lr(lr_at(++epoch_)); }
  virtual double lr_at(int64_t epoch) const = 0;
  int64_t epoch() const { return epoch_; }
  void set_epoch(int64_t e) { epoch_ = e; opt_.set_lr(lr_at(e)); }

 protected:
  Optimizer& opt_;
  double base_lr_;
  int64_t epoch_ = 0;
};
// lr = base · γ^⌊epoch/step_size⌋
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch) const override;
  int64_t step_size;
  double gamma;
};
// lr = min + ½(base - min)(1 + cos(π·epoch/T))  (Loshchilov & Hutter 2017, no restarts)
class CosineLR : public LRScheduler {
 public:
  CosineLR(Optimizer& opt, int64_t t_max, double min_lr = 0);
  double lr_at(int64_t epoch) const override;
  int64_t t_max;
  double min_lr;
};

}  // namespace latent::nn
