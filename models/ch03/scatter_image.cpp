// Chapter 03 — 2-d cluster pictures (see scatter_image.h).
#include "models/ch03/scatter_image.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "nn/image.h"
#include "tensor/linalg.h"

namespace latent::models {

Rgb palette(int64_t k) {
  static const Rgb tab10[] = {{0.122f, 0.467f, 0.706f}, {1.000f, 0.498f, 0.055f}, {0.173f, 0.627f, 0.173f},
                              {0.839f, 0.153f, 0.157f}, {0.580f, 0.404f, 0.741f}, {0.549f, 0.337f, 0.294f},
                              {0.890f, 0.467f, 0.761f}, {0.498f, 0.498f, 0.498f}, {0.737f, 0.741f, 0.133f},
                              {0.090f, 0.745f, 0.812f}};
  return tab10[((k % 10) + 10) % 10];
}

Tensor colours_of(const Tensor& labels) {
  std::vector<double> l = labels.to_vector(), c;
  for (double v : l)
    for (float x : palette((int64_t)v)) c.push_back(x);
  return from_vector(c, {(int64_t)l.size(), 3});
}

Tensor blend(const Tensor& resp) {
  const int64_t K = resp.size(1);
  std::vector<double> pal;
  for (int64_t k = 0; k < K; ++k)
    for (float x : palette(k)) pal.push_back(x);
  return matmul(resp.to(DType::f32), from_vector(pal, {K, 3}));  // Σ_k r_nk colour_k
}

ScatterImage::ScatterImage(const Tensor& X, int64_t size, double margin) : size_(size) {
  if (X.dim() != 2 || X.size(1) != 2 || X.size(0) < 1)
    fail("ScatterImage", "needs points [N,2], got " + shape_str(X.shape()));
  if (size < 16) fail("ScatterImage", "size must be >= 16 pixels, got " + std::to_string(size));
  rgb_ = ones({3, size, size});
  std::vector<double> v = X.to_vector();
  double xlo = v[0], xhi = v[0], ylo = v[1], yhi = v[1];
  for (size_t i = 0; i < v.size(); i += 2) {
    xlo = std::min(xlo, v[i]), xhi = std::max(xhi, v[i]);
    ylo = std::min(ylo, v[i + 1]), yhi = std::max(yhi, v[i + 1]);
  }
  const double span = std::max({xhi - xlo, yhi - ylo, 1e-12}) * (1 + 2 * margin);
  x0_ = (xlo + xhi) / 2 - span / 2;
  y0_ = (ylo + yhi) / 2 - span / 2;
  scale_ = (double)(size - 1) / span;
}

void ScatterImage::dot(double px, double py, double r, Rgb c) {
  float* p = rgb_.data<float>();
  const int64_t H = size_;
  for (int64_t y = (int64_t)std::floor(py - r); y <= (int64_t)std::ceil(py + r); ++y)
    for (int64_t x = (int64_t)std::floor(px - r); x <= (int64_t)std::ceil(px + r); ++x) {
      if (x < 0 || y < 0 || x >= H || y >= H) continue;
      // Coverage of the pixel by the disc, for soft (anti-aliased) edges.
      const double a = std::clamp(r + 0.5 - std::hypot(x - px, y - py), 0.0, 1.0);
      if (a <= 0) continue;
      for (int ch = 0; ch < 3; ++ch) {
        float& q = p[(ch * H + y) * H + x];
        q = (float)((1 - a) * q + a * c[ch]);
      }
    }
}

void ScatterImage::points(const Tensor& X, const Tensor& colours, double radius) {
  if (X.dim() != 2 || X.size(1) != 2 || colours.dim() != 2 || colours.size(1) != 3 || colours.size(0) != X.size(0))
    fail("ScatterImage::points", "needs X [N,2] and colours [N,3], got " + shape_str(X.shape()) + " and " +
                                     shape_str(colours.shape()));
  std::vector<double> v = X.to_vector(), c = colours.to_vector();
  for (int64_t i = 0; i < X.size(0); ++i)
    dot(to_px(v[2 * i]), to_py(v[2 * i + 1]), radius, {(float)c[3 * i], (float)c[3 * i + 1], (float)c[3 * i + 2]});
}

void ScatterImage::marker(double x, double y, Rgb colour, double size) {
  const double px = to_px(x), py = to_py(y);
  for (double t = -size; t <= size; t += 0.5) {  // an X, with a black outline for contrast
    dot(px + t, py + t, 2.2, {0, 0, 0});
    dot(px + t, py - t, 2.2, {0, 0, 0});
  }
  for (double t = -size; t <= size; t += 0.5) {
    dot(px + t, py + t, 1.2, colour);
    dot(px + t, py - t, 1.2, colour);
  }
}

void ScatterImage::ellipse(const Tensor& mean, const Tensor& cov, double n_sigma, Rgb colour, double thickness) {
  if (mean.numel() != 2 || cov.dim() != 2 || cov.size(0) != 2 || cov.size(1) != 2)
    fail("ScatterImage::ellipse", "needs a mean of 2 values and a [2,2] covariance, got " +
                                      shape_str(mean.shape()) + " and " + shape_str(cov.shape()));
  Eigh e = eigh(cov.to(DType::f64));
  std::vector<double> m = mean.to_vector(), lam = e.values.to_vector(), V = e.vectors.to_vector();
  const double a = n_sigma * std::sqrt(std::max(lam[0], 0.0)), b = n_sigma * std::sqrt(std::max(lam[1], 0.0));
  // x(t) = μ + a cos t v₀ + b sin t v₁, with the eigenvectors v₀, v₁ the columns of V.
  const double perimeter_px = 2 * std::numbers::pi * std::max(a, b) * scale_;
  const int steps = std::max(64, (int)(2 * perimeter_px));
  for (int s = 0; s < steps; ++s) {
    const double t = 2 * std::numbers::pi * s / steps;
    const double x = m[0] + a * std::cos(t) * V[0] + b * std::sin(t) * V[1];
    const double y = m[1] + a * std::cos(t) * V[2] + b * std::sin(t) * V[3];
    dot(to_px(x), to_py(y), thickness / 2, colour);
  }
}

void ScatterImage::save(const std::string& path) const { write_png(path, rgb_); }

}  // namespace latent::models
