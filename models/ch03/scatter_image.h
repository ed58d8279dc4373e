// Chapter 03 — pictures of 2-d clusterings: points coloured by cluster (or by
// a blend of responsibilities) and Gaussian ellipses, drawn into an RGB
// tensor [3,H,W] and written with write_png (nn/image.h). No plotting library.
//
//   ScatterImage img(X, 512);                       // bounds from the data
//   img.points(X, colours_of(labels));              // or blend(resp)
//   img.ellipse(mean, cov, 2.0, palette(k));        // the 2σ contour
//   img.save("runs/ch03/gmm.png");
#pragma once

#include <array>
#include <string>

#include "tensor/tensor.h"

namespace latent::models {

using Rgb = std::array<float, 3>;  // in [0, 1]

// matplotlib's tab10 colours (the same as nn/plot.h's lines), cycling past 10.
Rgb palette(int64_t k);
// One colour per point: palette(label) [N,3].
Tensor colours_of(const Tensor& labels);
// Soft assignments as colours: Σ_k r_nk palette(k) [N,3]. A point shared
// between two clusters gets a mixture of their colours: soft vs hard at a glance.
Tensor blend(const Tensor& resp);

class ScatterImage {
 public:
  // A size x size white canvas mapping the bounding box of X [N,2] (plus a
  // margin) to pixels, same scale on both axes so ellipses keep their shape.
  explicit ScatterImage(const Tensor& X, int64_t size = 512, double margin = 0.06);

  void points(const Tensor& X, const Tensor& colours, double radius = 2.5);  // X [N,2], colours [N,3]
  void marker(double x, double y, Rgb colour, double size = 7);             // a cross (a centre)
  // The contour (x − μ)ᵀ Σ⁻¹ (x − μ) = n_sigma²: axes along Σ's eigenvectors,
  // half-lengths n_sigma √λ (Σ = V diag(λ) Vᵀ, eigh in tensor/linalg.h).
  void ellipse(const Tensor& mean, const Tensor& cov, double n_sigma, Rgb colour, double thickness = 1.5);
  void save(const std::string& path) const;
  const Tensor& pixels() const { return rgb_; }

 private:
  void dot(double px, double py, double radius, Rgb c);
  double to_px(double x) const { return (x - x0_) * scale_; }
  double to_py(double y) const { return (double)size_ - 1 - (y - y0_) * scale_; }  // y grows upwards
  Tensor rgb_;  // [3,H,W] float32
  int64_t size_;
  double x0_ = 0, y0_ = 0, scale_ = 1;
};

}  // namespace latent::models
