// Chapter 05 — the deep autoencoder pretrained as a stack of RBMs (Hinton &
// Salakhutdinov 2006, "Reducing the dimensionality of data with neural
// networks"), and semantic hashing with its codes (Salakhutdinov & Hinton 2009).
//
// A 784-1000-500-250-30 autoencoder trained by backpropagation from random
// weights gets stuck (tiny gradients through many sigmoid layers, or a poor
// local optimum). Pretraining gives it a good start:
//   1. train RBMs greedily, 784-1000, 1000-500, 500-250, and 250-30 with
//      linear (gaussian) hidden units, so the 30-d code is real-valued;
//   2. unroll: the encoder is the stack's recognition pass, Linear(W_lᵀ, c_l)
//      + sigmoid; the decoder is its generative pass in reverse, Linear(W_l,
//      b_l) + sigmoid, with its own (untied) copy of the weights;
//   3. fine-tune the whole thing by backpropagation on the cross-entropy
//      between the image and its reconstruction.
// The anchor: 3.00 squared error per test image with the 30-d code, against
// 13.87 for 30-d PCA (chapter 02).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "models/ch05/dbn.h"

namespace latent::models {

struct DeepAutoencoder {
  std::shared_ptr<nn::Sequential> encoder;  // x -> code
  std::shared_ptr<nn::Sequential> decoder;  // code -> logits of the pixels
  Tensor encode(const Tensor& X, int64_t batch = 1000) const;       // [N, code]
  Tensor reconstruct(const Tensor& X, int64_t batch = 1000) const;  // σ(logits) [N, V]
  std::vector<nn::ModulePtr> modules() const { return {encoder, decoder}; }
  std::string describe() const;  // "autoencoder 784-1000-500-250-30-250-500-1000-784"
};

// The pretraining stack for sizes {V, H1, ..., code}: dbn_fit with gaussian top units.
Dbn pretrain_autoencoder_stack(const Tensor& X, const std::vector<int64_t>& hidden_sizes, const DbnFitOptions& opt);
// Steps 2 of the recipe: encoder and decoder from a pretrained stack.
DeepAutoencoder unroll(const Dbn& stack);
// The same architecture from random weights (Glorot/Xavier uniform weights,
// zero biases, seeded): the baseline pretraining is meant to beat.
// sizes = {V, H1, ..., code}.
DeepAutoencoder random_autoencoder(const std::vector<int64_t>& sizes, uint64_t seed = 0);

struct FineTuneOptions {
  int64_t epochs = 10;
  int64_t batch_size = 100;
  double lr = 1e-3;  // Adam (HS2006 used conjugate gradients on large batches)
  uint64_t seed = 0;
  std::function<void(int64_t epoch, double train_loss, double seconds)> on_epoch = {};
};
// Backpropagation on Σ_pixels BCE(σ(logits), x), averaged over the batch.
// Returns the last epoch's mean training loss (nats per image).
double fine_tune(DeepAutoencoder& ae, const Tensor& X, const FineTuneOptions& opt);

// Mean over rows of ‖x − x̂‖²: the figure HS2006 report.
double squared_error_per_image(const DeepAutoencoder& ae, const Tensor& X);

// ---- semantic hashing ----
// One threshold per code unit: its (upper) median over `codes` [N, k], so each
// bit (code > threshold) is on for about half the data: the most informative split.
Tensor median_thresholds(const Tensor& codes);
// Bits of codes [N, k] (k <= 64) above the thresholds, packed one row per word.
std::vector<uint64_t> binary_codes(const Tensor& codes, const Tensor& thresholds);
// For every query, the k database items nearest in Hamming distance (ties:
// lower index first); the mean fraction of them that share the query's label.
double hamming_precision(const std::vector<uint64_t>& queries, const Tensor& query_labels,
                         const std::vector<uint64_t>& database, const Tensor& database_labels, int64_t k);

}  // namespace latent::models
