// Chapter 05 — Boltzmann machines: the RBM's energy and factorised
// conditionals, CD and PCD training, exact and AIS partition functions, a DBN
// trained greedily, the deep autoencoder pretrained from RBMs, and semantic
// hashing. Read along: docs/05-boltzmann-machines.md.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "models/ch01/classifiers.h"
#include "models/ch02/pca.h"
#include "models/ch03/scatter_image.h"
#include "models/ch05/deep_autoencoder.h"
#include "models/ch05/fvsbn.h"
#include "models/ch05/partition.h"
#include "nn/data.h"
#include "nn/image.h"
#include "nn/optim.h"
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
  int64_t rbm_epochs, rbm16_epochs, big_hidden, big_epochs, small_hidden;  // small: AIS's second start
  double big_lr, constant_lr;  // PCD's rate for the large RBM (decayed linearly to 0), and the contrast's constant one
  int64_t ais_runs, ais_betas, raise_images;
  std::vector<int64_t> dbn_sizes;
  int64_t dbn_epochs, dbn_finetune_epochs;
  std::vector<int64_t> ae_sizes;
  int64_t ae_pretrain_epochs, ae_finetune_epochs, map_finetune_epochs;
};

Setting setting_for(bool quick) {
  if (quick)
    return {"quick: embedded 2,000 train / 500 test", 10, 20, 200, 20, 12, 0.05, 0.05, 100, 3000, 50,
            {200, 200, 500}, 20, 20, {1000, 500, 250, 30}, 10, 30, 15};
  // Full: RBM-500 as Melchior et al.'s PyDeep example (centred PCD-1, 200 epochs) with the rate
  // decayed 0.02 -> 0, and their constant 0.01 for contrast.
  return {"full: 60,000 train / 10,000 test", 20, 50, 500, 200, 20, 0.02, 0.01, 100, 14500, 500,
          {500, 500, 2000}, 30, 40, {1000, 500, 250, 30}, 20, 60, 20};
}

void plot_curve(Tutorial& T, const std::string& name, const std::string& title, const std::string& ylabel,
                const std::vector<Series>& s) {
  write_png_plot(T.path(name + ".png"), title, "epoch", ylabel, s);
  T.wrote(T.path(name + ".png"), title);
}

std::vector<double> count_from_one(size_t n) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = (double)(i + 1);
  return x;
}

// Step 1: the energy, by brute force on 4 + 3 units.
void energy_and_conditionals(Tutorial& T) {
  T.step("Energy, free energy, factorised conditionals",
         "E(v,h) = -b'v - c'h - v'Wh. No edges inside a layer, so given v the hidden units are\n"
         "independent: p(h_j = 1 | v) = sigmoid(c_j + v'W_j). Summing h out leaves the free energy\n"
         "F(v) = -b'v - sum_j softplus(c_j + v'W_j). Check both against sums over all 2^3 hidden states:");
  Generator g(T.options().seed);
  Rbm m = rbm_init(4, 3, g, Units::bernoulli, Units::bernoulli, Tensor(), DType::f64);
  m.W = normal({4, 3}, 0.0, 1.0, DType::f64, &g);
  const Tensor v = from_vector({1, 0, 1, 1}, {1, 4}, DType::f64);
  double Z = 0, h0 = 0;
  for (int s = 0; s < 8; ++s) {
    const Tensor h = from_vector({double(s & 1), double((s >> 1) & 1), double((s >> 2) & 1)}, {1, 3}, DType::f64);
    const double w = std::exp(-energy(m, v, h).item());
    Z += w;
    h0 += w * (s & 1);
  }
  T.say("  p(h_0 = 1 | v): by the sum " + fmt("%.6f", h0 / Z) + ", by the sigmoid " +
        fmt("%.6f", hidden_mean(m, v).at({0, 0})));
  T.say("  F(v):           by the sum " + fmt("%.6f", -std::log(Z)) + ", closed form " +
        fmt("%.6f", free_energy(m, v).item()));
}

