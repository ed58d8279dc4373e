// Chapter 08 — training tricks for GANs, as layers and losses.
//
// From Salimans et al. 2016 ("Improved techniques for training GANs"):
//   feature matching (§3.1), minibatch discrimination (§3.2), historical
//   averaging (§3.3), one-sided label smoothing (§3.4: the real_target of
//   discriminator_loss in gan_losses.h).
// From Yazıcı et al. 2019: an exponential moving average of G's weights.
// From Karras et al. 2018 ("Progressive growing of GANs"):
//   the minibatch standard deviation layer (§3), pixelwise feature vector
//   normalisation and the equalised learning rate (§4).
// Each switch lives in GanNetConfig (gan_nets.h) or GanTrainConfig
// (gan_train.h); the layers are here so they can be read (and gradient
// checked) one at a time.
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "nn/layers.h"

namespace latent::models {

// Pixelwise feature normalisation (Karras et al. §4.2), used in G after each
// conv instead of batch norm:  b_{x,y} = a_{x,y} / √(mean_c (a^c_{x,y})² + ε),
// the feature vector at each pixel (axis 1) scaled to unit mean square. It has
// no parameters; it only stops the magnitudes in G and D from escalating.
class PixelNorm : public nn::Module {
 public:
  explicit PixelNorm(double eps = 1e-8) : eps(eps) {}
  Var forward(const Var& x) override;  // [N, C, ...] -> same shape
  std::string describe() const override { return "PixelNorm"; }
  double eps;
};

// Minibatch standard deviation (Karras et al. §3): the standard deviation of
// every feature at every position over the minibatch, averaged into one
// number, appended to each example as one more constant feature (map). D can
// then see when a batch of fakes is less varied than a batch of real data —
// mode collapse becomes visible to it. [N, C, H, W] -> [N, C+1, H, W]; [N, F] -> [N, F+1].
class MinibatchStddev : public nn::Module {
 public:
  explicit MinibatchStddev(double eps = 1e-8) : eps(eps) {}
  Var forward(const Var& x) override;
  std::string describe() const override { return "MinibatchStddev"; }
  double eps;
};

// Minibatch discrimination (Salimans et al. §3.2). Features f(x_i) ∈ R^A are
// multiplied by a learned tensor T ∈ R^{A×B×C} into M_i ∈ R^{B×C}; for each of
// the B rows,  c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖_L1),  and
//   o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j)
// measures how close x_i is to the rest of its batch. [f, o] goes on to D's
// last layer, so D can penalise batches of near-identical samples. [N, A] -> [N, A+B].
class MinibatchDiscrimination : public nn::Module {
 public:
  MinibatchDiscrimination(int64_t in_features, int64_t kernels, int64_t kernel_dims, DType dtype = DType::f32,
                          Generator* g = nullptr);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var T;  // [A, B·C], N(0, 0.1²) at the start (a small T keeps every c_b near 1 and gradients alive)
  int64_t in_features, kernels, kernel_dims;
};

// Equalised learning rate (Karras et al. §4.1): weights start as N(0, 1) and
// are scaled at every forward pass by He's constant c = √2/√fan_in, ŵ = c·w.
// At the start the function is the same as with He's initialisation; training
// differs. Adam's step is about lr for every weight, whatever its scale, so with
// He's initialisation the large weights of a small-fan-in layer change slowly
// relative to their size and the small weights of a large-fan-in layer quickly.
// Stored as N(0, 1) everywhere, every weight has the same scale and Adam's step
// is the same relative change in every layer ("parameters with a larger dynamic
// range take longer to adjust", Karras et al. §4.1).
class EqualizedLinear : public nn::Module {
 public:
  EqualizedLinear(int64_t in, int64_t out, bool bias = true, double gain = std::sqrt(2.0), DType dtype = DType::f32,
                  Generator* g = nullptr);
  Var forward(const Var& x) override;  // linear(x, c·w, b)
  std::string describe() const override;
  Var weight, bias;
  int64_t in_features, out_features;
  double scale;  // c = gain / √in
};
class EqualizedConv2d : public nn::Module {
 public:
  EqualizedConv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0, bool bias = true,
                  double gain = std::sqrt(2.0), DType dtype = DType::f32, Generator* g = nullptr);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var weight, bias;  // [out, in, k, k], [out]
  int64_t in_channels, out_channels, kernel;
  Conv2dParams params;
  double scale;  // c = gain / √(in·k²)
};
// The transposed convolution's version, weight [in, out, k, k]; fan-in taken
// as in·k² (each input pixel's weights), as in common implementations.
class EqualizedConvTranspose2d : public nn::Module {
 public:
  EqualizedConvTranspose2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                           bool bias = true, double gain = std::sqrt(2.0), DType dtype = DType::f32,
                           Generator* g = nullptr);
  Var forward(const Var& x) override;
  std::string describe() const override;
  Var weight, bias;
  int64_t in_channels, out_channels, kernel;
  Conv2dParams params;
  double scale;
};

// Feature matching (Salimans et al. §3.1): instead of fooling D's last layer,
// G matches the mean of D's intermediate features f on real data,
//   L_G = ‖E_x f(x) − E_z f(G(z))‖²₂,
// a moving target that does not let G over-train on the current D.
// real_features (treated as a constant) and fake_features: [N, F] and [M, F].
Var feature_matching_loss(const Var& real_features, const Var& fake_features);

// Historical averaging (Salimans et al. §3.3): each player's loss gets
//   ‖θ − (1/t) Σ_{i≤t} θ[i]‖²,
// pulling the parameters towards their running average, which damps the
// oscillations of gradient descent around a game's equilibrium.
class HistoricalAverage {
 public:
  explicit HistoricalAverage(std::vector<Var> params);
  void update();       // fold the current parameter values into the average
  Var penalty() const; // Σ over parameters of ‖θ − θ̄‖² (0 before the first update)
  int64_t count() const { return count_; }

 private:
  std::vector<Var> params_;
  std::vector<Tensor> average_;
  int64_t count_ = 0;
};

// An exponential moving average of G's weights (Yazıcı et al. 2019, "The unusual
// effectiveness of averaging in GAN training"): after every G step,
//   θ̄ ← β θ̄ + (1 − β) θ
// for each parameter of `average` and its twin in `live` (two nets of one config;
// `average` starts as a copy of `live`). The game's iterates circle around an
// equilibrium rather than settle on it; their average sits nearer the centre, so
// samples from θ̄ are usually better than from the last θ. Only sampling uses θ̄:
// training goes on with θ. β = 0.999 averages over about the last 1,000 steps; since θ̄
// starts at G's initial weights, β^t of them remain after t steps (39 % after 937).
// Batch-norm statistics are buffers, not parameters: refresh them for θ̄
// (refresh_batch_norm, gan_latent.h) before sampling in eval mode.
void update_average(nn::Module& average, nn::Module& live, double beta);

// Nearest-neighbour 2x upsampling [N, C, H, W] -> [N, C, 2H, 2W] (a reshape of
// an expand, so its backward sums each 2x2 block).
Var upsample2x(const Var& x);

}  // namespace latent::models
