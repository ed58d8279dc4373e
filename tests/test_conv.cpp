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
  check_values(conv2d(x, from_vector({1, 0, 0, -1}, {1, 1, 2, 2})), {-4, -4, -4, -4});
  // A 3x3 box filter at stride 2, padding 1 on arange(16) [4x4]: each output
  // is the sum of the window's pixels that lie inside the image.
  check_values(conv2d(arange4(4, 4), ones({1, 1, 3, 3}), Conv2dParams(2, 1)), {10, 24, 51, 90});
  // Dilation 2: a 2x2 kernel reads x[i,j] + x[i,j+2] + x[i+2,j] + x[i+2,j+2].
  check_values(conv2d(arange4(5, 5), ones({1, 1, 2, 2}), Conv2dParams(1, 0, 2)),
               {24, 28, 32, 44, 48, 52, 64, 68, 72});
  // 1x1 kernel mixing two channels: out0 = x0 + 10 x1, out1 = -x0.
  Tensor x2 = arange(1, 9).reshape({1, 2, 2, 2});
  check_values(conv2d(x2, from_vector({1, 10, -1, 0}, {2, 2, 1, 1})), {51, 62, 73, 84, -1, -2, -3, -4});
  // float64 gives the same.
  check_values(conv2d(arange4(4, 4, DType::f64), ones({1, 1, 3, 3}, DType::f64), Conv2dParams(2, 1)),
               {10, 24, 51, 90});
}

namespace {
// conv2d, conv2d_input_grad and conv2d_weight_grad of x, w (any views) in
// dtype d against the reference, with a random g.
void check_against_reference(const Tensor& x, const Tensor& w, const Conv2dParams& p, DType d, uint64_t seed) {
  CAPTURE(shape_str(x.shape()));
  CAPTURE(shape_str(w.shape()));
  CAPTURE(dtype_name(d));
  Tensor xd = x.dtype() == d ? x : x.to(d), wd = w.dtype() == d ? w : w.to(d);
  Tensor y = conv2d(xd, wd, p);
  CHECK(conv2d_output_shape(x.shape(), w.shape(), p) == y.shape());
  Tensor g = rand64(y.shape(), seed).to(d);
  Reference r = reference_conv(xd, wd, g, p);
  const double tol = d == DType::f32 ? 1e-4 : 1e-12;
  check_close(y.to(DType::f64), r.y, tol, tol);
  check_close(conv2d_input_grad(g, wd, x.shape(), p).to(DType::f64), r.dx, tol, tol);
  check_close(conv2d_weight_grad(xd, g, w.shape(), p).to(DType::f64), r.dw, tol, tol);
}
}  // namespace

