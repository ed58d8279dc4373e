// Chapter 08 — classifier-free image metrics: the sliced Wasserstein distance of Laplacian
// pyramid patches (Karras et al. 2018, appendix D) and multi-scale SSIM (Wang, Simoncelli &
// Bovik 2003) as a diversity measure (Odena et al. 2017). See gan_metrics.h.
//
// Both work on plain double arrays, one image plane at a time: 28x28 images are small, and
// the loops read like the papers' formulas.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "models/ch08/gan_metrics.h"

namespace latent::models {

namespace {

// A stack of n grey planes h x w, row-major, as doubles.
struct Planes {
  int64_t n = 0, h = 0, w = 0;
  std::vector<double> v;
  double* at(int64_t i) { return v.data() + i * h * w; }
  const double* at(int64_t i) const { return v.data() + i * h * w; }
};

Planes planes_of(const Tensor& images) {  // [N, 1, H, W], already checked
  Planes p{images.size(0), images.size(2), images.size(3), {}};
  p.v = images.contiguous().to_vector();
  return p;
}

// ---- the Laplacian pyramid (Burt & Adelson 1983), as Karras et al.'s code (cv2.pyrDown / pyrUp) ----

// scipy.ndimage's "mirror" border: reflect about the edge sample without repeating it
// (d c b | a b c d | c b a), OpenCV's BORDER_REFLECT_101.
int64_t mirror(int64_t i, int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// out = gain × (5x5 binomial filter [1 4 6 4 1]ᵀ[1 4 6 4 1] / 256) * in, separably, mirror borders.
void binomial_blur(const double* in, int64_t h, int64_t w, double gain, double* out) {
  static const double k[5] = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};
  std::vector<double> rows(h * w);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      double s = 0;
      for (int t = -2; t <= 2; ++t) s += k[t + 2] * in[y * w + mirror(x + t, w)];
      rows[y * w + x] = s;
    }
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      double s = 0;
      for (int t = -2; t <= 2; ++t) s += k[t + 2] * rows[mirror(y + t, h) * w + x];
      out[y * w + x] = gain * s;
    }
}

// Blur, then keep every second pixel: h x w -> ceil(h/2) x ceil(w/2).
Planes pyr_down(const Planes& p) {
  Planes d{p.n, (p.h + 1) / 2, (p.w + 1) / 2, {}};
  d.v.resize(d.n * d.h * d.w);
  std::vector<double> blurred(p.h * p.w);
  for (int64_t i = 0; i < p.n; ++i) {
    binomial_blur(p.at(i), p.h, p.w, 1.0, blurred.data());
    for (int64_t y = 0; y < d.h; ++y)
      for (int64_t x = 0; x < d.w; ++x) d.at(i)[y * d.w + x] = blurred[2 * y * p.w + 2 * x];
  }
  return d;
}

// Zeros between the samples (to h x w), then the blur with gain 4 (the zeros hold 3/4 of the pixels).
Planes pyr_up(const Planes& p, int64_t h, int64_t w) {
  Planes u{p.n, h, w, std::vector<double>(p.n * h * w, 0.0)};
  std::vector<double> sparse(h * w);
  for (int64_t i = 0; i < p.n; ++i) {
    std::fill(sparse.begin(), sparse.end(), 0.0);
    for (int64_t y = 0; y < p.h && 2 * y < h; ++y)
      for (int64_t x = 0; x < p.w && 2 * x < w; ++x) sparse[2 * y * w + 2 * x] = p.at(i)[y * p.w + x];
    binomial_blur(sparse.data(), h, w, 4.0, u.at(i));
  }
  return u;
}

// Levels 0..L-1: band-pass G_l − up(G_{l+1}), and the low-pass G_{L-1} last.
std::vector<Planes> laplacian_pyramid(const Planes& images, int levels) {
  std::vector<Planes> pyr = {images};
  for (int l = 1; l < levels; ++l) {
    pyr.push_back(pyr_down(pyr.back()));
    Planes& finer = pyr[pyr.size() - 2];
    const Planes up = pyr_up(pyr.back(), finer.h, finer.w);
    for (size_t j = 0; j < finer.v.size(); ++j) finer.v[j] -= up.v[j];
  }
  return pyr;
}

