// latent/tensor — convolution by im2col + GEMM: the checks, the output shapes
// and the public entry points of conv.h. The fast float32 path lives in
// conv_direct.cpp and pooling in pool.cpp; what they share with this file is
// in conv_internal.h.
//
// im2col: for one image x [C,H,W], build the matrix
//   col[(c,a,b), (i,j)] = x[c, i*sh - ph + a*dh, j*sw - pw + b*dw]   (0 outside)
// with K = C*kh*kw rows and P = Ho*Wo columns. Then, per image n,
//   forward        y_n [O,P]  = W [O,K]   · col_n [K,P]
//   input grad     dcol [K,P] = W^T [K,O] · g_n [O,P],   dx_n = col2im(dcol)
//   weight grad    dW [O,K]  += g_n [O,P] · col_n^T [P,K]
// where W is the weight viewed as [O, C*kh*kw]. col2im is the adjoint of
// im2col: it adds each entry back onto the pixel it was copied from.
//
// Threads: images are spread over OpenMP threads, each with its own column
// buffer, and each calls BLAS on its own image (Debian's OpenMP OpenBLAS runs
// single-threaded inside a parallel region, so the cores are not
// oversubscribed). With fewer images than threads (inference on one image)
// the images go one by one and BLAS itself uses the threads.
//
// float32 on an AVX2 or AVX-512 build takes a faster route when the channel
// counts suit it ("indirect convolution", conv_direct.cpp): the same products,
// but the kernel reads the image directly instead of an im2col copy. float64
// (gradient checks) and other shapes always take im2col + BLAS.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "tensor/conv_internal.h"
#include "tensor/kernels.h"

namespace latent {

using namespace conv_internal;

// ---- helpers shared with conv_direct.cpp and pool.cpp (see conv_internal.h) ----

namespace conv_internal {

std::string hw(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

void check_float(const std::string& op, const Tensor& t, const char* name) {
  if (!t.defined()) fail(op, std::string("undefined ") + name);
  if (t.dtype() == DType::i64)
    fail(op, std::string(name) + " " + shape_str(t.shape()) +
                 " is int64; this op needs float32 or float64 (convert with .to(DType::f32))");
}

// Below this many flops (~40 us) a convolution runs on one thread: waking the
// pool would cost more than it saves.
constexpr double kParallelFlops = 4e6;
bool small_work(const Geom& g) { return 2.0 * g.N * g.O * g.K() * g.P() < kParallelFlops; }

// Threads to spread the N images over (see the top of the file): 1 for small
// work, or when there are fewer images than threads (BLAS threads then).
int image_threads(const Geom& g) {
  const int nt = omp_get_max_threads();
  return g.N >= nt && !small_work(g) ? nt : 1;
}

}  // namespace conv_internal

// ---- this file's own helpers: checks, GEMM, im2col and col2im ----

namespace {

Geom geometry(const std::string& op, const Shape& x, const Shape& w, const Conv2dParams& p) {
  if (x.size() != 4) fail(op, "input must be 4-d [N,C,H,W], got " + shape_str(x));
  if (w.size() != 4) fail(op, "weight must be 4-d [O,C,kh,kw], got " + shape_str(w));
  const std::string shapes = " (input " + shape_str(x) + ", weight " + shape_str(w) + ")";
  if (x[1] != w[1])
    fail(op, "input " + shape_str(x) + " has " + std::to_string(x[1]) + " channels but weight " +
                 shape_str(w) + " expects " + std::to_string(w[1]));
  if (w[2] < 1 || w[3] < 1 || w[1] < 1) fail(op, "weight must have positive C, kh, kw" + shapes);
  if (p.stride_h < 1 || p.stride_w < 1)
    fail(op, "stride must be positive, got " + hw(p.stride_h, p.stride_w) + shapes);
  if (p.dil_h < 1 || p.dil_w < 1)
    fail(op, "dilation must be positive, got " + hw(p.dil_h, p.dil_w) + shapes);
  if (p.pad_h < 0 || p.pad_w < 0)
    fail(op, "padding must be non-negative, got " + hw(p.pad_h, p.pad_w) + shapes);
  Geom g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], 0, 0, p};
  // A dilated kernel spans dh*(kh-1)+1 rows; it must fit in the padded input.
  const int64_t span_h = p.dil_h * (g.kh - 1) + 1, span_w = p.dil_w * (g.kw - 1) + 1;
  if (span_h > g.H + 2 * p.pad_h || span_w > g.W + 2 * p.pad_w)
    fail(op, "kernel " + hw(g.kh, g.kw) + " (spanning " + hw(span_h, span_w) + " with dilation " +
                 hw(p.dil_h, p.dil_w) + ") is larger than the padded input " +
                 hw(g.H + 2 * p.pad_h, g.W + 2 * p.pad_w) + shapes);
  g.Ho = (g.H + 2 * p.pad_h - span_h) / p.stride_h + 1;
  g.Wo = (g.W + 2 * p.pad_w - span_w) / p.stride_w + 1;
  return g;
}

void check_pair(const std::string& op, const Tensor& a, const char* a_name, const Tensor& b,
                const char* b_name) {
  if (!a.defined() || !b.defined()) fail(op, std::string("undefined ") + (a.defined() ? b_name : a_name));
  if (a.dtype() != b.dtype())
    fail(op, std::string(a_name) + " " + shape_str(a.shape()) + " is " + dtype_name(a.dtype()) + " but " +
                 b_name + " " + shape_str(b.shape()) + " is " + dtype_name(b.dtype()));
  check_float(op, a, a_name);
}

template <class T>
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t M, int64_t N, int64_t K, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, A, lda, B, ldb, beta, C, ldc);
}

