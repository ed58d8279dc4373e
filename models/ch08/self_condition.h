// Chapter 08 — self-conditioning: a conditional GAN without labels.
//
// Given MNIST's digit labels, a conditional GAN draws clean digits: LeNet's IS 9.41 after 5
// epochs with the plain nets, where the unconditional DCGAN with InfoGAN's larger nets levels
// off near 8.9 (docs/08). The unconditional G maps one continuous z ~ N(0, I) onto ten separate
// digit manifolds, so some z land between them and give in-between digits that LeNet cannot
// name. Self-conditioning (Liu et al. 2020, "Diverse image generation via self-conditioned
// GANs") gets labels without labels: cluster the training images, and train a conditional GAN
// on the cluster indices. To sample, draw a cluster y from the clusters' shares, then x from G:
//
//   p_G(x) = Σ_y p(y) p_G(x | y),   p(y) = N_y / N                     (still a model of all x)
//
// Every cluster is a smaller, more uniform set of images, so each p_G(x | y) has less ground to
// cover. No digit label is used. Liu et al. cluster D's features and re-cluster as training
// goes; here chapter 03's k-means clusters the pixels once, before training (simpler, and a
// fixed y keeps the cGAN's task fixed).
//
//   PseudoLabels c = cluster_pseudo_labels(train_images, 100, seed);
//   net.latent.classes = c.k;                      // a cGAN (gan_nets.h) on c.labels
//   train_gan(trainer, to_pm1(train_images), c.labels, options);
//   Tensor y = sample_pseudo_labels(c.shares, 10000, gen);
//   Tensor images = sample_images(G, 10000, gen, y);
#pragma once

#include <cstdint>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace latent::models {

struct PseudoLabels {
  int64_t k = 0;
  Tensor labels;        // int64 [N]: each image's k-means cluster
  Tensor shares;        // float64 [k]: N_y / N, the prior p(y) to sample clusters from
  Tensor centres;       // [k, C·H·W]: the cluster means (mean images)
  double inertia = 0;   // k-means' Σ_i ||x_i − centre||²
  int64_t iterations = 0;
};
// k-means (chapter 03's Lloyd, k-means++ seeds, n_init restarts) on the images flattened to
// [N, C·H·W] (images [N, C, H, W] or already flat [N, D]; float, any range; 1 ≤ k ≤ N, though
// a cGAN needs k ≥ 2 classes).
PseudoLabels cluster_pseudo_labels(const Tensor& images, int64_t k, uint64_t seed, int64_t n_init = 1);

// n cluster indices drawn with probability shares[j] / Σ shares (shares [k], finite, >= 0, not
// all 0; a cluster of share 0 is never drawn): int64 [n].
Tensor sample_pseudo_labels(const Tensor& shares, int64_t n, Generator& g);

}  // namespace latent::models
