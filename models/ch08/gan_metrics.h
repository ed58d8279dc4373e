// Chapter 08 — how good are a GAN's samples? Sample-quality metrics for MNIST.
//
// A GAN has no likelihood to report, so its samples are scored instead:
//
//   inception_score     exp(E_x KL(p(y|x) ‖ p(y))) (Salimans et al. 2016): high when each image
//                       is confidently one class (p(y|x) peaked) and the classes are spread
//                       (p(y) flat). 1 ≤ IS ≤ number of classes (10 for digits).
//   frechet_distance    FID (Heusel et al. 2017): the Fréchet (2-Wasserstein) distance between
//                       Gaussians fitted to network features of real and generated images,
//                       ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^{1/2}). Lower is better, 0 = same.
//   class_histogram     predicted digit shares: are all ten digits there in near-equal shares
//                       (mode collapse drops some)?
//   sliced_wasserstein  SWD (Karras et al. 2018, §5 and appendix D): distances between the
//                       distributions of 7x7 Laplacian-pyramid patches, per pyramid level —
//                       fine detail (level 28) and coarse shape (levels 14, 7). No classifier.
//   ms_ssim_diversity   mean MS-SSIM (Wang et al. 2003) over random pairs of images (Odena et
//                       al. 2017): lower = more diverse; compare with the same figure on real
//                       images. A collapsed generator scores close to 1.
//
// IMPORTANT: the "Inception" score and the Fréchet distance here use chapter 01's LeNet-5 as
// classifier and feature network (softmax over 10 digits; the 500-d penultimate layer), NOT
// the Inception-v3 network of the papers. The values are therefore NOT comparable with
// published IS / FID figures (those are ImageNet-feature numbers on other datasets); they are
// only comparable with each other, under the same cached LeNet. Real MNIST images set the
// ceiling: the IS of the real test images, the FID of real test vs real training images.
//
// Images: every function here takes float tensors [N, 1, 28, 28] (SWD and MS-SSIM accept any
// [N, 1, H, W] large enough) with values in [0, 1], as nn/data.h loads MNIST. GAN generators
// usually end in tanh, i.e. [-1, 1]: map them with unit_range_from_pm1() first. Anything else
// (another shape, NaN, values outside [0, 1]) is a latent::Error naming the function.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "tensor/random.h"

namespace latent::models {

// [-1, 1] (tanh outputs) -> [0, 1], clamped (rounding can leave tanh a hair outside).
Tensor unit_range_from_pm1(const Tensor& images_pm1);
// Throws unless images is a float [N, 1, H, W] tensor (N ≥ min_n; H, W = 28 when
// need_28x28) with finite values in [0, 1]. `op` starts the message.
void check_unit_images(const std::string& op, const Tensor& images, int64_t min_n = 1,
                       bool need_28x28 = true);

// ---- scores from class probabilities (network-free) ----

// IS = exp( (1/N) Σ_i KL(p(y|x_i) ‖ p̂(y)) ),  p̂(y) = (1/N) Σ_i p(y|x_i),  from probs [N, K]
// (rows ≥ 0 summing to 1). One split of all N images; Salimans et al. average 10 splits,
// which gives a slightly lower figure for the same images.
double inception_score(const Tensor& probs);

// The predicted class (argmax) shares of a set of images, from probs [N, K].
struct ClassHistogram {
  std::vector<double> shares;  // K shares summing to 1
  double max_share = 0, min_share = 0;
  double kl_from_uniform = 0;  // Σ_k s_k log(K s_k): 0 = equal shares, log K = one class only
  int64_t classes_present = 0;
  std::string str() const;     // "0:10.1% 1:11.3% ... max/min 1.21, KL 0.003"
};
ClassHistogram class_histogram(const Tensor& probs);

// ---- Fréchet distance between Gaussians ----

struct GaussianFit {
  Tensor mean;  // float64 [D]
  Tensor cov;   // float64 [D, D], unbiased (divides by N − 1, as np.cov)
};
// Mean and covariance of the rows of features [N, D] (N ≥ 2), in float64.
GaussianFit fit_gaussian(const Tensor& features);

// ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1 Σ2)^{1/2}, in float64. The last trace needs no
// non-symmetric matrix square root (scipy's sqrtm, which the reference FID code calls, can go
// complex): Σ1 Σ2 is similar to the symmetric PSD matrix M = Σ1^{1/2} Σ2 Σ1^{1/2}, so
// tr (Σ1 Σ2)^{1/2} = Σ_i sqrt(λ_i(M)) = Σ_i σ_i(Σ1^{1/2} Σ2^{1/2}) (singular values), with the
// square roots Σ^{1/2} from symmetric eigendecompositions (eigenvalues that rounding leaves
// slightly negative, or at noise level, are set to 0). Singular covariances are fine.
double frechet_distance(const Tensor& mu1, const Tensor& cov1, const Tensor& mu2, const Tensor& cov2);
double frechet_distance(const GaussianFit& a, const GaussianFit& b);

// ---- the metric network: chapter 01's LeNet-5, trained once and cached ----

class MetricNet {
 public:
  // lenet: make_lenet5()'s layout — the last module maps the penultimate features to 10 logits.
  explicit MetricNet(std::shared_ptr<nn::Sequential> lenet, std::string source = "",
                     double test_accuracy = -1);
  struct Outputs {
    Tensor features;  // float32 [N, 500]: the penultimate layer (after its ReLU)
    Tensor probs;     // float32 [N, 10]: softmax of the logits
  };
  // Evaluation mode, no graph, in batches. images01: [N, 1, 28, 28] in [0, 1].
  Outputs run(const Tensor& images01, int64_t batch = 500) const;
  nn::Sequential& network() const { return *net_; }
  const std::string& source() const { return source_; }  // what it was trained on / loaded from
  double test_accuracy() const { return test_accuracy_; }  // on the MNIST test set (-1: unknown)

