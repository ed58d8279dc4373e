// Chapter 08 — the generator's input space: drawing z (with InfoGAN's codes),
// walking between two points of it, and looking at what G makes of them.
//
//   LatentSample s = sample_latent(G.latent(), 64, gen);
//   write_sample_grid("runs/ch08/epoch3.png", G, s.z, Tensor(), 8);
//   Tensor path = interpolate_latent(s.z.slice(0, 0, 1), s.z.slice(0, 1, 2), 10, Interpolation::slerp);
#pragma once

#include <string>
#include <vector>

#include "models/ch08/gan_nets.h"
#include "tensor/random.h"

namespace latent::models {

// z = [noise, one_hot(c_cat), c_cont] for n examples: noise ~ N(0, I), c_cat ~
// Uniform{0..K−1}, c_cont ~ U(−1, 1) (Chen et al. 2016 §6). The codes are kept
// apart too, as the targets of InfoGAN's Q head.
struct LatentSample {
  Tensor z;            // [n, spec.input_dim()]
  Tensor categorical;  // int64 [n] (undefined without a categorical code)
  Tensor continuous;   // [n, spec.continuous] (undefined without continuous codes)
};
LatentSample sample_latent(const LatentSpec& spec, int64_t n, Generator& g, DType dtype = DType::f32);
// The same with the codes given (e.g. one noise row, every value of c_cat): noise [n, spec.noise],
// categorical int64 [n] or undefined, continuous [n, spec.continuous] or undefined.
Tensor make_latent(const LatentSpec& spec, const Tensor& noise, const Tensor& categorical, const Tensor& continuous);

// Points between a and b (each [1, D] or [D]), t = 0, 1/(steps−1), ..., 1: [steps, D].
//   linear: (1 − t) a + t b.
//   slerp:  sin((1−t)θ)/sin θ · a + sin(tθ)/sin θ · b, θ the angle between a and b
//           (Shoemake 1985; White 2016, "Sampling generative networks"): in high
//           dimensions N(0, I) draws lie near a sphere of radius √D, and the straight
//           line's midpoint (norm ≈ √(D/2)) is a z the generator never saw in
//           training; the great circle keeps the norm. Falls back to linear when
//           a and b are (nearly) parallel.
enum class Interpolation { linear, slerp };
Tensor interpolate_latent(const Tensor& a, const Tensor& b, int64_t steps, Interpolation kind = Interpolation::slerp);

// G's images for the rows of z (no graph, G in evaluation mode for batch norm's running
// statistics, then back to the mode it was in), mapped from [−1, 1] to [0, 1]: [N, C, 28, 28]
// (or [N, data_dim] for an MLP generator of vectors).
Tensor generate_images(GeneratorNet& G, const Tensor& z, const Tensor& y = Tensor(), bool eval_mode = true);
// Batch norm's running statistics re-estimated for G's current weights: `batches` batches of
// fresh z (and for a cGAN the labels y: int64 [batch_size], the same in every batch, or
// [batches·batch_size], one slice per batch, so that many labels shape the statistics) through G in training mode, no
// graph; G is left in the mode it was in. For an average of G's weights (update_average,
// gan_tricks.h), whose running statistics were never computed with those weights. Each batch
// moves the statistics by batch norm's momentum (0.1), so 50 batches leave 0.9^50 < 1 % of
// the old values.
void refresh_batch_norm(GeneratorNet& G, Generator& g, int64_t batches = 50, int64_t batch_size = 64,
                        const Tensor& y = Tensor());
// n images from G for fresh z ~ sample_latent (labels y int64 [n] for a cGAN), made 500 at a time
// and clamped to [0, 1] (the rescaled Tanh can land a rounding error outside, which the metrics
// refuse): [n, C, 28, 28] ([n, data_dim] for an MLP generator). What gan_metrics.h scores.
Tensor sample_images(GeneratorNet& G, int64_t n, Generator& g, const Tensor& y = Tensor());
// ‖J_G(z)‖_F, the Frobenius norm of G's Jacobian at each row of z: how far G stretches the
// latent space there (Tanielian et al. 2020). A continuous G maps the connected N(0, I) onto
// data whose modes (the ten digits) lie apart, so somewhere it must cross the gaps between them,
// and it crosses them fast: a large ‖J‖ marks a sample drawn between two digits. Estimated by
// Hutchinson's identity E_u ‖J_Gᵀu‖² = tr(J_G J_Gᵀ) = ‖J_G‖_F², u ~ N(0, I) over G's outputs:
// `probes` vector-Jacobian products, one backward pass each for the whole batch, with G in
// evaluation mode so that each row depends on its own z only (G is left in its mode). float64 [N].
// Each probe adds noise: with 8 the relative error of a norm is up to √(2/8)/2 = 25 % (when J
// is near rank one), enough to reorder samples near a threshold but not the tails.
Tensor jacobian_norms(GeneratorNet& G, const Tensor& z, int64_t probes, Generator& g);
// Jacobian-based rejection (Tanielian et al. 2020, §4): draw ⌈n / (1 − reject)⌉ z (500 at a time:
// a batch of z from g, then its norms with u from g), keep the n with the smallest ‖J_G(z)‖_F, in
// the order drawn. Like truncation it trades diversity for precision, but it drops the samples
// between modes rather than the tails of N(0, I). Unconditional G only; reject in [0, 0.99].
// G runs once per z: the kept images are the outputs the norms were taken at.
struct RejectionSample {
  Tensor images;         // [n, C, 28, 28] in [0, 1], as sample_images
  Tensor norms;          // float64 [n]: their Jacobian norms
  double threshold = 0;  // the largest norm kept
  int64_t drawn = 0;     // how many z were drawn
};
RejectionSample sample_images_jacobian_rejection(GeneratorNet& G, int64_t n, double reject, Generator& g,
                                                 int64_t probes = 8);
// ⌈n / (1 − reject)⌉: how many z the rejection above draws to keep n (n >= 1, reject in [0, 0.99]).
int64_t rejection_draws(int64_t n, double reject);
// The n rows with the smallest norms among the first `prefix` rows of a sample, in the order
// drawn; its `drawn` is then `prefix`, the rows considered. One draw with reject = 0 then serves
// several fractions r: keep_smallest_norms(pool, rejection_draws(n, r), n) is, in distribution,
// what sample_images_jacobian_rejection(G, n, r, g) returns, but the sets are nested in one pool
// rather than drawn apart (not the same rows as separate calls, whose streams differ).
RejectionSample keep_smallest_norms(const RejectionSample& pool, int64_t prefix, int64_t n);
// The row indices 0 … count − 1 of `norms` (float64 [N]) ordered by norm, smallest first; equal
// norms keep the order drawn. What keep_smallest_norms sorts by, for a caller that wants every
// row ranked (the tutorial's doubt per tenth of ‖J‖).
std::vector<int64_t> order_by_norm(const Tensor& norms, int64_t count);
// The same written as a PNG grid with `cols` columns (nn/image.h). Images of 784 values
// ([N, 784]) are shown as 28x28.
void write_sample_grid(const std::string& path, GeneratorNet& G, const Tensor& z, const Tensor& y, int64_t cols,
                       bool eval_mode = true);

}  // namespace latent::models
