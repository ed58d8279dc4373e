// Chapter 07 — the VAE model and its objectives: ELBO, β-VAE, IWAE bound and
// the importance-weighted log-likelihood estimate (vae.h).
#include "models/ch07/vae.h"

#include <algorithm>
#include <cmath>

#include "nn/init.h"
#include "nn/loss.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

const double kLog2Pi = std::log(2 * M_PI);

std::string str(int64_t v) { return std::to_string(v); }

// A Linear layer in the model's dtype, initialised from g as PyTorch's Linear
// (weights and biases U(−1/√in, 1/√in)), so a seed fixes the whole model.
std::shared_ptr<nn::Linear> make_linear(int64_t in, int64_t out, DType dtype, Generator& g) {
  auto lin = nn::make<nn::Linear>(in, out);
  for (Var* p : {&lin->weight, &lin->bias}) {
    // Var is a handle on a Node shared with the module's parameter list, so
    // replacing the Node's value changes the parameter everywhere.
    if (dtype != p->dtype()) p->node()->value = p->data().to(dtype);
    const double a = 1.0 / std::sqrt((double)in);
    nn::init::uniform(*p, -a, a, &g);
  }
  return lin;
}

// Conv2d / ConvTranspose2d in the model's dtype, weights and biases U(−1/√fan_in, 1/√fan_in)
// from g as PyTorch's default (fan_in = in·k·k for Conv2d; out·k·k for the transpose, whose
// weight is [in, out, k, k] — PyTorch computes it from the weight's second dimension).
template <class Layer>
std::shared_ptr<Layer> make_conv(int64_t in, int64_t out, DType dtype, Generator& g) {
  auto conv = nn::make<Layer>(in, out, 4, 2, 1);
  const int64_t fan_in = conv->weight.size(1) * 16;
  for (Var* p : {&conv->weight, &conv->bias}) {
    if (dtype != p->dtype()) p->node()->value = p->data().to(dtype);
    const double a = 1.0 / std::sqrt((double)fan_in);
    nn::init::uniform(*p, -a, a, &g);
  }
  return conv;
}

const int64_t kConvFeatures = 64 * 7 * 7;  // the conv encoder's output, flattened

}  // namespace

Vae::Vae(const VaeConfig& c) : cfg_(c) {
  if (c.input < 1 || c.hidden < 1 || c.latent < 1 || c.num_classes < 0)
    fail("Vae", "sizes must be positive: input " + str(c.input) + ", hidden " + str(c.hidden) + ", latent " +
                    str(c.latent) + ", num_classes " + str(c.num_classes));
  if (c.dtype != DType::f32 && c.dtype != DType::f64) fail("Vae", "dtype must be f32 or f64");
  const bool conv = c.arch == VaeArch::conv;
  if (c.depth < 1 || (conv && (c.depth != 1 || c.tanh)))
    fail("Vae", "depth must be >= 1 (depth and tanh are for the MLP VAE only), got depth " + str(c.depth) +
                    (conv ? " for the convolutional VAE" : ""));
  if (conv && c.input != 784)
    fail("Vae", "the convolutional VAE is built for 28x28 images (input 784), got input " + str(c.input));
  Generator g(c.seed);
  const int64_t C = c.num_classes;
  if (conv)
    enc_conv_ = register_module("enc_conv", nn::make<nn::Sequential>(std::vector<nn::ModulePtr>{
                                                make_conv<nn::Conv2d>(1, 32, c.dtype, g), nn::make<nn::ReLU>(),
                                                make_conv<nn::Conv2d>(32, 64, c.dtype, g), nn::make<nn::ReLU>()}));
  const int64_t features = conv ? kConvFeatures : c.input;
  enc_hidden_ = register_module("enc_hidden", make_linear(features + C, c.hidden, c.dtype, g));
  enc_mu_ = register_module("enc_mu", make_linear(c.hidden, c.latent, c.dtype, g));
  enc_logvar_ = register_module("enc_logvar", make_linear(c.hidden, c.latent, c.dtype, g));
  dec_hidden_ = register_module("dec_hidden", make_linear(c.latent + C, c.hidden, c.dtype, g));
  dec_out_ = register_module("dec_out", make_linear(c.hidden, features, c.dtype, g));
  for (int64_t l = 1; l < c.depth; ++l) {
    enc_deep_.push_back(register_module("enc_hidden" + str(l + 1), make_linear(c.hidden, c.hidden, c.dtype, g)));
    dec_deep_.push_back(register_module("dec_hidden" + str(l + 1), make_linear(c.hidden, c.hidden, c.dtype, g)));
  }
  if (conv)
    dec_deconv_ = register_module("dec_deconv", nn::make<nn::Sequential>(std::vector<nn::ModulePtr>{
                                                    make_conv<nn::ConvTranspose2d>(64, 32, c.dtype, g),
                                                    nn::make<nn::ReLU>(),
                                                    make_conv<nn::ConvTranspose2d>(32, 1, c.dtype, g)}));
  if (c.likelihood == Likelihood::gaussian && c.learn_variance)
    raw_logvar = register_parameter("dec_logvar", zeros({c.input}, c.dtype));  // start at σ = 1 (floor ≪ 0)
}