// Steps 2-3: CD-1 on MNIST; filters, reconstructions, monitors.
Rbm cd_training(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xtest) {
  T.step("Contrastive divergence",
         "dW = <v h'>_data - <v h'>_recon: the data term pulls the energy of training images down, the\n"
         "term from a one-step Gibbs reconstruction pushes up the energy of what the model would\n"
         "rather generate. Reconstruction error falls; the pseudo-log-likelihood (the per-bit\n"
         "conditionals, scikit-learn's score) rises. Neither is the likelihood itself.");
  Generator g(T.options().seed + 1);
  std::vector<double> recon, pll;
  Rbm m = rbm_fit(X, S.big_hidden, {.epochs = S.rbm_epochs, .batch_size = 100, .lr = 0.05, .seed = 1},
                  Units::bernoulli, Units::bernoulli, [&](const RbmEpochStats& st, const Rbm& r) {
                    recon.push_back(st.recon_error);
                    pll.push_back(pseudo_log_likelihood(r, Xtest, g));
                    T.say("  epoch " + std::to_string(st.epoch) + "  recon error " + fmt("%.2f", st.recon_error) +
                          "  test pseudo-log-lik " + fmt("%.2f", pll.back()) + "  (" + fmt("%.2f s", st.seconds) + ")");
                  });
  plot_curve(T, "cd1_monitors", "CD-1: reconstruction error per image", "squared error",
             {{"train recon error", count_from_one(recon.size()), recon}});
  write_image_grid(T.path("rbm_filters.png"), m.W.t().slice(0, 0, 100).reshape({100, 28, 28}), 10, true);
  T.wrote(T.path("rbm_filters.png"), "the first 100 hidden units' weights (strokes and blobs)");
  const Tensor v = Xtest.slice(0, 0, 10);
  const Tensor rec = visible_mean(m, sample_hidden(m, v, g));
  write_image_grid(T.path("rbm_reconstructions.png"), concat({v, rec}, 0).reshape({20, 28, 28}), 10);
  T.wrote(T.path("rbm_reconstructions.png"), "top: test digits, bottom: E[v | h], h ~ p(h | v)");
  return m;
}

// Step 4: 16 hidden units — the likelihood exactly.
void exact_likelihood(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xtest) {
  T.step("16 hidden units: the likelihood exactly",
         "With 16 hidden units Z sums 2^16 = 65,536 terms: log p(v) = -F(v) - log Z is exact. PCD keeps\n"
         "its negative chains between updates (Tieleman 2008); the centred RBM subtracts the data\n"
         "mean and a running hidden mean inside the energy (Melchior et al. 2016): same model\n"
         "family, better-conditioned gradient.");
  for (bool centred : {false, true}) {
    const auto t0 = Clock::now();
    // Plain SGD, as Melchior et al.'s PyDeep example (no momentum, no weight decay).
    Rbm m = rbm_fit(X, 16, {.epochs = S.rbm16_epochs, .batch_size = 100, .lr = 0.05, .momentum = 0,
                            .final_momentum = 0, .weight_decay = 0, .persistent = true, .centred = centred,
                            .seed = 2});
    const double logz = log_z_exact(m);
    const double ll = mean_log_likelihood(m, Xtest, logz), ll_train = mean_log_likelihood(m, X, logz);
    const std::string name = centred ? "centred" : "plain";
    T.say("  " + name + " PCD-1: log Z " + fmt("%.2f", logz) + ", train " + fmt("%.2f", ll_train) + ", test " +
          fmt("%.2f", ll) + " nats  (" + fmt("%.1f s", seconds_since(t0)) + ")");
    T.figure({"RBM-16 exact test log-lik, " + name, ll, "nats", centred ? "-142.6 (centred, PCD-1, 50 epochs)" : "-149 (PCD-1, 50 epochs)",
              S.name + ", thresholded, PCD-1, lr 0.05, " + std::to_string(S.rbm16_epochs) + " epochs"});
    if (!centred) {
      const AisResult a = ais_log_z(m, base_rate_bias(X), {.runs = S.ais_runs, .n_betas = S.ais_betas});
      T.say("  AIS on the same model: log Z " + fmt("%.3f", a.log_z) + " (exact " + fmt("%.3f", logz) + "), " +
            std::to_string(S.ais_runs) + " runs x " + std::to_string(S.ais_betas) + " temperatures, " +
            fmt("%.1f s", a.seconds));
      T.figure({"AIS - exact log Z, RBM-16", a.log_z - logz, "nats", "|.| < 0.1", S.name});
    }
  }
}

