// latent/nn — optimizers (see optim.h). The update loops are plain fused loops
// over each parameter's memory: one pass, no temporaries.
#include "nn/optim.h"

#include <cmath>

#include "tensor/kernels.h"

namespace latent::nn {

Optimizer::Optimizer(std::vector<Var> params, double lr) : params_(std::move(params)), lr_(lr) {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Var& p = params_[i];
    if (!p.defined() || !p.requires_grad())
      fail("Optimizer", "parameter " + std::to_string(i) + " does not require a gradient");
    if (!p.data().is_contiguous()) fail("Optimizer", "parameter " + std::to_string(i) + " is not contiguous");
  }
  if (!(lr >= 0)) fail("Optimizer", "learning rate must be >= 0, got " + std::to_string(lr));
  state_.resize(params_.size());
}

void Optimizer::zero_grad() {
  for (Var& p : params_) p.zero_grad();
}

Tensor& Optimizer::slot(size_t i, const std::string& name) {
  auto it = state_[i].find(name);
  if (it == state_[i].end()) it = state_[i].emplace(name, zeros_like(params_[i].data())).first;
  return it->second;
}

std::map<std::string, Tensor> Optimizer::state_dict() const {
  std::map<std::string, Tensor> s;
  s["step"] = full({}, (double)steps_, DType::i64);
  s["lr"] = full({}, lr_, DType::f64);
  for (size_t i = 0; i < state_.size(); ++i)
    for (auto& [name, t] : state_[i]) s[std::to_string(i) + "." + name] = t;
  return s;
}

void Optimizer::load_state_dict(const std::map<std::string, Tensor>& s) {
  for (auto& [key, t] : s) {
    if (key == "step") { steps_ = (int64_t)t.item(); continue; }
    if (key == "lr") { lr_ = t.item(); continue; }
    size_t dot = key.find('.');
    size_t i = dot == std::string::npos ? state_.size() : std::stoul(key.substr(0, dot));
    if (i >= params_.size())
      fail("Optimizer::load_state_dict", "entry '" + key + "' names a parameter this optimizer does not have");
    if (t.shape() != params_[i].shape())
      fail("Optimizer::load_state_dict", "entry '" + key + "' has shape " + shape_str(t.shape()) +
                                             ", parameter has " + shape_str(params_[i].shape()));
    state_[i][key.substr(dot + 1)] = t.to(params_[i].dtype()).clone();
  }
}

namespace {
// Run f(T* w, const T* g, n) with the parameter's value and gradient.
template <class F>
void for_each_param(const std::vector<Var>& params, F f) {
  for (size_t i = 0; i < params.size(); ++i) {
    const Var& p = params[i];
    Var gv = p.grad();
    if (!gv.defined()) continue;  // unused this step: leave it alone (as PyTorch)
    Tensor g = gv.data().contiguous();
    const Tensor& w = p.data();
    detail::dispatch_float(w.dtype(), "optimizer", [&](auto z_) {
      using T = decltype(z_);
      f(i, w.data<T>(), g.to(w.dtype()).template data<T>(), w.numel());
    });
  }
}
// Run body(k0, k1) over [0, n), split between the OpenMP threads when n is
// large enough to pay for waking them. The update loops are memory-bound (Adam
// reads w, g, m, v and writes three of them: 28 bytes per float parameter, 18 MB
// a step for the chapter 07 VAE), and one core does not saturate memory.
template <class Body>
void parallel_chunks(int64_t n, Body body) {
  if (n < detail::kParallelGrain || omp_get_max_threads() == 1) {
    body(0, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t k0 = n * t / nt, k1 = n * (t + 1) / nt;
    if (k1 > k0) body(k0, k1);
  }
}
}  // namespace

SGD::SGD(std::vector<Var> params, double lr, double momentum, bool nesterov, double weight_decay)
    : Optimizer(std::move(params), lr), momentum(momentum), weight_decay(weight_decay), nesterov(nesterov) {}

void SGD::step() {
  ++steps_;
  for_each_param(params_, [&](size_t i, auto* w, const auto* g, int64_t n) {
    using T = std::remove_pointer_t<decltype(w)>;
    const T lr = (T)lr_, mu = (T)momentum, wd = (T)weight_decay;
    if (momentum == 0) {
      for (int64_t k = 0; k < n; ++k) w[k] -= lr * (g[k] + wd * w[k]);
      return;
    }
    bool first = !state_[i].count("momentum");
    T* b = slot(i, "momentum").template data<T>();
    for (int64_t k = 0; k < n; ++k) {
      T d = g[k] + wd * w[k];
      b[k] = first ? d : mu * b[k] + d;  // PyTorch starts the buffer at the first gradient
      w[k] -= lr * (nesterov ? d + mu * b[k] : b[k]);
    }
  });
}
std::string SGD::describe() const {
  return "SGD(lr=" + std::to_string(lr_) + ", momentum=" + std::to_string(momentum) + (nesterov ? ", nesterov" : "") + ")";
}

Adam::Adam(std::vector<Var> params, double lr, double b1, double b2, double eps, double wd, bool decoupled)
    : Optimizer(std::move(params), lr), beta1(b1), beta2(b2), eps(eps), weight_decay(wd), decoupled(decoupled) {
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) fail("Adam", "betas must be in [0, 1)");
}