std::string Vae::describe() const {
  std::string s = (cfg_.arch == VaeArch::conv ? "conv VAE 28x28-c32-c64-" : "VAE " + str(cfg_.input) + "-") +
                  str(cfg_.hidden) + "-";
  for (int64_t l = 1; l < cfg_.depth; ++l) s += str(cfg_.hidden) + "-";
  s += str(cfg_.latent) + " (" + (cfg_.tanh ? "tanh, " : "");
  s += cfg_.likelihood == Likelihood::bernoulli ? "bernoulli"
       : cfg_.learn_variance                    ? "gaussian, learned variance"
                                                : "gaussian, fixed variance";
  if (conditional()) s += ", conditional on " + str(cfg_.num_classes) + " classes";
  return s + ")";
}

std::vector<std::shared_ptr<nn::Linear>> Vae::linears() const {
  std::vector<std::shared_ptr<nn::Linear>> all = {enc_hidden_, enc_mu_, enc_logvar_, dec_hidden_, dec_out_};
  all.insert(all.end(), enc_deep_.begin(), enc_deep_.end());
  all.insert(all.end(), dec_deep_.begin(), dec_deep_.end());
  return all;
}

Var Vae::act(const Var& h) const { return cfg_.tanh ? tanh(h) : relu(h); }

Tensor Vae::check_input(const std::string& op, const Tensor& x, const Tensor& y) const {
  if (!x.defined() || x.dim() < 1 || x.numel() != x.size(0) * cfg_.input || x.size(0) < 1)
    fail(op, "x " + (x.defined() ? shape_str(x.shape()) : std::string("(undefined)")) +
                 " does not match the model's input [N," + str(cfg_.input) + "]");
  if (conditional()) {
    if (!y.defined())
      fail(op, "a conditional VAE needs labels y [" + str(x.size(0)) + "] (int64) for x " + shape_str(x.shape()));
    if (y.dim() != 1 || y.size(0) != x.size(0) || y.dtype() != DType::i64)
      fail(op, "labels y " + shape_str(y.shape()) + " (" + dtype_name(y.dtype()) + ") do not match x " +
                   shape_str(x.shape()) + ": want int64 [" + str(x.size(0)) + "]");
  } else if (y.defined()) {
    fail(op, "labels y " + shape_str(y.shape()) + " given to an unconditional VAE (num_classes = 0)");
  }
  return x.reshape({x.size(0), cfg_.input}).to(cfg_.dtype);
}

// [v ⊕ onehot(y)] for a CVAE (Sohn et al. 2015, §4: the label enters both
// networks as extra input units); v itself otherwise. one_hot names a label
// outside [0, num_classes).
Var Vae::with_label(const Var& v, const Tensor& y) const {
  if (!conditional()) return v;
  if (!y.defined() || y.dim() != 1 || y.size(0) != v.size(0))
    fail("vae", "labels y " + (y.defined() ? shape_str(y.shape()) : std::string("(undefined)")) +
                    " do not match the rows of " + shape_str(v.shape()));
  return concat({v, Var(one_hot(y, cfg_.num_classes, cfg_.dtype))}, 1);
}

Vae::Posterior Vae::encode(const Var& x, const Tensor& y) {
  // The conv encoder sees images [N, 1, 28, 28]; the label joins after the convolutions.
  const Var features = enc_conv_ ? flatten((*enc_conv_)(reshape(x, {x.size(0), 1, 28, 28})), 1) : x;
  Var h = act((*enc_hidden_)(with_label(features, y)));
  for (const auto& layer : enc_deep_) h = act((*layer)(h));
  return {(*enc_mu_)(h), (*enc_logvar_)(h)};
}