// AIS is a stochastic lower bound on log Z (E log Ẑ ≤ log Z) whatever its start and its seed, so
// several estimates should agree, and where they do not the largest is the safest. Four of them:
// the base-rate path with three seeds, and the path from a small RBM (partition.h).
struct AisFour {
  std::vector<double> log_z;  // base rate x 3, from the small RBM
  double highest() const { return *std::max_element(log_z.begin(), log_z.end()); }
  double spread() const { return highest() - *std::min_element(log_z.begin(), log_z.end()); }
};
AisFour ais_four_ways(Tutorial& T, const Setting& S, const Rbm& m, const Rbm& small, const Tensor& X, const Tensor& Xtest) {
  AisFour f;
  std::string line = "  AIS test log-lik:";
  for (uint64_t seed : {4, 14, 24}) {
    const AisResult a = ais_log_z(m, base_rate_bias(X), {.runs = S.ais_runs, .n_betas = S.ais_betas, .seed = seed});
    f.log_z.push_back(a.log_z);
    line += " " + fmt("%.2f", mean_log_likelihood(m, Xtest, a.log_z));
  }
  const AisResult r = ais_log_z_from_rbm(m, small, {.runs = S.ais_runs, .n_betas = S.ais_betas, .seed = 34});
  f.log_z.push_back(r.log_z);
  T.say(line + " (base rate, three seeds), " + fmt("%.2f", mean_log_likelihood(m, Xtest, r.log_z)) +
        " (from the RBM-" + std::to_string(small.num_hidden()) + "); log Z spread " + fmt("%.2f", f.spread()) + " nats");
  return f;
}

