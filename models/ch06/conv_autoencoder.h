// Chapter 06 — a convolutional autoencoder: strided convolutions shrink the
// image, transposed convolutions (their adjoints) grow it back.
//
//   encoder  [N,1,28,28] → Conv2d(1→c1, 3×3, stride 2, pad 1) → ReLU → [N,c1,14,14]
//                        → Conv2d(c1→c2, 3×3, stride 2, pad 1) → ReLU → [N,c2,7,7]
//                        → flatten → Linear(c2·49 → code)                       h [N, code]
//   decoder  h → Linear(code → c2·49) → ReLU → [N,c2,7,7]
//              → ConvTranspose2d(c2→c1, 3×3, stride 2, pad 1, output_pad 1) → ReLU → [N,c1,14,14]
//              → ConvTranspose2d(c1→1, 3×3, stride 2, pad 1, output_pad 1) → logits [N,1,28,28]
// A stride-2 convolution maps H to ⌊(H + 2·1 − 3)/2⌋ + 1 = ⌈H/2⌉; the transposed one maps H back
// to (H − 1)·2 − 2·1 + 3 + 1 = 2H (the output padding picks the even size of the two the
// stride-2 convolution could have come from). Images must have H and W divisible by 4.
// The weights are shared across positions, so the network has far fewer parameters than an MLP
// of the same code size, and its filters see local strokes (Masci et al. 2011).
#pragma once

#include "models/ch06/autoencoder.h"

namespace latent::models {

// Every weight U(−1/√fan_in, 1/√fan_in) (PyTorch's default scale, nn::init::fans), every bias 0,
// drawn from g: a seed fixes the model, whatever the default generator has done.
void seeded_init(nn::Module& m, Generator& g);

struct ConvAutoencoderConfig {
  int64_t height = 28, width = 28;
  int64_t channels1 = 16, channels2 = 32;
  int64_t code = 32;
  uint64_t seed = 0;
};

class ConvAutoencoder : public nn::Module {
 public:
  explicit ConvAutoencoder(const ConvAutoencoderConfig& config = {});
  std::string describe() const override;
  const ConvAutoencoderConfig& config() const { return cfg_; }
  Var encode(const Var& x);         // [N,1,H,W] → [N, code]
  Var decode_logits(const Var& h);  // [N, code] → [N,1,H,W] (before the sigmoid)
  Var forward(const Var& x) override { return sigmoid(decode_logits(encode(x))); }
  // Checks x ([N,1,H,W], or [N, H·W]) and returns it as [N,1,H,W] float32; errors name the shapes.
  Tensor check_input(const std::string& op, const Tensor& x) const;
  Tensor codes(const Tensor& x, int64_t batch = 500);
  Tensor reconstruct(const Tensor& x, int64_t batch = 500);  // [N,1,H,W]

 private:
  ConvAutoencoderConfig cfg_;
  std::shared_ptr<nn::Sequential> encoder_, decoder_;
};

// Minibatch Adam on the summed cross-entropy per image (and opt.objective.corruption, if any:
// a convolutional denoising autoencoder). Only the loss and corruption of opt.objective apply
// (penalties are for the MLP autoencoder); the loss must be the cross-entropy. opt.weight_decay
// is Adam's L2 term, as in train_autoencoder.
AeEpoch train_conv_autoencoder(ConvAutoencoder& ae, const Tensor& x, const AeTrainOptions& opt);

double squared_error_per_image(ConvAutoencoder& ae, const Tensor& x);

}  // namespace latent::models