TEST_CASE("conv2d and both gradients match the direct-loop reference") {
  struct Case { Shape x, w; Conv2dParams p; };
  const std::vector<Case> cases = {
      // Few channels: im2col + BLAS.
      {{2, 3, 7, 8}, {4, 3, 3, 3}, Conv2dParams(1, 1)},
      {{2, 3, 7, 8}, {4, 3, 3, 3}, Conv2dParams(2, 0)},
      {{2, 3, 7, 8}, {4, 3, 2, 3}, Conv2dParams(2, 1, 1, 2)},        // non-square kernel, stride 2x1
      {{3, 2, 9, 6}, {5, 2, 3, 1}, Conv2dParams(1, 3, 2, 0, 2, 1)},  // dilation 2x1
      {{2, 3, 8, 8}, {2, 3, 3, 3}, Conv2dParams(3, 2, 2, 1, 1, 3)},  // dilation 1x3, stride 3x2
      {{2, 4, 5, 6}, {3, 4, 1, 1}, Conv2dParams()},                  // 1x1: x is the column matrix
      {{2, 4, 5, 6}, {3, 4, 1, 1}, Conv2dParams(2, 1)},              // 1x1 strided and padded
      {{1, 2, 6, 5}, {3, 2, 5, 5}, Conv2dParams(1, 2)},              // one image: BLAS-threaded path
      {{4, 1, 3, 3}, {2, 1, 3, 3}, Conv2dParams(1, 0)},              // kernel = whole image:
      {{3, 16, 4, 3}, {24, 16, 4, 3}, Conv2dParams(2, 0)},           //   one GEMM over the batch
      {{5, 17, 1, 1}, {8, 17, 1, 1}, Conv2dParams()},                //   (also 1x1 on 1x1)
      // Channel counts that fill whole vector registers: the float32 direct path
      // (on AVX2 / AVX-512 builds), including the flipped-kernel input grad.
      {{2, 16, 6, 5}, {16, 16, 3, 3}, Conv2dParams(1, 1)},
      {{3, 17, 7, 6}, {48, 17, 3, 2}, Conv2dParams(2, 1, 1, 0, 1, 2)},  // 3 registers; stride 2
      {{2, 32, 5, 5}, {80, 32, 1, 1}, Conv2dParams()},                  // 4 + 1 registers
      {{2, 64, 6, 6}, {64, 64, 3, 3}, Conv2dParams(1, 2, 2)},           // dilation 2
      {{2, 16, 5, 7}, {16, 16, 2, 3}, Conv2dParams(1, 1, 0, 2, 1, 2)},  // uneven padding/dilation
      {{2, 16, 4, 4}, {16, 16, 1, 1}, Conv2dParams(1, 1)},              // padding > kernel span
      {{3, 16, 5, 5}, {18, 16, 3, 3}, Conv2dParams(1, 1)},              // 18 channels: BLAS again
      // Strided: the input grad goes phase by phase (ih mod stride).
      {{2, 16, 7, 8}, {16, 16, 3, 3}, Conv2dParams(2, 1)},
      {{2, 16, 9, 7}, {24, 16, 2, 3}, Conv2dParams(3, 2, 1, 0, 1, 2)},
      {{2, 16, 6, 6}, {16, 16, 1, 1}, Conv2dParams(2, 0)},  // odd rows/columns get no tap
      {{2, 16, 5, 5}, {16, 16, 2, 2}, Conv2dParams(2, 1)},
  };
  uint64_t seed = 1;
  for (const auto& c : cases)
    for (DType d : {DType::f32, DType::f64}) {
      check_against_reference(rand64(c.x, seed), rand64(c.w, seed + 1), c.p, d, seed + 2);
      seed += 3;
    }
}

TEST_CASE("conv2d reads strided views and gives the same for any thread count") {
  // x: the transpose of a [2,C,8,7] tensor (non-contiguous), and every other
  // column of a wider one; w transposed too; both dtypes and both paths.
  for (int64_t C : {3, 16}) {
    Tensor x_t = rand64({2, C, 8, 7}, 11).transpose(2, 3);
    Tensor x_s = rand64({2, C, 7, 16}, 12).slice(3, 0, 16, 2);
    Tensor w = rand64({C, 16, 3, 3}, 13).transpose(0, 1);  // [16,C,3,3]
    for (const Tensor& x : {x_t, x_s}) {
      REQUIRE_FALSE(x.is_contiguous());
      for (DType d : {DType::f32, DType::f64}) {
        check_against_reference(x, w, Conv2dParams(2, 1), d, 14);
        check_against_reference(x, w, Conv2dParams(1, 1), d, 15);
      }
    }
    // 1x1 with a strided input cannot use x as the column matrix directly.
    check_against_reference(x_t, rand64({16, C, 1, 1}, 16), {}, DType::f64, 17);
    // Nor can the whole-image GEMM: it copies a strided x first.
    for (DType d : {DType::f32, DType::f64}) check_against_reference(x_t, rand64({16, C, 7, 8}, 24), {}, d, 25);
  }
  // Strided and broadcast grads (sum() sends back an expanded one), both paths.
  for (int64_t C : {3, 16})
    for (DType d : {DType::f32, DType::f64}) {
      CAPTURE(C);
      Tensor x = rand64({2, C, 6, 6}, 18).to(d), w = rand64({16, C, 3, 3}, 19).to(d);
      for (const Tensor& g : {rand64({2, 16, 6, 6}, 20).to(d).transpose(2, 3),
                              full({1, 1, 1, 1}, 0.5, d).expand({2, 16, 6, 6})}) {
        REQUIRE_FALSE(g.is_contiguous());
        const Conv2dParams p(1, 1);
        Reference r = reference_conv(x, w, g, p);
        const double tol = d == DType::f32 ? 1e-4 : 1e-12;
        check_close(conv2d_input_grad(g, w, x.shape(), p).to(DType::f64), r.dx, tol, tol);
        check_close(conv2d_weight_grad(x, g, w.shape(), p).to(DType::f64), r.dw, tol, tol);
      }
    }

  // 1 thread, 2 threads (one image per thread: enough work to go parallel),
  // and fewer images than threads (BLAS threads instead).
  ThreadGuard guard;
  for (auto [N, C, H] : {std::tuple<int64_t, int64_t, int64_t>{4, 16, 16}, {1, 32, 20}})
    for (DType d : {DType::f32, DType::f64}) {
      Tensor xs = rand64({N, C, H, H}, 21).to(d), ws = rand64({C, C, 3, 3}, 22).to(d);
      Tensor gs = rand64({N, C, H, H}, 23).to(d);
      std::vector<Tensor> results[2];
      for (int t : {1, 2}) {
        set_num_threads(t);
        const Conv2dParams p(1, 1);
        results[t - 1] = {conv2d(xs, ws, p), conv2d_input_grad(gs, ws, xs.shape(), p),
                          conv2d_weight_grad(xs, gs, ws.shape(), p)};
      }
      const double tol = d == DType::f32 ? 1e-4 : 1e-12;  // sums may run in another order
      for (int k = 0; k < 3; ++k) check_close(results[0][k], results[1][k], tol, tol);
    }
}

