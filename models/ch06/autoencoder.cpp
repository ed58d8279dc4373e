// Chapter 06 — the MLP autoencoder, its penalties (L1, KL sparsity,
// contractive), corruption for denoising, and the objective (autoencoder.h).
#include "models/ch06/autoencoder.h"

#include <algorithm>
#include <cmath>

#include "nn/data.h"
#include "nn/init.h"
#include "nn/loss.h"
#include "tensor/index.h"

namespace latent::models {

namespace {

std::string str(int64_t v) { return std::to_string(v); }

// A Linear layer in the given dtype with Glorot-uniform weights drawn from g and zero biases,
// so a seed fixes the whole model (as chapter 05's random_autoencoder).
std::shared_ptr<nn::Linear> make_linear(int64_t in, int64_t out, DType dtype, Generator& g) {
  auto lin = nn::make<nn::Linear>(in, out);
  for (Var* p : {&lin->weight, &lin->bias})
    if (dtype != p->dtype()) p->node()->value = p->data().to(dtype);  // the Node is shared with the parameter list
  nn::init::xavier_uniform(lin->weight, 1.0, &g);
  nn::init::constant(lin->bias, 0.0);
  return lin;
}

}  // namespace

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::sigmoid: return "sigmoid";
    case Activation::relu: return "relu";
    case Activation::linear: return "linear";
  }
  return "?";
}

Var activate(const Var& x, Activation a) {
  switch (a) {
    case Activation::sigmoid: return sigmoid(x);
    case Activation::relu: return relu(x);
    case Activation::linear: return x;
  }
  return x;
}

Autoencoder::Autoencoder(const AutoencoderConfig& c) : cfg_(c) {
  std::vector<int64_t> sizes = {c.input};
  sizes.insert(sizes.end(), c.hidden.begin(), c.hidden.end());
  sizes.push_back(c.code);
  std::string s;
  for (int64_t v : sizes) s += (s.empty() ? "" : "-") + str(v);
  for (int64_t v : sizes)
    if (v < 1) fail("Autoencoder", "every size must be positive, got " + s);
  if (c.undercomplete && c.code >= c.input)
    fail("Autoencoder", "an undercomplete code must be narrower than the input: code " + str(c.code) + " >= input " +
                            str(c.input) + " (set undercomplete = false for an overcomplete code)");
  if (c.dtype != DType::f32 && c.dtype != DType::f64) fail("Autoencoder", "dtype must be f32 or f64");
  Generator g(c.seed);
  for (size_t l = 0; l + 1 < sizes.size(); ++l)
    enc_.push_back(register_module("enc" + str((int64_t)l), make_linear(sizes[l], sizes[l + 1], c.dtype, g)));
  for (size_t l = sizes.size() - 1; l > 0; --l)
    dec_.push_back(register_module("dec" + str((int64_t)(sizes.size() - 1 - l)),
                                   make_linear(sizes[l], sizes[l - 1], c.dtype, g)));
}

std::string Autoencoder::describe() const {
  std::string s = "autoencoder " + str(cfg_.input);
  for (int64_t h : cfg_.hidden) s += "-" + str(h);
  s += "-" + str(cfg_.code) + " (";
  if (!cfg_.hidden.empty()) s += std::string(activation_name(cfg_.hidden_activation)) + " hidden, ";
  return s + activation_name(cfg_.code_activation) + " code, " + activation_name(cfg_.output_activation) + " output)";
}

Tensor Autoencoder::check_input(const std::string& op, const Tensor& x) const {
  if (!x.defined() || x.dim() < 2 || x.size(0) < 1 || x.numel() != x.size(0) * cfg_.input)
    fail(op, "x " + (x.defined() ? shape_str(x.shape()) : std::string("(undefined)")) +
                 " does not match the autoencoder's input [N," + str(cfg_.input) + "]");
  return x.reshape({x.size(0), cfg_.input}).to(cfg_.dtype);
}