// The output positions j in [0, n_out) whose input position j*stride + shift
// lies inside [0, n_in): a range [lo, hi), so the inner loops carry no tests.
struct Range { int64_t lo, hi; };
Range valid_range(int64_t n_out, int64_t n_in, int64_t stride, int64_t shift) {
  int64_t lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  int64_t hi = n_in - 1 - shift < 0 ? 0 : (n_in - 1 - shift) / stride + 1;
  hi = std::min(hi, n_out);
  return {lo, std::max(lo, hi)};
}

// One image x (strides sc, sh, sw: any view) -> col [K, P], zeros where the
// kernel reads padding.
template <class T>
void im2col(const T* x, int64_t sc, int64_t sh, int64_t sw, const Geom& g, T* col) {
  const auto& p = g.p;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t b = 0; b < g.kw; ++b) {
        T* row = col + ((c * g.kh + a) * g.kw + b) * g.P();
        const Range jr = valid_range(g.Wo, g.W, p.stride_w, b * p.dil_w - p.pad_w);
        for (int64_t i = 0; i < g.Ho; ++i) {
          T* out = row + i * g.Wo;
          const int64_t ih = i * p.stride_h - p.pad_h + a * p.dil_h;
          if (ih < 0 || ih >= g.H) { std::fill(out, out + g.Wo, T(0)); continue; }
          std::fill(out, out + jr.lo, T(0));
          const T* src = x + c * sc + ih * sh + (jr.lo * p.stride_w + b * p.dil_w - p.pad_w) * sw;
          const int64_t step = p.stride_w * sw;
          if (step == 1)
            std::copy(src, src + (jr.hi - jr.lo), out + jr.lo);
          else
            for (int64_t j = jr.lo; j < jr.hi; ++j) out[j] = src[(j - jr.lo) * step];
          std::fill(out + jr.hi, out + g.Wo, T(0));
        }
      }
}

// The adjoint of im2col: dx [C,H,W] (contiguous) = zeros, then each col entry
// is added to the pixel it was read from (padding entries are dropped).
template <class T>
void col2im(const T* col, const Geom& g, T* dx) {
  const auto& p = g.p;
  std::fill(dx, dx + g.C * g.H * g.W, T(0));
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t a = 0; a < g.kh; ++a)
      for (int64_t b = 0; b < g.kw; ++b) {
        const T* row = col + ((c * g.kh + a) * g.kw + b) * g.P();
        const Range jr = valid_range(g.Wo, g.W, p.stride_w, b * p.dil_w - p.pad_w);
        for (int64_t i = 0; i < g.Ho; ++i) {
          const int64_t ih = i * p.stride_h - p.pad_h + a * p.dil_h;
          if (ih < 0 || ih >= g.H) continue;
          const T* in = row + i * g.Wo;
          T* dst = dx + (c * g.H + ih) * g.W + jr.lo * p.stride_w + b * p.dil_w - p.pad_w;
          for (int64_t j = jr.lo; j < jr.hi; ++j) dst[(j - jr.lo) * p.stride_w] += in[j];
        }
      }
}

