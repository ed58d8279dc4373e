// Chapter 08 — GAN architectures: MLP and DCGAN generators and
// discriminators, conditional (cGAN) and InfoGAN variants, and the
// autoencoder discriminator of BEGAN, all from one GanNetConfig.
//
// DCGAN (Radford et al. 2016, §3 "architecture guidelines for stable deep
// convolutional GANs"), for 28x28 MNIST as the PyTorch peer in
// bench/train_bench.cpp:
//   G  z [N,nz] → [N,nz,1,1] → ConvT(nz→2w, 7) → BN → ReLU            7x7
//                            → ConvT(2w→w, 4, stride 2, pad 1) → BN → ReLU   14x14
//                            → ConvT(w→1, 4, stride 2, pad 1) → Tanh          28x28
//   D  x [N,1,28,28] → Conv(1→w, 4, s2, p1) → LeakyReLU(0.2)          14x14
//                    → Conv(w→2w, 4, s2, p1) → BN → LeakyReLU(0.2)     7x7
//                    → flatten = the features f(x) [N, 2w·49] → Linear(→1, no bias)
// with w = 64. The guidelines: strided convolutions instead of pooling (the
// network learns its own down/upsampling), batch norm in both nets except G's
// output and D's input layers, ReLU in G with Tanh at the output (images are
// scaled to [−1, 1]), LeakyReLU in D, no fully connected hidden layers, and
// every weight N(0, 0.02²). The last Linear over the 7x7x2w features is the
// peer's Conv(2w→1, 7) written as what it is: one dot product per image.
//
// Conditional GAN (Mirza & Osindero 2014): the label y enters both nets. G
// gets one_hot(y) appended to z. D gets it either concatenated to its input
// (as constant one-hot feature maps for images) or by projection (Miyato &
// Koyama 2018): score = w·f(x) + ⟨embed(y), f(x)⟩, the inner product of a
// learned class embedding with D's features.
//
// InfoGAN (Chen et al. 2016): G's input is [z, c] with a categorical code
// (one-hot of c_cat ~ Uniform{0..K−1}) and continuous codes c_cont ~ U(−1, 1).
// A head Q on D's features predicts c from G(z, c): logits for c_cat, mean
// and log-variance for c_cont. Maximising the variational lower bound of the
// mutual information I(c; G(z, c)) (their eq. 4) is minimising Q's
// cross-entropy + Gaussian NLL on the codes (gan_train.h, info_loss).
#pragma once

#include <memory>
#include <string>

#include "models/ch08/gan_tricks.h"
#include "nn/layers.h"

