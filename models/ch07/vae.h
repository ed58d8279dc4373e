// Chapter 07 — variational autoencoders (Kingma & Welling 2014, "Auto-encoding
// variational Bayes"; Rezende et al. 2014), with the β-VAE (Higgins et al.
// 2017), the conditional VAE (Sohn et al. 2015) and the importance-weighted
// bound (Burda et al. 2016).
//
// The generative model is  p(z) = N(0, I),  p_θ(x|z) = decoder(z);  the
// encoder q_φ(z|x) = N(μ_φ(x), diag σ²_φ(x)) approximates the posterior. Every
// x gets the evidence lower bound (K&W eq. 3)
//     log p(x) ≥ ELBO(x) = E_q[log p_θ(x|z)] − KL(q_φ(z|x) ‖ p(z)),
// the "reconstruction" term estimated with one sample z = μ + σ·ε, ε ~ N(0, I)
// (the reparameterisation trick, K&W §2.4: the randomness moves into ε, so
// the sample is a differentiable function of φ), and the KL in closed form
// (K&W appendix B, nn::kl_normal). Training minimises −ELBO averaged over the
// data: "the loss in nats per image".
//
// The networks are the ones of K&W's MNIST experiments and pytorch/examples:
//   encoder  x [⊕ onehot(y)] → Linear → ReLU → (Linear → μ, Linear → log σ²)
//   decoder  z [⊕ onehot(y)] → Linear → ReLU → Linear → logits (Bernoulli)
//                                                     or means (Gaussian)
// The encoder outputs log σ², not σ: any real number is a valid log-variance,
// so no constraint is needed, and the KL and log q are exact functions of it
// (no log of a variance that underflowed to 0, which is where NaN comes from).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "tensor/random.h"

namespace latent::models {

// How a pixel is modelled given z.
//   bernoulli: log p(x|z) = Σ_d x_d log σ(l_d) + (1 − x_d) log(1 − σ(l_d)) from the decoder's logits l
//              (binary data; on grey levels in [0, 1] it is the "summed BCE" of pytorch/examples,
//              not a normalised density there, but the usual benchmark figure).
//   gaussian:  log p(x|z) = −½ Σ_d [log 2π + s_d + (x_d − m_d)² e^{−s_d}] with means m from the
//              decoder and one log-variance s_d per pixel, shared by every z (learned, or fixed).
enum class Likelihood { bernoulli, gaussian };

// The networks around the stochastic layer.
//   mlp:  as above.
//   conv: for 28x28 images, the encoder's Linear → ReLU is preceded by two strided convolutions
//         (1→32→64 channels, 4x4 kernels, stride 2: 28 → 14 → 7, each with ReLU), and the
//         decoder mirrors it: z → Linear → ReLU → Linear → ReLU → [64, 7, 7] → two transposed
//         convolutions (64→32→1, 4x4, stride 2: 7 → 14 → 28) → logits or means. Weight sharing
//         across positions lets it use far fewer parameters per pixel than the MLP's 784 x 400.
enum class VaeArch { mlp, conv };

struct VaeConfig {
  int64_t input = 784, hidden = 400, latent = 20;
  VaeArch arch = VaeArch::mlp;  // conv needs input = 784 (28x28 images)
  // MLP only: deterministic hidden layers of `hidden` units on each side (Burda et al. 2016's
  // one-stochastic-layer model has 2, with tanh), and their nonlinearity.
  int64_t depth = 1;
  bool tanh = false;  // false: ReLU
  // > 0: a conditional VAE (Sohn et al. 2015): one_hot(y, num_classes) is appended to the
  // encoder's input and to the decoder's input, so q(z|x,y) and p(x|z,y).
  int64_t num_classes = 0;
  Likelihood likelihood = Likelihood::bernoulli;
  // Gaussian decoder only. learn_variance: s_d is a parameter (one per pixel, not a function of z),
  // kept above log_variance_floor by s = floor + softplus(raw − floor): a pixel that is always 0
  // (MNIST's border) would otherwise drive its variance to 0 and the likelihood to +∞.
  // Otherwise s_d = fixed_log_variance for every pixel (log σ² = 0: squared error / 2 + const).
  bool learn_variance = true;
  double fixed_log_variance = 0.0;
  double log_variance_floor = -6.0;  // σ ≥ e^{-3} ≈ 0.05
  DType dtype = DType::f32;          // f64 for gradient checks
  uint64_t seed = 0;                 // initial weights: U(−1/√fan_in, 1/√fan_in) as PyTorch's Linear
};

class Vae : public nn::Module {
 public:
  explicit Vae(const VaeConfig& config = {});
  std::string describe() const override;  // "VAE 784-400-20 (bernoulli)"
  const VaeConfig& config() const { return cfg_; }
  bool conditional() const { return cfg_.num_classes > 0; }

