// Chapter 06 — the stacked autoencoder: trained greedily, one layer at a time,
// then fine-tuned end to end (Bengio et al. 2007, "Greedy layer-wise training
// of deep networks"; with denoising layers, the stacked denoising autoencoder
// of Vincent et al. 2010, §3.5).
//
// For sizes {D, H1, ..., Hk}:
//   1. train a one-layer autoencoder D → H1 → D on x;
//   2. train H1 → H2 → H1 on the first layer's codes h1(x), then H2 → H3 on
//      h2(h1(x)), ...: each layer learns to reconstruct the layer below;
//   3. stack the encoders (bottom to top) and the decoders (top to bottom) into
//      one deep autoencoder D-H1-...-Hk-...-H1-D;
//   4. fine-tune it by backpropagation on the reconstruction of x.
// The same idea as chapter 05's RBM stack (pretrain_autoencoder_stack), with
// autoencoders in place of RBMs: no sampling, no contrastive divergence.
#pragma once

#include <functional>

#include "models/ch06/autoencoder.h"

namespace latent::models {

struct StackedConfig {
  std::vector<int64_t> sizes = {784, 256, 64};  // {input, H1, ..., code}, at least two layers' worth
  Activation hidden_activation = Activation::sigmoid;
  Activation code_activation = Activation::sigmoid;
  Activation output_activation = Activation::sigmoid;  // of the deep net's output (layer 1's decoder)
  uint64_t seed = 0;
};

// The deep autoencoder's config for a stack: hidden = sizes[1..k−1], code = sizes[k]
// (undercomplete is not enforced: a stack may widen before it narrows).
AutoencoderConfig stacked_config(const StackedConfig& s);

// Steps 1–3. `layer_opt` trains every layer: its objective's corruption and penalties apply to
// each layer's input (a stacked denoising autoencoder when it corrupts). Layer 1 uses its loss;
// higher layers use the cross-entropy when hidden units are sigmoid (their targets are in (0, 1))
// and the squared error otherwise. on_layer(l, e) reports epoch e of layer l (from 0).
// Returns the unrolled, not yet fine-tuned, deep autoencoder.
std::shared_ptr<Autoencoder> pretrain_stacked(const Tensor& x, const StackedConfig& s, const AeTrainOptions& layer_opt,
                                              const std::function<void(int64_t layer, const AeEpoch&)>& on_layer = {});

}  // namespace latent::models
