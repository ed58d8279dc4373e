// Chapter 05 — a yardstick with an exact likelihood: the fully visible sigmoid
// belief net (FVSBN; Frey 1998, the baseline of Larochelle & Murray 2011).
//
// An RBM's log-likelihood needs log Z, which AIS only estimates. The FVSBN has
// no hidden units and no Z: it writes p(v) by the chain rule in pixel order,
//
//   p(v) = Π_j p(v_j | v_<j),   p(v_j = 1 | v_<j) = σ(b_j + Σ_{i<j} W_ij v_i),
//
// a logistic regression per pixel on the pixels before it, so log p(v) is a
// sum of 784 Bernoulli log-probabilities, exact and cheap. It is a weaker
// model than a good RBM-500 (Larochelle & Murray: FVSBN −97.45 vs RBM −86.34
// on stochastically binarised MNIST), so it bounds what the RBM's AIS figure
// should beat on the same data; and trained on two binarisations of MNIST it
// measures how many nats the binarisation itself is worth.
#pragma once

#include "nn/module.h"

namespace latent::models {

class Fvsbn : public nn::Module {
 public:
  explicit Fvsbn(int64_t V);
  // The logits b + v (W ⊙ M) of p(v_j = 1 | v_<j) for each row v [N, V]; M keeps only i < j.
  Var forward(const Var& v) override;
  // log p(v) per row [N] (float64 sum), exact; v must be 0/1.
  Tensor log_prob(const Tensor& v) const;
  std::string describe() const override;
  Var W, b;      // [V, V] (only the strict upper triangle is used), [V]
  Tensor mask;   // [V, V], 1 where i < j
  int64_t V;
};

struct FvsbnFitOptions {
  int64_t epochs = 20, batch_size = 100;
  double lr = 1e-3;  // Adam
  bool dynamic = false;  // true: X holds grey levels, each minibatch is binarised afresh (binarize_dynamic)
  uint64_t seed = 0;
};
// Maximum likelihood by Adam on −mean log p(v). X [N, V]: 0/1 images (or grey levels with dynamic).
void fvsbn_fit(Fvsbn& m, const Tensor& X, const FvsbnFitOptions& opt = {});

}  // namespace latent::models