void Adam::step() {
  ++steps_;
  const double bc1 = 1 - std::pow(beta1, (double)steps_), bc2 = 1 - std::pow(beta2, (double)steps_);
  for_each_param(params_, [&](size_t i, auto* w, const auto* g, int64_t n) {
    using T = std::remove_pointer_t<decltype(w)>;
    T* m = slot(i, "exp_avg").template data<T>();
    T* v = slot(i, "exp_avg_sq").template data<T>();
    const T b1 = (T)beta1, b2 = (T)beta2, e = (T)eps, wd = (T)weight_decay;
    const T step = (T)(lr_ / bc1), inv_sqrt_bc2 = (T)(1 / std::sqrt(bc2)), shrink = (T)(1 - lr_ * weight_decay);
    // Two loops rather than a branch inside one, so each is a plain vector loop.
    parallel_chunks(n, [&](int64_t k0, int64_t k1) {
      if (decoupled) {  // AdamW: the decay shrinks w directly, outside the moments
#pragma omp simd
        for (int64_t k = k0; k < k1; ++k) {
          m[k] = b1 * m[k] + (1 - b1) * g[k];
          v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
          w[k] = w[k] * shrink - step * m[k] / (std::sqrt(v[k]) * inv_sqrt_bc2 + e);
        }
      } else {  // Adam: L2 decay enters the gradient
#pragma omp simd
        for (int64_t k = k0; k < k1; ++k) {
          const T gk = g[k] + wd * w[k];
          m[k] = b1 * m[k] + (1 - b1) * gk;
          v[k] = b2 * v[k] + (1 - b2) * gk * gk;
          w[k] -= step * m[k] / (std::sqrt(v[k]) * inv_sqrt_bc2 + e);
        }
      }
    });
  });
}
std::string Adam::describe() const { return "Adam(lr=" + std::to_string(lr_) + ")"; }
std::string AdamW::describe() const { return "AdamW(lr=" + std::to_string(lr_) + ", wd=" + std::to_string(weight_decay) + ")"; }

RMSProp::RMSProp(std::vector<Var> params, double lr, double alpha, double eps, double momentum, double wd)
    : Optimizer(std::move(params), lr), alpha(alpha), eps(eps), momentum(momentum), weight_decay(wd) {}

void RMSProp::step() {
  ++steps_;
  for_each_param(params_, [&](size_t i, auto* w, const auto* g, int64_t n) {
    using T = std::remove_pointer_t<decltype(w)>;
    T* v = slot(i, "square_avg").template data<T>();
    T* b = momentum > 0 ? slot(i, "momentum").template data<T>() : nullptr;
    const T a = (T)alpha, e = (T)eps, lr = (T)lr_, mu = (T)momentum, wd = (T)weight_decay;
    for (int64_t k = 0; k < n; ++k) {
      T gk = g[k] + wd * w[k];
      v[k] = a * v[k] + (1 - a) * gk * gk;
      T d = gk / (std::sqrt(v[k]) + e);
      if (b) {
        b[k] = mu * b[k] + d;
        d = b[k];
      }
      w[k] -= lr * d;
    }
  });
}
std::string RMSProp::describe() const { return "RMSProp(lr=" + std::to_string(lr_) + ")"; }

double clip_grad_norm(const std::vector<Var>& params, double max_norm) {
  double total = 0;
  for (const Var& p : params)
    if (p.grad().defined()) total += sum(square(p.grad().data().to(DType::f64))).item();
  total = std::sqrt(total);
  if (total > max_norm && total > 0) {
    double scale = max_norm / (total + 1e-6);
    for (const Var& p : params) {
      if (!p.grad().defined()) continue;
      // A new tensor, not an in-place scale: two leaves' gradients may share
      // storage (y = a + b hands the same g to both).
      p.node()->grad = std::make_shared<Var>(mul(p.grad().data(), scale));
    }
  }
  return total;
}

void clip_weights(const std::vector<Var>& params, double c) {
  for (const Var& p : params) {
    Tensor w = p.data();
    w.copy_(clamp(w, -c, c));
  }
}

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : LRScheduler(opt), step_size(step_size), gamma(gamma) {
  if (step_size <= 0) fail("StepLR", "step_size must be positive");
}
double StepLR::lr_at(int64_t e) const { return base_lr_ * std::pow(gamma, (double)(e / step_size)); }

CosineLR::CosineLR(Optimizer& opt, int64_t t_max, double min_lr) : LRScheduler(opt), t_max(t_max), min_lr(min_lr) {
  if (t_max <= 0) fail("CosineLR", "t_max must be positive");
}
double CosineLR::lr_at(int64_t e) const {
  double t = std::min<double>((double)e, (double)t_max) / (double)t_max;
  return min_lr + 0.5 * (base_lr_ - min_lr) * (1 + std::cos(M_PI * t));
}

}  // namespace latent::nn
