// Chapter 07 — variational autoencoders: the ELBO and its two terms, the
// reparameterisation trick at work, samples, interpolations, the 2-d latent
// manifold, β-VAE traversals, a conditional VAE's digits by class, the
// importance-weighted log-likelihood, IWAE training and a convolutional VAE.
// Five parts (--part): vae (Burda et al.'s model and schedule, its NLL; the
// full setting's 3,280 epochs resume from per-stage checkpoints), iwae, conv (a
// convolutional VAE on the schedule's first stages, its NLL), conv-iwae (that
// VAE fine-tuned on the IWAE bound, its NLL), side.
// Read along: docs/07-variational-autoencoders.md.
#include <chrono>
#include <cmath>
#include <optional>

#include "models/ch07/vae.h"
#include "nn/data.h"
#include "nn/image.h"
#include "nn/plot.h"
#include "tensor/index.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {

using namespace latent::models;
using Clock = std::chrono::steady_clock;

// Everything that differs between the quick tour and the full setting.
struct Setting {
  std::string name;
  VaeConfig vae;            // the main VAE (Bernoulli decoder, dynamic binarisation)
  int64_t stages;           // of Burda et al.'s schedule: stage i is 3^i epochs (burda_schedule)
  int64_t side_hidden, side_epochs;  // the 2-d, β-VAE and CVAE models
  int64_t iw_k, iw_images;  // importance samples per test image, test images scored
  int64_t iwae_k, iwae_stages;  // IWAE training, beside a VAE given the same stages
  int64_t conv_stages;          // the convolutional VAE's share of the schedule
  int64_t warm_epochs;          // then on the IWAE bound (part conv-iwae)
};

Setting setting_for(bool quick) {
  // Burda et al. 2016's one-stochastic-layer model: 784-200-200-50, tanh, in both settings
  // (the quick tour with 20 latent units). Full: their whole schedule, 3,280 epochs.
  const VaeConfig burda{.hidden = 200, .latent = 50, .depth = 2, .tanh = true};
  if (quick) {
    VaeConfig small = burda;
    small.latent = 20;
    return {.name = "quick: embedded 2,000 train / 500 test", .vae = small, .stages = 4, .side_hidden = 200,
            .side_epochs = 10, .iw_k = 200, .iw_images = 200, .iwae_k = 5, .iwae_stages = 3, .conv_stages = 3,
            .warm_epochs = 1};
  }
  return {.name = "full: 60,000 train / 10,000 test", .vae = burda, .stages = 8, .side_hidden = 500,
          .side_epochs = 30, .iw_k = 5000, .iw_images = 10000, .iwae_k = 50, .iwae_stages = 4, .conv_stages = 5,
          .warm_epochs = 1};
}

int64_t epochs_of(int64_t stages) {
  int64_t n = 0;
  for (const VaeStage& s : burda_schedule(stages)) n += s.epochs;
  return n;
}

// Binarised test images, fixed once (a Bernoulli draw of the grey levels, seeded): every model
// is scored on the same bits.
Tensor binarised(const Tensor& grey, uint64_t seed) {
  Generator g(seed);
  return binarize_dynamic(grey, g);
}

std::string nats(double v) { return fmt("%.2f", v); }
// 1e-4 as the narration writes rates (printf's %e gives 1e-04)
std::string rate_str(double r) {
  std::string s = fmt("%.0e", r);
  const size_t p = s.find("e-0");
  if (p != std::string::npos) s.erase(p + 2, 1);
  return s;
}
std::string epochs_str(int64_t n) { return std::to_string(n) + (n == 1 ? " epoch" : " epochs"); }

void grid(Tutorial& T, const std::string& file, const Tensor& imgs, int64_t cols, const std::string& what) {
  write_image_grid(T.path(file), imgs.reshape({imgs.size(0), 28, 28}), cols);
  T.wrote(T.path(file), what);
}