TEST_CASE("adjoint identities: <conv2d(x,w), g> = <x, input_grad(g,w)> = <w, weight_grad(x,g)>") {
  const Conv2dParams p(2, 1, 1, 2, 2, 1);
  Tensor x = rand64({2, 3, 9, 8}, 21), w = rand64({4, 3, 3, 2}, 22);
  Tensor y = conv2d(x, w, p);
  Tensor g = rand64(y.shape(), 23);
  const double lhs = dot(y, g);
  CHECK(dot(x, conv2d_input_grad(g, w, x.shape(), p)) == doctest::Approx(lhs).epsilon(1e-12));
  CHECK(dot(w, conv2d_weight_grad(x, g, w.shape(), p)) == doctest::Approx(lhs).epsilon(1e-12));
}

TEST_CASE("conv_transpose2d: by hand and as the adjoint of conv2d") {
  // Each input pixel stamps the (all-ones 2x2) kernel into the output.
  Tensor x = from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  check_values(conv_transpose2d(x, ones({1, 1, 2, 2}), Conv2dParams(2)),
               {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  check_values(conv_transpose2d(x, ones({1, 1, 2, 2})), {1, 3, 2, 4, 10, 6, 3, 7, 4});
  // output_pad adds a row/column on the far side (zeros here).
  Tensor yp = conv_transpose2d(x, ones({1, 1, 2, 2}), Conv2dParams(2), 1, 0);
  CHECK(yp.shape() == Shape{1, 1, 5, 4});
  CHECK(yp.at({0, 0, 4, 0}) == 0);

  // <conv2d(y, w), x> = <y, conv_transpose2d(x, w)> with w [Cin,Cout,kh,kw].
  struct Case { Shape x, w; Conv2dParams p; int64_t oph, opw; };
  const std::vector<Case> cases = {
      {{2, 3, 4, 5}, {3, 2, 3, 3}, Conv2dParams(1, 1), 0, 0},
      {{2, 3, 4, 5}, {3, 2, 3, 3}, Conv2dParams(2, 1), 1, 0},
      {{1, 2, 3, 3}, {2, 4, 2, 3}, Conv2dParams(3, 2, 0, 1, 2, 1), 2, 1},
      {{2, 16, 4, 5}, {16, 16, 4, 4}, Conv2dParams(2, 1), 1, 0},  // float32: the direct path
  };
  for (const auto& c : cases) {
    Tensor xt = rand64(c.x, 31), w = rand64(c.w, 32);
    Tensor z = conv_transpose2d(xt, w, c.p, c.oph, c.opw);
    CHECK(z.shape() == conv_transpose2d_output_shape(c.x, c.w, c.p, c.oph, c.opw));
    Tensor y = rand64(z.shape(), 33);
    Tensor cy = conv2d(y, w, c.p);
    REQUIRE(cy.shape() == xt.shape());
    CHECK(dot(z, y) == doctest::Approx(dot(cy, xt)).epsilon(1e-12));
    check_close(z.to(DType::f32).to(DType::f64),
                conv_transpose2d(xt.to(DType::f32), w.to(DType::f32), c.p, c.oph, c.opw).to(DType::f64), 1e-4, 1e-4);
  }
}

TEST_CASE("max_pool2d and avg_pool2d: values by hand") {
  Tensor x = arange4(4, 4);
  MaxPool2dResult m = max_pool2d(x, 2, 2);
  check_values(m.values, {5, 7, 13, 15});
  CHECK(m.indices.dtype() == DType::i64);
  check_values(m.indices.to(DType::f64), {5, 7, 13, 15});
  // 3x3, stride 1, padding 1: the padding never wins, even for negative values.
  check_values(max_pool2d(neg(x), 3, 1, 1).values,
               {0, 0, -1, -2, 0, 0, -1, -2, -4, -4, -5, -6, -8, -8, -9, -10});
  // Separate h/w: kernel 1x2, stride 2x1 on rows 0 and 2.
  check_values(max_pool2d(x, {1, 2}, {2, 1}).values, {1, 2, 3, 9, 10, 11});
  check_values(avg_pool2d(x, 2, 2), {2.5, 4.5, 10.5, 12.5});
  // count_include_pad: the corner window holds 4 real pixels but divides by 9.
  Tensor a = avg_pool2d(x, 3, 2, 1);
  CHECK(a.at({0, 0, 0, 0}) == doctest::Approx(10.0 / 9));
  check_values(a, {10.0 / 9, 24.0 / 9, 51.0 / 9, 90.0 / 9}, 1e-5);
  // NaN propagates through max.
  Tensor xn = x.clone();
  xn.set({0, 0, 0, 1}, NAN);
  CHECK(std::isnan(max_pool2d(xn, 2, 2).values.at({0, 0, 0, 0})));
  // A strided input.
  Tensor xt = arange4(4, 4, DType::f64).transpose(2, 3);
  check_values(max_pool2d(xt, 2, 2).values, {5, 13, 7, 15});
  check_values(avg_pool2d(xt, 2, 2), {2.5, 10.5, 4.5, 12.5});
}

TEST_CASE("pooling backward: scatter, gather and adjoints") {
  // All four 2x2 windows of this 3x3 image share the max (index 4): it gets 4 g's.
  Tensor x = from_vector({0, 0, 0, 0, 9, 0, 0, 0, 0}, {1, 1, 3, 3});
  MaxPool2dResult m = max_pool2d(x, 2, 1);
  check_values(max_pool2d_backward(ones({1, 1, 2, 2}), m.indices, x.shape()), {0, 0, 0, 0, 4, 0, 0, 0, 0});
  check_values(max_pool2d_gather(x, m.indices), {9, 9, 9, 9});
  // avg backward by hand: each g/4 spread over its 2x2 window.
  check_values(avg_pool2d_backward(from_vector({4, 8}, {1, 1, 1, 2}), {1, 1, 2, 4}, 2, 2),
               {1, 1, 2, 2, 1, 1, 2, 2});
  // Adjoints on random data, several geometries.
  Tensor xr = rand64({2, 3, 7, 6}, 41);
  for (auto [k, s, p] : {std::tuple<Size2, Size2, Size2>{3, 2, 1}, {{2, 3}, {1, 2}, {1, 0}}, {2, 2, 0}}) {
    Tensor ya = avg_pool2d(xr, k, s, p), g = rand64(ya.shape(), 42);
    CHECK(dot(ya, g) == doctest::Approx(dot(xr, avg_pool2d_backward(g, xr.shape(), k, s, p))).epsilon(1e-12));
    MaxPool2dResult mr = max_pool2d(xr, k, s, p);
    check_close(max_pool2d_gather(xr, mr.indices), mr.values, 0, 0);
    Tensor z = rand64(xr.shape(), 43);
    CHECK(dot(max_pool2d_backward(g, mr.indices, xr.shape()), z) ==
          doctest::Approx(dot(g, max_pool2d_gather(z, mr.indices))).epsilon(1e-12));
  }
}

namespace {
VarFn conv_fn(Conv2dParams p) {
  return [p](const std::vector<Var>& v) { return conv2d(v[0], v[1], v.size() > 2 ? v[2] : Var(), p); };
}
}  // namespace

TEST_CASE("gradcheck: conv2d, its two adjoints, conv_transpose2d") {
  // Stride 2, padding 1, dilation 2 on a strided (transposed) input, with bias.
  Tensor x = rand64({2, 2, 5, 5}, 51).transpose(2, 3);
  CHECK_GRAD(conv_fn(Conv2dParams(2, 1, 2)), {x, rand64({3, 2, 3, 3}, 52), rand64({3}, 53)});
  // Non-square everything, no bias.
  CHECK_GRAD(conv_fn(Conv2dParams(1, 2, 1, 0, 1, 2)), {rand64({2, 2, 5, 6}, 54), rand64({2, 2, 3, 2}, 55)});
  // The adjoint ops as functions of both their arguments.
  const Conv2dParams p(2, 1);
  const Shape xs{2, 2, 5, 5}, ws{3, 2, 3, 3};
  CHECK_GRAD([&](const std::vector<Var>& v) { return conv2d_input_grad(v[0], v[1], xs, p); },
             {rand64({2, 3, 3, 3}, 56), rand64(ws, 57)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return conv2d_weight_grad(v[0], v[1], ws, p); },
             {rand64(xs, 58), rand64({2, 3, 3, 3}, 59)});
  // Kernel = whole image (one GEMM over the batch), with bias, on a strided
  // input; and its transpose from a 1x1 image (DCGAN's first layer).
  CHECK_GRAD(conv_fn(Conv2dParams(1, 0)), {rand64({3, 2, 4, 3}, 63).transpose(2, 3), rand64({4, 2, 3, 4}, 64),
                                           rand64({4}, 65)});
  CHECK_GRAD([](const std::vector<Var>& v) { return conv_transpose2d(v[0], v[1], v[2], Conv2dParams(1, 0)); },
             {rand64({2, 3, 1, 1}, 66), rand64({3, 2, 3, 3}, 67), rand64({2}, 68)});
  // conv_transpose2d with stride 2, padding 1, output padding 1, bias.
  CHECK_GRAD([](const std::vector<Var>& v) { return conv_transpose2d(v[0], v[1], v[2], Conv2dParams(2, 1), 1, 1); },
             {rand64({2, 3, 3, 3}, 60), rand64({3, 2, 3, 3}, 61), rand64({2}, 62)});
}

TEST_CASE("gradcheck: max_pool2d and avg_pool2d") {
  Tensor x = rand64({2, 2, 5, 5}, 71);  // distinct values: no ties for the max
  CHECK_GRAD([](const std::vector<Var>& v) { return max_pool2d(v[0], 3, 2, 1); }, {x});
  CHECK_GRAD([](const std::vector<Var>& v) { return max_pool2d(v[0], {2, 3}, {1, 2}, {1, 0}); },
             {rand64({2, 2, 5, 6}, 72).transpose(2, 3)});
  CHECK_GRAD([](const std::vector<Var>& v) { return avg_pool2d(v[0], 3, 2, 1); }, {x});
  CHECK_GRAD([](const std::vector<Var>& v) { return avg_pool2d(v[0], {2, 3}, {1, 2}, {1, 0}); }, {x});
  // The backward ops on their own (their rules are the third-order ones of the pools).
  MaxPool2dResult m = max_pool2d(x, 3, 2, 1);
  CHECK_GRAD([&](const std::vector<Var>& v) { return max_pool2d_backward(v[0], m.indices, x.shape()); },
             {rand64(m.values.shape(), 73)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return max_pool2d_gather(v[0], m.indices); }, {rand64(x.shape(), 74)});
  CHECK_GRAD([&](const std::vector<Var>& v) { return avg_pool2d_backward(v[0], x.shape(), 3, 2, 1); },
             {rand64(m.values.shape(), 75)});
}

TEST_CASE("gradgradcheck: conv2d, conv_transpose2d and pooling") {
  CHECK_GRADGRAD(conv_fn(Conv2dParams(2, 1, 2)),
                 {rand64({2, 2, 5, 5}, 81).transpose(2, 3), rand64({2, 2, 3, 3}, 82), rand64({2}, 83)});
  CHECK_GRADGRAD(conv_fn(Conv2dParams(1, 1)), {rand64({1, 2, 4, 4}, 84), rand64({2, 2, 3, 3}, 85)});
  CHECK_GRADGRAD([](const std::vector<Var>& v) { return conv_transpose2d(v[0], v[1], Var(), Conv2dParams(2, 1), 1, 1); },
                 {rand64({1, 2, 3, 3}, 86), rand64({2, 2, 3, 3}, 87)});
  // Pooling is piecewise linear: the second derivative is zero, but the
  // double backward must still run through the scatter/gather ops. Square the
  // output so the second derivative is not trivially zero.
  CHECK_GRADGRAD([](const std::vector<Var>& v) { return square(max_pool2d(v[0], 2, 2, 1)); },
                 {rand64({1, 2, 5, 5}, 88)});
  CHECK_GRADGRAD([](const std::vector<Var>& v) { return square(avg_pool2d(v[0], 3, 2, 1)); },
                 {rand64({1, 2, 5, 5}, 89)});
}

TEST_CASE("conv2d with a bias adds it to every pixel of its channel") {
  for (int64_t C : {3, 16})
    for (DType d : {DType::f32, DType::f64}) {
      Tensor x = rand64({2, C, 5, 5}, 95).to(d), w = rand64({16, C, 3, 3}, 96).to(d), b = rand64({16}, 97).to(d);
      check_close(conv2d(x, w, Conv2dParams(1, 1), b), add(conv2d(x, w, Conv2dParams(1, 1)), b.reshape({1, 16, 1, 1})),
                  1e-6, 1e-6);
    }
}

TEST_CASE("Var conv2d: bias, need() and backward into leaves") {
  Var x(rand64({2, 2, 4, 4}, 91)), w(rand64({3, 2, 3, 3}, 92), true), b(rand64({3}, 93), true);
  Var y = conv2d(x, w, b, Conv2dParams(1, 1));
  check_close(y.data(), add(conv2d(x.data(), w.data(), Conv2dParams(1, 1)), b.data().reshape({1, 3, 1, 1})));
  sum(y).backward();
  // dL/db = Σ of ones over N, H, W = 2*4*4; x needs no gradient.
  check_values(b.grad().data(), {32, 32, 32});
  CHECK(w.grad().shape() == w.shape());
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("errors name the op and the shapes") {
  const Tensor x = zeros({2, 3, 8, 8}), w = zeros({4, 3, 3, 3});
  CHECK_THROWS_WITH_AS(conv2d(x, zeros({4, 5, 3, 3})),
                       "conv2d: input [2,3,8,8] has 3 channels but weight [4,5,3,3] expects 5", Error);
  check_error([&] { conv2d(zeros({3, 8, 8}), w); }, {"conv2d", "4-d", "[3,8,8]"});
  check_error([&] { conv2d(x, zeros({4, 3, 3})); }, {"conv2d", "weight", "[4,3,3]"});
  check_error([&] { conv2d(x, zeros({4, 3, 9, 3})); }, {"conv2d", "larger than the padded input 8x8", "[4,3,9,3]"});
  check_error([&] { conv2d(x, zeros({4, 3, 3, 3}), Conv2dParams(1, 0, 4)); }, {"conv2d", "spanning 9x9", "[2,3,8,8]"});
  check_error([&] { conv2d(x, w, Conv2dParams(0, 1)); }, {"conv2d", "stride must be positive", "0x0", "[2,3,8,8]"});
  check_error([&] { conv2d(x, w, Conv2dParams(1, 1, 1, 1, 1, 0)); }, {"conv2d", "dilation must be positive", "[4,3,3,3]"});
  check_error([&] { conv2d(x, w, Conv2dParams(1, -1)); }, {"conv2d", "padding", "-1x-1"});
  check_error([&] { conv2d(x, w.to(DType::f64)); }, {"conv2d", "float32", "float64", "[4,3,3,3]"});
  check_error([&] { conv2d(x.to(DType::i64), w.to(DType::i64)); }, {"conv2d", "int64"});
  check_error([&] { conv2d(Tensor(), w); }, {"conv2d", "undefined"});
  check_error([&] { conv2d_input_grad(zeros({2, 4, 7, 7}), w, x.shape()); },
              {"conv2d_input_grad", "grad [2,4,7,7]", "[2,4,6,6]", "[2,3,8,8]", "[4,3,3,3]"});
  check_error([&] { conv2d_input_grad(zeros({2, 4, 6, 6}), w, {2, 5, 8, 8}); }, {"conv2d_input_grad", "channels"});
  check_error([&] { conv2d_weight_grad(x, zeros({2, 5, 6, 6}), w.shape()); },
              {"conv2d_weight_grad", "grad [2,5,6,6]", "[2,4,6,6]"});
  check_error([&] { conv_transpose2d(x, zeros({4, 2, 3, 3})); },
              {"conv_transpose2d", "input [2,3,8,8] has 3 channels but weight [4,2,3,3] expects 4"});
  check_error([&] { conv_transpose2d(x, zeros({3, 2, 3, 3}), Conv2dParams(2), 2, 0); },
              {"conv_transpose2d", "output padding", "2x0", "[2,3,8,8]"});
  check_error([&] { conv_transpose2d(zeros({1, 3, 1, 1}), zeros({3, 2, 2, 2}), Conv2dParams(1, 1)); },
              {"conv_transpose2d", "output would be 0x0"});
  check_error([&] { conv2d(Var(x), Var(w), Var(zeros({3})), {}); }, {"conv2d", "bias [3]", "[4,3,3,3]"});

  check_error([&] { max_pool2d(zeros({3, 8, 8}), 2, 2); }, {"max_pool2d", "4-d", "[3,8,8]"});
  check_error([&] { max_pool2d(x, 0, 1); }, {"max_pool2d", "kernel size must be positive", "[2,3,8,8]"});
  check_error([&] { avg_pool2d(x, 2, {1, 0}); }, {"avg_pool2d", "stride must be positive", "1x0"});
  check_error([&] { max_pool2d(x, 2, 2, 2); }, {"max_pool2d", "half the kernel", "padding 2x2"});
  check_error([&] { avg_pool2d(x, {9, 2}, 1); }, {"avg_pool2d", "larger than the padded input 8x8", "kernel 9x2"});
  check_error([&] { max_pool2d(x.to(DType::i64), 2, 2); }, {"max_pool2d", "int64"});
  MaxPool2dResult m = max_pool2d(x, 2, 2);
  check_error([&] { max_pool2d_backward(zeros({2, 3, 4, 4}), m.indices.to(DType::f32), x.shape()); },
              {"max_pool2d_backward", "int64", "float32 [2,3,4,4]"});
  check_error([&] { max_pool2d_backward(zeros({2, 3, 4, 4}), m.indices, {2, 4, 8, 8}); },
              {"max_pool2d_backward", "[2,3,4,4]", "[2,4,8,8]"});
  check_error([&] { max_pool2d_backward(zeros({2, 3, 4, 4}), m.indices, {2, 3, 2, 2}); },
              {"max_pool2d_backward", "outside [0, H*W)", "[2,3,2,2]"});
  check_error([&] { avg_pool2d_backward(zeros({2, 3, 3, 4}), x.shape(), 2, 2); },
              {"avg_pool2d_backward", "grad [2,3,3,4]", "[2,3,4,4]", "[2,3,8,8]"});
}
