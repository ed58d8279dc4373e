// Chapter 05 — CD-k and PCD training of an RBM (rbm_train.h).
#include "models/ch05/rbm_train.h"

#include <chrono>

#include "tensor/index.h"

namespace latent::models {

RbmGradient cd_gradient(const Tensor& v0, const Tensor& h0, const Tensor& vk, const Tensor& hk, const Tensor& mu,
                        const Tensor& lambda) {
  if (v0.dim() != 2 || h0.dim() != 2 || vk.dim() != 2 || hk.dim() != 2 || v0.size(0) != h0.size(0) ||
      vk.size(0) != hk.size(0) || v0.size(1) != vk.size(1) || h0.size(1) != hk.size(1))
    fail("cd_gradient", "needs v0 [B,V], h0 [B,H], vk [C,V], hk [C,H]; got " + shape_str(v0.shape()) + ", " +
                            shape_str(h0.shape()) + ", " + shape_str(vk.shape()) + ", " + shape_str(hk.shape()));
  const double B = (double)v0.size(0), C = (double)vk.size(0);
  RbmGradient g;
  if (!mu.defined() && !lambda.defined()) {
    // <v hᵀ>_data − <v hᵀ>_model as one GEMM [V,B+C]x[B+C,H]: the difference
    // of the two averages is a single sum over the stacked rows.
    g.dW = matmul(concat({v0, vk}, 0).t(), concat({h0 * (1.0 / B), hk * (-1.0 / C)}, 0));
    g.db = mean(v0, {0}) - mean(vk, {0});
    g.dc = mean(h0, {0}) - mean(hk, {0});
    return g;
  }
  if (!mu.defined() || !lambda.defined() || mu.dim() != 1 || lambda.dim() != 1 || mu.size(0) != v0.size(1) ||
      lambda.size(0) != h0.size(1))
    fail("cd_gradient", "centring needs both offsets, mu [V] and lambda [H]");
  g.dW = matmul((v0 - mu).t(), h0 - lambda) * (1.0 / B) - matmul((vk - mu).t(), hk - lambda) * (1.0 / C);
  // The biases' gradients in the ordinary parameters (see rbm_train.h).
  g.db = mean(v0, {0}) - mean(vk, {0}) - matmul(g.dW, lambda);
  g.dc = mean(h0, {0}) - mean(hk, {0}) - matmul(g.dW.t(), mu);
  return g;
}

RbmTrainer::RbmTrainer(Rbm& m, const Tensor& X, RbmTrainOptions opt) : m_(m), opt_(opt), gen_(opt.seed) {
  check_visible("RbmTrainer", m, X);
  if (opt.batch_size < 1 || opt.cd_k < 1 || !(opt.lr > 0))
    fail("RbmTrainer", "needs batch_size >= 1, cd_k >= 1 and lr > 0, got batch_size " +
                           std::to_string(opt.batch_size) + ", cd_k " + std::to_string(opt.cd_k) + ", lr " +
                           std::to_string(opt.lr));
  vel_W_ = zeros_like(m.W);
  vel_b_ = zeros_like(m.b);
  vel_c_ = zeros_like(m.c);
  const DType dt = m.W.dtype();
  if (opt.centred) {
    mu_ = mean(X.to(dt), {0});
    lambda_ = full({m.num_hidden()}, m.hidden == Units::bernoulli ? 0.5 : 0.0, dt);
  }
  if (opt.sparsity_target > 0) q_ = full({m.num_hidden()}, opt.sparsity_target, dt);
}

double RbmTrainer::lr_now() const {
  if (opt_.lr_final < 0 || opt_.epochs <= 1) return opt_.lr;
  const double t = std::min(1.0, (double)epoch_ / (double)(opt_.epochs - 1));
  return opt_.lr + t * (opt_.lr_final - opt_.lr);
}

double RbmTrainer::update(const Tensor& v0) {
  check_visible("RbmTrainer::update", m_, v0);
  return step(v0);
}

double RbmTrainer::step(const Tensor& v0_) {
  const Tensor v0 = v0_.to(m_.W.dtype());
  // Positive phase: the data and E[h | v0] (means, not samples: less noise, same expectation).
  const Tensor h0 = hidden_mean(m_, v0);
  double recon = -1;
  // Negative phase: k Gibbs steps from the data (CD) or from the persistent chains (PCD).
  // A PCD chain's state is (v, h); it continues from its hidden sample.
  Tensor h;
  if (opt_.persistent) {
    if (!chain_h_.defined()) chains_ = v0.clone(), chain_h_ = sample_hidden(m_, chains_, gen_);  // start at data
    h = chain_h_;
  } else {
    h = sample_units(h0, m_.hidden, gen_);
  }
  Tensor vk;
  for (int64_t step = 0; step < opt_.cd_k; ++step) {
    const Tensor vmean = visible_mean(m_, h);
    if (step == 0 && !opt_.persistent) recon = sum(square(v0 - vmean)).item() / (double)v0.size(0);
    // Gaussian visible units: CD uses the noise-free mean (Hinton's guide, 13.2).
    vk = (m_.visible == Units::gaussian && !opt_.persistent) ? vmean : sample_units(vmean, m_.visible, gen_);
    if (step + 1 < opt_.cd_k) h = sample_hidden(m_, vk, gen_);
  }
  const Tensor hk = hidden_mean(m_, vk);
  if (opt_.persistent) {
    chains_ = vk;
    chain_h_ = sample_units(hk, m_.hidden, gen_);
    // PCD's chains are not reconstructions of the batch: the monitor costs an
    // extra GEMM, so it is measured on every 10th update only.
    if (updates_ % 10 == 0)
      recon = sum(square(v0 - visible_mean(m_, sample_units(h0, m_.hidden, gen_)))).item() / (double)v0.size(0);
  }
  ++updates_;

  RbmGradient g = cd_gradient(v0, h0, vk, hk, mu_, lambda_);
  if (q_.defined()) {
    q_ = opt_.sparsity_decay * q_ + (1 - opt_.sparsity_decay) * mean(h0, {0});
    g.dc = g.dc + opt_.sparsity_cost * (opt_.sparsity_target - q_);
  }
  const double lr = lr_now();
  const double mom = epoch_ < opt_.momentum_epochs ? opt_.momentum : opt_.final_momentum;
  // Momentum as in Hinton's guide: velocity ← momentum·velocity + ε (gradient − weight_decay·W),
  // then W ← W + velocity. In place, and without the terms that are zero.
  auto apply = [&](Tensor& param, Tensor& vel, const Tensor& grad, double decay) {
    if (mom == 0 && decay == 0) return add_(param, grad, lr);  // plain SGD
    vel = mom == 0 ? lr * grad : mom * vel;
    if (mom != 0) add_(vel, grad, lr);
    if (decay != 0) add_(vel, param, -lr * decay);
    add_(param, vel);
  };
  apply(m_.W, vel_W_, g.dW, opt_.weight_decay);
  apply(m_.b, vel_b_, g.db, 0);
  apply(m_.c, vel_c_, g.dc, 0);
  if (lambda_.defined()) lambda_ = (1 - opt_.offset_rate) * lambda_ + opt_.offset_rate * mean(h0, {0});
  return recon;
}

RbmEpochStats RbmTrainer::epoch(const Tensor& X) {
  check_visible("RbmTrainer::epoch", m_, X);
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t N = X.size(0), B = opt_.batch_size;
  Generator order_gen(opt_.seed ^ 0x5bd1e995u);
  order_gen.set_counter((uint64_t)epoch_ << 32);  // the order depends on (seed, epoch) only
  const Tensor order = permutation(N, &order_gen);
  RbmEpochStats st;
  st.lr = lr_now();
  double recon = 0;
  int64_t measured = 0;
  for (int64_t i = 0; i < N; i += B) {
    const Tensor idx = order.slice(0, i, std::min(N, i + B));
    const double r = step(index_select(X, 0, idx));  // X was checked above
    if (r >= 0) recon += r, ++measured;
  }
  ++epoch_;
  st.epoch = epoch_;
  st.recon_error = measured ? recon / (double)measured : 0;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

Rbm rbm_fit(const Tensor& X, int64_t H, const RbmTrainOptions& opt, Units visible, Units hidden,
            const std::function<void(const RbmEpochStats&, const Rbm&)>& on_epoch) {
  if (X.dim() != 2) fail("rbm_fit", "data must be [N, V], got " + shape_str(X.shape()));
  Generator g(opt.seed);
  const DType dt = X.dtype() == DType::f64 ? DType::f64 : DType::f32;
  Rbm m = rbm_init(X.size(1), H, g, visible, hidden, mean(X.to(dt), {0}), dt);
  RbmTrainer t(m, X, opt);
  for (int64_t e = 0; e < opt.epochs; ++e) {
    RbmEpochStats st = t.epoch(X);
    if (on_epoch) on_epoch(st, m);
  }
  return m;
}

}  // namespace latent::models