Vae train(Tutorial& T, const std::string& label, VaeConfig cfg, const Tensor& X, const Tensor& y, int64_t epochs,
          double beta = 1.0, int64_t iwae_k = 0) {
  Vae vae(cfg);
  const auto t0 = Clock::now();
  std::vector<double> curve;
  train_vae(vae, X, y, {.epochs = epochs, .batch_size = 100, .lr = 1e-3, .beta = beta, .binarize = true,
                        .iwae_k = iwae_k, .seed = cfg.seed,
                        .on_epoch = [&](const VaeEpoch& e) {
                          curve.push_back(-e.loss);
                          // long runs say where they are: a line every 10 % of the epochs (from 20 epochs up)
                          if (epochs >= 20 && (int64_t)curve.size() % (epochs / 10) == 0)
                            T.say("    " + label + " epoch " + std::to_string(curve.size()) + "/" +
                                  std::to_string(epochs) + ": training bound " + nats(curve.back()) + " nats, " +
                                  fmt("%.0f s", seconds_since(t0)));
                        }});
  T.say("  " + label + ": " + vae.describe() + ", " + std::to_string(epochs) + " epochs in " +
        fmt("%.0f s", seconds_since(t0)) + " (training bound " + nats(curve.back()) + " nats)");
  return vae;
}

// Burda et al.'s schedule, stage by stage, with a line per stage and the test -ELBO after it.
// checkpoints: a file prefix (the full setting), so a run of hours resumes after its last
// finished stage; empty: nothing written. *loaded: the stages that came from a file.
Vae train_staged(Tutorial& T, const std::string& label, const VaeConfig& cfg, const Tensor& X, int64_t stages,
                 const Tensor& Xtest, int64_t iwae_k = 0, const std::string& checkpoints = "",
                 int64_t* loaded = nullptr) {
  Vae vae(cfg);
  const auto t0 = Clock::now();
  Generator g(cfg.seed + 100);
  VaeTrainOptions opt{.batch_size = 100, .binarize = true, .iwae_k = iwae_k, .seed = cfg.seed + 10};
  const int64_t from_files = train_vae_staged(vae, X, Tensor(), burda_schedule(stages), opt, checkpoints,
                                              [&](const VaeStage& s, bool from_file) {
    T.say("    " + label + " stage " + std::to_string(s.index) + ": " +
          (from_file ? "stages 0-" + std::to_string(s.index) + " loaded from " + checkpoints + "stage" +
                           std::to_string(s.index) + ".ckpt"
                     : std::to_string(s.epochs) + " epochs at " + fmt("%.2e", s.lr)) +
          ", " + std::to_string(epochs_of(s.index + 1)) + " epochs in all: test -ELBO " +
          nats(-evaluate_elbo(vae, Xtest, Tensor(), g).elbo()) + " nats, " + fmt("%.0f s", seconds_since(t0)));
  });
  T.say("  " + label + ": " + vae.describe() + ", " + std::to_string(epochs_of(stages)) + " epochs (stages 0-" +
        std::to_string(stages - 1) + ") in " + fmt("%.0f s", seconds_since(t0)) +
        (from_files > 0 ? " (the first " + std::to_string(from_files) + " stage(s) from an earlier run's checkpoint)"
                        : ""));
  if (loaded) *loaded = from_files;
  return vae;
}

// The test -ELBO with its two terms, said (and reported as a figure unless !as_figure); returns the figure's setting
// text (what was trained, and how many stages came from a checkpoint).
std::string report_elbo(Tutorial& T, const std::string& label, Vae& vae, const Tensor& Xtest, Generator& g,
                        const std::string& what, int64_t loaded, bool as_figure = true) {
  const ElboTerms e = evaluate_elbo(vae, Xtest, Tensor(), g);
  T.say("  test: reconstruction " + nats(e.recon) + " + KL " + nats(e.kl) + " = -ELBO " + nats(-e.elbo()) +
        " nats per image");
  const std::string trained =
      what + (loaded > 0 ? " (stages 0-" + std::to_string(loaded - 1) + " from a checkpoint)" : "");
  if (as_figure)
    T.figure({label + " test -ELBO", -e.elbo(), "nats", "reconstruction + KL; the NLL below is lower", trained});
  return trained;
}

