// latent/tensor — convolution by im2col + GEMM, and pooling. See conv.h.
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
// counts suit it ("indirect convolution", below): the same products, but the kernel
// reads the image directly instead of an im2col copy. float64 (gradient
// checks) and other shapes always take im2col + BLAS.
#include "tensor/conv.h"

#include <cblas.h>
#include <omp.h>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/kernels.h"

namespace latent {

namespace {

struct Geom {
  int64_t N, C, H, W;  // input
  int64_t O, kh, kw;   // weight [O,C,kh,kw]
  int64_t Ho, Wo;      // output
  Conv2dParams p;
  int64_t K() const { return C * kh * kw; }  // rows of col: one per (channel, tap)
  int64_t P() const { return Ho * Wo; }      // columns of col: one per output pixel
  // A 1x1 kernel at stride 1 without padding reads the image as it is: col = x.
  bool pointwise() const {
    return kh == 1 && kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
  }
};

std::string hw(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

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

void check_float(const std::string& op, const Tensor& t, const char* name) {
  if (!t.defined()) fail(op, std::string("undefined ") + name);
  if (t.dtype() == DType::i64)
    fail(op, std::string(name) + " " + shape_str(t.shape()) +
                 " is int64; this op needs float32 or float64 (convert with .to(DType::f32))");
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

// ---- the fast float32 path: indirect convolution (AVX2 / AVX-512) ----
// im2col writes K*P numbers per image only for GEMM to read them back (and
// BLAS then copies them again into its packed panels). The indirect
// convolution algorithm (Dukhan, "The Indirect Convolution Algorithm", 2019)
// skips the copy: the GEMM kernel reads each "col" entry straight from the
// zero-padded image, since
//   col[(c,a,b), (i,j)] = xpad[c, i*sh + a*dh, j*sw + b*dw] = xpad_flat[koff[k] + poff[p]]
// with koff[k] = (c*Hp + a*dh)*Wp + b*dw and poff[p] = i*sh*Wp + j*sw.
// The register tile holds kTileRows output pixels x kTileVecs vectors of
// output channels; each step broadcasts one input value per pixel and
// multiplies it into a row of the channel-major weight matrix (BLIS's
// "broadcast A, load B" micro-kernel). Channels are padded to whole vectors,
// so the path is used only when that wastes little.
#if defined(__AVX512F__)
#define LATENT_CONV_DIRECT 1
using Vec = __m512;
constexpr int kLanes = 16, kTileRows = 6, kTileVecs = 4;  // 24 accumulators of 32 registers
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec vbroadcast(const float* p) { return _mm512_set1_ps(*p); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
#elif defined(__AVX2__) && defined(__FMA__)
#define LATENT_CONV_DIRECT 1
using Vec = __m256;
constexpr int kLanes = 8, kTileRows = 6, kTileVecs = 2;  // 12 accumulators of 16 registers
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec vbroadcast(const float* p) { return _mm256_broadcast_ss(p); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
#endif

#ifdef LATENT_CONV_DIRECT
int64_t round_lanes(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }
bool lanes_ok(int64_t n) { return round_lanes(n) * 4 <= n * 5; }  // padding wastes <= 25%

// c[r][:] (+)= Σ_t a[r][off[t]] * b[t][:]  for r < MR, NV vectors of columns.
template <int MR, int NV>
void tile(const float* const* a_rows, const int64_t* off, int64_t T, const float* b, int64_t ldb,
          float* c, int64_t ldc, bool accumulate) {
  const float* a[MR];
  Vec acc[MR][NV];
  for (int r = 0; r < MR; ++r) {
    a[r] = a_rows[r];
    for (int v = 0; v < NV; ++v) acc[r][v] = accumulate ? vload(c + r * ldc + kLanes * v) : vzero();
  }
  for (int64_t t = 0; t < T; ++t) {
    const int64_t o = off[t];
    Vec bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = vload(b + t * ldb + kLanes * v);
    for (int r = 0; r < MR; ++r) {
      const Vec av = vbroadcast(a[r] + o);
      for (int v = 0; v < NV; ++v) acc[r][v] = vfma(av, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) vstore(c + r * ldc + kLanes * v, acc[r][v]);
}

using TileFn = void (*)(const float* const*, const int64_t*, int64_t, const float*, int64_t, float*,
                        int64_t, bool);
template <int MR>
TileFn tile_nv(int nv) {
  if constexpr (kTileVecs >= 4) if (nv == 4) return tile<MR, 4>;
  if constexpr (kTileVecs >= 3) if (nv == 3) return tile<MR, 3>;
  return nv == 2 ? tile<MR, 2> : tile<MR, 1>;
}
TileFn pick_tile(int mr, int nv) {
  static_assert(kTileRows == 6, "pick_tile lists 1..6 rows");
  switch (mr) {
    case 1: return tile_nv<1>(nv);
    case 2: return tile_nv<2>(nv);
    case 3: return tile_nv<3>(nv);
    case 4: return tile_nv<4>(nv);
    case 5: return tile_nv<5>(nv);
    default: return tile_nv<6>(nv);
  }
}

// C [rows, kLanes*vecs] (+)= A B, tile by tile; row r of A is read at a_rows[r] + off[t].
void tiled_product(const float* const* a_rows, int64_t rows, const int64_t* off, int64_t T,
                   const float* b, int64_t ldb, int64_t vecs, float* c, int64_t ldc, bool accumulate) {
  for (int64_t r0 = 0; r0 < rows; r0 += kTileRows) {
    const int mr = (int)std::min<int64_t>(kTileRows, rows - r0);
    for (int64_t v0 = 0; v0 < vecs; v0 += kTileVecs) {
      const int nv = (int)std::min<int64_t>(kTileVecs, vecs - v0);
      pick_tile(mr, nv)(a_rows + r0, off, T, b + kLanes * v0, ldb, c + r0 * ldc + kLanes * v0, ldc,
                        accumulate);
    }
  }
}

// The tables koff (per kernel tap) and poff (per output pixel) described above.
struct Indirection {
  int64_t Hp, Wp;
  std::vector<int64_t> koff, poff;
  explicit Indirection(const Geom& g) : Hp(g.H + 2 * g.p.pad_h), Wp(g.W + 2 * g.p.pad_w) {
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t a = 0; a < g.kh; ++a)
        for (int64_t b = 0; b < g.kw; ++b) koff.push_back((c * Hp + a * g.p.dil_h) * Wp + b * g.p.dil_w);
    for (int64_t i = 0; i < g.Ho; ++i)
      for (int64_t j = 0; j < g.Wo; ++j) poff.push_back(i * g.p.stride_h * Wp + j * g.p.stride_w);
  }
  int64_t padded_size(const Geom& g) const { return g.C * Hp * Wp; }
  // Copy one image (any strides) into the interior of xpad, whose border is
  // zeroed once by the caller and never written.
  void pad(const float* x, const int64_t* st, const Geom& g, float* xpad) const {
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t h = 0; h < g.H; ++h) {
        const float* src = x + c * st[1] + h * st[2];
        float* dst = xpad + (c * Hp + h + g.p.pad_h) * Wp + g.p.pad_w;
        for (int64_t w = 0; w < g.W; ++w) dst[w] = src[w * st[3]];
      }
  }
};

// y [N,O,Ho,Wo] = conv2d(x, w) with wt = wᵀ packed as [K, Op] (zero columns past O).
void direct_forward(const float* x, const int64_t* xst, const Geom& g, const float* wt, int64_t Op,
                    float* y, int nt) {
  const Indirection ind(g);
  const int64_t P = g.P(), xn = ind.padded_size(g);
  std::vector<float> buf(nt * (xn + P * Op));
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float* xpad = buf.data() + omp_get_thread_num() * (xn + P * Op);
    float* yt = xpad + xn;  // yᵀ for one image: [P, Op]
    std::fill(xpad, xpad + xn, 0.0f);
    std::vector<const float*> rows(P);
    for (int64_t p = 0; p < P; ++p) rows[p] = xpad + ind.poff[p];
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      ind.pad(x + n * xst[0], xst, g, xpad);
      tiled_product(rows.data(), P, ind.koff.data(), g.K(), wt, Op, Op / kLanes, yt, Op, false);
      float* yn = y + n * g.O * P;
      for (int64_t o = 0; o < g.O; ++o)
        for (int64_t p = 0; p < P; ++p) yn[o * P + p] = yt[p * Op + o];
    }
  }
}

// dw [O,K] = Σ_n g_n col_nᵀ, computed as dwᵀ [K, Op] += Σ_p col_n[:, p] g_nᵀ[p, :]
// (per-thread partial sums, added at the end).
void direct_weight_grad(const float* x, const int64_t* xst, const float* gp, const Geom& g, float* dw,
                        int nt) {
  const Indirection ind(g);
  const int64_t P = g.P(), K = g.K(), Op = round_lanes(g.O), xn = ind.padded_size(g);
  const int64_t per_thread = xn + P * Op + K * Op;
  std::vector<float> buf(nt * per_thread, 0.0f);  // zero borders, padding columns and partials
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float* xpad = buf.data() + omp_get_thread_num() * per_thread;
    float* gt = xpad + xn;  // g_nᵀ: [P, Op]
    float* part = gt + P * Op;
    std::vector<const float*> rows(K);
    for (int64_t k = 0; k < K; ++k) rows[k] = xpad + ind.koff[k];
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      ind.pad(x + n * xst[0], xst, g, xpad);
      const float* gn = gp + n * g.O * P;
      for (int64_t o = 0; o < g.O; ++o)
        for (int64_t p = 0; p < P; ++p) gt[p * Op + o] = gn[o * P + p];
      tiled_product(rows.data(), K, ind.poff.data(), P, gt, Op, Op / kLanes, part, Op, true);
    }
#pragma omp for schedule(static)
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t k = 0; k < K; ++k) {
        float s = 0;
        for (int t = 0; t < nt; ++t) s += buf[t * per_thread + xn + P * Op + k * Op + o];
        dw[o * K + k] = s;
      }
  }
}

// dx = the adjoint of conv2d, also by indirect convolution. Input row ih gets
// tap a from g row i = (ih + ph - a dh) / sh only when that division is exact,
// so the rows with the same ih mod sh (a "phase") share one set of taps: for
// ih = rh + sh u the tap reads row u + q_a of g, q_a = (rh + ph - a dh) / sh.
// Each of the sh*sw phases is then a stride-1 product over the taps
// (o, a, b) that fit it, every tap in exactly one phase. (At stride 1 this is
// the familiar "convolve g with the flipped kernel".)
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void direct_input_grad(const float* gp, const Geom& g, const float* w, float* dx, int nt) {
  const auto& p = g.p;
  const int64_t Cp = round_lanes(g.C), kk = g.kh * g.kw;
  // Pad g so every row u + q_a (and column) of every phase lies inside.
  const int64_t top = std::max<int64_t>(0, -floor_div(p.pad_h - (g.kh - 1) * p.dil_h, p.stride_h));
  const int64_t left = std::max<int64_t>(0, -floor_div(p.pad_w - (g.kw - 1) * p.dil_w, p.stride_w));
  const int64_t bottom = std::max<int64_t>(0, (g.H - 1) / p.stride_h + (p.stride_h - 1 + p.pad_h) / p.stride_h - (g.Ho - 1));
  const int64_t right = std::max<int64_t>(0, (g.W - 1) / p.stride_w + (p.stride_w - 1 + p.pad_w) / p.stride_w - (g.Wo - 1));
  const int64_t Hg = g.Ho + top + bottom, Wg = g.Wo + left + right, gn = g.O * Hg * Wg;
  struct Phase {
    int64_t rh, rw, U, V;      // input pixels rh + sh u, rw + sw v for u < U, v < V
    std::vector<int64_t> off;  // per tap (o,a,b): where it reads in padded g
    std::vector<float> wt;     // per tap, the weights w[o, :, a, b] (padded to Cp)
  };
  std::vector<Phase> phases;
  bool all_covered = true;  // does every input pixel get at least one tap?
  for (int64_t rh = 0; rh < std::min(p.stride_h, g.H); ++rh)
    for (int64_t rw = 0; rw < std::min(p.stride_w, g.W); ++rw) {
      Phase ph{rh, rw, (g.H - 1 - rh) / p.stride_h + 1, (g.W - 1 - rw) / p.stride_w + 1, {}, {}};
      for (int64_t o = 0; o < g.O; ++o)
        for (int64_t a = 0; a < g.kh; ++a) {
          const int64_t qh = rh + p.pad_h - a * p.dil_h;
          if (floor_div(qh, p.stride_h) * p.stride_h != qh) continue;
          for (int64_t b = 0; b < g.kw; ++b) {
            const int64_t qw = rw + p.pad_w - b * p.dil_w;
            if (floor_div(qw, p.stride_w) * p.stride_w != qw) continue;
            ph.off.push_back((o * Hg + floor_div(qh, p.stride_h) + top) * Wg + floor_div(qw, p.stride_w) + left);
            for (int64_t c = 0; c < Cp; ++c)
              ph.wt.push_back(c < g.C ? w[(o * g.C + c) * kk + a * g.kw + b] : 0.0f);
          }
        }
      if (ph.off.empty()) all_covered = false;
      else phases.push_back(std::move(ph));
    }
  const int64_t P = g.H * g.W, image = g.C * P;
  std::vector<float> buf(nt * (gn + P * Cp), 0.0f);
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    float* gpad = buf.data() + omp_get_thread_num() * (gn + P * Cp);  // borders stay 0
    float* out = gpad + gn;  // one phase of dxᵀ: [U*V, Cp]
    std::vector<const float*> rows(P);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < g.N; ++n) {
      for (int64_t o = 0; o < g.O; ++o)
        for (int64_t i = 0; i < g.Ho; ++i)
          std::copy_n(gp + ((n * g.O + o) * g.Ho + i) * g.Wo, g.Wo, gpad + (o * Hg + i + top) * Wg + left);
      float* dxn = dx + n * image;
      if (!all_covered) std::fill(dxn, dxn + image, 0.0f);
      for (const Phase& ph : phases) {
        for (int64_t u = 0; u < ph.U; ++u)
          for (int64_t v = 0; v < ph.V; ++v) rows[u * ph.V + v] = gpad + u * Wg + v;
        tiled_product(rows.data(), ph.U * ph.V, ph.off.data(), (int64_t)ph.off.size(), ph.wt.data(), Cp,
                      Cp / kLanes, out, Cp, false);
        for (int64_t c = 0; c < g.C; ++c)
          for (int64_t u = 0; u < ph.U; ++u)
            for (int64_t v = 0; v < ph.V; ++v)
              dxn[(c * g.H + ph.rh + p.stride_h * u) * g.W + ph.rw + p.stride_w * v] = out[(u * ph.V + v) * Cp + c];
      }
    }
  }
}