// Step 5: a large RBM's likelihood by AIS, checked four ways and by RAISE; samples from persistent chains.
void ais_large(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xtest) {
  const std::string H = std::to_string(S.big_hidden);
  T.step("A large RBM, and Annealed Importance Sampling",
         "With " + H + " hidden units Z has 2^" + H + " terms. AIS anneals from a base model (independent pixels at\n"
         "the data's base rates) to the RBM through p_beta, beta 0 -> 1, and averages importance weights.\n"
         "Every run of it is a lower bound on log Z in expectation, so we run it four ways (three seeds, and\n"
         "a second path that starts at exact samples of a small RBM) and keep the highest. PCD's rate decays\n"
         "linearly to 0: with a constant rate the persistent chains mix partly because the weights keep moving\n"
         "under them (Tieleman & Hinton 2009). Whether AIS can measure the model either rate leaves behind is\n"
         "what the four estimates test: a large spread says it cannot; a small one is evidence, not proof.");
  const RbmTrainOptions pcd{.epochs = S.big_epochs, .batch_size = 100, .lr = S.big_lr, .lr_final = 0, .momentum = 0,
                            .final_momentum = 0, .weight_decay = 0, .persistent = true, .centred = true, .seed = 3};
  const Rbm small = rbm_fit(X, S.small_hidden, {.epochs = S.rbm16_epochs, .batch_size = 100, .lr = 0.05, .momentum = 0,
                                    .final_momentum = 0, .weight_decay = 0, .persistent = true, .centred = true, .seed = 7});
  auto t0 = Clock::now();
  const Rbm m = rbm_fit(X, S.big_hidden, pcd);
  T.say("  centred PCD-1, rate " + fmt("%g", S.big_lr) + " -> 0 over " + std::to_string(S.big_epochs) + " epochs, " +
        fmt("%.0f s", seconds_since(t0)));
  const AisFour f = ais_four_ways(T, S, m, small, X, Xtest);
  const double ll = mean_log_likelihood(m, Xtest, f.highest());
  const std::string recipe = S.name + ", thresholded, centred PCD-1, lr " + fmt("%g", S.big_lr) + " -> 0, " +
                             std::to_string(S.big_epochs) + " epochs, AIS " + std::to_string(S.ais_runs) + "x" +
                             std::to_string(S.ais_betas);
  T.figure({"RBM-" + H + " AIS test log-lik", ll, "nats",
            "~-85 (RBM-500, centred PCD-1 at a constant lr 0.01, Melchior et al. 2016; their own reverse AIS: -96.6); "
            "-86.34 (CD-25, stochastically binarised, S&M 2008)",
            recipe + ", the highest of 4 log Z estimates"});
  T.figure({"RBM-" + H + " spread of 4 AIS log Z estimates", f.spread(), "nats",
            "large: AIS is not to be trusted (small: evidence, not proof)", recipe});
  // AIS errs towards a too-good figure when it misses modes, and nothing in its weights need show it.
  // RAISE errs the other way (partition.h): where the two agree, the figure stands.
  const Tensor V = Xtest.slice(0, 0, S.raise_images);
  const RaiseResult r = raise_log_likelihood(m, base_rate_bias(X), V, {.n_betas = S.ais_betas, .seed = 6});
  const double ll_ais = mean_log_likelihood(m, V, f.highest());
  T.say("  on the first " + std::to_string(S.raise_images) + " test images: AIS " + fmt("%.2f", ll_ais) +
        ", RAISE (conservative) " + fmt("%.2f", r.mean) + " nats, in " + fmt("%.0f s", r.seconds) +
        ": the truth lies between, up to noise");
  T.figure({"RBM-" + H + " AIS - RAISE gap", ll_ais - r.mean, "nats", "small when both are right (Burda et al. 2015)",
            "first " + std::to_string(S.raise_images) + " test images, RAISE 1 x " + std::to_string(S.ais_betas)});
  Generator g(5);
  const Tensor chains = gibbs_chain(m, Xtest.slice(0, 0, 10), 1000, g);
  write_image_grid(T.path("rbm_gibbs_samples.png"), concat({Xtest.slice(0, 0, 10), chains}, 0).reshape({20, 28, 28}), 10);
  T.wrote(T.path("rbm_gibbs_samples.png"), "top: test digits that start 10 chains; bottom: after 1,000 Gibbs steps");

  // The same model at a constant rate (Melchior et al.'s 0.01 in the full setting): do AIS's four answers agree?
  RbmTrainOptions constant = pcd;
  constant.lr = S.constant_lr, constant.lr_final = -1;
  t0 = Clock::now();
  const Rbm mc = rbm_fit(X, S.big_hidden, constant);
  T.say("  for contrast, a constant rate " + fmt("%g", S.constant_lr) + ", " +
        fmt("%.0f s", seconds_since(t0)) + ":");
  const AisFour fc = ais_four_ways(T, S, mc, small, X, Xtest);
  const std::string recipe_c = S.name + ", thresholded, centred PCD-1, constant lr " + fmt("%g", S.constant_lr) + ", " +
                               std::to_string(S.big_epochs) + " epochs";
  T.figure({"RBM-" + H + " constant lr: AIS test log-lik (highest log Z)", mean_log_likelihood(mc, Xtest, fc.highest()),
            "nats", "~-85 AIS, -96.6 reverse AIS (Melchior et al.'s PyDeep example: RBM-500, constant lr 0.01, 200 epochs)",
            recipe_c});
  T.figure({"RBM-" + H + " constant lr: spread of 4 AIS log Z estimates", fc.spread(), "nats",
            "large: AIS is not to be trusted (compare the decayed rate's spread)", recipe_c});
}

