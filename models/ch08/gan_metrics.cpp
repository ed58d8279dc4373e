// Chapter 08 — Inception Score, class histogram, Fréchet distance, and all metrics at once
// (see gan_metrics.h; the LeNet is in metric_net.cpp, SWD and MS-SSIM in image_metrics.cpp).
#include "models/ch08/gan_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nn/data.h"
#include "tensor/linalg.h"

namespace latent::models {

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// probs as a contiguous float64 [N, K] table, checked: rows of non-negative finite numbers
// summing to 1 (within float32 rounding of a softmax).
Tensor checked_probs(const std::string& op, const Tensor& probs) {
  if (!probs.defined() || probs.dim() != 2 || probs.size(0) < 1 || probs.size(1) < 1 ||
      probs.dtype() == DType::i64)
    fail(op, "probs must be a float [N, K] table of class probabilities with N, K >= 1, got " +
                 (probs.defined() ? std::string(dtype_name(probs.dtype())) + " " + shape_str(probs.shape())
                                  : std::string("an undefined tensor")));
  Tensor p = probs.to(DType::f64).contiguous();
  const int64_t N = p.size(0), K = p.size(1);
  const double* q = p.data<double>();
  for (int64_t i = 0; i < N; ++i) {
    double s = 0;
    for (int64_t k = 0; k < K; ++k) {
      const double v = q[i * K + k];
      if (!std::isfinite(v) || v < 0)
        fail(op, "probs[" + std::to_string(i) + "," + std::to_string(k) + "] = " + fmt("%g", v) +
                     " is not a probability");
      s += v;
    }
    if (std::abs(s - 1) > 1e-3)
      fail(op, "row " + std::to_string(i) + " of probs sums to " + fmt("%.6g", s) + ", not 1");
  }
  return p;
}

}  // namespace

Tensor unit_range_from_pm1(const Tensor& images_pm1) { return clamp(from_pm1(images_pm1), 0.0, 1.0); }

void check_unit_images(const std::string& op, const Tensor& images, int64_t min_n, bool need_28x28) {
  if (!images.defined()) fail(op, "images: undefined tensor");
  const Shape& s = images.shape();
  const bool shape_ok = images.dim() == 4 && s[1] == 1 && (!need_28x28 || (s[2] == 28 && s[3] == 28));
  if (!shape_ok)
    fail(op, "images must be [N,1," + std::string(need_28x28 ? "28,28" : "H,W") + "] (grey digits), got " +
                 shape_str(s));
  if (images.dtype() == DType::i64) fail(op, "images must be float32 or float64 in [0,1], got int64");
  if (s[0] < min_n)
    fail(op, "needs at least " + std::to_string(min_n) + " images, got " + std::to_string(s[0]));
  // One pass for the range: NaN fails both comparisons, so it is caught too.
  const Tensor x = images.to(DType::f64).contiguous();
  const double* v = x.data<double>();
  for (int64_t i = 0; i < x.numel(); ++i)
    if (!(v[i] >= 0.0 && v[i] <= 1.0))
      fail(op, "images must have values in [0,1], found " + fmt("%g", v[i]) + " at flat index " +
                   std::to_string(i) + (v[i] < 0 ? " (tanh outputs in [-1,1]? map them with unit_range_from_pm1)" : ""));
}

// ---- Inception Score ----

double inception_score(const Tensor& probs) {
  const Tensor p = checked_probs("inception_score", probs);
  const int64_t N = p.size(0), K = p.size(1);
  const double* q = p.data<double>();
  std::vector<double> marginal(K, 0.0);  // p̂(y) = mean_i p(y|x_i)
  for (int64_t i = 0; i < N; ++i)
    for (int64_t k = 0; k < K; ++k) marginal[k] += q[i * K + k] / (double)N;
  // Mean KL(p(y|x_i) ‖ p̂(y)), with 0 log 0 = 0. p̂(y) ≥ p(y|x_i)/N > 0 wherever p(y|x_i) > 0.
  double kl = 0;
  for (int64_t i = 0; i < N; ++i)
    for (int64_t k = 0; k < K; ++k) {
      const double v = q[i * K + k];
      if (v > 0) kl += v * (std::log(v) - std::log(marginal[k]));
    }
  return std::exp(kl / (double)N);
}

