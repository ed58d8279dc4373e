// Chapter 07 — variational autoencoders: the ELBO and its two terms, the
// reparameterisation trick at work, samples, interpolations, the 2-d latent
// manifold, β-VAE traversals, a conditional VAE's digits by class, the
// importance-weighted log-likelihood, IWAE training and a convolutional VAE.
// Read along: docs/07-variational-autoencoders.md.
#include <chrono>
#include <cmath>

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
  int64_t hidden, latent, epochs;  // the main VAE (Bernoulli decoder, dynamic binarisation)
  int64_t side_epochs;             // the 2-d, β-VAE, CVAE and conv models
  int64_t iw_k, iw_images;         // importance samples per test image, test images scored
  int64_t iwae_k, iwae_epochs;     // IWAE training
};

Setting setting_for(bool quick) {
  if (quick) return {"quick: embedded 2,000 train / 500 test", 200, 20, 15, 10, 200, 200, 5, 5};
  // Full: one stochastic layer as Burda et al. 2016 (50 latent units); one hidden layer of 500
  // ReLUs instead of their two of 200 tanh, and far fewer epochs than their 3,280.
  return {"full: 60,000 train / 10,000 test", 500, 50, 300, 30, 5000, 10000, 50, 30};
}

// Binarised test images, fixed once (a Bernoulli draw of the grey levels, seeded): every model
// is scored on the same bits.
Tensor binarised(const Tensor& grey, uint64_t seed) {
  Generator g(seed);
  return binarize_dynamic(grey, g);
}

std::string nats(double v) { return fmt("%.2f", v); }

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
                            T.say("    " + label + " epoch " + std::to_string(curve.size()) + "/" + std::to_string(epochs) +
                                  ": training bound " + nats(curve.back()) + " nats, " + fmt("%.0f s", seconds_since(t0)));
                        }});
  T.say("  " + label + ": " + vae.describe() + ", " + std::to_string(epochs) + " epochs in " +
        fmt("%.0f s", seconds_since(t0)) + " (training bound " + nats(curve.back()) + " nats)");
  return vae;
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

  T.step("The ELBO, and its two terms",
         "log p(x) >= ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z)). The encoder outputs mu and log sigma^2;\n"
         "z = mu + sigma * eps moves the randomness into eps, so gradients reach the encoder through z.\n"
         "Minimising -ELBO trades reconstruction (first term) against staying close to the prior (KL).");
  VaeConfig cfg{.hidden = S.hidden, .latent = S.latent, .seed = seed + 1};
  Vae vae = train(T, "VAE", cfg, X, Tensor(), S.epochs);
  Generator g(seed + 2);
  const ElboTerms e = evaluate_elbo(vae, Xtest, Tensor(), g);
  T.say("  test: reconstruction " + nats(e.recon) + " + KL " + nats(e.kl) + " = -ELBO " + nats(-e.elbo()) +
        " nats per image");
  T.figure({"VAE test -ELBO", -e.elbo(), "nats", "reconstruction + KL; the NLL below is lower",
            S.name + ", 784-" + std::to_string(S.hidden) + "-" + std::to_string(S.latent) + ", " +
                std::to_string(S.epochs) + " epochs"});

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
  const Tensor Xiw = Xtest.slice(0, 0, std::min(S.iw_images, Xtest.size(0)));
  auto t0 = Clock::now();
  const double nll = -mean(iw_log_likelihood(vae, Xiw, Tensor(), S.iw_k, g)).item();
  const double elbo_sub = -evaluate_elbo(vae, Xiw, Tensor(), g).elbo();
  T.say("  on " + std::to_string(Xiw.size(0)) + " test images: -ELBO " + nats(elbo_sub) + ", NLL (k = " +
        std::to_string(S.iw_k) + ") " + nats(nll) + " nats, in " + fmt("%.0f s", seconds_since(t0)));
  T.figure({"VAE test NLL (IW, k=" + std::to_string(S.iw_k) + ")", nll, "nats",
            "86.76 (Burda et al. 2016, VAE k=1, 3,280 epochs)",
            S.name + ", 784-" + std::to_string(S.hidden) + "-" + std::to_string(S.latent) + ", " +
                std::to_string(S.epochs) + " epochs, " + std::to_string(Xiw.size(0)) + " test images"});

  T.step("Training on the IWAE bound",
         "Maximise the k-sample bound instead of the ELBO: the encoder no longer has to cover the\n"
         "posterior with one Gaussian, since k weighted samples may share the work (Burda et al. 2016).");
  Vae iwae = train(T, "IWAE k=" + std::to_string(S.iwae_k), {.hidden = S.hidden, .latent = S.latent, .seed = seed + 3},
                   X, Tensor(), S.iwae_epochs, 1.0, S.iwae_k);
  const double nll_iwae = -mean(iw_log_likelihood(iwae, Xiw, Tensor(), S.iw_k, g)).item();
  T.say("  NLL (k = " + std::to_string(S.iw_k) + "): IWAE " + nats(nll_iwae) + " nats after " +
        std::to_string(S.iwae_epochs) + " epochs (the VAE above: " + nats(nll) + " after " + std::to_string(S.epochs) + ")");
  T.figure({"IWAE k=" + std::to_string(S.iwae_k) + " test NLL", nll_iwae, "nats", "84.78 (Burda et al. 2016, IWAE k=50)",
            S.name + ", " + std::to_string(S.iwae_epochs) + " epochs"});

  T.step("A 2-d latent space", "With two latent units the whole learned manifold fits on a page (Kingma & Welling\n"
                               "2014, fig. 4): decode a grid of z at equal-probability quantiles of the prior.");
  Vae v2 = train(T, "2-d VAE", {.hidden = S.hidden, .latent = 2, .seed = seed + 4}, X, Tensor(), S.side_epochs);
  grid(T, "manifold.png", manifold_grid(v2, 20), 20, "the decoder over a 20 x 20 grid of the 2-d latent space");

  T.step("beta-VAE: pressing the code towards the factorised prior",
         "beta > 1 weighs the KL more (Higgins et al. 2017): fewer nats pass through the code, and each\n"
         "coordinate tends to control one factor. Traversals sweep one coordinate of mu(x) over [-3, 3].");
  VaeConfig cb{.hidden = S.hidden, .latent = 10, .seed = seed + 5};
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
  Vae cv = train(T, "CVAE", {.hidden = S.hidden, .latent = cl, .num_classes = 10, .seed = seed + 6}, X, ytrain,
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

  T.step("A convolutional VAE", "Strided convolutions in the encoder, transposed convolutions in the decoder:\n"
                                "the same objective, far fewer weights per pixel.");
  Vae conv = train(T, "conv VAE", {.hidden = 256, .latent = S.latent, .arch = VaeArch::conv, .seed = seed + 7}, X,
                   Tensor(), S.side_epochs);
  const ElboTerms ecv = evaluate_elbo(conv, Xtest, Tensor(), g);
  T.say("  test -ELBO " + nats(-ecv.elbo()) + " nats (reconstruction " + nats(ecv.recon) + ", KL " + nats(ecv.kl) + ")");
  T.figure({"conv VAE test -ELBO", -ecv.elbo(), "nats", "no published figure; compare the MLP VAE above",
            S.name + ", " + std::to_string(S.side_epochs) + " epochs"});
  grid(T, "conv_samples.png", sample_prior(conv, 100, g), 10, "100 samples from the conv VAE's prior");
}

}  // namespace latent::tutorial