// Step 6: a yardstick whose likelihood is exact, on both binarisations.
void exact_yardstick(Tutorial& T, const Setting& S, const Tensor& G, const Tensor& Gtest) {
  T.step("An exact yardstick: the fully visible sigmoid belief net",
         "p(v) = prod_j p(v_j | v_<j), a logistic regression per pixel on the pixels before it: no hidden\n"
         "units, no Z, log p(v) exact (Frey 1998). Trained on the thresholded digits the RBM saw, it says\n"
         "what a good RBM should beat; trained on bits sampled from the grey levels (each minibatch afresh,\n"
         "tested on one fixed sample) it compares with Larochelle & Murray's -97.45 (one fixed binarisation),\n"
         "and the difference between the two is what the binarisation alone is worth.");
  // Sampling bit i from grey level g_i adds its binary entropy H(g_i) of noise that no model can remove.
  const Tensor gt = clamp(Gtest.to(DType::f64), 1e-12, 1 - 1e-12);
  const double noise = mean(sum(-(gt * log(gt) + (1.0 - gt) * log(1.0 - gt)), {1})).item();
  T.say("  sampling the bits adds " + fmt("%.1f", noise) + " nats of noise per test image (sum of the pixels' binary entropies)");
  const int64_t epochs = T.quick() ? 40 : 20;  // quick: 800 steps on 2,000 images
  Generator g(8);
  const Tensor sampled_test = binarize_dynamic(Gtest, g);  // one fixed draw
  for (bool dynamic : {false, true}) {
    const auto t0 = Clock::now();
    Fvsbn m(784);
    fvsbn_fit(m, dynamic ? G : binarize(G), {.epochs = epochs, .dynamic = dynamic, .seed = 9});
    const double ll = mean(m.log_prob(dynamic ? sampled_test : binarize(Gtest))).item();
    const std::string data = dynamic ? "stochastically binarised" : "thresholded";
    T.say("  " + data + ": exact test log-lik " + fmt("%.2f", ll) + " nats (" + fmt("%.0f s", seconds_since(t0)) + ")");
    T.figure({"FVSBN exact test log-lik, " + data, ll, "nats",
              dynamic ? "-97.45 (Larochelle & Murray 2011, a fixed binarisation)" : "the RBM's AIS figure should beat it",
              S.name + ", Adam 1e-3, batch 100, " + std::to_string(epochs) + " epochs"});
  }
}

// Step 7: a DBN, greedy; samples; fine-tuned as a classifier.
// X: grey levels used as the visible probabilities (as HS2006's code does).
void deep_belief_net(Tutorial& T, const Setting& S, const Mnist& data, const Tensor& X, const Tensor& Xtest) {
  std::string arch = "784";
  for (int64_t h : S.dbn_sizes) arch += "-" + std::to_string(h);
  T.step("A deep belief net, one layer at a time",
         "DBN " + arch + ": each RBM learns the hidden activations of the one below. Sampling runs\n"
         "Gibbs in the top RBM, then one pass down. Then the stack initialises a sigmoid MLP, and\n"
         "backpropagation fine-tunes it to classify digits.");
  const auto t0 = Clock::now();
  const Dbn d = dbn_fit(X, S.dbn_sizes, {.layers = {{.epochs = S.dbn_epochs, .batch_size = 100, .lr = 0.05, .seed = 6}}});
  T.say("  pretrained " + d.describe() + " in " + fmt("%.0f s", seconds_since(t0)));
  Generator g(7);
  write_image_grid(T.path("dbn_samples.png"), dbn_sample(d, 50, 1000, g).reshape({50, 28, 28}), 10);
  T.wrote(T.path("dbn_samples.png"), "50 DBN samples (1,000 Gibbs steps in the top RBM)");
  auto net = dbn_to_mlp(d, 10, 8);
  nn::SGD opt(net->parameters(), 0.1, 0.9);
  TensorDataset train(X, data.train.labels);
  DataLoader loader(train, 100, {.shuffle = true, .seed = 9});
  const auto t1 = Clock::now();
  for (int64_t e = 0; e < S.dbn_finetune_epochs; ++e) train_epoch(*net, opt, loader);
  const EvalResult r = evaluate(*net, Xtest, data.test.labels);
  T.say("  fine-tuned " + std::to_string(S.dbn_finetune_epochs) + " epochs (SGD 0.1, momentum 0.9) in " +
        fmt("%.0f s", seconds_since(t1)) + ": test error " + fmt("%.2f %%", 100 * (1 - r.accuracy)));
  T.figure({"DBN " + arch + " + backprop, test error", 100 * (1 - r.accuracy), "%",
            "1.25 (784-500-500-2000, HOT 2006); 1.2 (backprop fine-tuned, HS 2006)", S.name});
}

