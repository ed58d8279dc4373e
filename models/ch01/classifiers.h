// Chapter 01 — supervised warm-up: an MLP and LeNet-5 for MNIST digits.
//
// These are the toolkit's first customers: layers, losses, optimizers, data
// loading and checkpoints all get exercised here. The trained LeNet is saved
// and reused in chapter 08 as the feature network of the GAN metrics.
#pragma once

#include <functional>

#include "nn/data.h"
#include "nn/layers.h"
#include "nn/optim.h"

namespace latent::models {

// 784 -> hidden... -> 10 with ReLU, on flattened images.
std::shared_ptr<nn::Sequential> make_mlp(const std::vector<int64_t>& hidden = {256, 128});

// LeNet-5 as in Caffe's MNIST example (LeCun et al. 1998, with ReLU and max
// pooling): conv 5x5 20 → pool → conv 5x5 50 → pool → 800 → 500 → 10.
std::shared_ptr<nn::Sequential> make_lenet5();

struct EvalResult {
  double loss = 0, accuracy = 0;  // mean cross-entropy, fraction correct
};
// Evaluation mode, no graph, in batches.
EvalResult evaluate(nn::Module& model, const Tensor& images, const Tensor& labels, int64_t batch = 1000);

// One epoch of minibatch training on cross-entropy. `on_batch(i, loss)` is
// called after every step with the batch's size n (progress display).
// Returns the mean training loss.
double train_epoch(nn::Module& model, nn::Optimizer& opt, DataLoader& loader,
                   const std::function<void(int64_t i, double loss, int64_t n)>& on_batch = {});

}  // namespace latent::models