constexpr int64_t kPatch = 7, kHalf = 3;  // Karras et al.'s 7x7 neighbourhoods

// per_image random 7x7 patches (fully inside) of every plane, as rows [n·P, 49] float32,
// normalised as Karras et al.'s code does: minus the mean, over the std, of all their values
// (per colour channel; one channel here), separately for each set.
Tensor patch_descriptors(const Planes& level, int64_t per_image, Generator& g) {
  // A level with a single patch position (7x7) gives one patch per image: repeating a point
  // does not change an empirical distribution, only the cost.
  if ((level.h - 2 * kHalf) * (level.w - 2 * kHalf) == 1) per_image = 1;
  Tensor d({level.n * per_image, kPatch * kPatch}, DType::f32);
  float* out = d.data<float>();
  for (int64_t i = 0; i < level.n; ++i)
    for (int64_t p = 0; p < per_image; ++p) {
      const int64_t cy = kHalf + g.next_int(level.h - 2 * kHalf), cx = kHalf + g.next_int(level.w - 2 * kHalf);
      for (int64_t y = -kHalf; y <= kHalf; ++y)
        for (int64_t x = -kHalf; x <= kHalf; ++x) *out++ = (float)level.at(i)[(cy + y) * level.w + cx + x];
    }
  double s = 0, ss = 0;
  const float* v = d.data<float>();
  for (int64_t j = 0; j < d.numel(); ++j) s += v[j], ss += (double)v[j] * v[j];
  const double m = s / (double)d.numel();
  const double sd = std::sqrt(std::max(ss / (double)d.numel() - m * m, 0.0));
  // A constant set (blank images) has sd = 0: centre it only.
  return mul(add(d, -m), 1.0 / (sd > 1e-12 ? sd : 1.0));
}

}  // namespace

// ---- sliced Wasserstein ----

double wasserstein1_sorted(const float* a, int64_t n, const float* b, int64_t m) {
  if (n == m) {  // matched quantiles: the mean distance between the i-th smallest of each
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::abs((double)a[i] - b[i]);
    return s / (double)n;
  }
  // ∫_0^1 |F_a^{-1}(t) − F_b^{-1}(t)| dt: both quantile functions are steps, at i/n and j/m.
  // Compare breakpoints in integers ((i+1)·m vs (j+1)·n) so that no step is lost to rounding.
  double s = 0, t = 0;
  int64_t i = 0, j = 0;
  while (i < n && j < m) {
    const int64_t ai = (i + 1) * m, bj = (j + 1) * n;  // the breakpoints × n·m
    const double next = (double)std::min(ai, bj) / ((double)n * (double)m);
    s += (next - t) * std::abs((double)a[i] - b[j]);
    t = next;
    if (ai <= bj) ++i;
    if (bj <= ai) ++j;
  }
  return s;
}

