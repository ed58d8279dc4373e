// latent/tensor — max and average pooling on NCHW tensors. See conv.h.
//
// It shares only two error helpers with conv.cpp (through conv_internal.h):
// every output is a plain loop over its window, no im2col or GEMM.
//
// Each (image, channel) plane is pooled on its own, so planes are spread over
// threads with no two threads ever writing the same element.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/conv_internal.h"
#include "tensor/kernels.h"

namespace latent {

using conv_internal::check_float;
using conv_internal::hw;

namespace {

struct PoolGeom {
  int64_t N, C, H, W, Ho, Wo;
  Size2 k, s, p;
  // Window of output (i, j) clipped to the image: rows [h0,h1), cols [w0,w1).
  struct Window { int64_t h0, h1, w0, w1; };
  Window window(int64_t i, int64_t j) const {
    const int64_t h = i * s.h - p.h, w = j * s.w - p.w;
    return {std::max<int64_t>(h, 0), std::min(h + k.h, H), std::max<int64_t>(w, 0), std::min(w + k.w, W)};
  }
};

PoolGeom pool_geometry(const std::string& op, const Shape& x, Size2 k, Size2 s, Size2 p) {
  if (x.size() != 4) fail(op, "input must be 4-d [N,C,H,W], got " + shape_str(x));
  const std::string ctx = " (input " + shape_str(x) + ", kernel " + hw(k.h, k.w) + ", stride " +
                          hw(s.h, s.w) + ", padding " + hw(p.h, p.w) + ")";
  if (k.h < 1 || k.w < 1) fail(op, "kernel size must be positive" + ctx);
  if (s.h < 1 || s.w < 1) fail(op, "stride must be positive" + ctx);
  if (p.h < 0 || p.w < 0 || 2 * p.h > k.h || 2 * p.w > k.w)
    fail(op, "padding must be between 0 and half the kernel" + ctx);
  if (k.h > x[2] + 2 * p.h || k.w > x[3] + 2 * p.w)
    fail(op, "kernel is larger than the padded input " + hw(x[2] + 2 * p.h, x[3] + 2 * p.w) + ctx);
  return {x[0], x[1], x[2], x[3], (x[2] + 2 * p.h - k.h) / s.h + 1, (x[3] + 2 * p.w - k.w) / s.w + 1,
          k, s, p};
}

// f(nc) for each of the N*C planes; in parallel when there is enough work.
template <class F>
void for_each_plane(const PoolGeom& g, F&& f) {
  const int64_t planes = g.N * g.C;
  const bool par = planes > 1 && planes * (g.H * g.W + g.Ho * g.Wo) >= detail::kParallelGrain;
#pragma omp parallel for if (par) schedule(static)
  for (int64_t nc = 0; nc < planes; ++nc) f(nc);
}

// indices must be int64 [N,C,Ho,Wo] with the batch and channels of `shape`.
void check_indices(const std::string& op, const Tensor& indices, const Shape& like, const Shape& input) {
  if (!indices.defined() || indices.dtype() != DType::i64 || indices.shape() != like)
    fail(op, "indices must be int64 of shape " + shape_str(like) + ", got " +
                 (indices.defined() ? std::string(dtype_name(indices.dtype())) + " " +
                                          shape_str(indices.shape()) : "undefined"));
  if (like.size() != 4 || input.size() != 4 || like[0] != input[0] || like[1] != input[1])
    fail(op, "grad/indices " + shape_str(like) + " and input " + shape_str(input) +
                 " must both be 4-d with the same batch and channels");
}

}  // namespace

Shape pool2d_output_shape(const Shape& input, Size2 kernel, Size2 stride, Size2 padding,
                          const std::string& op) {
  const PoolGeom g = pool_geometry(op, input, kernel, stride, padding);
  return {g.N, g.C, g.Ho, g.Wo};
}

MaxPool2dResult max_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding) {
  const std::string op = "max_pool2d";
  check_float(op, x, "input");
  const PoolGeom g = pool_geometry(op, x.shape(), kernel, stride, padding);
  MaxPool2dResult r{Tensor({g.N, g.C, g.Ho, g.Wo}, x.dtype()), Tensor({g.N, g.C, g.Ho, g.Wo}, DType::i64)};
  detail::dispatch_float(x.dtype(), op, [&](auto z_) { using T = decltype(z_);
    const T* xp = x.data<T>();
    T* yp = r.values.data<T>();
    int64_t* ip = r.indices.data<int64_t>();
    const auto& st = x.strides();
    for_each_plane(g, [&](int64_t nc) {
      const T* in = xp + (nc / g.C) * st[0] + (nc % g.C) * st[1];
      for (int64_t i = 0; i < g.Ho; ++i)
        for (int64_t j = 0; j < g.Wo; ++j) {
          const auto win = g.window(i, j);
          T best = -std::numeric_limits<T>::infinity();
          int64_t at = win.h0 * g.W + win.w0;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) {
              const T v = in[h * st[2] + w * st[3]];
              if (v > best || std::isnan(v)) { best = v; at = h * g.W + w; }
            }
          yp[(nc * g.Ho + i) * g.Wo + j] = best;
          ip[(nc * g.Ho + i) * g.Wo + j] = at;
        }
    });
  });
  return r;
}