Var Vae::decode(const Var& z, const Tensor& y) {
  if (z.dim() != 2 || z.size(1) != cfg_.latent)
    fail("vae decode", "z " + shape_str(z.shape()) + " does not match the latent size [M," + str(cfg_.latent) + "]");
  Var h = act((*dec_hidden_)(with_label(z, y)));
  for (const auto& layer : dec_deep_) h = act((*layer)(h));
  Var out = (*dec_out_)(h);
  if (!dec_deconv_) return out;
  const int64_t M = z.size(0);
  return reshape((*dec_deconv_)(reshape(relu(out), {M, 64, 7, 7})), {M, cfg_.input});
}

Var Vae::decoder_logvar() const {
  if (cfg_.likelihood != Likelihood::gaussian) return Var();
  if (!cfg_.learn_variance) return Var(full({cfg_.input}, cfg_.fixed_log_variance, cfg_.dtype));
  // s = floor + softplus(raw − floor): smooth, ≈ raw well above the floor, never below it.
  const double f = cfg_.log_variance_floor;
  return softplus(raw_logvar - f) + f;
}

Var Vae::log_likelihood(const Var& out, const Var& x) {
  if (cfg_.likelihood == Likelihood::bernoulli) {
    // log σ(l)·x + log(1 − σ(l))·(1 − x) = x·l − softplus(l), without overflow for any
    // logit (the same identity as nn::bce_with_logits, here broadcasting x over samples),
    // in one fused pass.
    return sum(bernoulli_log_prob(out, x), {-1});
  }
  Var s = decoder_logvar();
  return sum((s + square(x - out) * exp(neg(s)) + kLog2Pi) * -0.5, {-1});
}

Tensor Vae::mean_of(const Tensor& out) const {
  return cfg_.likelihood == Likelihood::bernoulli ? sigmoid(out) : out;
}

// ---- objectives ----

ElboTerms vae_loss(Vae& vae, const Tensor& x_, const Tensor& y, const Tensor& eps, double beta) {
  const Tensor x = vae.check_input("vae_loss", x_, y);
  const int64_t N = x.size(0), L = vae.config().latent;
  if (eps.shape() != Shape{N, L})
    fail("vae_loss", "eps " + shape_str(eps.shape()) + " does not match [N, latent] = " + shape_str({N, L}));
  auto q = vae.encode(Var(x), y);
  // z = μ + σ ⊙ ε with σ = exp(½ log σ²) (K&W eq. 10): the gradient reaches μ and log σ² through z.
  Var z = q.mu + exp(q.logvar * 0.5) * Var(eps.to(x.dtype()));
  Var recon = neg(mean(vae.log_likelihood(vae.decode(z, y), Var(x))));  // −E_q log p(x|z), 1 sample
  Var kl = nn::kl_normal(q.mu, q.logvar, nn::Reduction::mean);           // K&W appendix B
  ElboTerms t;
  t.loss = beta == 1.0 ? recon + kl : recon + kl * beta;  // Higgins et al. 2017, eq. 4
  t.recon = recon.item();
  t.kl = kl.item();
  return t;
}

ElboTerms vae_loss(Vae& vae, const Tensor& x, const Tensor& y, Generator& g, double beta) {
  return vae_loss(vae, x, y, normal({x.defined() ? x.size(0) : 0, vae.config().latent}, 0, 1, vae.config().dtype, &g),
                  beta);
}

Var log_importance_weights(Vae& vae, const Tensor& x_, const Tensor& y, const Tensor& eps) {
  const Tensor x = vae.check_input("log_importance_weights", x_, y);
  const int64_t N = x.size(0), L = vae.config().latent;
  if (eps.dim() != 3 || eps.size(1) != N || eps.size(2) != L || eps.size(0) < 1)
    fail("log_importance_weights",
         "eps " + shape_str(eps.shape()) + " does not match [k, N, latent] = [k," + str(N) + "," + str(L) + "]");
  const int64_t k = eps.size(0);
  auto q = vae.encode(Var(x), y);
  const Var e(eps.to(x.dtype()));
  Var z = unsqueeze(q.mu, 0) + exp(unsqueeze(q.logvar, 0) * 0.5) * e;  // [k, N, L]
  Tensor yk;  // every image's label repeated for each of its k samples, sample-major
  if (vae.conditional()) yk = y.unsqueeze(0).expand({k, N}).contiguous().reshape({k * N});
  Var out = reshape(vae.decode(reshape(z, {k * N, L}), yk), {k, N, vae.config().input});
  Var log_px = vae.log_likelihood(out, Var(x));                                      // [k, N]
  Var log_pz = sum(square(z) + kLog2Pi, {-1}) * -0.5;                                // log N(z; 0, I)
  Var log_qz = sum(square(e) + unsqueeze(q.logvar, 0) + kLog2Pi, {-1}) * -0.5;       // log q(z|x)
  return log_px + log_pz - log_qz;
}

