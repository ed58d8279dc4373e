// Chapter 06 — greedy layer-wise pretraining of a stacked autoencoder (stacked.h).
#include "models/ch06/stacked.h"

namespace latent::models {

namespace {

void copy_linear(nn::Linear& to, const nn::Linear& from) {
  Tensor w = to.weight.data(), b = to.bias.data();
  w.copy_(from.weight.data());
  b.copy_(from.bias.data());
}

}  // namespace

AutoencoderConfig stacked_config(const StackedConfig& s) {
  if (s.sizes.size() < 3)
    fail("stacked autoencoder", "needs sizes {input, H1, ..., code} with at least two layers, got " +
                                    std::to_string(s.sizes.size()) + " sizes");
  AutoencoderConfig c;
  c.input = s.sizes.front();
  c.hidden.assign(s.sizes.begin() + 1, s.sizes.end() - 1);
  c.code = s.sizes.back();
  c.hidden_activation = s.hidden_activation;
  c.code_activation = s.code_activation;
  c.output_activation = s.output_activation;
  c.undercomplete = false;
  c.seed = s.seed;
  return c;
}

std::shared_ptr<Autoencoder> pretrain_stacked(const Tensor& x, const StackedConfig& s, const AeTrainOptions& layer_opt,
                                              const std::function<void(int64_t, const AeEpoch&)>& on_layer) {
  const AutoencoderConfig deep_cfg = stacked_config(s);
  auto deep = std::make_shared<Autoencoder>(deep_cfg);
  Tensor input = deep->check_input("pretrain_stacked", x);
  const int64_t L = (int64_t)s.sizes.size() - 1;
  for (int64_t l = 0; l < L; ++l) {
    AutoencoderConfig c;
    c.input = s.sizes[(size_t)l];
    c.code = s.sizes[(size_t)l + 1];
    c.code_activation = l + 1 == L ? s.code_activation : s.hidden_activation;
    // Layer 1 rebuilds pixels; layer l > 1 rebuilds the hidden units below, so its output units
    // are those units (their activation) — which is what they become in the unrolled decoder.
    c.output_activation = l == 0 ? s.output_activation : s.hidden_activation;
    c.undercomplete = false;
    c.seed = s.seed + 1000 * (uint64_t)(l + 1);
    Autoencoder layer(c);
    AeTrainOptions o = layer_opt;
    o.seed = layer_opt.seed + (uint64_t)l;
    if (l > 0)
      o.objective.loss = c.output_activation == Activation::sigmoid ? ReconstructionLoss::cross_entropy
                                                                     : ReconstructionLoss::squared_error;
    if (on_layer) o.on_epoch = [&on_layer, l](const AeEpoch& e) { on_layer(l, e); };
    else o.on_epoch = {};
    train_autoencoder(layer, input, o);
    copy_linear(*deep->encoder_linears()[(size_t)l], *layer.encoder_linears()[0]);
    copy_linear(*deep->decoder_linears()[(size_t)(L - 1 - l)], *layer.decoder_linears()[0]);
    if (l + 1 < L) input = layer.codes(input);  // the next layer's data: this layer's (clean) codes
  }
  return deep;
}

}  // namespace latent::models