namespace latent::models {

enum class GanArch { mlp, dcgan };
enum class Conditioning { concat, projection };

// What goes into a generator: noise z, then InfoGAN's codes, then (inside
// generate) the one-hot class label of a conditional GAN.
struct LatentSpec {
  int64_t noise = 100;       // z ~ N(0, I)
  int64_t categorical = 0;   // InfoGAN: one categorical code with this many values (0: none)
  int64_t continuous = 0;    // InfoGAN: this many codes ~ U(−1, 1)
  int64_t classes = 0;       // cGAN: labels y in [0, classes)
  int64_t code_dim() const { return categorical + continuous; }
  int64_t input_dim() const { return noise + code_dim(); }  // z's width as generate() takes it
};

struct GanNetConfig {
  GanArch arch = GanArch::dcgan;
  LatentSpec latent;
  // mlp: data are vectors [N, data_dim]; hidden_layers layers of `hidden` units in each net.
  int64_t data_dim = 2, hidden = 128, hidden_layers = 2;
  bool tanh_output = true;  // mlp G: Tanh on the output (data in [−1, 1]); off for the 2-d ring
  // dcgan: images [N, channels, 28, 28]; G has 2w then w feature maps, D w then 2w.
  int64_t channels = 1, g_width = 64, d_width = 64;
  // dcgan: > 0 adds one fully connected layer of this many units to each net, the MNIST nets
  // of InfoGAN (Chen et al. 2016, appendix C.1: 1024) that Lucic et al. 2018 use for MNIST:
  //   G  z → Linear(fc) → BN → ReLU → Linear(2w·49) → BN → ReLU → [2w,7,7] → the two ConvT above
  //   D  the two convolutions → flatten → Linear(fc) → BN → LeakyReLU = the features f(x)
  // One more hidden layer in each net (the plain G's ConvT(nz→2w, 7) on a 1x1 input is already
  // the second Linear). A BEGAN decoder, being a generator of the same config, gets it too.
  int64_t fc_hidden = 0;
  // G: a mapping network before the net (Karras et al. 2019, StyleGAN §2): the noise z goes
  // through mapping_layers × [Linear(mapping_width) → LeakyReLU(0.2)] (He init), and the net
  // takes that instead of z. A fixed N(0, I) is one round cloud; the mapping lets G warp it, so
  // the regions that draw each digit can be pulled apart before the image is made. InfoGAN's
  // codes and a cGAN's label skip it and join after. equalized_lr leaves it alone (its scale is
  // mapping_lr_scale's). 0: off (and no mapping in the state dict).
  int64_t mapping_layers = 0, mapping_width = 512;
  // The mapping's weights learn this much slower than the rest of G: each is W = m·V with V
  // trained and m = mapping_lr_scale, so Adam's step on W is m times its step on V (Karras et al.
  // 2019 use 0.01). The biases train at the full rate. 1: W = V, plain He-initialised layers.
  double mapping_lr_scale = 1.0;
  Conditioning conditioning = Conditioning::concat;  // how D sees y (latent.classes > 0)
  double leaky_slope = 0.2;    // D's LeakyReLU
  bool g_batch_norm = true;    // dcgan G (Radford et al.); an mlp G only with mlp_batch_norm
  bool d_batch_norm = true;    // dcgan D; turn off for gradient penalties (Gulrajani et al. §4)
  // mlp: BatchNorm1d after each hidden Linear of the nets whose switch above is on (BEGAN's
  // decoder, being part of D, follows d_batch_norm). Off by default, so the mlp nets have none.
  // g_batch_norm defaults to true: for batch norm in D only, set g_batch_norm = false too.
  // The ring's BEGAN uses it in D (docs/08): a clump of fakes is rescaled to unit spread
  // inside D, so D, and G through D's error, see the small differences between them.
  bool mlp_batch_norm = false;
  // dcgan: He et al. 2015's N(0, 2/fan_in) instead of DCGAN's N(0, 0.02²), fan_in counting the
  // inputs each output really sums; for both nets built from this config. Without batch norm
  // to restore the scale, 0.02 shrinks the signal at every layer: BEGAN's six-layer autoencoder
  // D then outputs one mean image and its gradients vanish (docs/08). mnist_setup set it for
  // BEGAN while the table's autoencoder had no batch norm; it has batch norm again now.
  bool he_init = false;
  // BEGAN: D is an autoencoder, body → Linear → code [N, began_code] → a
  // generator-shaped decoder; its score is the per-example L1 reconstruction error.
  bool autoencoder = false;
  int64_t began_code = 64;
  // Tricks (gan_tricks.h): each off by default.
  bool pixel_norm = false;        // G: PixelNorm after each hidden layer (replaces G's batch norm)
  bool equalized_lr = false;      // both: Equalized* layers, weights N(0,1) scaled by √2/√fan_in
  // D: every Linear and Conv2d weight of the score's path divided by its σ (spectral_norm.h; not
  // InfoGAN's Q head). D is then 1-Lipschitz only without batch norm and the minibatch tricks.
  bool spectral_norm = false;
  bool minibatch_stddev = false;  // D: one more feature (map) after the last convolution (mlp: hidden layer)
  int64_t mbd_kernels = 0;        // D: minibatch discrimination with B = mbd_kernels (0: off)
  int64_t mbd_dims = 5;           //    ... and C = mbd_dims
  int64_t q_hidden = 128;         // InfoGAN's Q head: features → Linear(q_hidden) → LeakyReLU → codes
  DType dtype = DType::f32;       // f64 for gradient checks
  uint64_t seed = 0;              // every initial weight
};

// Checks a config; the error names the field ("GanNetConfig: hidden_layers must be >= 1, got 0").
void validate(const GanNetConfig& c);

// What a discriminator computes for a batch.
struct DiscriminatorOutput {
  Var score;     // [N, 1]: a logit, a critic value, or (BEGAN) the reconstruction error
  Var features;  // [N, F]: the last hidden layer (feature matching, InfoGAN's Q, projection)
  Var q;         // InfoGAN: [N, categorical + 2·continuous] = [logits, μ, log σ²]; else undefined
};

// The two players as the trainer (gan_train.h) sees them; GanGenerator and
// GanDiscriminator below, and the progressive nets (progressive.h), are both.
class GeneratorNet : public nn::Module {
 public:
  // z [N, latent().input_dim()] (noise, then codes); y int64 [N] for a cGAN, undefined otherwise.
  virtual Var generate(const Var& z, const Tensor& y = Tensor()) = 0;
  virtual LatentSpec latent() const = 0;
  Var forward(const Var& z) override { return generate(z); }
};
class DiscriminatorNet : public nn::Module {
 public:
  virtual DiscriminatorOutput run(const Var& x, const Tensor& y = Tensor()) = 0;
  Var forward(const Var& x) override { return run(x).score; }
};

class GanGenerator : public GeneratorNet {
 public:
  explicit GanGenerator(const GanNetConfig& config);
  // Returns [N, data_dim] (mlp) or [N, channels, 28, 28] (dcgan).
  Var generate(const Var& z, const Tensor& y = Tensor()) override;
  LatentSpec latent() const override { return cfg_.latent; }
  std::string describe() const override;
  const GanNetConfig& config() const { return cfg_; }
  Shape sample_shape() const;  // one sample's shape: [data_dim] or [channels, 28, 28]

