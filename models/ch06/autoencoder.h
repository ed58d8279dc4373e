// Chapter 06 — autoencoders: an encoder f and a decoder g trained so that
// g(f(x)) ≈ x. With a code narrower than the input (undercomplete) the network
// must keep what matters about x; with a wide code something else has to stop
// it from copying x through, and each variant here is one such "something":
//
//   plain        min  L(x, g(f(x)))                        the code is a bottleneck
//   sparse       + λ₁ Σ_j |h_j|                            L1 on the activations (Goodfellow et al.
//                                                          2016, §14.2.1), or
//                + β Σ_j KL(ρ ‖ ρ̂_j),  ρ̂_j = mean_n h_nj    average activation pulled to ρ
//                                                          (Ng, "Sparse autoencoder" notes, §3)
//   denoising    min  L(x, g(f(x̃))),  x̃ ~ C(x̃ | x)          rebuild the clean x from a corrupted x̃:
//                                                          masking (a fraction of pixels set to 0) or
//                                                          Gaussian noise (Vincent et al. 2008)
//   contractive  + λ ‖J_f(x)‖²_F,  J_f = ∂h/∂x              the code must be flat in most input
//                                                          directions (Rifai et al. 2011, eq. 2)
//
// L is the cross-entropy Σ_d −[x_d log x̂_d + (1 − x_d) log(1 − x̂_d)] for a
// sigmoid output (pixels in [0, 1]), or the squared error Σ_d (x_d − x̂_d)²;
// both are summed over pixels and averaged over the batch ("per image").
//
// The network: x → [Linear → act]×(hidden layers) → Linear → code act → h
//              h → [Linear → act]×(hidden, mirrored) → Linear → output act → x̂
// with separate (untied) encoder and decoder weights.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "tensor/random.h"

namespace latent::models {

enum class Activation { sigmoid, relu, linear };
const char* activation_name(Activation a);
Var activate(const Var& x, Activation a);

struct AutoencoderConfig {
  int64_t input = 784;
  std::vector<int64_t> hidden = {};  // encoder hidden layers between input and code; the decoder mirrors them
  int64_t code = 64;
  Activation hidden_activation = Activation::sigmoid;
  Activation code_activation = Activation::sigmoid;
  Activation output_activation = Activation::sigmoid;
  // true: the code must be narrower than the input (an error otherwise). Sparse, denoising and
  // contractive autoencoders may be overcomplete; set it false for them.
  bool undercomplete = true;
  DType dtype = DType::f32;  // f64 for gradient checks
  uint64_t seed = 0;         // Glorot-uniform weights (Glorot & Bengio 2010), zero biases
};

class Autoencoder : public nn::Module {
 public:
  explicit Autoencoder(const AutoencoderConfig& config = {});
  std::string describe() const override;  // "autoencoder 784-256-32 (sigmoid code, sigmoid output)"
  const AutoencoderConfig& config() const { return cfg_; }

  // Every hidden layer's activations on the way to the code, the code last: what the sparsity
  // penalties act on. x [N, input] (images [N, 1, H, W] are flattened by check_input).
  std::vector<Var> encode_layers(const Var& x);
  Var encode(const Var& x);               // h = f(x) [N, code]
  Var decode_preactivation(const Var& h);  // the output layer before its activation [N, input]
  Var decode(const Var& h);               // x̂ = g(h)
  Var forward(const Var& x) override { return decode(encode(x)); }

  // Checks x and returns it as [N, input] in the model's dtype; errors name both shapes.
  Tensor check_input(const std::string& op, const Tensor& x) const;
  // No graph, evaluation mode, in batches; plain tensors.
  Tensor codes(const Tensor& x, int64_t batch = 1000);        // [N, code]
  Tensor reconstruct(const Tensor& x, int64_t batch = 1000);  // [N, input]

  // The Linear layers, encoder first (input side first), then decoder (code side first):
  // for gradient checks and for stacking (stacked.h).
  std::vector<std::shared_ptr<nn::Linear>> encoder_linears() const { return enc_; }
  std::vector<std::shared_ptr<nn::Linear>> decoder_linears() const { return dec_; }