double sliced_wasserstein_points(const Tensor& a, const Tensor& b, int directions, Generator& g) {
  const std::string op = "sliced_wasserstein_points";
  if (!a.defined() || !b.defined() || a.dim() != 2 || b.dim() != 2 || a.size(1) != b.size(1) || a.size(0) < 1 ||
      b.size(0) < 1)
    fail(op, "needs point sets [n,D] and [m,D] (n, m >= 1, the same D), got " +
                 (a.defined() ? shape_str(a.shape()) : "undefined") + " and " +
                 (b.defined() ? shape_str(b.shape()) : "undefined"));
  if (directions < 1) fail(op, "directions must be >= 1, got " + std::to_string(directions));
  const int64_t D = a.size(1), n = a.size(0), m = b.size(0);
  // Uniform unit directions: normalised Gaussian vectors, one per column of u [D, directions].
  Tensor u = normal({D, directions}, 0, 1, DType::f32, &g);
  u = div(u, norm(u, {0}, true));
  const Tensor af = a.to(DType::f32), bf = b.to(DType::f32);
  double total = 0;
  const int64_t chunk = 32;  // directions projected at once (bounds the memory: chunk × n floats)
  for (int64_t c0 = 0; c0 < directions; c0 += chunk) {
    const Tensor uc = u.slice(1, c0, std::min<int64_t>(directions, c0 + chunk)).t();  // [c, D]
    Tensor pa = matmul(uc, af.t()).contiguous(), pb = matmul(uc, bf.t()).contiguous();  // [c, n], [c, m]
    const int64_t c = uc.size(0);
    std::vector<double> w(c);
#pragma omp parallel for schedule(dynamic)
    for (int64_t k = 0; k < c; ++k) {
      float* x = pa.data<float>() + k * n;
      float* y = pb.data<float>() + k * m;
      std::sort(x, x + n);
      std::sort(y, y + m);
      w[k] = wasserstein1_sorted(x, n, y, m);
    }
    for (double v : w) total += v;
  }
  return total / directions;
}

SwdResult sliced_wasserstein(const Tensor& images_a, const Tensor& images_b, Generator& g,
                             const SwdOptions& options) {
  const std::string op = "sliced_wasserstein";
  check_unit_images(op + ": first set", images_a, 1, false);
  check_unit_images(op + ": second set", images_b, 1, false);
  if (images_a.size(2) != images_b.size(2) || images_a.size(3) != images_b.size(3))
    fail(op, "the two sets have different image sizes: " + shape_str(images_a.shape()) + " and " +
                 shape_str(images_b.shape()));
  if (options.levels < 1 || options.patches_per_image < 1 || options.directions < 1)
    fail(op, "levels, patches_per_image and directions must be >= 1");
  int64_t h = images_a.size(2), w = images_a.size(3);
  for (int l = 1; l < options.levels; ++l) h = (h + 1) / 2, w = (w + 1) / 2;
  if (h < kPatch || w < kPatch)
    fail(op, std::to_string(options.levels) + " pyramid levels of " + shape_str(images_a.shape()) +
                 " images end at " + std::to_string(h) + "x" + std::to_string(w) + ", smaller than the 7x7 patches");

  const std::vector<Planes> pa = laplacian_pyramid(planes_of(images_a), options.levels);
  const std::vector<Planes> pb = laplacian_pyramid(planes_of(images_b), options.levels);
  SwdResult r;
  for (int l = 0; l < options.levels; ++l) {
    const Tensor da = patch_descriptors(pa[l], options.patches_per_image, g);
    const Tensor db = patch_descriptors(pb[l], options.patches_per_image, g);
    r.resolution.push_back(pa[l].h);
    r.distance.push_back(1e3 * sliced_wasserstein_points(da, db, options.directions, g));
  }
  for (double d : r.distance) r.average += d / (double)r.distance.size();
  return r;
}

std::string SwdResult::str() const {
  std::string s = "SWD x1e3";
  char b[64];
  for (size_t l = 0; l < distance.size(); ++l) {
    std::snprintf(b, sizeof b, "  %lld: %.2f", (long long)resolution[l], distance[l]);
    s += b;
  }
  std::snprintf(b, sizeof b, "  avg: %.2f", average);
  return s + b;
}

// ---- SSIM and MS-SSIM ----

