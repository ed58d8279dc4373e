// Chapter 07 — training a VAE by minibatch Adam on −ELBO (or the IWAE bound),
// see vae.h.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "models/ch07/vae.h"
#include "nn/checkpoint.h"
#include "nn/data.h"
#include "nn/optim.h"
#include "nn/progress.h"

namespace latent::models {

VaeEpoch train_vae(Vae& vae, const Tensor& x_, const Tensor& y, const VaeTrainOptions& opt) {
  const Tensor x = vae.check_input("train_vae", x_, y);
  if (opt.epochs < 0 || opt.batch_size < 1 || !(opt.lr > 0) || !(opt.beta >= 0) || opt.iwae_k < 0)
    fail("train_vae", "needs epochs >= 0, batch_size >= 1, lr > 0, beta >= 0, iwae_k >= 0; got " +
                          std::to_string(opt.epochs) + ", " + std::to_string(opt.batch_size) + ", " +
                          std::to_string(opt.lr) + ", " + std::to_string(opt.beta) + ", " + std::to_string(opt.iwae_k));
  TensorDataset data(x, y);
  DataLoader loader(data, opt.batch_size, {.shuffle = true, .seed = opt.seed});
  nn::Adam adam(vae.parameters(), opt.lr);
  // Two streams besides the shuffling: ε of the reparameterisation, and the
  // binarisation of each batch. Both are fixed by the seed.
  Generator g_eps(opt.seed ^ 0x9e3779b97f4a7c15ULL), g_bin(opt.seed ^ 0xbf58476d1ce4e5b9ULL);
  vae.train();
  VaeEpoch last;
  int64_t step = 0;
  for (int64_t e = 1; e <= opt.epochs; ++e) {
    const auto t0 = std::chrono::steady_clock::now();
    double loss = 0, recon = 0, kl = 0;
    int64_t seen = 0;
    for (auto& b : loader) {
      const Tensor xb = opt.binarize ? binarize_dynamic(b.x, g_bin) : b.x;
      adam.zero_grad();
      ElboTerms t = opt.iwae_k > 1 ? iwae_loss(vae, xb, b.y, opt.iwae_k, g_eps) : vae_loss(vae, xb, b.y, g_eps, opt.beta);
      // A NaN would silently spread into every weight through Adam; stop at the
      // first one instead, saying at which step.
      check_finite(t.loss, "VAE loss", step);
      t.loss.backward();
      adam.step();
      ++step;
      const double n = (double)xb.size(0);
      loss += t.loss.item() * n;
      recon += t.recon * n;
      kl += t.kl * n;
      seen += xb.size(0);
    }
    last = {e, loss / (double)seen, recon / (double)seen, kl / (double)seen,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    if (opt.on_epoch) opt.on_epoch(last);
  }
  return last;
}

std::vector<VaeStage> burda_schedule(int64_t stages) {
  if (stages < 1 || stages > 12) fail("burda_schedule", "needs 1 <= stages <= 12, got " + std::to_string(stages));
  std::vector<VaeStage> out;
  int64_t epochs = 1;
  for (int64_t i = 0; i < stages; ++i, epochs *= 3)
    out.push_back({i, epochs, 1e-3 * std::pow(10.0, -(double)i / 7.0)});
  return out;
}

namespace {

// What a stage's checkpoint records besides the weights: everything that shaped them. The
// decoder's likelihood too: a Bernoulli and a fixed-variance Gaussian VAE have the same
// parameters, so load_checkpoint alone would take one for the other.
// "start" is the fingerprint of the weights the chain of stages started from (nn/checkpoint.h):
// the fresh model's for a schedule from scratch, the trained model's for a fine-tune. Without
// it, a fine-tune of an earlier model would pass every other check and be loaded over new weights.
std::map<std::string, double> stage_meta(const VaeStage& s, const VaeTrainOptions& opt, int64_t n, const Vae& vae,
                                         double start) {
  const VaeConfig& c = vae.config();
  const bool gaussian = c.likelihood == Likelihood::gaussian;
  return {{"stage", (double)s.index},       {"epochs", (double)s.epochs},        {"lr", s.lr},
          {"seed", (double)opt.seed},       {"batch_size", (double)opt.batch_size}, {"beta", opt.beta},
          {"iwae_k", (double)opt.iwae_k},   {"binarize", opt.binarize ? 1.0 : 0.0}, {"examples", (double)n},
          {"gaussian", gaussian ? 1.0 : 0.0},
          {"fixed_log_variance", gaussian && !c.learn_variance ? c.fixed_log_variance : 0.0},
          {"start", start}};
}

// How a checkpoint's "model." tensors differ from the model's names, shapes and dtypes: the first
// difference, or "" when they are the same (what load_checkpoint's strict load needs).
std::string layout_difference(const std::map<std::string, Tensor>& saved, const Vae& vae) {
  const auto state = vae.state_dict();
  for (const auto& [name, t] : state) {
    const auto it = saved.find("model." + name);
    if (it == saved.end()) return "it has no " + name;
    if (it->second.shape() != t.shape())
      return name + " is " + shape_str(it->second.shape()) + " there, " + shape_str(t.shape()) + " here";
    if (it->second.dtype() != t.dtype())
      return name + " is " + dtype_name(it->second.dtype()) + " there, " + dtype_name(t.dtype()) + " here";
  }
  for (const auto& [name, t] : saved)
    if (name.rfind("model.", 0) == 0 && !state.count(name.substr(6))) return "it has " + name.substr(6) + ", this model has not";
  return "";
}

}  // namespace

int64_t train_vae_staged(Vae& vae, const Tensor& x, const Tensor& y, const std::vector<VaeStage>& stages,
                         const VaeTrainOptions& opt, const std::string& checkpoint_prefix,
                         const std::function<void(const VaeStage&, bool)>& on_stage) {
  auto file_of = [&](const VaeStage& s) { return checkpoint_prefix + "stage" + std::to_string(s.index) + ".ckpt"; };
  // The starting weights' fingerprint, before any stage is loaded or trained; only stage files
  // carry it, so a run without them skips the hash.
  const double start = checkpoint_prefix.empty() ? 0.0 : weights_fingerprint(vae);
  // Resume after the last stage whose file exists (earlier files are not needed).
  size_t first = 0;
  if (!checkpoint_prefix.empty()) {
    for (size_t i = stages.size(); i-- > 0;) {
      const std::string file = file_of(stages[i]);
      if (!std::filesystem::exists(file)) continue;
      // Check what the file says it is before touching the model.
      const auto saved = load_tensors(file);
      const auto want = stage_meta(stages[i], opt, x.size(0), vae, start);
      // A file of another architecture is named as such first: its other fingerprint would be a
      // misleading reason.
      if (const std::string d = layout_difference(saved, vae); !d.empty())
        fail("train_vae_staged", file + " does not match this model (" + d + ")");
      for (const std::string key : {"stage", "epochs", "lr", "seed", "batch_size", "beta", "iwae_k", "binarize",
                                    "examples", "gaussian", "fixed_log_variance", "start"}) {  // the stage first: the likeliest mix-up
        const auto it = saved.find("meta." + key);
        const double got = it == saved.end() ? NAN : it->second.item(), w = want.at(key);
        // A fingerprint must match exactly (an integer below 2^52, exact in a float64).
        if (key == "start" ? got == w : std::fabs(got - w) <= 1e-12 * std::fabs(w)) continue;
        if (key == "start" && it == saved.end())
          fail("train_vae_staged", file + " predates the fingerprint of starting weights in stage files, so "
                                       "it cannot be checked against this model; delete it (and later stages' "
                                       "files) to retrain");
        if (key == "start")
          fail("train_vae_staged", file + " continues training from other starting weights (fingerprint " +
                                       num_str(got, 17) + ", this model's is " + num_str(w, 17) +
                                       "): another seed, or a model trained differently before these stages; "
                                       "delete it (and later stages' files) to retrain");
        fail("train_vae_staged", file + " was written with " + key + " = " + num_str(got, 17) + ", this run has " +
                                     num_str(w, 17) + "; delete it (and later stages' files) to retrain");
      }
      load_checkpoint(file, vae);  // strict: a file of another architecture is an error, the model untouched
      if (on_stage) on_stage(stages[i], true);
      first = i + 1;
      break;
    }
  }
  for (size_t i = first; i < stages.size(); ++i) {
    const VaeStage& s = stages[i];
    VaeTrainOptions o = opt;
    // Stage i's seed: opt.seed mixed with i by an odd 64-bit multiplier, so that two runs whose
    // base seeds are close (the tutorial's parts) never share a stage's stream, as they would
    // with opt.seed + i. (Not train_vae's own constant for its ε stream, which would cancel.)
    o.epochs = s.epochs, o.lr = s.lr, o.seed = opt.seed ^ (0xD1342543DE82EF95ULL * (uint64_t)(s.index + 1));
    train_vae(vae, x, y, o);
    if (!checkpoint_prefix.empty()) save_checkpoint(file_of(s), vae, nullptr, nullptr, stage_meta(s, opt, x.size(0), vae, start));
    if (on_stage) on_stage(s, false);
  }
  return (int64_t)first;
}

}  // namespace latent::models