  struct Posterior {
    Var mu, logvar;  // [N, latent] each
  };
  // q(z|x[,y]). x [N, input] (images [N, 1, H, W] are flattened); y int64 [N] for a CVAE,
  // undefined otherwise.
  Posterior encode(const Var& x, const Tensor& y = Tensor());
  // The decoder's output for z [M, latent]: logits (Bernoulli) or means (Gaussian), [M, input].
  Var decode(const Var& z, const Tensor& y = Tensor());
  // log p(x|z) summed over pixels from the decoder's output. out [..., input] and x broadcast
  // against each other (x [N, D] with out [k, N, D] for k samples per image); result [...].
  Var log_likelihood(const Var& out, const Var& x);
  // The decoder's mean E[x|z]: σ(logits) or the Gaussian means (plain tensor).
  Tensor mean_of(const Tensor& out) const;
  // Gaussian: the per-pixel log σ² [input] actually used; undefined for Bernoulli.
  Var decoder_logvar() const;

  // Checks x (and y) for this model and returns x as [N, input] in the model's dtype.
  // Errors name both shapes ("vae: x [3,5] does not match the model's input [N,784]").
  Tensor check_input(const std::string& op, const Tensor& x, const Tensor& y) const;
  // The Linear layers in order (encoder hidden, μ, log σ², decoder hidden, output, then the
  // deeper hidden layers of the encoder and of the decoder when depth > 1): for
  // gradient checks, which rebind their weights.
  std::vector<std::shared_ptr<nn::Linear>> linears() const;
  Var raw_logvar;  // the learned Gaussian log-variance before its floor (undefined otherwise)