namespace {

void check_ssim_options(const std::string& op, const SsimOptions& o) {
  if (o.window < 1 || !(o.sigma > 0) || o.scales < 1 || o.scales > 5 || !(o.k1 > 0) || !(o.k2 > 0))
    fail(op, "options need window >= 1, sigma > 0, 1 <= scales <= 5 and k1, k2 > 0");
}

// One image [H,W], [1,H,W] or [1,1,H,W] in [0,1] as a single plane.
Planes single_plane(const std::string& op, const Tensor& t) {
  if (!t.defined() || t.dim() < 2 || t.dim() > 4 || t.numel() != t.size(-2) * t.size(-1))
    fail(op, "needs one grey image [H,W], [1,H,W] or [1,1,H,W], got " +
                 (t.defined() ? shape_str(t.shape()) : std::string("undefined")));
  check_unit_images(op, t.reshape({1, 1, t.size(-2), t.size(-1)}), 1, false);
  return planes_of(t.reshape({1, 1, t.size(-2), t.size(-1)}));
}

// Means over the window positions at one scale: contrast·structure cs and SSIM = l·cs.
struct ScaleStats {
  double cs = 0, ssim = 0;
};

// Wang et al.'s statistics under a Gaussian window (σ), only where it fits ("valid"), with
// C1 = (k1 L)², C2 = (k2 L)², L = 1:  l = (2μxμy + C1)/(μx² + μy² + C1),
// cs = (2σxy + C2)/(σx² + σy² + C2).
ScaleStats scale_stats(const double* x, const double* y, int64_t h, int64_t w, const SsimOptions& o) {
  const int64_t k = o.window, oh = h - k + 1, ow = w - k + 1;
  std::vector<double> g(k);
  double gs = 0;
  for (int64_t i = 0; i < k; ++i) gs += g[i] = std::exp(-0.5 * std::pow((i - (k - 1) / 2.0) / o.sigma, 2));
  for (auto& v : g) v /= gs;
  // The five windowed moments E[x], E[y], E[x²], E[y²], E[xy], separably (rows, then columns).
  std::vector<double> row(5 * h * ow);
  for (int64_t r = 0; r < h; ++r)
    for (int64_t c = 0; c < ow; ++c) {
      double m[5] = {0, 0, 0, 0, 0};
      for (int64_t t = 0; t < k; ++t) {
        const double a = x[r * w + c + t], b = y[r * w + c + t], gt = g[t];
        m[0] += gt * a, m[1] += gt * b, m[2] += gt * a * a, m[3] += gt * b * b, m[4] += gt * a * b;
      }
      for (int q = 0; q < 5; ++q) row[(q * h + r) * ow + c] = m[q];
    }
  const double c1 = o.k1 * o.k1, c2 = o.k2 * o.k2;
  ScaleStats s;
  for (int64_t r = 0; r < oh; ++r)
    for (int64_t c = 0; c < ow; ++c) {
      double m[5] = {0, 0, 0, 0, 0};
      for (int64_t t = 0; t < k; ++t)
        for (int q = 0; q < 5; ++q) m[q] += g[t] * row[(q * h + r + t) * ow + c];
      const double vx = m[2] - m[0] * m[0], vy = m[3] - m[1] * m[1], cxy = m[4] - m[0] * m[1];
      const double cs = (2 * cxy + c2) / (vx + vy + c2);
      const double l = (2 * m[0] * m[1] + c1) / (m[0] * m[0] + m[1] * m[1] + c1);
      s.cs += cs, s.ssim += l * cs;
    }
  s.cs /= (double)(oh * ow), s.ssim /= (double)(oh * ow);
  return s;
}

// 2x2 block means (Wang et al.'s low-pass and downsample by 2): h x w -> h/2 x w/2.
std::vector<double> halve(const double* x, int64_t h, int64_t w) {
  std::vector<double> d((h / 2) * (w / 2));
  for (int64_t r = 0; r < h / 2; ++r)
    for (int64_t c = 0; c < w / 2; ++c)
      d[r * (w / 2) + c] =
          0.25 * (x[2 * r * w + 2 * c] + x[2 * r * w + 2 * c + 1] + x[(2 * r + 1) * w + 2 * c] + x[(2 * r + 1) * w + 2 * c + 1]);
  return d;
}

void check_ms_size(const std::string& op, int64_t h, int64_t w, const SsimOptions& o) {
  if ((h >> (o.scales - 1)) < o.window || (w >> (o.scales - 1)) < o.window)
    fail(op, std::to_string(o.scales) + " scales of a " + std::to_string(h) + "x" + std::to_string(w) +
                 " image end smaller than the " + std::to_string(o.window) + "x" + std::to_string(o.window) +
                 " window");
}

double ms_ssim_planes(const double* x, const double* y, int64_t h, int64_t w, const SsimOptions& o) {
  static const double kWang[5] = {0.0448, 0.2856, 0.3001, 0.2363, 0.1333};  // Wang et al. 2003, §3.1
  double beta_sum = 0;
  for (int j = 0; j < o.scales; ++j) beta_sum += kWang[j];
  std::vector<double> cx(x, x + h * w), cy(y, y + h * w);
  double result = 1;
  for (int j = 0; j < o.scales; ++j) {
    const ScaleStats s = scale_stats(cx.data(), cy.data(), h, w, o);
    const double beta = kWang[j] / beta_sum;
    if (j + 1 < o.scales) {
      result *= std::pow(std::max(s.cs, 0.0), beta);
      cx = halve(cx.data(), h, w), cy = halve(cy.data(), h, w), h /= 2, w /= 2;
    } else {
      result *= std::pow(std::max(s.ssim, 0.0), beta);  // luminance only at the coarsest scale
    }
  }
  return result;
}

}  // namespace