// Steps 8-10: the deep autoencoder against PCA; a 2-d map; semantic hashing.
void deep_autoencoder(Tutorial& T, const Setting& S, const Mnist& data, const Tensor& G, const Tensor& Gtest) {
  T.step("The deep autoencoder: pretrain, unroll, fine-tune",
         "784-1000-500-250-30, pretrained as four RBMs (the last with linear code units), unrolled into\n"
         "encoder and decoder, then fine-tuned by backpropagation on the cross-entropy. Grey-level\n"
         "pixels are the visible probabilities. Beside it: 30-d PCA, the best linear code.");
  const auto t0 = Clock::now();
  RbmTrainOptions bin{.epochs = S.ae_pretrain_epochs, .batch_size = 100, .lr = 0.05, .seed = 10};
  RbmTrainOptions lin = bin;
  lin.lr = 0.001;  // linear code units: a smaller rate (HS2006)
  const Dbn stack = pretrain_autoencoder_stack(G, {1000, 500, 250, 30}, {.layers = {bin, bin, bin, lin}});
  const double pre_s = seconds_since(t0);
  DeepAutoencoder ae = unroll(stack);
  const double before = squared_error_per_image(ae, Gtest);
  const auto t1 = Clock::now();
  fine_tune(ae, G, {.epochs = S.ae_finetune_epochs, .batch_size = 100, .lr = 1e-3, .seed = 11});
  const double ft_s = seconds_since(t1);
  const double err = squared_error_per_image(ae, Gtest);
  const Pca pca = pca_fit(G, 30);
  const double pca_err = pca_reconstruction_error(pca, Gtest);
  T.say("  pretraining " + fmt("%.0f s", pre_s) + "; unrolled, before fine-tuning: " + fmt("%.2f", before) +
        " per test image; after " + std::to_string(S.ae_finetune_epochs) + " epochs (" + fmt("%.0f s", ft_s) +
        "): " + fmt("%.2f", err) + ";  PCA-30: " + fmt("%.2f", pca_err));
  T.figure({"deep AE 784-1000-500-250-30 test sq. error", err, "", "3.00 (HS 2006); PCA-30 13.87",
            S.name + ", pretrain " + std::to_string(S.ae_pretrain_epochs) + " epochs/layer, Adam " +
                std::to_string(S.ae_finetune_epochs) + " epochs, " + fmt("%.0f s", pre_s + ft_s)});
  T.figure({"PCA-30 test sq. error (same data)", pca_err, "", "13.87 (full MNIST)", S.name});
  const Tensor x = Gtest.slice(0, 0, 10);
  const Tensor rows = concat({x, ae.reconstruct(x), pca_reconstruct(pca, pca_project(pca, x)).to(DType::f32)}, 0);
  write_image_grid(T.path("autoencoder_vs_pca.png"), rows.reshape({30, 28, 28}), 10);
  T.wrote(T.path("autoencoder_vs_pca.png"), "rows: test digits, deep autoencoder (30-d), PCA (30-d)");

  T.step("Semantic hashing",
         "Threshold each code unit at its median: 30 bits per image. Retrieve the training images\n"
         "nearest in Hamming distance (a popcount) and count how many share the query's digit.");
  const Tensor code_train = ae.encode(G), code_test = ae.encode(Gtest);
  const Tensor pca_train = pca_project(pca, G), pca_test = pca_project(pca, Gtest);
  const Tensor ta = median_thresholds(code_train), tp = median_thresholds(pca_train);
  for (int64_t k : {10, 100}) {
    const double pa = hamming_precision(binary_codes(code_test, ta), data.test.labels, binary_codes(code_train, ta),
                                        data.train.labels, k);
    const double pp = hamming_precision(binary_codes(pca_test, tp), data.test.labels, binary_codes(pca_train, tp),
                                        data.train.labels, k);
    T.say("  precision of the " + std::to_string(k) + " nearest: autoencoder bits " + fmt("%.3f", pa) +
          ", PCA bits " + fmt("%.3f", pp));
    if (k == 100)
      T.figure({"30-bit hashing precision@100, deep AE", pa, "", "> PCA bits: " + fmt("%.3f", pp), S.name});
  }

  T.step("A 2-d code map",
         "The same recipe with a 2-unit code (784-1000-500-250-2, HS2006 fig. 3): the test digits'\n"
         "codes, coloured by label. PCA's first two components are drawn beside it.");
  const Dbn stack2 = pretrain_autoencoder_stack(G, {1000, 500, 250, 2}, {.layers = {bin, bin, bin, lin}});
  DeepAutoencoder ae2 = unroll(stack2);
  fine_tune(ae2, G, {.epochs = S.map_finetune_epochs, .batch_size = 100, .lr = 1e-3, .seed = 12});
  const Tensor c2 = ae2.encode(Gtest);
  ScatterImage img(c2, 512);
  img.points(c2, colours_of(data.test.labels));
  img.save(T.path("code_map_autoencoder.png"));
  const Tensor p2 = pca_project(pca, Gtest, 2);
  ScatterImage imgp(p2, 512);
  imgp.points(p2, colours_of(data.test.labels));
  imgp.save(T.path("code_map_pca.png"));
  T.wrote(T.path("code_map_autoencoder.png"), "2-d autoencoder codes of the test digits (and code_map_pca.png)");
}

}  // namespace

