// Chapter 06 — autoencoders: an undercomplete code against PCA, sparse,
// denoising and contractive autoencoders, greedy stacking, a convolutional
// autoencoder; what the codes are worth to a linear classifier and to
// nearest-neighbour retrieval, beside self-supervised rotation prediction;
// and the 30-d codes of chapter 05's deep autoencoder trained from scratch.
// Read along: docs/06-autoencoders.md.
#include <chrono>
#include <cmath>

#include "models/ch02/pca.h"
#include "models/ch06/autoencoder.h"
#include "models/ch06/codes.h"
#include "models/ch06/conv_autoencoder.h"
#include "models/ch06/rotation.h"
#include "models/ch06/stacked.h"
#include "nn/data.h"
#include "nn/image.h"
#include "tensor/index.h"
#include "tutorials/runner.h"

namespace latent::tutorial {

namespace {

using namespace latent::models;
using Clock = std::chrono::steady_clock;

// Everything that differs between the quick tour and the full setting.
struct Setting {
  std::string name;
  int64_t ae_epochs;        // the one-hidden-layer autoencoders (plain, sparse, denoising, contractive)
  int64_t stack_epochs;     // per layer, and again for fine-tuning
  int64_t conv_epochs;
  int64_t rotation_epochs;
  int64_t rotation_images;  // images the rotation net sees (each in 4 rotations)
  int64_t probe_epochs;
  int64_t deep_epochs;      // the 784-1000-500-250-30 autoencoder from scratch
  int64_t retrieval_queries;
};

Setting setting_for(bool quick) {
  if (quick) return {"quick: embedded 2,000 train / 500 test", 15, 8, 15, 4, 2000, 20, 20, 500};
  return {"full: 60,000 train / 10,000 test", 10, 5, 10, 3, 60000, 10, 40, 10000};
}

std::string str(int64_t v) { return std::to_string(v); }

// Rows of 10 images each, as one picture.
void picture(Tutorial& T, const std::string& file, const std::vector<Tensor>& rows, const std::string& what) {
  std::vector<Tensor> r;
  for (const Tensor& t : rows) r.push_back(t.slice(0, 0, 10).reshape({10, 28, 28}).to(DType::f32));
  write_image_grid(T.path(file), concat(r, 0), 10);
  T.wrote(T.path(file), what);
}

double error_between(const Tensor& a, const Tensor& b) {
  return sum(square(a.to(DType::f64) - b.to(DType::f64))).item() / (double)a.size(0);
}

// One row of the accuracy table: probe accuracy on the test set, and precision@10 of retrieval.
struct CodeRow {
  std::string name;
  Tensor train, test;
};

// Step 1: the bottleneck against PCA.
void undercomplete(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt, std::vector<CodeRow>& rows) {
  T.step("An undercomplete autoencoder against PCA",
         "784-256-32-256-784 with ReLU hidden units, a linear 32-d code and a sigmoid output trained on the\n"
         "cross-entropy; beside it PCA with 32 components, the best *linear* 32-d code (chapter 02).");
  AutoencoderConfig c;
  c.hidden = {256}, c.code = 32, c.hidden_activation = Activation::relu, c.code_activation = Activation::linear;
  Autoencoder ae(c);
  const auto t0 = Clock::now();
  train_autoencoder(ae, X, {.epochs = S.ae_epochs, .batch_size = 100, .lr = 1e-3, .seed = 1});
  const double err = squared_error_per_image(ae, Xt);
  const Pca pca = pca_fit(X, 32);
  const double pca_err = pca_reconstruction_error(pca, Xt);
  T.say("  " + ae.describe() + ", " + str(S.ae_epochs) + " epochs (" + fmt("%.1f s", seconds_since(t0)) +
        "): test error " + fmt("%.2f", err) + " per image; PCA-32 " + fmt("%.2f", pca_err));
  T.figure({"AE 784-256-32 test sq. error", err, "", "< PCA-32", S.name});
  T.figure({"PCA-32 test sq. error", pca_err, "", "13.87 for PCA-30 (full MNIST)", S.name});
  picture(T, "reconstructions.png", {Xt, ae.reconstruct(Xt.slice(0, 0, 10)), pca_reconstruct(pca, pca_project(pca, Xt.slice(0, 0, 10)))},
          "rows: test digits, autoencoder (32-d code), PCA (32 components)");
  rows.push_back({"PCA-32", pca_project(pca, X), pca_project(pca, Xt)});
  rows.push_back({"autoencoder 32-d", ae.codes(X), ae.codes(Xt)});
}

// Step 2: sparsity, two ways.
void sparse(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt) {
  T.step("Sparse autoencoders",
         "400 sigmoid code units: room to pass much of the image straight through. The KL penalty\n"
         "beta * sum_j KL(rho || rho_hat_j) pulls each unit's mean activation to rho = 0.05 (Ng's notes);\n"
         "the units then specialise, and their weights look like pen strokes. The L1 penalty on ReLU codes\n"
         "makes many activations exactly 0. A little weight decay (Ng's lambda) clears the weights of pixels\n"
         "that are always 0.");
  AutoencoderConfig c;
  c.code = 400, c.undercomplete = false;
  Autoencoder kl(c);
  const auto t0 = Clock::now();
  train_autoencoder(kl, X, {.epochs = S.ae_epochs, .batch_size = 20, .lr = 1e-3, .weight_decay = 3e-3,
                            .objective = {.sparsity_weight = 10, .sparsity_target = 0.05}, .seed = 2});
  const Tensor h = kl.codes(Xt);
  const double mean_act = mean(h).item();
  T.say("  KL, rho = 0.05: mean activation " + fmt("%.3f", mean_act) + ", test error " +
        fmt("%.2f", squared_error_per_image(kl, Xt)) + " (" + fmt("%.1f s", seconds_since(t0)) + ")");
  T.figure({"sparse AE (KL) mean code activation", mean_act, "", "rho = 0.05", S.name});
  write_image_grid(T.path("sparse_filters.png"), kl.encoder_linears()[0]->weight.data().slice(0, 0, 100).reshape({100, 28, 28}),
                   10, true);
  T.wrote(T.path("sparse_filters.png"), "the first 100 code units' encoder weights, each scaled to its own range");

  c.code_activation = Activation::relu;
  Autoencoder l1(c);
  train_autoencoder(l1, X, {.epochs = S.ae_epochs, .batch_size = 100, .lr = 1e-3, .objective = {.l1 = 0.05}, .seed = 3});
  const Tensor hl = l1.codes(Xt);
  const double zeros_frac = mean(le(hl, zeros_like(hl))).item();
  T.say("  L1 (0.05), ReLU code: " + fmt("%.1f %%", 100 * zeros_frac) + " of the activations are exactly 0; test error " +
        fmt("%.2f", squared_error_per_image(l1, Xt)));
  T.figure({"sparse AE (L1, ReLU) fraction of zero activations", 100 * zeros_frac, "%", "-", S.name});
}

// Step 3: denoising.
void denoising(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt, std::vector<CodeRow>& rows) {
  T.step("Denoising autoencoders",
         "Train on corrupted inputs, score against the clean image (Vincent et al. 2008): to undo the\n"
         "corruption the code has to capture how pixels depend on each other. Masking sets 30% of the\n"
         "pixels of each image to 0; Gaussian noise adds N(0, 0.3^2) to each pixel. A plain autoencoder of\n"
         "the same shape, shown the same corrupted digits, is the comparison.");
  AutoencoderConfig c;
  c.code = 256;
  Autoencoder plain(c);
  train_autoencoder(plain, X, {.epochs = S.ae_epochs, .batch_size = 100, .lr = 3e-3, .seed = 4});
  std::vector<Tensor> pic = {Xt};
  for (const Corruption& cor : {Corruption{Corruption::Kind::masking, 0.3}, Corruption{Corruption::Kind::gaussian, 0.3}}) {
    Autoencoder dae(c);
    const auto t0 = Clock::now();
    train_autoencoder(dae, X, {.epochs = S.ae_epochs, .batch_size = 100, .lr = 3e-3, .objective = {.corruption = cor}, .seed = 5});
    Generator g(6);
    const Tensor noisy = corrupt(Xt, cor, g);
    const double e_noisy = error_between(noisy, Xt), e_dae = error_between(dae.reconstruct(noisy), Xt),
                 e_plain = error_between(plain.reconstruct(noisy), Xt);
    T.say("  " + corruption_name(cor) + ": corrupted " + fmt("%.2f", e_noisy) + ", plain AE " + fmt("%.2f", e_plain) +
          ", denoising AE " + fmt("%.2f", e_dae) + " per image from the clean digit (" + fmt("%.1f s", seconds_since(t0)) + ")");
    T.figure({"denoising AE, " + corruption_name(cor) + ": error to clean", e_dae, "",
              "< corrupted " + fmt("%.2f", e_noisy) + ", < plain AE " + fmt("%.2f", e_plain), S.name});
    pic.push_back(noisy);
    pic.push_back(dae.reconstruct(noisy.slice(0, 0, 10)));
    if (cor.kind == Corruption::Kind::masking) rows.push_back({"denoising AE 256-d (masking)", dae.codes(X), dae.codes(Xt)});
  }
  picture(T, "denoising.png", pic, "rows: clean; masked 30%, denoised; Gaussian 0.3, denoised");
}

// Step 4: contraction.
void contractive(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt) {
  T.step("A contractive autoencoder",
         "Penalise ||J||_F^2, the squared Frobenius norm of dh/dx (Rifai et al. 2011). For h = sigmoid(Wx + b)\n"
         "it is sum_j (h_j(1 - h_j))^2 sum_i W_ji^2: cheap and differentiable. The code becomes flat in\n"
         "most directions around the data and keeps its sensitivity for the directions digits vary along.");
  AutoencoderConfig c;
  c.code = 256;
  std::vector<double> jac, err;
  for (double lambda : {0.0, 0.1}) {
    Autoencoder ae(c);
    train_autoencoder(ae, X, {.epochs = S.ae_epochs, .batch_size = 100, .lr = 3e-3, .objective = {.contractive = lambda}, .seed = 7});
    NoGradGuard ng;
    jac.push_back(contractive_penalty(Var(ae.codes(Xt)), ae.encoder_linears()[0]->weight).item());
    err.push_back(squared_error_per_image(ae, Xt));
    T.say("  lambda " + fmt("%g", lambda) + ": mean ||J||_F^2 on test digits " + fmt("%.2f", jac.back()) + ", test error " +
          fmt("%.2f", err.back()));
  }
  T.figure({"contractive AE mean ||J||_F^2 (lambda 0.1)", jac[1], "", "< unpenalised " + fmt("%.2f", jac[0]), S.name});
}

// Step 5: greedy stacking.
void stacked(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt, std::vector<CodeRow>& rows) {
  T.step("A stacked autoencoder, layer by layer",
         "784-256-64: train 784-256-784, then 256-64-256 on the first layer's codes; stack the encoders and the\n"
         "decoders; fine-tune the whole by backpropagation (Bengio et al. 2007). Beside it the same network\n"
         "trained end to end from random weights for as many epochs as pretraining and fine-tuning together.");
  StackedConfig s;
  s.sizes = {784, 256, 64};
  const auto t0 = Clock::now();
  auto deep = pretrain_stacked(X, s, {.epochs = S.stack_epochs, .batch_size = 100, .lr = 3e-3, .seed = 8});
  const double pre = squared_error_per_image(*deep, Xt);
  train_autoencoder(*deep, X, {.epochs = S.stack_epochs, .batch_size = 100, .lr = 1e-3, .seed = 9});
  const double tuned = squared_error_per_image(*deep, Xt);
  Autoencoder scratch(stacked_config(s));
  train_autoencoder(scratch, X, {.epochs = 3 * S.stack_epochs, .batch_size = 100, .lr = 3e-3, .seed = 10});
  const double from_scratch = squared_error_per_image(scratch, Xt);
  T.say("  stacked, before fine-tuning " + fmt("%.2f", pre) + ", after " + fmt("%.2f", tuned) + "; end to end from scratch " +
        fmt("%.2f", from_scratch) + " (" + fmt("%.1f s", seconds_since(t0)) + " in all)");
  T.figure({"stacked AE 784-256-64 test sq. error, fine-tuned", tuned, "", "< before fine-tuning " + fmt("%.2f", pre), S.name});
  T.figure({"same net end to end from scratch", from_scratch, "", "(comparison)", S.name});
  rows.push_back({"stacked AE 64-d", deep->codes(X), deep->codes(Xt)});
}

// Step 6: convolutions.
void convolutional(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt, std::vector<CodeRow>& rows) {
  T.step("A convolutional autoencoder",
         "Two stride-2 3x3 convolutions (28 -> 14 -> 7), a linear 32-d code, and two transposed convolutions\n"
         "back (7 -> 14 -> 28). The filters are shared across the image, so it has a fraction of the MLP's\n"
         "weights.");
  ConvAutoencoder ae({.code = 32, .seed = 11});
  const auto t0 = Clock::now();
  train_conv_autoencoder(ae, X, {.epochs = S.conv_epochs, .batch_size = 100, .lr = 2e-3, .seed = 12});
  const double err = squared_error_per_image(ae, Xt);
  T.say("  " + ae.describe() + ", " + str(ae.num_parameters()) + " weights, " + str(S.conv_epochs) + " epochs (" +
        fmt("%.1f s", seconds_since(t0)) + "): test error " + fmt("%.2f", err));
  T.figure({"conv AE (32-d code) test sq. error", err, "", "about the MLP autoencoder's", S.name});
  picture(T, "conv_reconstructions.png", {Xt, ae.reconstruct(Xt.slice(0, 0, 10))}, "rows: test digits, conv autoencoder");
  rows.push_back({"conv AE 32-d", ae.codes(X), ae.codes(Xt)});
}

// Step 7: rotation prediction.
void rotation(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt, std::vector<CodeRow>& rows) {
  T.step("Self-supervised: predict the rotation",
         "Rotate every image by 0, 90, 180 or 270 degrees and train a small convnet to say which (Gidaris et\n"
         "al. 2018). No digit labels are used; the features of its last conv block are then frozen.");
  std::vector<Tensor> turns;
  for (int64_t k = 0; k < 4; ++k) turns.push_back(rotate_quarter_turns(Xt.slice(0, 0, 10).reshape({10, 1, 28, 28}), k));
  picture(T, "rotations.png", turns, "the pretext task's inputs: rows rotated by 0, 90, 180, 270 degrees (labels 0-3)");
  RotationNet net({.seed = 13});
  const Tensor Xr = X.slice(0, 0, std::min(X.size(0), S.rotation_images));
  const auto t0 = Clock::now();
  train_rotation_net(net, Xr, {.epochs = S.rotation_epochs, .batch_size = 64, .lr = 1e-3, .seed = 14,
                               .on_epoch = [&](const RotationEpoch& e) {
                                 T.say("  epoch " + str(e.epoch) + ": loss " + fmt("%.3f", e.loss) + ", rotation accuracy " +
                                       fmt("%.3f", e.accuracy) + " (" + fmt("%.1f s", e.seconds) + ")");
                               }});
  const double acc = rotation_accuracy(net, Xt);
  T.say("  " + net.describe() + " on " + str(Xr.size(0)) + " images: test rotation accuracy " + fmt("%.3f", acc) +
        " (" + fmt("%.0f s", seconds_since(t0)) + ")");
  T.figure({"rotation prediction test accuracy", 100 * acc, "%", "chance 25 (6s and 9s are ambiguous)", S.name});
  rows.push_back({"rotation-net features", net.feature_tensor(X), net.feature_tensor(Xt)});
}

// Step 8: the table.
void probe_table(Tutorial& T, const Setting& S, const Mnist& data, const Tensor& X, const Tensor& Xt,
                 std::vector<CodeRow> rows) {
  T.step("What the codes are worth: a linear probe and retrieval",
         "Multinomial logistic regression (standardised features, Adam, " + str(S.probe_epochs) +
             " epochs) on each frozen code, trained with the\n"
             "digit labels; then, for " + str(S.retrieval_queries) +
             " test digits, the 10 nearest training codes: the fraction with the same digit.");
  rows.insert(rows.begin(), CodeRow{"raw pixels", X, Xt});
  const Tensor queries_labels = data.test.labels.slice(0, 0, S.retrieval_queries);
  T.say("  code                            dims   probe acc   precision@10");
  for (const CodeRow& r : rows) {
    const auto t0 = Clock::now();
    const LinearProbe p = train_linear_probe(r.train, data.train.labels, 10, {.epochs = S.probe_epochs, .seed = 15});
    const double acc = probe_accuracy(p, r.test, data.test.labels);
    const double prec = retrieval_precision(r.test.slice(0, 0, S.retrieval_queries), queries_labels, r.train, data.train.labels, 10);
    const int64_t dims = r.train.numel() / r.train.size(0);
    char line[160];
    std::snprintf(line, sizeof line, "  %-30s %5lld   %8.2f %%   %8.3f   (%.1f s)", r.name.c_str(), (long long)dims,
                  100 * acc, prec, seconds_since(t0));
    T.say(line);
    T.figure({"linear probe, " + r.name, 100 * acc, "%",
              r.name == "raw pixels" ? "about 92 (multinomial logistic regression, full MNIST)" : "vs raw pixels", S.name});
    T.figure({"retrieval precision@10, " + r.name, prec, "", "-", S.name + ", " + str(S.retrieval_queries) + " test queries"});
  }
}

// Step 9: 30-d codes.
void thirty_dims(Tutorial& T, const Setting& S, const Tensor& X, const Tensor& Xt) {
  T.step("30-d codes: PCA, RBM-pretrained, from scratch",
         "Hinton & Salakhutdinov (2006) needed RBM pretraining to train a 784-1000-500-250-30 autoencoder\n"
         "(chapter 05): with sigmoid units and the optimisers of 2006 it did not train from random weights.\n"
         "With ReLU hidden units and Adam the same shape trains from scratch.");
  const Pca pca = pca_fit(X, 30);
  const double pca_err = pca_reconstruction_error(pca, Xt);
  T.say("  PCA-30: " + fmt("%.2f", pca_err));
  T.figure({"30-d: PCA-30 test sq. error", pca_err, "", "13.87 (full MNIST, chapter 02)", S.name});
  // Chapter 05's recipe is not re-run here: its full run (20 RBM epochs per layer, 60 epochs of
  // fine-tuning) takes longer than this whole chapter; its quick tour runs it on the subset.
  T.say("  chapter 05's RBM-pretrained autoencoder (models/ch05/deep_autoencoder.h): 2.79 on full MNIST in\n"
        "  chapter 05's full run (docs/results/ch05.md; 32 minutes of pretraining and fine-tuning, not repeated\n"
        "  here); Hinton & Salakhutdinov report 3.00.");
  AutoencoderConfig c;
  c.hidden = {1000, 500, 250}, c.code = 30, c.hidden_activation = Activation::relu, c.code_activation = Activation::linear;
  Autoencoder ae(c);
  const auto t0 = Clock::now();
  train_autoencoder(ae, X, {.epochs = S.deep_epochs, .batch_size = 100, .lr = 1e-3, .seed = 18,
                            .on_epoch = [&](const AeEpoch& e) {
                              if (e.epoch % 5 == 0 || e.epoch == S.deep_epochs)
                                T.say("  from scratch, epoch " + str(e.epoch) + ": training loss " + fmt("%.2f", e.loss) +
                                      " nats per image (" + fmt("%.1f s", e.seconds) + " per epoch)");
                            }});
  const double err = squared_error_per_image(ae, Xt);
  T.say("  " + ae.describe() + ", Adam, " + str(S.deep_epochs) + " epochs: " + fmt("%.2f", err) + " (" +
        fmt("%.0f s", seconds_since(t0)) + ")");
  if (T.quick())
    T.say("  On 2,000 images the 2.8-million-weight network does not reach PCA's error in a few epochs; the\n"
          "  comparison is made in the full setting (latent_tour 06 --full).");
  T.figure({"30-d: deep AE from scratch (ReLU, Adam) test sq. error", err, "",
            "3.00 (HS 2006, RBM-pretrained); ch05 full run 2.79", S.name + ", " + str(S.deep_epochs) + " epochs"});
}

}  // namespace

void run_chapter06(Tutorial& T) {
  const Setting S = setting_for(T.quick());
  Mnist data = T.quick() ? load_mnist_embedded() : load_mnist("", /*allow_embedded=*/false);
  T.say(data.source);
  const Tensor X = data.train.images.reshape({data.train.size(), 784});
  const Tensor Xt = data.test.images.reshape({data.test.size(), 784});
  std::vector<CodeRow> rows;
  undercomplete(T, S, X, Xt, rows);
  sparse(T, S, X, Xt);
  denoising(T, S, X, Xt, rows);
  contractive(T, S, X, Xt);
  stacked(T, S, X, Xt, rows);
  convolutional(T, S, X, Xt, rows);
  rotation(T, S, X, Xt, rows);
  probe_table(T, S, data, X, Xt, std::move(rows));
  thirty_dims(T, S, X, Xt);
}

}  // namespace latent::tutorial