std::vector<Var> Autoencoder::encode_layers(const Var& x) {
  if (x.dim() != 2 || x.size(1) != cfg_.input)
    fail("autoencoder encode", "x " + shape_str(x.shape()) + " does not match the input [N," + str(cfg_.input) + "]");
  std::vector<Var> out;
  Var h = x;
  for (size_t l = 0; l < enc_.size(); ++l) {
    const bool code = l + 1 == enc_.size();
    h = activate((*enc_[l])(h), code ? cfg_.code_activation : cfg_.hidden_activation);
    out.push_back(h);
  }
  return out;
}

Var Autoencoder::encode(const Var& x) { return encode_layers(x).back(); }

Var Autoencoder::decode_preactivation(const Var& h) {
  if (h.dim() != 2 || h.size(1) != cfg_.code)
    fail("autoencoder decode", "code " + shape_str(h.shape()) + " does not match the code size [N," + str(cfg_.code) + "]");
  Var v = h;
  for (size_t l = 0; l < dec_.size(); ++l) {
    v = (*dec_[l])(v);
    if (l + 1 < dec_.size()) v = activate(v, cfg_.hidden_activation);
  }
  return v;
}

Var Autoencoder::decode(const Var& h) { return activate(decode_preactivation(h), cfg_.output_activation); }

namespace {

}  // namespace

Tensor eval_in_batches(nn::Module& m, const Tensor& x, int64_t batch, const std::function<Var(const Var&)>& f,
                       const std::string& op) {
  if (batch < 1) fail(op, "needs batch >= 1, got " + str(batch));
  NoGradGuard ng;
  const bool was = m.is_training();
  m.eval();
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.size(0); i += batch) out.push_back(f(Var(x.slice(0, i, std::min(x.size(0), i + batch)))).data());
  m.train(was);
  return concat(out, 0);
}

Tensor Autoencoder::codes(const Tensor& x, int64_t batch) {
  return eval_in_batches(*this, check_input("autoencoder codes", x), batch, [&](const Var& v) { return encode(v); },
                         "autoencoder codes");
}

Tensor Autoencoder::reconstruct(const Tensor& x, int64_t batch) {
  return eval_in_batches(*this, check_input("autoencoder reconstruct", x), batch,
                         [&](const Var& v) { return forward(v); }, "autoencoder reconstruct");
}

// ---- penalties ----

Var l1_activation_penalty(const Var& h) {
  if (h.dim() != 2) fail("l1_activation_penalty", "activations must be [N, k], got " + shape_str(h.shape()));
  return sum(abs(h)) / (double)h.size(0);
}

Var kl_sparsity_penalty(const Var& h, double rho) {
  if (!(rho > 0 && rho < 1)) fail("kl_sparsity_penalty", "the target rho must be in (0, 1), got " + std::to_string(rho));
  if (h.dim() != 2 || h.size(0) < 1) fail("kl_sparsity_penalty", "activations must be [N, k], got " + shape_str(h.shape()));
  // ρ̂ is a mean over the batch: the gradient reaching h_nj is (1/N)(−ρ/ρ̂_j + (1−ρ)/(1−ρ̂_j)),
  // the "sparsity term" Ng's notes add to each hidden unit's δ in backpropagation.
  Var rho_hat = clamp(mean(h, {0}), 1e-6, 1 - 1e-6);
  return sum(rho * log(rho / rho_hat) + (1 - rho) * log((1 - rho) / (1 - rho_hat)));
}

Var contractive_penalty(const Var& h, const Var& W) {
  if (h.dim() != 2 || W.dim() != 2 || W.size(0) != h.size(1))
    fail("contractive_penalty", "needs h [N, k] and the encoder weight W [k, D]; got h " + shape_str(h.shape()) +
                                    " and W " + shape_str(W.shape()));
  Var row_norms = sum(square(W), {1});             // Σ_i W_ji²  [k]
  Var slope = square(h * (1.0 - h));               // (h_j (1 − h_j))², σ'(a) = σ(a)(1 − σ(a))  [N, k]
  return sum(slope * row_norms) / (double)h.size(0);
}

// ---- corruption ----

std::string corruption_name(const Corruption& c) {
  char buf[64];
  switch (c.kind) {
    case Corruption::Kind::none: return "none";
    case Corruption::Kind::masking: std::snprintf(buf, sizeof buf, "masking %g%%", 100 * c.level); return buf;
    case Corruption::Kind::gaussian: std::snprintf(buf, sizeof buf, "gaussian sigma=%g", c.level); return buf;
  }
  return "?";
}