 private:
  Var with_label(const Var& v, const Tensor& y) const;
  Var act(const Var& h) const;  // ReLU or tanh (VaeConfig::tanh)
  VaeConfig cfg_;
  std::shared_ptr<nn::Linear> enc_hidden_, enc_mu_, enc_logvar_, dec_hidden_, dec_out_;
  std::vector<std::shared_ptr<nn::Linear>> enc_deep_, dec_deep_;  // depth > 1: hidden -> hidden
  std::shared_ptr<nn::Sequential> enc_conv_, dec_deconv_;  // VaeArch::conv only
};

// ---- objectives ----

// One minibatch's terms, per image (means over the batch).
struct ElboTerms {
  Var loss;          // what is minimised: recon + β·kl (or the IWAE bound's negative), a scalar
  double recon = 0;  // −E_q[log p(x|z)], one-sample estimate, nats per image
  double kl = 0;     // KL(q(z|x) ‖ N(0, I)), closed form, nats per image
  double elbo() const { return -(recon + kl); }  // the bound itself (β = 1), nats per image
};

// −ELBO with a β weight on the KL (β-VAE, Higgins et al. 2017, eq. 4: β > 1 presses q towards
// the factorised prior, trading reconstruction for disentangled codes; β = 1 is the VAE).
// eps [N, latent] is the ε of the reparameterisation (given, so the loss is a deterministic
// function of the parameters: what a gradient check needs); the second form draws it from g.
ElboTerms vae_loss(Vae& vae, const Tensor& x, const Tensor& y, const Tensor& eps, double beta = 1.0);
ElboTerms vae_loss(Vae& vae, const Tensor& x, const Tensor& y, Generator& g, double beta = 1.0);

// log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x),  z_i = μ + σ·ε_i, for eps [k, N, latent]:
// a [k, N] Var. log q(z|x) = −½ Σ_j (ε_j² + log σ²_j + log 2π) exactly, since (z − μ)/σ = ε.
Var log_importance_weights(Vae& vae, const Tensor& x, const Tensor& y, const Tensor& eps);
// The k-sample importance-weighted bound (Burda et al. 2016, eq. 8) as a loss:
//   −mean_n [ logsumexp_i log w_i − log k ]; ElboTerms.kl is the closed-form KL (one more
// encoder pass, for monitoring) and ElboTerms.recon = loss − kl.
// k = 1 is the ELBO with a sampled KL; the bound tightens as k grows (Burda et al. theorem 1).
ElboTerms iwae_loss(Vae& vae, const Tensor& x, const Tensor& y, const Tensor& eps);
ElboTerms iwae_loss(Vae& vae, const Tensor& x, const Tensor& y, int64_t k, Generator& g);

// The importance-sampling estimate of log p(x) per image (Burda et al. 2016 §5, Rezende et al.):
//   log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x),
// the log-weights in the model's dtype, their logsumexp in float64. The k samples go through the decoder in chunks of at
// most max_rows rows (images × samples), so k = 5000 on the full test set fits in memory.
// Returns float64 [N]. No graph is recorded.
Tensor iw_log_likelihood(Vae& vae, const Tensor& x, const Tensor& y, int64_t k, Generator& g,
                         int64_t batch = 100, int64_t max_rows = 16384);

// The mean one-sample ELBO terms over a data set (no graph, in batches): what pytorch/examples
// calls the test loss is recon + kl.
ElboTerms evaluate_elbo(Vae& vae, const Tensor& x, const Tensor& y, Generator& g, int64_t batch = 1000);

// ---- training (vae_train.cpp) ----

struct VaeEpoch {
  int64_t epoch = 0;
  double loss = 0, recon = 0, kl = 0;  // training means per image over the epoch
  double seconds = 0;
};

struct VaeTrainOptions {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  double lr = 1e-3;  // Adam
  double beta = 1.0;
  // Dynamic binarisation (nn::binarize_dynamic): every batch is a fresh Bernoulli sample of the
  // grey levels, the standard input of Bernoulli VAEs on MNIST (Burda et al. 2016).
  bool binarize = false;
  // > 1: train on the k-sample IWAE bound instead of the ELBO (β is then ignored).
  int64_t iwae_k = 0;
  uint64_t seed = 0;  // shuffling, ε and binarisation
  std::function<void(const VaeEpoch&)> on_epoch = {};
};
// Minibatch Adam on the loss; y int64 [N] for a CVAE. Every step checks the loss is finite
// and stops with latent::Error "training diverged: VAE loss is NaN at step s ..." if not.
// Returns the last epoch.
VaeEpoch train_vae(Vae& vae, const Tensor& x, const Tensor& y, const VaeTrainOptions& opt);

// Burda et al. 2016's schedule (§5): stage i = 0, 1, ... runs 3^i epochs at Adam rate
// 1e-3 · 10^(−i/7). Eight stages are their 3,280 epochs (the last: 2,187 epochs at 1e-4).
// A few epochs at a high rate first, then ever longer stretches at ever lower rates.
struct VaeStage {
  int64_t index = 0, epochs = 0;
  double lr = 0;
};
std::vector<VaeStage> burda_schedule(int64_t stages = 8);

// train_vae once per stage: opt's epochs and lr replaced by the stage's, its seed by
// opt.seed mixed with the stage index (opt.seed ^ 0xD1342543DE82EF95·(i+1)), and Adam
// started afresh (our choice; the paper does not say).
// With a non-empty checkpoint_prefix, the weights after stage i are saved to
// "<prefix>stage<i>.ckpt" (latent::save_checkpoint, atomic) with the stage and the options
// that shaped it. On a rerun, the last stage whose file exists is loaded and training goes on
// after it, so a run can stop and resume between stages (not within one). A file whose stage,
// epochs, rate, seed, batch size, β, IWAE k, binarisation or training-set size differ from
// this run's is an error naming the file and the field, as is one of another architecture,
// or one whose chain started from other weights (each file records weights_fingerprint of the
// model as this function received it: a fine-tune of another model is refused, not loaded);
// the model is then as it was. on_stage(stage, loaded) runs for the stage loaded from its
// file and after each stage trained. Returns how many stages the loaded file covers (0: none).
int64_t train_vae_staged(Vae& vae, const Tensor& x, const Tensor& y, const std::vector<VaeStage>& stages,
                         const VaeTrainOptions& opt, const std::string& checkpoint_prefix = "",
                         const std::function<void(const VaeStage&, bool loaded)>& on_stage = {});

// ---- looking at a trained model (vae_sample.cpp); decoder means, [n, input] ----

// x ~ p(x|z), z ~ N(0, I): the decoder's means for n prior draws (labels y [n] for a CVAE).
Tensor sample_prior(Vae& vae, int64_t n, Generator& g, const Tensor& y = Tensor());
// The decoder's mean at z = μ(x): the deterministic reconstruction.
Tensor reconstruct(Vae& vae, const Tensor& x, const Tensor& y = Tensor());
// steps decoder means along the straight line from μ(a) to μ(b) (a, b: one image each).
Tensor interpolate(Vae& vae, const Tensor& a, const Tensor& b, int64_t steps, const Tensor& y = Tensor());
// Latent traversal (Higgins et al. 2017, figure 7): for each latent dimension in dims, steps
// decoder means at z = μ(x) with that one coordinate swept over linspace(−range, range) — the
// picture that shows whether a β-VAE's coordinates each control one factor. [dims·steps, input].
Tensor latent_traversal(Vae& vae, const Tensor& x, const std::vector<int64_t>& dims, int64_t steps,
                        double range = 3.0, const Tensor& y = Tensor());
// The learned 2-d manifold (K&W figure 4): decoder means at z = (Φ⁻¹(u_j), Φ⁻¹(u_i)) for
// u = linspace(lo, 1 − lo, n), row-major, i down the rows, [n·n, input]. Needs latent = 2.
// Quantiles of the prior rather than an even grid, so each cell holds equal prior mass.
// y: one label (int64 [1]) for a CVAE, used for every cell.
Tensor manifold_grid(Vae& vae, int64_t n, const Tensor& y = Tensor(), double lo = 0.05);
// Φ⁻¹, the standard normal quantile function (Acklam's rational approximation and one
// Halley step: about 1e-15 relative error), for p in (0, 1).
double normal_quantile(double p);

}  // namespace latent::models