 private:
  GanNetConfig cfg_;
  std::shared_ptr<nn::Sequential> mapping_;  // only with cfg_.mapping_layers > 0
  std::shared_ptr<nn::Sequential> net_;
};

class GanDiscriminator : public DiscriminatorNet {
 public:
  explicit GanDiscriminator(const GanNetConfig& config);
  // x [N, data_dim] or [N, channels, 28, 28]; y int64 [N] for a cGAN.
  DiscriminatorOutput run(const Var& x, const Tensor& y = Tensor()) override;
  std::string describe() const override;
  const GanNetConfig& config() const { return cfg_; }
  int64_t feature_dim() const { return feature_dim_; }

 private:
  GanNetConfig cfg_;
  std::shared_ptr<nn::Sequential> body_;            // x → features (before the tricks on them)
  std::shared_ptr<MinibatchStddev> mbstd_;          // optional
  std::shared_ptr<MinibatchDiscrimination> mbd_;    // optional
  nn::ModulePtr head_, embed_, code_;               // score layer; projection embedding; BEGAN code
  std::shared_ptr<GanGenerator> decoder_;           // BEGAN
  std::shared_ptr<nn::Sequential> q_;               // InfoGAN
  int64_t feature_dim_ = 0;
};

// G and D together, as one Module so one checkpoint holds both
// ("generator.<...>", "discriminator.<...>").
class Gan : public nn::Module {
 public:
  explicit Gan(const GanNetConfig& config);
  std::string describe() const override;
  std::shared_ptr<GanGenerator> generator;
  std::shared_ptr<GanDiscriminator> discriminator;
};

// Casts every parameter of m to dtype in place (f64 for gradient checks).
void cast_parameters(nn::Module& m, DType dtype);

// The 28x28 shape check for images; names the op and both shapes.
void check_images(const std::string& op, const Var& x, int64_t channels);

}  // namespace latent::models