 private:
  AutoencoderConfig cfg_;
  std::vector<std::shared_ptr<nn::Linear>> enc_, dec_;
};

// ---- penalties (each a scalar Var, differentiable, averaged over the batch) ----

// λ₁ Σ_j |h_nj| averaged over n: the L1 sparsity penalty on activations h [N, k]
// (its subgradient sign(h) is 0 at h = 0).
Var l1_activation_penalty(const Var& h);

// Σ_j KL(ρ ‖ ρ̂_j) = Σ_j [ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j))],  ρ̂_j = (1/N) Σ_n h_nj,
// for activations h [N, k] in (0, 1) (sigmoid units): the KL between Bernoulli(ρ) and
// Bernoulli(ρ̂_j), zero exactly when every unit's mean activation is ρ (Ng's notes, §3).
// ρ must be in (0, 1); ρ̂ is clamped to [1e-6, 1 − 1e-6] so a dead unit gives a large finite value.
Var kl_sparsity_penalty(const Var& h, double rho);

// (1/N) Σ_n ‖J_f(x_n)‖²_F for a sigmoid encoder h = σ(W x + b) [N, k], W [k, D]:
//     ∂h_j/∂x_i = h_j (1 − h_j) W_ji,   so   ‖J‖²_F = Σ_j (h_j (1 − h_j))² Σ_i W_ji²
// (Rifai et al. 2011, eq. 5 — the closed form, O(k·D) per example instead of a Jacobian).
// Written with differentiable ops, so training differentiates it in W and b.
Var contractive_penalty(const Var& h, const Var& W);

// ---- corruption (denoising, Vincent et al. 2008 §4.1 / Vincent et al. 2010 §4.4) ----

struct Corruption {
  enum class Kind { none, masking, gaussian } kind = Kind::none;
  // masking: in each example exactly round(level·D) inputs, chosen at random, are set to 0
  //          (level = the destroyed fraction ν, in [0, 1]).
  // gaussian: x̃ = x + N(0, level²) independently per input (level = σ ≥ 0), not clipped.
  double level = 0;
};
std::string corruption_name(const Corruption& c);  // "masking 25%", "gaussian σ=0.3", "none"
Tensor corrupt(const Tensor& x, const Corruption& c, Generator& g);

// ---- the objective ----

enum class ReconstructionLoss { cross_entropy, squared_error };

struct AeObjective {
  ReconstructionLoss loss = ReconstructionLoss::cross_entropy;  // cross-entropy needs a sigmoid output
  double l1 = 0;                 // λ₁ on the code's activations
  double sparsity_weight = 0;    // β on Σ_j KL(ρ ‖ ρ̂_j) of the code (sigmoid code)
  double sparsity_target = 0.05; // ρ, in (0, 1)
  double contractive = 0;        // λ on ‖J_f‖²_F (one sigmoid encoder layer)
  Corruption corruption = {};    // applied to the input only; the target stays clean
};
// Errors: cross-entropy with a non-sigmoid output, ρ outside (0, 1), negative weights, a KL
// penalty on a code that is not sigmoid, a contractive penalty on anything but one sigmoid layer.
void check_objective(const std::string& op, const Autoencoder& ae, const AeObjective& obj);

struct AeTerms {
  Var loss;              // recon + penalties, the scalar minimised
  double recon = 0;      // reconstruction loss per image
  double penalty = 0;    // the weighted penalties per image
};
// x_clean is the target; x_input what the encoder sees (a corrupted copy, or x_clean itself).
AeTerms autoencoder_loss(Autoencoder& ae, const Tensor& x_clean, const Tensor& x_input, const AeObjective& obj);

// ---- training (autoencoder_train.cpp) ----

struct AeEpoch {
  int64_t epoch = 0;
  double loss = 0, recon = 0, penalty = 0;  // training means per image over the epoch
  double seconds = 0;
};

struct AeTrainOptions {
  int64_t epochs = 10;
  int64_t batch_size = 100;
  double lr = 1e-3;  // Adam
  // L2 weight decay λ on every parameter, through Adam's gradient (g + λw): the (λ/2)‖W‖² term of
  // Ng's sparse-autoencoder cost. Without it, weights from pixels that are always 0 (MNIST's
  // border) get no gradient and keep their random initial values: noisy filter pictures.
  double weight_decay = 0;
  AeObjective objective = {};
  uint64_t seed = 0;  // shuffling and corruption
  std::function<void(const AeEpoch&)> on_epoch = {};
};
// Minibatch Adam on the objective, a fresh corruption of every batch. Stops with latent::Error
// "training diverged: autoencoder loss is NaN at step s" at the first non-finite loss.
// Returns the last epoch.
AeEpoch train_autoencoder(Autoencoder& ae, const Tensor& x, const AeTrainOptions& opt);

// (1/N) Σ_n Σ_d (x_nd − x̂_nd)² with x̂ = g(f(x)) (uncorrupted input): "squared error per image",
// the figure of Hinton & Salakhutdinov (2006) and of chapters 02 and 05.
double squared_error_per_image(Autoencoder& ae, const Tensor& x);

// f applied to the rows of x in batches of `batch`, without a graph, in evaluation mode, the
// results concatenated: codes, reconstructions and features of this chapter's models.
// batch < 1 is an error naming op.
Tensor eval_in_batches(nn::Module& m, const Tensor& x, int64_t batch, const std::function<Var(const Var&)>& f,
                       const std::string& op);

}  // namespace latent::models