// The fast path needs float32 and channel counts that fill the vector
// registers. It threads over images only, so a big convolution of fewer
// images than threads goes to multi-threaded BLAS instead.
bool use_direct(const Geom& g, DType d, int64_t vector_channels) {
  return d == DType::f32 && lanes_ok(vector_channels) && (image_threads(g) > 1 || small_work(g) ||
                                                           omp_get_max_threads() == 1);
}
#endif  // LATENT_CONV_DIRECT

}  // namespace

Shape conv2d_output_shape(const Shape& input, const Shape& weight, const Conv2dParams& p,
                          const std::string& op) {
  Geom g = geometry(op, input, weight, p);
  return {g.N, g.O, g.Ho, g.Wo};
}

Tensor conv2d(const Tensor& x, const Tensor& w0, const Conv2dParams& p) {
  const std::string op = "conv2d";
  check_pair(op, x, "input", w0, "weight");
  const Geom g = geometry(op, x.shape(), w0.shape(), p);
  const Tensor w = w0.contiguous();
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
    direct_forward(x.data<float>(), x.strides().data(), g, wt.data(), Op, y.data<float>(), nt);
    return y;
  }
#endif
  const bool direct = g.pointwise() && x.is_contiguous();  // col_n is x_n itself
  const int64_t K = g.K(), P = g.P();
  detail::dispatch_float(x.dtype(), op, [&](auto z_) { using T = decltype(z_);
    Tensor cols({direct ? 0 : nt * K * P}, x.dtype());
    const T *xp = x.data<T>(), *wp = w.data<T>();
    T *yp = y.data<T>(), *colp = cols.data<T>();
    const auto& xs = x.strides();
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
      T* col = colp + omp_get_thread_num() * K * P;
#pragma omp for schedule(static)
      for (int64_t n = 0; n < g.N; ++n) {
        const T* b = xp + n * xs[0];
        if (!direct) { im2col(b, xs[1], xs[2], xs[3], g, col); b = col; }
        gemm<T>(CblasNoTrans, CblasNoTrans, g.O, P, K, wp, K, b, P, T(0), yp + n * g.O * P, P);
      }
    }
  });
  return y;
}