// The whole-image case (Geom::whole_image): one GEMM over the batch each,
//   forward  Y [N,O] = X [N,K] Wᵀ,   input grad  dX [N,K] = G [N,O] W,
//   weight grad  dW [O,K] = Gᵀ X,
// instead of N one-column products (or, in the indirect path, a kernel that
// mostly multiplies the zero border of a padded 1x1 image). BLAS threads them.
enum class WholeImage { forward, input_grad, weight_grad };
Tensor whole_image_gemm(WholeImage which, const Tensor& a0, const Tensor& b0, const Geom& g, const Shape& out) {
  const Tensor a = a0.contiguous(), b = b0.contiguous();
  Tensor r(out, a.dtype());
  const int64_t N = g.N, O = g.O, K = g.K();
  detail::dispatch_float(a.dtype(), "conv2d", [&](auto z_) { using T = decltype(z_);
    const T *ap = a.data<T>(), *bp = b.data<T>();
    T* rp = r.data<T>();
    switch (which) {
      case WholeImage::forward:      // a = x [N,K], b = w [O,K]
        gemm<T>(CblasNoTrans, CblasTrans, N, O, K, ap, K, bp, K, T(0), rp, O); break;
      case WholeImage::input_grad:   // a = g [N,O], b = w [O,K]
        gemm<T>(CblasNoTrans, CblasNoTrans, N, K, O, ap, O, bp, K, T(0), rp, K); break;
      case WholeImage::weight_grad:  // a = x [N,K], b = g [N,O]
        gemm<T>(CblasTrans, CblasNoTrans, O, K, N, bp, O, ap, K, T(0), rp, K); break;
    }
  });
  return r;
}

}  // namespace

Shape conv2d_output_shape(const Shape& input, const Shape& weight, const Conv2dParams& p,
                          const std::string& op) {
  Geom g = geometry(op, input, weight, p);
  return {g.N, g.O, g.Ho, g.Wo};
}

Tensor conv2d(const Tensor& x, const Tensor& w0, const Conv2dParams& p, const Tensor& bias0) {
  const std::string op = "conv2d";
  check_pair(op, x, "input", w0, "weight");
  const Geom g = geometry(op, x.shape(), w0.shape(), p);
  if (bias0.defined() && (bias0.shape() != Shape{g.O} || bias0.dtype() != x.dtype()))
    fail(op, "bias " + shape_str(bias0.shape()) + " (" + dtype_name(bias0.dtype()) + ") must be [" +
                 std::to_string(g.O) + "] " + dtype_name(x.dtype()) + " for weight " + shape_str(w0.shape()));
  const Tensor w = w0.contiguous(), bias = bias0.defined() ? bias0.contiguous() : bias0;
  if (g.whole_image() && x.numel() > 0 && w.numel() > 0) {
    Tensor y = whole_image_gemm(WholeImage::forward, x, w, g, {g.N, g.O, 1, 1});
    if (bias.defined()) y = add(y, bias.reshape({1, g.O, 1, 1}));
    return y;
  }
  Tensor y({g.N, g.O, g.Ho, g.Wo}, x.dtype());
  if (y.numel() == 0) return y;
  const int nt = image_threads(g);
#ifdef LATENT_CONV_DIRECT
  if (use_direct(g, x.dtype(), g.O)) {  // wt = wᵀ [K, Op]
    const int64_t K = g.K(), Op = round_lanes(g.O);
    std::vector<float> wt(K * Op, 0.0f);
    const float* wp = w.data<float>();
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t k = 0; k < K; ++k) wt[k * Op + o] = wp[o * K + k];
    direct_forward(x.data<float>(), x.strides().data(), g, wt.data(), Op,
                   bias.defined() ? bias.data<float>() : nullptr, y.data<float>(), nt);
    return y;
  }
#endif
  const bool direct = g.pointwise() && x.is_contiguous();  // col_n is x_n itself
  const int64_t K = g.K(), P = g.P();
  detail::dispatch_float(x.dtype(), op, [&](auto z_) { using T = decltype(z_);
    Tensor cols({direct ? 0 : nt * K * P}, x.dtype());
    const T *xp = x.data<T>(), *wp = w.data<T>(), *bp = bias.defined() ? bias.data<T>() : nullptr;
    T *yp = y.data<T>(), *colp = cols.data<T>();
    const auto& xs = x.strides();
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
      T* col = colp + omp_get_thread_num() * K * P;
#pragma omp for schedule(static)
      for (int64_t n = 0; n < g.N; ++n) {
        const T* b = xp + n * xs[0];
        if (!direct) { im2col(b, xs[1], xs[2], xs[3], g, col); b = col; }
        T* yn = yp + n * g.O * P;
        gemm<T>(CblasNoTrans, CblasNoTrans, g.O, P, K, wp, K, b, P, T(0), yn, P);
        if (bp) add_bias(yn, bp, g.O, P);
      }
    }
  });
  return y;
}

