// Chapter 07 — looking at a trained VAE: prior samples, reconstructions,
// latent interpolation and the 2-d manifold grid (vae.h).
#include <cmath>

#include "models/ch07/vae.h"

namespace latent::models {

namespace {

// The decoder's means for z [M, latent], no graph, in evaluation mode.
Tensor decode_means(Vae& vae, const Tensor& z, const Tensor& y) {
  NoGradGuard ng;
  const bool was = vae.is_training();
  vae.eval();
  Tensor m = vae.mean_of(vae.decode(Var(z.to(vae.config().dtype)), y).data());
  vae.train(was);
  return m;
}

// A CVAE's label for every one of n rows: y as given ([n]), or one label ([1]) repeated.
Tensor labels_for(const Vae& vae, const std::string& op, const Tensor& y, int64_t n) {
  if (!vae.conditional()) {
    if (y.defined()) fail(op, "labels y " + shape_str(y.shape()) + " given to an unconditional VAE");
    return Tensor();
  }
  if (!y.defined() || y.dtype() != DType::i64 || y.dim() != 1 || (y.size(0) != n && y.size(0) != 1))
    fail(op, "a conditional VAE needs int64 labels [" + std::to_string(n) + "] or [1], got " +
                 (y.defined() ? shape_str(y.shape()) : std::string("none")));
  return y.size(0) == n ? y : y.expand({n}).contiguous();
}

// The posterior means μ(x) of images x [N, ...].
Tensor posterior_means(Vae& vae, const std::string& op, const Tensor& x, const Tensor& y) {
  const Tensor xx = vae.check_input(op, x, y);
  NoGradGuard ng;
  return vae.encode(Var(xx), y).mu.data();
}

}  // namespace

Tensor sample_prior(Vae& vae, int64_t n, Generator& g, const Tensor& y) {
  if (n < 1) fail("sample_prior", "needs n >= 1, got " + std::to_string(n));
  const Tensor yy = labels_for(vae, "sample_prior", y, n);
  return decode_means(vae, normal({n, vae.config().latent}, 0, 1, vae.config().dtype, &g), yy);
}

Tensor reconstruct(Vae& vae, const Tensor& x, const Tensor& y) {
  return decode_means(vae, posterior_means(vae, "reconstruct", x, y), y);
}

Tensor interpolate(Vae& vae, const Tensor& a, const Tensor& b, int64_t steps, const Tensor& y) {
  if (steps < 2) fail("interpolate", "needs steps >= 2, got " + std::to_string(steps));
  if (a.numel() != vae.config().input || b.numel() != vae.config().input)
    fail("interpolate", "a " + shape_str(a.shape()) + " and b " + shape_str(b.shape()) +
                            " must each be one image of " + std::to_string(vae.config().input) + " pixels");
  const Tensor y1 = vae.conditional() ? labels_for(vae, "interpolate", y, 1) : Tensor();
  const Tensor za = posterior_means(vae, "interpolate", a.reshape({1, -1}), y1);
  const Tensor zb = posterior_means(vae, "interpolate", b.reshape({1, -1}), y1);
  // z(t) = (1 − t) μ(a) + t μ(b), t = 0, 1/(steps−1), ..., 1.
  const Tensor t = linspace(0, 1, steps, za.dtype()).reshape({steps, 1});
  const Tensor z = za * (1.0 - t) + zb * t;
  return decode_means(vae, z, labels_for(vae, "interpolate", y1, steps));
}

Tensor latent_traversal(Vae& vae, const Tensor& x, const std::vector<int64_t>& dims, int64_t steps, double range,
                        const Tensor& y) {
  const int64_t L = vae.config().latent;
  if (steps < 2 || !(range > 0))
    fail("latent_traversal", "needs steps >= 2 and range > 0; got " + std::to_string(steps) + ", " + std::to_string(range));
  if (x.numel() != vae.config().input)
    fail("latent_traversal", "x " + shape_str(x.shape()) + " must be one image of " + std::to_string(vae.config().input) + " pixels");
  for (int64_t d : dims)
    if (d < 0 || d >= L) fail("latent_traversal", "dimension " + std::to_string(d) + " outside the latent [0, " + std::to_string(L) + ")");
  const Tensor y1 = vae.conditional() ? labels_for(vae, "latent_traversal", y, 1) : Tensor();
  const Tensor mu = posterior_means(vae, "latent_traversal", x.reshape({1, -1}), y1);
  const std::vector<double> base = mu.to_vector();
  std::vector<double> z;
  for (int64_t d : dims)
    for (int64_t s = 0; s < steps; ++s) {
      std::vector<double> row = base;  // z = μ(x) with one coordinate swept across the prior's bulk
      row[(size_t)d] = -range + 2 * range * (double)s / (double)(steps - 1);
      z.insert(z.end(), row.begin(), row.end());
    }
  const int64_t n = (int64_t)dims.size() * steps;
  return decode_means(vae, from_vector(z, {n, L}, vae.config().dtype), labels_for(vae, "latent_traversal", y1, n));
}

Tensor manifold_grid(Vae& vae, int64_t n, const Tensor& y, double lo) {
  if (vae.config().latent != 2)
    fail("manifold_grid", "needs a 2-d latent space, the model's is " + std::to_string(vae.config().latent) + "-d");
  if (n < 1 || !(lo > 0 && lo < 0.5))
    fail("manifold_grid", "needs n >= 1 and 0 < lo < 0.5; got n = " + std::to_string(n) + ", lo = " + std::to_string(lo));
  std::vector<double> q((size_t)n), z;
  for (int64_t i = 0; i < n; ++i)
    q[(size_t)i] = normal_quantile(n == 1 ? 0.5 : lo + (1 - 2 * lo) * (double)i / (double)(n - 1));
  // Row i, column j: z = (Φ⁻¹(u_j), Φ⁻¹(u_i)), so z₁ grows left to right and z₂ down the rows.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) z.insert(z.end(), {q[(size_t)j], q[(size_t)i]});
  return decode_means(vae, from_vector(z, {n * n, 2}, vae.config().dtype), labels_for(vae, "manifold_grid", y, n * n));
}

// Acklam's algorithm (2003): a rational approximation in the central region
// and in each tail (relative error 1.15e-9), then one Halley step on
// Φ(x) − p using erfc, which brings it to machine precision.
double normal_quantile(double p) {
  if (!(p > 0 && p < 1)) fail("normal_quantile", "needs 0 < p < 1, got " + std::to_string(p));
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double plow = 0.02425;
  double x;
  if (p < plow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

}  // namespace latent::models