 private:
  std::shared_ptr<nn::Sequential> net_;
  std::string source_;
  double test_accuracy_;
};

struct MetricNetOptions {
  std::string cache_path;      // "": data/cache/ch08_lenet_full.ckpt (or _embedded.ckpt)
  bool embedded_only = false;  // use the embedded subset even when the full MNIST is there
  int epochs = 0;              // 0: 3 on the full set, 15 on the embedded subset
  int64_t max_train = 0;       // > 0: train on the first max_train images only (tests)
  uint64_t seed = 8;           // initial weights and batch order
  std::function<void(const std::string&)> log;  // progress lines (none when empty)
};
// The trained LeNet: loaded from the checkpoint at the cache path when it exists, otherwise
// trained with chapter 01's recipe (SGD, momentum 0.9, lr 0.01, batch 64; full MNIST when in
// data/mnist, else the embedded subset), evaluated on the test set and saved there
// (atomically, nn/checkpoint.h) with its accuracy. Delete the file to retrain.
MetricNet load_or_train_metric_net(const MetricNetOptions& options = {});

// ---- sliced Wasserstein distance (Karras et al. 2018, appendix D) ----
//
// Each image becomes a Laplacian pyramid (5x5 binomial filter, as cv2.pyrDown/pyrUp): band-pass
// levels 28 and 14, and the low-pass 7x7 image last. From every level, random 7x7 patches are
// the "descriptors"; each set's descriptors are normalised by their own mean and standard
// deviation (Karras et al.'s per-channel normalisation — so a global change of contrast or
// brightness goes unnoticed; FID sees it). The distance is the mean, over random directions, of
// the 1-d Wasserstein-1 distance between the projected descriptor sets. Real test vs real
// training images are not at 0: the figure has a sampling floor (see bench/ch08_metrics_bench).

struct SwdOptions {
  int levels = 3;                 // Laplacian pyramid levels: 28, 14, 7 for MNIST
  int64_t patches_per_image = 16; // 7x7 neighbourhoods drawn per image and level (Karras: 128)
  int directions = 128;           // random unit directions (Karras: 4 repeats × 128; on MNIST
                                  // 128 already repeats to ±3 %, at a quarter of the time)
};
struct SwdResult {
  std::vector<int64_t> resolution;  // per level: 28, 14, 7
  std::vector<double> distance;     // per level, ×10³ as Karras et al. report it
  double average = 0;               // mean over levels
  std::string str() const;          // "SWD×1e3 28: 12.3  14: 4.5  7: 8.9  avg: 8.6"
};
// SWD between two image sets [N, 1, H, W] in [0, 1] (sizes may differ; H, W ≥ 7·2^(levels−1)
// rounded, e.g. 28 for 3 levels). Patch positions and directions are drawn from g.
SwdResult sliced_wasserstein(const Tensor& images_a, const Tensor& images_b, Generator& g,
                             const SwdOptions& options = {});
// The core, on descriptor sets a [n, D], b [m, D] (rows are points): the mean over random
// unit directions u of W1(u·a, u·b), each a 1-d Wasserstein-1 distance between the empirical
// distributions of the projections (sorted quantiles; n ≠ m allowed). No normalisation.
double sliced_wasserstein_points(const Tensor& a, const Tensor& b, int directions, Generator& g);
// W1 between two sorted samples (the area between their quantile functions).
double wasserstein1_sorted(const float* a, int64_t n, const float* b, int64_t m);

// ---- SSIM and multi-scale SSIM (Wang, Simoncelli & Bovik 2003) ----

// MNIST adaptation: the paper's 11x11 window (σ 1.5) and 5 scales need ≥ 176 pixels; a
// 28x28 digit affords a 7x7 window with σ = 1 and 3 scales (28, 14, 7; the window covers the
// whole 7x7 image at the last one), with the paper's first three exponents
// β = (0.0448, 0.2856, 0.3001) rescaled to sum to 1. Data range L = 1 (images in [0, 1]).
struct SsimOptions {
  int window = 7;
  double sigma = 1.0;
  int scales = 3;
  double k1 = 0.01, k2 = 0.03;  // C1 = (k1 L)², C2 = (k2 L)², the paper's constants
};
// Single-scale SSIM (mean over window positions) of two images [H, W] (or [1, H, W], [1, 1, H, W]).
double ssim(const Tensor& x, const Tensor& y, const SsimOptions& options = {});
// MS-SSIM = [l_M]^{β_M} Π_j [cs_j]^{β_j}; cs_j and the coarsest scale's l·cs are clamped at 0
// before the fractional powers (anti-correlated images would give NaN; as TensorFlow does).
double ms_ssim(const Tensor& x, const Tensor& y, const SsimOptions& options = {});

struct Diversity {
  double mean = 0;       // mean MS-SSIM over the pairs
  double std_error = 0;  // std / √pairs: treats the pairs as independent, which they are not
                         // quite (pairs share images), so it runs somewhat low
  int64_t pairs = 0;
};
// Mean MS-SSIM over `pairs` random pairs (i ≠ j) of images [N, 1, H, W] in [0, 1], N ≥ 2.
Diversity ms_ssim_diversity(const Tensor& images01, int64_t pairs, Generator& g,
                            const SsimOptions& options = {});

// ---- everything at once ----

struct ScoreOptions {
  int64_t ssim_pairs = 10000;  // for MS-SSIM diversity (of the images and of the reference)
  SwdOptions swd;
  SsimOptions ssim;
};
// The reference side, computed once and reused for many evaluations (e.g. every epoch).
struct ReferenceSet {
  Tensor images;           // [N, 1, 28, 28] in [0, 1]
  GaussianFit features;    // of the LeNet features
  Diversity ms_ssim;       // of the images
};
ReferenceSet prepare_reference(const Tensor& reference01, const MetricNet& net, Generator& g,
                               const ScoreOptions& options = {});

struct GanScores {
  int64_t n = 0, n_reference = 0;
  double inception_score = 0;     // LeNet-based, ≤ 10
  double frechet_distance = 0;    // LeNet-feature Fréchet distance to the reference set
  SwdResult swd;                  // to the reference set
  Diversity ms_ssim, ms_ssim_reference;  // diversity of the images, and of the reference
  ClassHistogram classes;         // LeNet's predicted digit shares of the images
  std::string str() const;        // a few lines for a log
};
// All metrics of images01 against reference01 (both [N, 1, 28, 28] in [0, 1]; typically
// generated images vs MNIST test images). g draws SWD patches and directions and SSIM pairs.
GanScores evaluate_images(const Tensor& images01, const MetricNet& net, const Tensor& reference01,
                          Generator& g, const ScoreOptions& options = {});
GanScores evaluate_images(const Tensor& images01, const MetricNet& net, const ReferenceSet& reference,
                          Generator& g, const ScoreOptions& options = {});

}  // namespace latent::models
