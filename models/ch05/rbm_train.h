// Chapter 05 — training an RBM: contrastive divergence (CD-k, Hinton 2002) and
// persistent CD (PCD, Tieleman 2008), with momentum, weight decay, a sparsity
// target, and the centred gradient.
//
// The log-likelihood gradient is a difference of two expectations,
//
//   ∂ log p(v) / ∂W = <v hᵀ>_data − <v hᵀ>_model
//
// The first is exact (p(h | v) factorises). The second needs samples from the
// model; CD-k takes them from a Gibbs chain started at the data and run for k
// steps, PCD from chains that persist across updates and so keep sampling the
// (slowly changing) model. One update, with learning rate ε (cd_gradient):
//
//   ΔW = ε ( <v0 p(h|v0)ᵀ> − <vk p(h|vk)ᵀ> )       averaged over the minibatch
//   Δb = ε ( <v0> − <vk> ),   Δc = ε ( <p(h|v0)> − <p(h|vk)> )
//
// Centred RBMs (Montavon & Müller 2012; Melchior, Fischer & Wiskott 2016)
// subtract offsets μ (the data mean) from v and λ (a running mean of the hidden
// activations) from h in the energy. The model family is the same; the
// gradient is better conditioned. Written in the ordinary parameters:
//
//   ΔW = ε ( <(v0−μ)(h0−λ)ᵀ> − <(vk−μ)(hk−λ)ᵀ> )
//   Δb = ε ( <v0> − <vk> ) − ΔW λ,   Δc = ε ( <h0> − <hk> ) − ΔWᵀ μ
//
//   Rbm m = rbm_init(784, 500, g);
//   RbmTrainer t(m, X, {.epochs = 20, .lr = 0.05, .cd_k = 1, .persistent = true});
//   for (int e = 0; e < 20; ++e) t.epoch(X);
#pragma once

#include <functional>

#include "models/ch05/rbm.h"

namespace latent::models {

struct RbmTrainOptions {
  int64_t epochs = 10;
  int64_t batch_size = 100;
  double lr = 0.1;              // ε
  double lr_final = -1;         // >= 0: ε decays linearly to lr_final over `epochs` (PCD needs it)
  double momentum = 0.5;        // for the first momentum_epochs epochs (Hinton's guide, section 9)
  double final_momentum = 0.9;  // afterwards
  int64_t momentum_epochs = 5;
  double weight_decay = 2e-4;   // L2 on W: the step adds −ε·weight_decay·W (guide, section 10)
  int64_t cd_k = 1;             // Gibbs steps per update
  bool persistent = false;      // PCD: the negative chains carry over between updates
  bool centred = false;         // centred gradient with μ = data mean, λ a running hidden mean
  double offset_rate = 0.01;    // λ ← (1 − ν) λ + ν <h0>
  double sparsity_target = 0;   // ρ > 0: push the hidden units' mean activation towards ρ
  double sparsity_cost = 0;     //   by adding cost·(ρ − q) to c's gradient (Lee, Ekanadham & Ng 2008),
  double sparsity_decay = 0.9;  //   q a running mean of <h0> (Hinton's guide, section 11)
  uint64_t seed = 0;
};

// The CD/PCD statistics of one minibatch: data v0 [B,V] with hidden means h0
// [B,H], model samples vk [C,V] with hidden means hk [C,H] (C chains; C = B
// for CD). mu [V] and lambda [H] are the centring offsets (undefined: zero).
// Returns the ascent direction (without ε, momentum or weight decay).
struct RbmGradient {
  Tensor dW, db, dc;
};
RbmGradient cd_gradient(const Tensor& v0, const Tensor& h0, const Tensor& vk, const Tensor& hk,
                        const Tensor& mu = Tensor(), const Tensor& lambda = Tensor());

struct RbmEpochStats {
  int64_t epoch = 0;          // 1-based
  double recon_error = 0;     // mean ‖v − E[v|h]‖² over the epoch's minibatches (before each update; PCD: every 10th)
  double lr = 0, seconds = 0;
};

class RbmTrainer {
 public:
  // X [N,V]: the training data; used here only for the centring offset μ and
  // to check the model and data agree.
  RbmTrainer(Rbm& m, const Tensor& X, RbmTrainOptions opt);

  // One CD-k / PCD-k update on the minibatch v0 [B,V]; returns its
  // reconstruction error ‖v0 − E[v | h0]‖² per row (computed on the way for
  // CD; for PCD on every 10th update, −1 on the others).
  double update(const Tensor& v0);
  // One pass over X in shuffled minibatches (the order depends on seed and epoch).
  RbmEpochStats epoch(const Tensor& X);

  int64_t epochs_done() const { return epoch_; }
  const Tensor& chains() const { return chains_; }  // PCD's fantasy particles [C,V]
  const Rbm& model() const { return m_; }
  const RbmTrainOptions& options() const { return opt_; }

 private:
  double lr_now() const;
  double step(const Tensor& v0);  // update() without the value scan
  Rbm& m_;
  RbmTrainOptions opt_;
  Generator gen_;
  int64_t epoch_ = 0;
  Tensor vel_W_, vel_b_, vel_c_;  // momentum buffers
  Tensor chains_, chain_h_;       // PCD state: the chains' visible and hidden samples
  int64_t updates_ = 0;
  Tensor mu_, lambda_;            // centring offsets
  Tensor q_;                      // running hidden mean for the sparsity target
};

// rbm_init + opt.epochs epochs; on_epoch (optional) sees every epoch's stats.
Rbm rbm_fit(const Tensor& X, int64_t H, const RbmTrainOptions& opt, Units visible = Units::bernoulli,
            Units hidden = Units::bernoulli,
            const std::function<void(const RbmEpochStats&, const Rbm&)>& on_epoch = {});

}  // namespace latent::models