// Shared by max_pool2d_backward (scatter g into zeros at the indices) and
// max_pool2d_gather (read x at the indices): mutual adjoints.
namespace {
Tensor index_planes(const std::string& op, const Tensor& src0, const Tensor& indices0,
                    const Shape& input_shape, bool scatter) {
  check_float(op, src0, scatter ? "grad" : "input");
  check_indices(op, indices0, scatter ? src0.shape() : indices0.shape(), input_shape);
  const Tensor src = src0.contiguous(), indices = indices0.contiguous();
  const int64_t HW = input_shape[2] * input_shape[3], HWo = indices.size(2) * indices.size(3);
  Tensor out(scatter ? input_shape : indices.shape(), src.dtype());
  const PoolGeom g{input_shape[0], input_shape[1], input_shape[2], input_shape[3], indices.size(2),
                   indices.size(3), 1, 1, 0};
  bool bad = false;
  detail::dispatch_float(src.dtype(), op, [&](auto z_) { using T = decltype(z_);
    const T* sp = src.data<T>();
    T* op_ = out.data<T>();
    const int64_t* ip = indices.data<int64_t>();
    if (scatter) out.fill_(0);
    for_each_plane(g, [&](int64_t nc) {
      const int64_t* idx = ip + nc * HWo;
      for (int64_t q = 0; q < HWo; ++q) {
        if (idx[q] < 0 || idx[q] >= HW) {
#pragma omp atomic write
          bad = true;
          continue;
        }
        if (scatter) op_[nc * HW + idx[q]] += sp[nc * HWo + q];
        else op_[nc * HWo + q] = sp[nc * HW + idx[q]];
      }
    });
  });
  if (bad) fail(op, "indices " + shape_str(indices.shape()) + " hold a value outside [0, H*W) for input " +
                        shape_str(input_shape));
  return out;
}
}  // namespace

Tensor max_pool2d_backward(const Tensor& g, const Tensor& indices, const Shape& input_shape) {
  return index_planes("max_pool2d_backward", g, indices, input_shape, true);
}

Tensor max_pool2d_gather(const Tensor& x, const Tensor& indices) {
  check_float("max_pool2d_gather", x, "input");
  if (x.dim() != 4) fail("max_pool2d_gather", "input must be 4-d [N,C,H,W], got " + shape_str(x.shape()));
  return index_planes("max_pool2d_gather", x, indices, x.shape(), false);
}

Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding) {
  const std::string op = "avg_pool2d";
  check_float(op, x, "input");
  const PoolGeom g = pool_geometry(op, x.shape(), kernel, stride, padding);
  Tensor y({g.N, g.C, g.Ho, g.Wo}, x.dtype());
  detail::dispatch_float(x.dtype(), op, [&](auto z_) { using T = decltype(z_);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    const auto& st = x.strides();
    const T scale = T(1) / T(g.k.h * g.k.w);  // padding counts: always kh*kw terms
    for_each_plane(g, [&](int64_t nc) {
      const T* in = xp + (nc / g.C) * st[0] + (nc % g.C) * st[1];
      for (int64_t i = 0; i < g.Ho; ++i)
        for (int64_t j = 0; j < g.Wo; ++j) {
          const auto win = g.window(i, j);
          T s = 0;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) s += in[h * st[2] + w * st[3]];
          yp[(nc * g.Ho + i) * g.Wo + j] = s * scale;
        }
    });
  });
  return y;
}

Tensor avg_pool2d_backward(const Tensor& g0, const Shape& input_shape, Size2 kernel, Size2 stride,
                           Size2 padding) {
  const std::string op = "avg_pool2d_backward";
  check_float(op, g0, "grad");
  const PoolGeom g = pool_geometry(op, input_shape, kernel, stride, padding);
  if (g0.shape() != Shape{g.N, g.C, g.Ho, g.Wo})
    fail(op, "grad " + shape_str(g0.shape()) + " does not match the avg_pool2d output " +
                 shape_str({g.N, g.C, g.Ho, g.Wo}) + " of input " + shape_str(input_shape));
  const Tensor gc = g0.contiguous();
  Tensor dx(input_shape, gc.dtype());
  detail::dispatch_float(gc.dtype(), op, [&](auto z_) { using T = decltype(z_);
    const T* gp = gc.data<T>();
    T* dxp = dx.data<T>();
    const T scale = T(1) / T(g.k.h * g.k.w);
    for_each_plane(g, [&](int64_t nc) {
      T* out = dxp + nc * g.H * g.W;
      std::fill(out, out + g.H * g.W, T(0));
      for (int64_t i = 0; i < g.Ho; ++i)
        for (int64_t j = 0; j < g.Wo; ++j) {
          const auto win = g.window(i, j);
          const T v = gp[(nc * g.Ho + i) * g.Wo + j] * scale;
          for (int64_t h = win.h0; h < win.h1; ++h)
            for (int64_t w = win.w0; w < win.w1; ++w) out[h * g.W + w] += v;
        }
    });
  });
  return dx;
}

}  // namespace latent
