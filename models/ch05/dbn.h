// Chapter 05 — deep belief networks: RBMs stacked and trained greedily, one
// layer at a time (Hinton, Osindero & Teh 2006).
//
// Train an RBM on the data; then treat its hidden activations p(h¹|v) as data
// for a second RBM, and so on. Each new layer improves a variational lower
// bound on log p(v) (HOT 2006, section 4): with q(h¹|v) = p(h¹|v) from the
// first RBM,
//
//   log p(v) ≥ Σ_h¹ q(h¹|v) [log p(h¹) + log p(v|h¹)] + H(q(h¹|v))
//
// and the second RBM replaces the first one's implicit prior p(h¹) by a model
// of the aggregate q(h¹). HOT 2006 prove the bound cannot fall when the new
// layer starts as the old one transposed; dbn_fit starts each layer afresh
// (as HOT do in practice), so the bound motivates the recipe rather than
// guaranteeing every step.
//
// The result is a hybrid: an RBM on top (undirected), and directed sigmoid
// belief-net layers below it. To sample (dbn_sample): run Gibbs in the top
// RBM, then one top-down pass through the layers' p(v|h). A recognition pass
// (dbn_up) uses the layers' p(h|v): an approximation below the top, because
// the directed layers "explain away" — their true posterior does not factorise.
//
// For classification the stack initialises a sigmoid MLP (dbn_to_mlp) that
// backpropagation fine-tunes (Hinton & Salakhutdinov 2006).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "models/ch05/rbm_train.h"
#include "nn/layers.h"

namespace latent::models {

struct Dbn {
  std::vector<Rbm> layers;  // bottom first; layers[l].num_hidden() == layers[l+1].num_visible()
  std::vector<int64_t> sizes() const;  // {V, H1, H2, ...}
  std::string describe() const;        // "DBN(784-500-500-2000)"
};

// A stack must chain: every layer's visible units are the previous one's hidden units.
void check_dbn(const std::string& op, const Dbn& d);

// Greedy layer-wise training: layer l is an RBM with hidden_sizes[l] units,
// trained by opt.layers[l] (one entry: the same options for every layer; the
// seed is offset per layer) on the previous layer's hidden means. The last
// layer's hidden units are `top_hidden` (gaussian: the linear code layer of
// the deep autoencoder). on_epoch(l, stats, rbm) sees every layer's epochs.
struct DbnFitOptions {
  std::vector<RbmTrainOptions> layers;  // one, or one per layer
  Units top_hidden = Units::bernoulli;
  std::function<void(int64_t layer, const RbmEpochStats&, const Rbm&)> on_epoch = {};
};
Dbn dbn_fit(const Tensor& X, const std::vector<int64_t>& hidden_sizes, const DbnFitOptions& opt);

// The recognition pass: hidden means of layer `upto` (−1: the top), [N, H].
Tensor dbn_up(const Dbn& d, const Tensor& X, int64_t upto = -1);
// The generative pass from the top-level RBM's visible layer (the
// penultimate hidden layer) down to the data: means at every layer.
Tensor dbn_down(const Dbn& d, const Tensor& top_visible);

// n samples: `gibbs_steps` alternating Gibbs steps in the top RBM from
// start [n, layers.back().num_visible()] (undefined: random bits), then
// dbn_down. Returns visible means [n, V].
Tensor dbn_sample(const Dbn& d, int64_t n, int64_t gibbs_steps, Generator& g, const Tensor& start = Tensor());

// A sigmoid MLP initialised from the stack — Linear(W_lᵀ, c_l) + Sigmoid per
// layer — and a fresh Linear(H_top, num_classes) on top (logits).
std::shared_ptr<nn::Sequential> dbn_to_mlp(const Dbn& d, int64_t num_classes, uint64_t seed = 0);

}  // namespace latent::models