double ssim(const Tensor& x, const Tensor& y, const SsimOptions& options) {
  check_ssim_options("ssim", options);
  const Planes a = single_plane("ssim", x), b = single_plane("ssim", y);
  if (a.h != b.h || a.w != b.w)
    fail("ssim", "images of different sizes: " + shape_str(x.shape()) + " and " + shape_str(y.shape()));
  if (a.h < options.window || a.w < options.window)
    fail("ssim", "the image " + shape_str(x.shape()) + " is smaller than the window " + std::to_string(options.window));
  return scale_stats(a.at(0), b.at(0), a.h, a.w, options).ssim;
}

double ms_ssim(const Tensor& x, const Tensor& y, const SsimOptions& options) {
  check_ssim_options("ms_ssim", options);
  const Planes a = single_plane("ms_ssim", x), b = single_plane("ms_ssim", y);
  if (a.h != b.h || a.w != b.w)
    fail("ms_ssim", "images of different sizes: " + shape_str(x.shape()) + " and " + shape_str(y.shape()));
  check_ms_size("ms_ssim", a.h, a.w, options);
  return ms_ssim_planes(a.at(0), b.at(0), a.h, a.w, options);
}

Diversity ms_ssim_diversity(const Tensor& images01, int64_t pairs, Generator& g, const SsimOptions& options) {
  const std::string op = "ms_ssim_diversity";
  check_ssim_options(op, options);
  check_unit_images(op, images01, 2, false);
  if (pairs < 1) fail(op, "pairs must be >= 1, got " + std::to_string(pairs));
  const Planes p = planes_of(images01);
  check_ms_size(op, p.h, p.w, options);
  // Pairs (i, j), i ≠ j, drawn first (sequentially: the same pairs for any thread count).
  std::vector<int64_t> first(pairs), second(pairs);
  for (int64_t k = 0; k < pairs; ++k) {
    first[k] = g.next_int(p.n);
    const int64_t j = g.next_int(p.n - 1);
    second[k] = j >= first[k] ? j + 1 : j;
  }
  std::vector<double> v(pairs);
#pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < pairs; ++k) v[k] = ms_ssim_planes(p.at(first[k]), p.at(second[k]), p.h, p.w, options);
  Diversity d;
  d.pairs = pairs;
  for (double s : v) d.mean += s / (double)pairs;
  double ss = 0;
  for (double s : v) ss += (s - d.mean) * (s - d.mean);
  d.std_error = pairs > 1 ? std::sqrt(ss / (double)(pairs - 1) / (double)pairs) : 0.0;
  return d;
}

}  // namespace latent::models