namespace {

// dx = col2im(W^T g) per image; shared by conv2d_input_grad and conv_transpose2d.
Tensor input_grad(const std::string& op, const Tensor& g0, const Tensor& w0, const Geom& geo) {
  const Tensor w = w0.contiguous();
  Tensor dx({geo.N, geo.C, geo.H, geo.W}, g0.dtype());
  if (dx.numel() == 0) return dx;
  if (geo.O == 0) { dx.fill_(0); return dx; }
  if (geo.whole_image()) return whole_image_gemm(WholeImage::input_grad, g0, w, geo, dx.shape());
  const int nt = image_threads(geo);
#ifdef LATENT_CONV_DIRECT
  if (use_direct(geo, g0.dtype(), geo.C)) {  // reads g through its strides
    direct_input_grad(g0.data<float>(), g0.strides().data(), geo, w.data<float>(), dx.data<float>(), nt);
    return dx;
  }
#endif
  const Tensor g = g0.contiguous();  // (a broadcast g, as from sum(), is copied here)
  const bool direct = geo.pointwise();  // dcol_n is dx_n itself
  const int64_t K = geo.K(), P = geo.P(), image = geo.C * geo.H * geo.W;
  detail::dispatch_float(g.dtype(), op, [&](auto z_) { using T = decltype(z_);
    Tensor cols({direct ? 0 : nt * K * P}, g.dtype());
    const T *gp = g.data<T>(), *wp = w.data<T>();
    T *dxp = dx.data<T>(), *colp = cols.data<T>();
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
      T* col = colp + omp_get_thread_num() * K * P;
#pragma omp for schedule(static)
      for (int64_t n = 0; n < geo.N; ++n) {
        T* out = direct ? dxp + n * image : col;
        gemm<T>(CblasTrans, CblasNoTrans, K, P, geo.O, wp, K, gp + n * geo.O * P, P, T(0), out, P);
        if (!direct) col2im(col, geo, dxp + n * image);
      }
    }
  });
  return dx;
}

void check_grad_shape(const std::string& op, const Tensor& g, const Geom& geo, const Shape& input,
                      const Shape& weight) {
  const Shape expect{geo.N, geo.O, geo.Ho, geo.Wo};
  if (g.shape() != expect)
    fail(op, "grad " + shape_str(g.shape()) + " does not match the conv2d output " + shape_str(expect) +
                 " of input " + shape_str(input) + " and weight " + shape_str(weight));
}

}  // namespace

Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& input_shape,
                         const Conv2dParams& p) {
  const std::string op = "conv2d_input_grad";
  check_pair(op, g, "grad", w, "weight");
  const Geom geo = geometry(op, input_shape, w.shape(), p);
  check_grad_shape(op, g, geo, input_shape, w.shape());
  return input_grad(op, g, w, geo);
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g0, const Shape& weight_shape,
                          const Conv2dParams& p) {
  const std::string op = "conv2d_weight_grad";
  check_pair(op, x, "input", g0, "grad");
  const Geom geo = geometry(op, x.shape(), weight_shape, p);
  check_grad_shape(op, g0, geo, x.shape(), weight_shape);
  Tensor dw(weight_shape, x.dtype());
  const int64_t K = geo.K(), P = geo.P(), OK = geo.O * K;
  if (geo.N == 0 || OK == 0) { dw.fill_(0); return dw; }
  if (geo.whole_image()) return whole_image_gemm(WholeImage::weight_grad, x, g0, geo, weight_shape);
  const int nt = image_threads(geo);
#ifdef LATENT_CONV_DIRECT
  if (use_direct(geo, x.dtype(), geo.O)) {  // reads x and g through their strides
    direct_weight_grad(x.data<float>(), x.strides().data(), g0.data<float>(), g0.strides().data(), geo,
                       dw.data<float>(), nt);
    return dw;
  }
#endif
  const Tensor g = g0.contiguous();
  const bool direct = geo.pointwise() && x.is_contiguous();
  detail::dispatch_float(x.dtype(), op, [&](auto z_) { using T = decltype(z_);
    // Each thread sums its images' contributions into its own partial dW
    // (thread 0 straight into dw); the partials are added at the end.
    Tensor cols({direct ? 0 : nt * K * P}, x.dtype()), partial({(nt - 1) * OK}, x.dtype());
    const T *xp = x.data<T>(), *gp = g.data<T>();
    T *dwp = dw.data<T>(), *colp = cols.data<T>(), *partp = partial.data<T>();
    const auto& xs = x.strides();
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
      const int t = omp_get_thread_num();
      T* col = colp + t * K * P;
      T* acc = t == 0 ? dwp : partp + (t - 1) * OK;
      T beta = 0;  // the first image overwrites, later ones accumulate
#pragma omp for schedule(static) nowait
      for (int64_t n = 0; n < geo.N; ++n) {
        const T* b = xp + n * xs[0];
        if (!direct) { im2col(b, xs[1], xs[2], xs[3], geo, col); b = col; }
        gemm<T>(CblasNoTrans, CblasTrans, geo.O, K, P, gp + n * geo.O * P, P, b, P, beta, acc, K);
        beta = 1;
      }
      if (beta == 0) std::fill(acc, acc + OK, T(0));  // this thread got no image
#pragma omp barrier
#pragma omp for schedule(static)
      for (int64_t i = 0; i < OK; ++i)
        for (int u = 0; u + 1 < nt; ++u) dwp[i] += partp[u * OK + i];
    }
  });
  return dw;
}