void run_chapter05(Tutorial& T) {
  const bool quick = T.quick();
  const Setting S = setting_for(quick);
  energy_and_conditionals(T);
  T.step("Binarised MNIST", "Pixels become bits: 1 where the grey level is above 0.5 (as Melchior et al.'s\n"
                            "experiments; Salakhutdinov & Murray 2008 sampled the bits instead, a noisier data set\n"
                            "whose log-likelihoods are lower). The DBN and the autoencoder use the grey levels.");
  Mnist data = quick ? load_mnist_embedded() : load_mnist("", /*allow_embedded=*/false);
  T.say(data.source);
  const Tensor G = data.train.images.reshape({data.train.size(), 784});
  const Tensor Gtest = data.test.images.reshape({data.test.size(), 784});
  const Tensor X = binarize(G), Xtest = binarize(Gtest);
  if (T.runs_part("rbm")) {
    cd_training(T, S, X, Xtest);
    exact_likelihood(T, S, X, Xtest);
    ais_large(T, S, X, Xtest);
    exact_yardstick(T, S, G, Gtest);
  }
  if (T.runs_part("deep")) {
    deep_belief_net(T, S, data, G, Gtest);
    deep_autoencoder(T, S, data, G, Gtest);
  }
}

}  // namespace latent::tutorial
