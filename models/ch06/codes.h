// Chapter 06 — what a code is good for, measured two ways.
//
//   Linear probe: multinomial logistic regression on frozen features,
//       p(y = c | z) = softmax(A ẑ + b)_c,   ẑ = (z − mean) / std  (per feature, training statistics),
//   trained by minimising the mean cross-entropy −log p(y_n | z_n) with Adam. A linear classifier
//   can only use what the code makes linearly available, so its test accuracy compares codes:
//   raw pixels, PCA, autoencoders, rotation-prediction features (the protocol of Gidaris et al.
//   2018 §3 and of most self-supervised papers since).
//   Standardising first gives every feature the same scale, so one learning rate suits pixels
//   (mostly 0), PCA coordinates (variances from 5 to 0.01) and sigmoid codes alike.
//
//   Retrieval: for each query code, its k nearest database codes in Euclidean distance;
//   precision@k is the fraction of them with the query's label, averaged over queries
//   (as chapter 05's Hamming retrieval, with real-valued codes).
#pragma once

#include <functional>
#include <memory>

#include "nn/layers.h"

namespace latent::models {

struct LinearProbe {
  Tensor mean, inv_std;                  // [k] float32: the standardisation, from the training features
  std::shared_ptr<nn::Linear> linear;    // k → classes
  Tensor logits(const Tensor& features) const;  // [N, classes], no graph
};

struct ProbeOptions {
  int64_t epochs = 20;
  int64_t batch_size = 100;
  double lr = 1e-2;            // Adam
  double weight_decay = 0;     // L2 on A (Adam's coupled form), 0: none
  uint64_t seed = 0;
  std::function<void(int64_t epoch, double loss)> on_epoch = {};
};

// features [N, k] (or [N, ...], flattened), labels int64 [N] in [0, classes).
LinearProbe train_linear_probe(const Tensor& features, const Tensor& labels, int64_t classes, const ProbeOptions& opt = {});
// Fraction of rows whose most probable class is their label.
double probe_accuracy(const LinearProbe& probe, const Tensor& features, const Tensor& labels);

// Mean over queries of (# of the k nearest database rows sharing the query's label) / k, by
// squared Euclidean distance ‖q‖² + ‖d‖² − 2 q·d (one GEMM per block of `block` queries, so
// memory is block × database). Ties broken by lower database index. queries [Q, k], database [D, k].
double retrieval_precision(const Tensor& queries, const Tensor& query_labels, const Tensor& database,
                           const Tensor& database_labels, int64_t k, int64_t block = 256);

}  // namespace latent::models