Shape conv_transpose2d_output_shape(const Shape& x, const Shape& w, const Conv2dParams& p,
                                    int64_t oph, int64_t opw) {
  const std::string op = "conv_transpose2d";
  if (x.size() != 4) fail(op, "input must be 4-d [N,Cin,H,W], got " + shape_str(x));
  if (w.size() != 4) fail(op, "weight must be 4-d [Cin,Cout,kh,kw], got " + shape_str(w));
  const std::string shapes = " (input " + shape_str(x) + ", weight " + shape_str(w) + ")";
  if (x[1] != w[0])
    fail(op, "input " + shape_str(x) + " has " + std::to_string(x[1]) + " channels but weight " +
                 shape_str(w) + " expects " + std::to_string(w[0]));
  if (p.stride_h < 1 || p.stride_w < 1 || p.dil_h < 1 || p.dil_w < 1 || p.pad_h < 0 || p.pad_w < 0)
    fail(op, "stride and dilation must be positive and padding non-negative, got stride " +
                 hw(p.stride_h, p.stride_w) + ", dilation " + hw(p.dil_h, p.dil_w) + ", padding " +
                 hw(p.pad_h, p.pad_w) + shapes);
  // The extra rows must be ones a strided conv2d would fold back onto the same
  // H (PyTorch also allows output_pad < dilation; latent does not).
  if (oph < 0 || opw < 0 || oph >= p.stride_h || opw >= p.stride_w)
    fail(op, "output padding must be non-negative and smaller than the stride " +
                 hw(p.stride_h, p.stride_w) + ", got " + hw(oph, opw) + shapes);
  const int64_t Ho = (x[2] - 1) * p.stride_h - 2 * p.pad_h + p.dil_h * (w[2] - 1) + oph + 1;
  const int64_t Wo = (x[3] - 1) * p.stride_w - 2 * p.pad_w + p.dil_w * (w[3] - 1) + opw + 1;
  if (Ho < 1 || Wo < 1)
    fail(op, "output would be " + hw(Ho, Wo) + ": padding " + hw(p.pad_h, p.pad_w) + " too large" + shapes);
  return {x[0], w[1], Ho, Wo};
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Conv2dParams& p, int64_t oph,
                        int64_t opw) {
  const std::string op = "conv_transpose2d";
  check_pair(op, x, "input", w, "weight");
  const Shape out = conv_transpose2d_output_shape(x.shape(), w.shape(), p, oph, opw);
  // conv_transpose2d(x, w) = conv2d_input_grad(x, w): w [Cin,Cout,..] is the
  // weight of the conv2d from Cout to Cin channels that it is the adjoint of.
  const Geom geo = geometry(op, out, w.shape(), p);
  return input_grad(op, x, w, geo);
}

}  // namespace latent