namespace {

// dx = col2im(W^T g) per image; shared by conv2d_input_grad and conv_transpose2d.
Tensor input_grad(const std::string& op, const Tensor& g0, const Tensor& w0, const Geom& geo) {
  const Tensor g = g0.contiguous(), w = w0.contiguous();
  Tensor dx({geo.N, geo.C, geo.H, geo.W}, g.dtype());
  if (dx.numel() == 0) return dx;
  if (geo.O == 0) { dx.fill_(0); return dx; }
  const int nt = image_threads(geo);
#ifdef LATENT_CONV_DIRECT
  if (use_direct(geo, g.dtype(), geo.C)) {
    direct_input_grad(g.data<float>(), geo, w.data<float>(), dx.data<float>(), nt);
    return dx;
  }
#endif
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
  const Tensor g = g0.contiguous();
  Tensor dw(weight_shape, x.dtype());
  const int64_t K = geo.K(), P = geo.P(), OK = geo.O * K;
  if (geo.N == 0 || OK == 0) { dw.fill_(0); return dw; }
  const int nt = image_threads(geo);
#ifdef LATENT_CONV_DIRECT
  if (use_direct(geo, x.dtype(), geo.O)) {
    direct_weight_grad(x.data<float>(), x.strides().data(), g.data<float>(), geo, dw.data<float>(), nt);
    return dw;
  }
#endif
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

// ---- pooling ----
// Each (image, channel) plane is pooled on its own, so planes are spread over
// threads with no two threads ever writing the same element.

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