Tensor corrupt(const Tensor& x, const Corruption& c, Generator& g) {
  switch (c.kind) {
    case Corruption::Kind::none: return x;
    case Corruption::Kind::masking:
      if (!(c.level >= 0 && c.level <= 1))
        fail("corrupt", "the masked fraction must be in [0, 1], got " + std::to_string(c.level));
      return mask_noise(x, c.level, g);
    case Corruption::Kind::gaussian:
      if (!(c.level >= 0)) fail("corrupt", "the noise std must be >= 0, got " + std::to_string(c.level));
      return gaussian_noise(x, c.level, g);
  }
  return x;
}

// ---- the objective ----

void check_objective(const std::string& op, const Autoencoder& ae, const AeObjective& o) {
  const AutoencoderConfig& c = ae.config();
  if (o.loss == ReconstructionLoss::cross_entropy && c.output_activation != Activation::sigmoid)
    fail(op, std::string("the cross-entropy needs a sigmoid output, this one is ") + activation_name(c.output_activation));
  if (!(o.l1 >= 0) || !(o.sparsity_weight >= 0) || !(o.contractive >= 0))
    fail(op, "penalty weights must be >= 0; got l1 " + std::to_string(o.l1) + ", sparsity " +
                 std::to_string(o.sparsity_weight) + ", contractive " + std::to_string(o.contractive));
  if (o.sparsity_weight > 0) {
    if (!(o.sparsity_target > 0 && o.sparsity_target < 1))
      fail(op, "the sparsity target rho must be in (0, 1), got " + std::to_string(o.sparsity_target));
    if (c.code_activation != Activation::sigmoid)
      fail(op, std::string("the KL sparsity penalty needs a sigmoid code (mean activations in (0, 1)), this one is ") +
                   activation_name(c.code_activation));
  }
  if (o.contractive > 0 && (!c.hidden.empty() || c.code_activation != Activation::sigmoid))
    fail(op, "the contractive penalty's closed form needs one sigmoid encoder layer h = sigmoid(Wx + b); this is " +
                 ae.describe());
}

AeTerms autoencoder_loss(Autoencoder& ae, const Tensor& x_clean, const Tensor& x_input, const AeObjective& o) {
  check_objective("autoencoder_loss", ae, o);
  const Tensor x = ae.check_input("autoencoder_loss", x_clean), xi = ae.check_input("autoencoder_loss", x_input);
  if (x.size(0) != xi.size(0))
    fail("autoencoder_loss", "clean " + shape_str(x_clean.shape()) + " and input " + shape_str(x_input.shape()) +
                                 " differ in batch size");
  const double N = (double)x.size(0);
  std::vector<Var> layers = ae.encode_layers(Var(xi));
  const Var& h = layers.back();
  Var recon = o.loss == ReconstructionLoss::cross_entropy
                  ? nn::bce_with_logits(ae.decode_preactivation(h), Var(x), nn::Reduction::sum) / N
                  : sum(square(ae.decode(h) - Var(x))) / N;
  Var penalty;
  auto add = [&](const Var& p) { penalty = penalty.defined() ? penalty + p : p; };
  if (o.l1 > 0) add(l1_activation_penalty(h) * o.l1);
  if (o.sparsity_weight > 0) add(kl_sparsity_penalty(h, o.sparsity_target) * o.sparsity_weight);
  if (o.contractive > 0) add(contractive_penalty(h, ae.encoder_linears()[0]->weight) * o.contractive);
  AeTerms t;
  t.recon = recon.item();
  t.penalty = penalty.defined() ? penalty.item() : 0.0;
  t.loss = penalty.defined() ? recon + penalty : recon;
  return t;
}

double squared_error_per_image(Autoencoder& ae, const Tensor& x) {
  const Tensor X = ae.check_input("squared_error_per_image", x);
  return sum(square(ae.reconstruct(X).to(DType::f64) - X.to(DType::f64))).item() / (double)X.size(0);
}

}  // namespace latent::models