// ---- class histogram ----

ClassHistogram class_histogram(const Tensor& probs) {
  const Tensor p = checked_probs("class_histogram", probs);
  const int64_t N = p.size(0), K = p.size(1);
  const Tensor pred = argmax(p, 1);
  const int64_t* y = pred.data<int64_t>();
  ClassHistogram h;
  h.shares.assign(K, 0.0);
  for (int64_t i = 0; i < N; ++i) h.shares[y[i]] += 1.0 / (double)N;
  h.max_share = *std::max_element(h.shares.begin(), h.shares.end());
  h.min_share = *std::min_element(h.shares.begin(), h.shares.end());
  for (double s : h.shares) {
    if (s > 0) h.kl_from_uniform += s * std::log((double)K * s), ++h.classes_present;
  }
  return h;
}

std::string ClassHistogram::str() const {
  std::string out;
  for (size_t k = 0; k < shares.size(); ++k) out += std::to_string(k) + ":" + fmt("%.1f%% ", 100 * shares[k]);
  out += min_share > 0 ? "max/min " + fmt("%.2f", max_share / min_share) : std::string("max/min inf");
  return out + ", KL from uniform " + fmt("%.4f", kl_from_uniform) + ", " + std::to_string(classes_present) +
         "/" + std::to_string(shares.size()) + " classes";
}

// ---- Fréchet distance ----

GaussianFit fit_gaussian(const Tensor& features) {
  if (!features.defined() || features.dim() != 2 || features.dtype() == DType::i64)
    fail("fit_gaussian", "features must be a float [N, D] matrix, got " +
                             (features.defined() ? shape_str(features.shape()) : std::string("undefined")));
  if (features.size(0) < 2)
    fail("fit_gaussian", "a covariance needs at least 2 rows, got " + std::to_string(features.size(0)));
  const Tensor x = features.to(DType::f64);
  const double n = (double)x.size(0);
  GaussianFit g;
  g.mean = mean(x, {0});
  const Tensor xc = sub(x, g.mean);
  g.cov = mul(matmul(xc.t(), xc), 1.0 / (n - 1));
  return g;
}

namespace {

// Symmetric (M + Mᵀ)/2: products of symmetric matrices are symmetric only up to rounding.
Tensor symmetrised(const Tensor& m) { return mul(add(m, m.t()), 0.5); }

double trace(const Tensor& m) {
  double t = 0;
  for (int64_t i = 0; i < m.size(0); ++i) t += m.at({i, i});
  return t;
}

void check_gaussian(const std::string& op, const char* name, const Tensor& mu, const Tensor& cov, int64_t d) {
  if (!mu.defined() || !cov.defined() || mu.dim() != 1 || cov.dim() != 2 || cov.size(0) != cov.size(1) ||
      mu.size(0) != cov.size(0) || (d >= 0 && mu.size(0) != d))
    fail(op, std::string(name) + ": needs a mean [D] and a covariance [D,D] of the same D for both " +
                 "Gaussians, got mean " + (mu.defined() ? shape_str(mu.shape()) : "undefined") + " and covariance " +
                 (cov.defined() ? shape_str(cov.shape()) : "undefined") +
                 (d >= 0 ? " (the first Gaussian has D = " + std::to_string(d) + ")" : ""));
  for (double v : cov.to_vector())
    if (!std::isfinite(v)) fail(op, std::string(name) + ": the covariance has a NaN or Inf");
  for (double v : mu.to_vector())
    if (!std::isfinite(v)) fail(op, std::string(name) + ": the mean has a NaN or Inf");
}

// Σ^{1/2} = V diag(√λ) Vᵀ from the symmetric eigendecomposition Σ = V diag(λ) Vᵀ of a PSD Σ.
// Eigenvalues below D·ε·λ_max (the rank threshold of np.linalg.matrix_rank) are rounding noise
// around 0 — possibly negative — and are taken as 0.
Tensor psd_sqrt(const Tensor& s) {
  const Eigh e = eigh(s);
  std::vector<double> lam = e.values.to_vector();
  const double cutoff = (double)lam.size() * 2.220446049250313e-16 * std::max(lam.back(), 0.0);
  for (double& l : lam) l = l > cutoff ? std::sqrt(l) : 0.0;
  return matmul(mul(e.vectors, from_vector(lam, {(int64_t)lam.size()}, DType::f64)), e.vectors.t());
}

}  // namespace