// The importance-weighted NLL, -mean log p(x) estimated with k samples, 1,000 images at a time
// so that a long estimate (k = 5000 on 10,000 images: 50 million decoder passes) says where it is;
// then one line with the result and the time, under the model's name.
double iw_nll(Tutorial& T, const std::string& name, Vae& vae, const Tensor& X, int64_t k, Generator& g) {
  const auto t0 = Clock::now();
  const int64_t n = X.size(0), chunk = 1000;
  double total = 0;
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t j = std::min(n, i + chunk);
    total -= sum(iw_log_likelihood(vae, X.slice(0, i, j), Tensor(), k, g)).item();
    if (n > chunk)
      T.say("    NLL (k = " + std::to_string(k) + ") over test images 0-" + std::to_string(j - 1) + ": " +
            nats(total / (double)j) + " nats, " + fmt("%.0f s", seconds_since(t0)));
  }
  T.say("  " + name + " on " + std::to_string(n) + " test images: NLL (k = " + std::to_string(k) + ") " +
        nats(total / (double)n) + " nats, in " + fmt("%.0f s", seconds_since(t0)));
  return total / (double)n;
}

}  // namespace

void run_chapter07(Tutorial& T) {
  const bool quick = T.quick();
  const Setting S = setting_for(quick);
  const uint64_t seed = T.options().seed;
  T.step("The data", "MNIST grey levels; every minibatch is a fresh Bernoulli draw of them (dynamic\n"
                     "binarisation, as Burda et al. 2016), so the decoder's Bernoulli likelihood is a density.");
  Mnist data = quick ? load_mnist_embedded() : load_mnist("", /*allow_embedded=*/false);
  T.say(data.source);
  const Tensor X = data.train.images.reshape({data.train.size(), 784});
  const Tensor Xtest = binarised(data.test.images.reshape({data.test.size(), 784}), 100 + seed);
  const Tensor ytrain = data.train.labels, ytest = data.test.labels;
  const Tensor Xiw = Xtest.slice(0, 0, std::min(S.iw_images, Xtest.size(0)));  // the NLL's test images

  const std::string arch = "784-" + std::to_string(S.vae.hidden) + "-" + std::to_string(S.vae.hidden) + "-" +
                           std::to_string(S.vae.latent) + " tanh";
  if (T.runs_part("vae")) {
    T.step("The ELBO, and its two terms",
           "log p(x) >= ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)). The encoder outputs mu and log sigma^2;\n"
           "z = mu + sigma * eps moves the randomness into eps, so gradients reach the encoder through z.\n"
           "Minimising -ELBO trades reconstruction (first term) against staying close to the prior (KL).\n"
           "The model and schedule are Burda et al. 2016's: two tanh layers of 200 on each side, and stage i\n"
           "of training runs 3^i epochs at Adam rate 1e-3 * 10^(-i/7) (" + std::to_string(S.stages) + " stages, " +
               std::to_string(epochs_of(S.stages)) + " epochs; batch 100 where they used 20).");
    VaeConfig cfg = S.vae;
    cfg.seed = seed + 1;
    // The full run takes hours: each stage's weights are kept, and a rerun resumes after the last.
    int64_t loaded = 0;
    Vae vae = train_staged(T, "VAE", cfg, X, S.stages, Xtest, 0,
                           quick ? "" : T.path("vae_full_seed" + std::to_string(seed) + "_"), &loaded);
    Generator g(seed + 2);
    const std::string trained =
        report_elbo(T, "VAE", vae, Xtest, g,
                    S.name + ", " + arch + ", " + std::to_string(epochs_of(S.stages)) + " epochs", loaded);

    T.step("Reconstructions, samples, interpolation",
           "Reconstructions decode z = mu(x). Samples decode z ~ N(0, I): the prior is where the decoder\n"
           "must be good, and the KL term is what pulls the codes there. Interpolation walks a straight\n"
           "line between two digits' codes.");
    grid(T, "reconstructions.png", concat({Xtest.slice(0, 0, 10), reconstruct(vae, Xtest.slice(0, 0, 10))}, 0), 10,
         "top: test digits; bottom: reconstructions");
    grid(T, "samples.png", sample_prior(vae, 100, g), 10, "100 samples from the prior (decoder means)");
    std::vector<Tensor> rows;
    for (int64_t i = 0; i < 5; ++i)
      rows.push_back(interpolate(vae, Xtest.slice(0, 2 * i, 2 * i + 1), Xtest.slice(0, 2 * i + 1, 2 * i + 2), 10));
    grid(T, "interpolations.png", concat(rows, 0), 10, "each row: the decoded line between two test digits' codes");

    T.step("The log-likelihood, by importance sampling",
           "log p(x) = log E_q[p(x,z)/q(z|x)] >= E_q[log p(x,z)/q(z|x)] = ELBO. With k samples the average\n"
           "of the k weights sits inside the log: the bound tightens as k grows (Burda et al. 2016), and at\n"
           "k = 5000 it is the standard estimate of a VAE's negative log-likelihood.");
    const double nll = iw_nll(T, "VAE", vae, Xiw, S.iw_k, g);
    T.say("  its -ELBO on the same images: " + nats(-evaluate_elbo(vae, Xiw, Tensor(), g).elbo()) + " nats");
    T.figure({"VAE test NLL (IW, k=" + std::to_string(S.iw_k) + ")", nll, "nats",
              "86.76 (Burda et al. 2016, VAE k=1, 3,280 epochs)",
              trained + ", " + std::to_string(Xiw.size(0)) + " test images"});
  }

  if (T.runs_part("iwae")) {
    T.step("Training on the IWAE bound",
           "Maximise the k-sample bound instead of the ELBO: the encoder no longer has to cover the\n"
           "posterior with one Gaussian, since k weighted samples may share the work (Burda et al. 2016).\n"
           "Each step decodes k samples per image, so k = " + std::to_string(S.iwae_k) + " costs about " +
               std::to_string(S.iwae_k) + " times the decoder's work.\nBoth models here get the same first " +
               std::to_string(S.iwae_stages) + " stages (" + std::to_string(epochs_of(S.iwae_stages)) +
               " epochs) of the schedule, not the 3,280 epochs of the paper's figures.");
    VaeConfig cfg = S.vae;
    cfg.seed = seed + 3;
    Vae vae = train_staged(T, "VAE (k=1)", cfg, X, S.iwae_stages, Xtest);
    Vae iwae = train_staged(T, "IWAE k=" + std::to_string(S.iwae_k), cfg, X, S.iwae_stages, Xtest, S.iwae_k);
    Generator g(seed + 2);
    const double nll_vae = iw_nll(T, "VAE (k=1)", vae, Xiw, S.iw_k, g);
    const double nll_iwae = iw_nll(T, "IWAE k=" + std::to_string(S.iwae_k), iwae, Xiw, S.iw_k, g);
    T.say("  NLL (k = " + std::to_string(S.iw_k) + ", " + std::to_string(Xiw.size(0)) + " test images) after " +
          std::to_string(epochs_of(S.iwae_stages)) + " epochs each: VAE " + nats(nll_vae) + ", IWAE " + nats(nll_iwae) +
          " nats");
    const std::string same = S.name + ", " + arch + ", " + std::to_string(epochs_of(S.iwae_stages)) +
                             " epochs (stages 0-" +
                             std::to_string(S.iwae_stages - 1) + ")";
    T.figure({"VAE k=1 test NLL, same budget as the IWAE", nll_vae, "nats", "the IWAE row's comparison", same});
    T.figure({"IWAE k=" + std::to_string(S.iwae_k) + " test NLL", nll_iwae, "nats",
              "84.78 (Burda et al. 2016, IWAE k=50, 3,280 epochs)", same});
  }

  // The conv VAE, trained (or loaded from its stage files) once for the two parts that use it.
  // Its -ELBO is a figure of part conv only (part conv-iwae, run alone, just says it).
  std::optional<Vae> conv;
  std::string conv_trained;
  int64_t conv_loaded = 0;  // its stages that came from files
  Generator gc(seed + 8);
  auto conv_vae = [&]() -> Vae& {
    if (conv) return *conv;
    VaeConfig cfg{.hidden = 256, .latent = S.vae.latent, .arch = VaeArch::conv, .seed = seed + 7};
    conv.emplace(train_staged(T, "conv VAE", cfg, X, S.conv_stages, Xtest, 0,
                              quick ? "" : T.path("conv_vae_seed" + std::to_string(seed) + "_"), &conv_loaded));
    conv_trained = report_elbo(T, "conv VAE", *conv, Xtest, gc,
                               S.name + ", conv 28x28-c32-c64-256-" + std::to_string(S.vae.latent) + ", " +
                                   std::to_string(epochs_of(S.conv_stages)) + " epochs", conv_loaded,
                               T.runs_part("conv"));
    return *conv;
  };

  if (T.runs_part("conv")) {
    T.step("A convolutional VAE, scored like Burda et al.'s",
           "Strided convolutions in the encoder (28 -> 14 -> 7), transposed convolutions in the decoder: the\n"
           "same objective and one stochastic layer of " + std::to_string(S.vae.latent) +
               " units, as Burda et al.'s MLP (part vae), but\n"
           "weights shared across positions, so the model learns strokes once rather than at every pixel.\n"
           "It gets the first " + std::to_string(S.conv_stages) + " stages of their schedule (" +
               std::to_string(epochs_of(S.conv_stages)) + " epochs) and the same importance-sampled NLL as part vae.");
    Vae& vae = conv_vae();
    grid(T, "conv_samples.png", sample_prior(vae, 100, gc), 10, "100 samples from the conv VAE's prior");
    const double nll = iw_nll(T, "conv VAE", vae, Xiw, S.iw_k, gc);
    T.figure({"conv VAE test NLL (IW, k=" + std::to_string(S.iw_k) + ")", nll, "nats",
              "no published figure; Burda et al.'s MLP VAE: 86.76 after 3,280 epochs",
              conv_trained + ", " + std::to_string(Xiw.size(0)) + " test images"});
  }

  if (T.runs_part("conv-iwae")) {
    // One more stage after the conv VAE's, on the k-sample bound: the encoder's q(z|x) no longer
    // has to cover the posterior alone (part iwae), and a VAE's weights are a good place to start
    // from, at a rate below the schedule's last one so that the decoder is nudged, not retrained.
    const VaeStage warm{.index = S.conv_stages, .epochs = S.warm_epochs, .lr = 1e-4};
    T.step("The conv VAE, fine-tuned on the IWAE bound",
           "Training on the k = " + std::to_string(S.iwae_k) +
               " bound from scratch costs k times a VAE's decoder work in\n"
           "every epoch of the schedule. Here the conv VAE of part conv (trained first if that part did not\n"
           "run, or loaded from its stage files) gets one more stage: " + epochs_str(warm.epochs) + " at rate " +
               rate_str(warm.lr) + " on the bound.\nThe same estimate then scores it. A warm start on a conv model, " +
               "not Burda et al.'s IWAE,\nwhich trains their MLP on the bound for all 3,280 epochs.");
    Vae& vae = conv_vae();
    const std::string file = quick ? "" : T.path("conv_iwae_seed" + std::to_string(seed) + "_");
    const std::string stage_file = file + "stage" + std::to_string(warm.index) + ".ckpt";
    // The file records the fingerprint of the conv VAE it started from (train_vae_staged): a
    // fine-tune of another conv VAE, say one trained at another thread count, is refused by name.
    const auto t0 = Clock::now();
    // seed + 9 seeds the stage's stream (mixed with its index by train_vae_staged) and, below, the
    // estimate's Generator: different streams.
    VaeTrainOptions opt{.batch_size = 100, .binarize = true, .iwae_k = S.iwae_k, .seed = seed + 9};
    const int64_t from_file = train_vae_staged(vae, X, Tensor(), {warm}, opt, file);
    T.say("  conv VAE + IWAE k=" + std::to_string(S.iwae_k) + ": " + epochs_str(warm.epochs) + " at " +
          rate_str(warm.lr) + (from_file ? ", loaded from " + stage_file : " in " + fmt("%.0f s", seconds_since(t0))));
    Generator g(seed + 9);
    const double nll = iw_nll(T, "conv VAE + IWAE", vae, Xiw, S.iw_k, g);
    T.figure({"conv VAE + IWAE k=" + std::to_string(S.iwae_k) + " warm start, test NLL (IW, k=" +
                  std::to_string(S.iw_k) + ")",
              nll, "nats", "84.78 (Burda et al. 2016, IWAE k=50: their MLP trained on the bound from scratch)",
              conv_trained + ", then " + epochs_str(warm.epochs) + " on the k=" + std::to_string(S.iwae_k) +
                  " bound at " + rate_str(warm.lr) + (from_file ? " (from a checkpoint)" : "") + ", " +
                  std::to_string(Xiw.size(0)) + " test images"});
  }

  if (!T.runs_part("side")) return;
  Generator g(seed + 2);
  T.step("A 2-d latent space", "With two latent units the whole learned manifold fits on a page (Kingma & Welling\n"
                               "2014, fig. 4): decode a grid of z at equal-probability quantiles of the prior.");
  Vae v2 = train(T, "2-d VAE", {.hidden = S.side_hidden, .latent = 2, .seed = seed + 4}, X, Tensor(), S.side_epochs);
  grid(T, "manifold.png", manifold_grid(v2, 20), 20, "the decoder over a 20 x 20 grid of the 2-d latent space");

  T.step("beta-VAE: pressing the code towards the factorised prior",
         "beta > 1 weighs the KL more (Higgins et al. 2017): fewer nats pass through the code, and each\n"
         "coordinate tends to control one factor. Traversals sweep one coordinate of mu(x) over [-3, 3].");
  VaeConfig cb{.hidden = S.side_hidden, .latent = 10, .seed = seed + 5};
  for (double beta : {1.0, 4.0}) {
    Vae vb = train(T, "beta = " + fmt("%g", beta), cb, X, Tensor(), S.side_epochs, beta);
    const ElboTerms tb = evaluate_elbo(vb, Xtest, Tensor(), g);
    T.say("    test reconstruction " + nats(tb.recon) + ", KL " + nats(tb.kl) + " nats");
    T.figure({"beta-VAE KL, beta=" + fmt("%g", beta), tb.kl, "nats", "falls as beta grows (Higgins et al. 2017)",
              S.name + ", latent 10"});
    std::vector<int64_t> dims(10);
    for (int64_t d = 0; d < 10; ++d) dims[(size_t)d] = d;
    grid(T, "traversal_beta" + fmt("%g", beta) + ".png", latent_traversal(vb, Xtest.slice(0, 0, 1), dims, 9), 9,
         "row d: latent coordinate d swept from -3 to 3 (beta = " + fmt("%g", beta) + ")");
  }

  T.step("A conditional VAE: p(x | z, y)", "The label enters encoder and decoder (Sohn et al. 2015). The code\n"
                                           "no longer needs to say which digit it is, only how it is drawn: the\n"
                                           "same z decoded with each label gives the ten digits in one style.");
  // A small code (2 units, as Sohn et al.'s MNIST figures use few): with 20 units a briefly trained
  // CVAE can carry the digit's identity in z and ignore y.
  const int64_t cl = 2;
  Vae cv = train(T, "CVAE", {.hidden = S.side_hidden, .latent = cl, .num_classes = 10, .seed = seed + 6}, X, ytrain,
                 2 * S.side_epochs);
  const Tensor z = normal({10, cl}, 0, 1, DType::f32, &g);
  std::vector<Tensor> by_class;
  for (int64_t c = 0; c < 10; ++c) {  // column c: the same 10 prior draws, each decoded with label c
    NoGradGuard ng;
    by_class.push_back(sigmoid(cv.decode(Var(z), full({10}, (double)c, DType::i64)).data()).unsqueeze(1));
  }
  grid(T, "cvae_by_class.png", concat(by_class, 1).reshape({100, 784}), 10,
       "row: one z; column: the label 0..9 it is decoded with");
  const ElboTerms ec = evaluate_elbo(cv, Xtest, ytest, g);
  T.say("  test -ELBO given the label: " + nats(-ec.elbo()) + " nats (KL " + nats(ec.kl) + ")");

}

}  // namespace latent::tutorial