ElboTerms iwae_loss(Vae& vae, const Tensor& x, const Tensor& y, const Tensor& eps) {
  Var lw = log_importance_weights(vae, x, y, eps);  // [k, N]
  const double log_k = std::log((double)lw.size(0));
  // L_k = E[log (1/k) Σ w_i] (Burda et al. eq. 8); logsumexp subtracts the max,
  // so weights of e^{−3000} (typical for 784 pixels) neither under- nor overflow.
  ElboTerms t;
  t.loss = neg(mean(logsumexp(lw, {0}) - log_k));
  {
    // The closed-form KL for reference, and recon = loss − kl, so that elbo()
    // is the k-sample bound (the IWAE objective does not split into two terms).
    NoGradGuard ng;
    auto q = vae.encode(Var(vae.check_input("iwae_loss", x, y)), y);
    t.kl = nn::kl_normal(q.mu, q.logvar, nn::Reduction::mean).item();
    t.recon = t.loss.item() - t.kl;
  }
  return t;
}

ElboTerms iwae_loss(Vae& vae, const Tensor& x, const Tensor& y, int64_t k, Generator& g) {
  if (k < 1) fail("iwae_loss", "needs k >= 1 samples, got " + str(k));
  return iwae_loss(vae, x, y, normal({k, x.defined() ? x.size(0) : 0, vae.config().latent}, 0, 1, vae.config().dtype, &g));
}

Tensor iw_log_likelihood(Vae& vae, const Tensor& x_, const Tensor& y, int64_t k, Generator& g, int64_t batch,
                         int64_t max_rows) {
  if (k < 1 || batch < 1 || max_rows < 1)
    fail("iw_log_likelihood", "needs k, batch, max_rows >= 1; got " + str(k) + ", " + str(batch) + ", " + str(max_rows));
  const Tensor x = vae.check_input("iw_log_likelihood", x_, y);
  NoGradGuard ng;
  const bool was_training = vae.is_training();
  vae.eval();
  const int64_t N = x.size(0), L = vae.config().latent;
  std::vector<Tensor> out;
  for (int64_t i = 0; i < N; i += batch) {
    const int64_t e = std::min(N, i + batch), n = e - i;
    const Tensor xb = x.slice(0, i, e), yb = y.defined() ? y.slice(0, i, e) : Tensor();
    const int64_t chunk = std::max<int64_t>(1, max_rows / n);
    // One logsumexp per chunk of samples, then a logsumexp of those: the same
    // value as one logsumexp over all k, without holding k × n decoder outputs.
    std::vector<Tensor> parts;
    for (int64_t s = 0; s < k; s += chunk) {
      const int64_t c = std::min(chunk, k - s);
      Var lw = log_importance_weights(vae, xb, yb, normal({c, n, L}, 0, 1, vae.config().dtype, &g));
      parts.push_back(logsumexp(lw.data().to(DType::f64), {0}, true));  // [1, n]
    }
    out.push_back(logsumexp(concat(parts, 0), {0}) - std::log((double)k));
  }
  vae.train(was_training);
  return concat(out, 0);
}

ElboTerms evaluate_elbo(Vae& vae, const Tensor& x_, const Tensor& y, Generator& g, int64_t batch) {
  const Tensor x = vae.check_input("evaluate_elbo", x_, y);
  NoGradGuard ng;
  const int64_t N = x.size(0);
  double recon = 0, kl = 0;
  for (int64_t i = 0; i < N; i += batch) {
    const int64_t e = std::min(N, i + batch);
    ElboTerms t = vae_loss(vae, x.slice(0, i, e), y.defined() ? y.slice(0, i, e) : Tensor(), g);
    recon += t.recon * (double)(e - i);
    kl += t.kl * (double)(e - i);
  }
  ElboTerms r;
  r.recon = recon / (double)N;
  r.kl = kl / (double)N;
  r.loss = Var(scalar(r.recon + r.kl, DType::f64));
  return r;
}

}  // namespace latent::models