double frechet_distance(const Tensor& mu1, const Tensor& cov1, const Tensor& mu2, const Tensor& cov2) {
  const std::string op = "frechet_distance";
  check_gaussian(op, "first", mu1, cov1, -1);
  check_gaussian(op, "second", mu2, cov2, mu1.size(0));
  const Tensor s1 = symmetrised(cov1.to(DType::f64)), s2 = symmetrised(cov2.to(DType::f64));
  const double mean_term = sum(square(sub(mu1.to(DType::f64), mu2.to(DType::f64)))).item();
  // tr (Σ1 Σ2)^{1/2}: M = Σ1^{1/2} Σ2 Σ1^{1/2} = R Rᵀ with R = Σ1^{1/2} Σ2^{1/2}, so
  // √λ_i(M) = σ_i(R), and the trace is the sum of R's singular values. Taking them from an SVD of
  // R rather than square roots of M's eigenvalues keeps singular covariances (dead features)
  // accurate: an eigenvalue of M that should be 0 comes out as rounding noise ε‖M‖, and its
  // square root √ε‖M‖ ≈ 1e-8‖M‖ would be the error; σ_i(R) carries only ε‖R‖.
  double trace_root = 0;
  for (double v : svd(matmul(psd_sqrt(s1), psd_sqrt(s2))).S.to_vector()) trace_root += v;
  const double d = mean_term + trace(s1) + trace(s2) - 2 * trace_root;
  return std::max(d, 0.0);  // a distance: rounding can leave it a hair below 0 for equal Gaussians
}

double frechet_distance(const GaussianFit& a, const GaussianFit& b) {
  return frechet_distance(a.mean, a.cov, b.mean, b.cov);
}

// ---- all at once ----

ReferenceSet prepare_reference(const Tensor& reference01, const MetricNet& net, Generator& g,
                               const ScoreOptions& options) {
  check_unit_images("prepare_reference", reference01, 2);
  return {reference01, fit_gaussian(net.run(reference01).features),
          ms_ssim_diversity(reference01, options.ssim_pairs, g, options.ssim)};
}

GanScores evaluate_images(const Tensor& images01, const MetricNet& net, const ReferenceSet& reference, Generator& g,
                          const ScoreOptions& options) {
  check_unit_images("evaluate_images", images01, 2);
  GanScores s;
  s.n = images01.size(0), s.n_reference = reference.images.size(0);
  const MetricNet::Outputs out = net.run(images01);
  s.inception_score = inception_score(out.probs);
  s.classes = class_histogram(out.probs);
  s.frechet_distance = frechet_distance(fit_gaussian(out.features), reference.features);
  s.swd = sliced_wasserstein(images01, reference.images, g, options.swd);
  s.ms_ssim = ms_ssim_diversity(images01, options.ssim_pairs, g, options.ssim);
  s.ms_ssim_reference = reference.ms_ssim;
  return s;
}

GanScores evaluate_images(const Tensor& images01, const MetricNet& net, const Tensor& reference01, Generator& g,
                          const ScoreOptions& options) {
  check_unit_images("evaluate_images", images01, 2);  // before the reference's work
  return evaluate_images(images01, net, prepare_reference(reference01, net, g, options), g, options);
}

std::string GanScores::str() const {
  return "n " + std::to_string(n) + " vs reference " + std::to_string(n_reference) + " (LeNet-based IS/FID: " +
         "not comparable with Inception-network figures)\n" + "IS " + fmt("%.3f", inception_score) + ", FID " +
         fmt("%.3f", frechet_distance) + "\n" + swd.str() + "\nMS-SSIM diversity " + fmt("%.4f", ms_ssim.mean) +
         " ± " + fmt("%.4f", ms_ssim.std_error) + " (reference " + fmt("%.4f", ms_ssim_reference.mean) + " ± " +
         fmt("%.4f", ms_ssim_reference.std_error) + "; lower = more diverse)\nclasses " + classes.str();
}

}  // namespace latent::models
