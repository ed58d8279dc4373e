// latent/tensor — the fast float32 path of conv2d and its two gradients:
// "indirect convolution" with an AVX2 / AVX-512 micro-kernel. conv.cpp calls
// it (through conv_internal.h) when the dtype and channel counts suit it;
// float64 and other shapes take im2col + BLAS there. On a build without AVX2 +
// FMA this file compiles to nothing.
//
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
#include "tensor/conv_internal.h"

#ifdef LATENT_CONV_DIRECT

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <vector>

namespace latent::conv_internal {

#if defined(__AVX512F__) && defined(__AVX2__)
using Vec = __m512;
constexpr int kLanes = 16, kTileRows = 6, kTileVecs = 4;  // 24 accumulators of 32 registers
inline Vec vzero() { return _mm512_setzero_ps(); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline Vec vbroadcast(const float* p) { return _mm512_set1_ps(*p); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm512_add_ps(a, b); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8, kTileRows = 6, kTileVecs = 2;  // 12 accumulators of 16 registers
inline Vec vzero() { return _mm256_setzero_ps(); }
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline Vec vbroadcast(const float* p) { return _mm256_broadcast_ss(p); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vadd(Vec a, Vec b) { return _mm256_add_ps(a, b); }
#endif

int64_t round_lanes(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

namespace {

bool lanes_ok(int64_t n) { return round_lanes(n) * 4 <= n * 5; }  // padding wastes <= 25%

// c[r][:] (+)= Σ_t a[r][off[t]] * b[t][:]  for r < MR, NV vectors of columns.
// (The unroll pragmas make GCC -O3 keep the accumulators in registers; without
// them it mirrors each one to the stack on every step.)
template <int MR, int NV>
void tile(const float* const* a_rows, const int64_t* off, int64_t T, const float* b, int64_t ldb,
          float* c, int64_t ldc, bool accumulate) {
  const float* a[MR];
  Vec acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    a[r] = a_rows[r];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = vzero();
  }
  for (int64_t t = 0; t < T; ++t) {
    const int64_t o = off[t];
    Vec bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = vload(b + t * ldb + kLanes * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const Vec av = vbroadcast(a[r] + o);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = vfma(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      float* cv = c + r * ldc + kLanes * v;
      vstore(cv, accumulate ? vadd(vload(cv), acc[r][v]) : acc[r][v]);
    }
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
  // Column blocks outside: the block of B they read (T rows x one tile's
  // columns) then stays in L1 while every row tile passes over it.
  for (int64_t v0 = 0; v0 < vecs; v0 += kTileVecs) {
    const int nv = (int)std::min<int64_t>(kTileVecs, vecs - v0);
    for (int64_t r0 = 0; r0 < rows; r0 += kTileRows) {
      const int mr = (int)std::min<int64_t>(kTileRows, rows - r0);
      pick_tile(mr, nv)(a_rows + r0, off, T, b + kLanes * v0, ldb, c + r0 * ldc + kLanes * v0, ldc,
                        accumulate);
    }
  }
}

// dst[c * dst_ld + r] = src[r * src_ld + c] for r < rows, c < cols: between
// the kernels' channel-last tiles and NCHW planes. 8x8 blocks are transposed
// in registers (unpack, shuffle, permute), five times faster than the plain
// loop, which still does the edges.
void transpose(const float* src, int64_t rows, int64_t cols, int64_t src_ld, float* dst, int64_t dst_ld) {
  int64_t r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8) {
    int64_t c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) {
      __m256 a[8], t[8];
      for (int i = 0; i < 8; ++i) a[i] = _mm256_loadu_ps(src + (r0 + i) * src_ld + c0);
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(a[i], a[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(a[i], a[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        a[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        a[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        a[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        a[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
      }
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(dst + (c0 + i) * dst_ld + r0, _mm256_permute2f128_ps(a[i], a[i + 4], 0x20));
        _mm256_storeu_ps(dst + (c0 + i + 4) * dst_ld + r0, _mm256_permute2f128_ps(a[i], a[i + 4], 0x31));
      }
    }
    for (int64_t c = c0; c < cols; ++c)
      for (int64_t r = r0; r < r0 + 8; ++r) dst[c * dst_ld + r] = src[r * src_ld + c];
  }
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = r0; r < rows; ++r) dst[c * dst_ld + r] = src[r * src_ld + c];
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

}  // namespace

// y [N,O,Ho,Wo] = conv2d(x, w) (+ bias) with wt = wᵀ packed as [K, Op] (zero columns past O).
void direct_forward(const float* x, const int64_t* xst, const Geom& g, const float* wt, int64_t Op,
                    const float* bias, float* y, int nt) {
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
      transpose(yt, P, g.O, Op, y + n * g.O * P, P);
      if (bias) add_bias(y + n * g.O * P, bias, g.O, P);
    }
  }
}

// dw [O,K] = Σ_n g_n col_nᵀ, computed as dwᵀ [K, Op] += Σ_p col_n[:, p] g_nᵀ[p, :]
// (per-thread partial sums, added at the end).
void direct_weight_grad(const float* x, const int64_t* xst, const float* gp, const int64_t* gst,
                        const Geom& g, float* dw, int nt) {
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
      const float* gn = gp + n * gst[0];
      if (gst[1] == P && gst[2] == g.Wo && gst[3] == 1) {
        transpose(gn, g.O, P, P, gt, Op);
      } else {  // any view, e.g. the broadcast ones that sum() sends back
        for (int64_t o = 0; o < g.O; ++o)
          for (int64_t i = 0; i < g.Ho; ++i)
            for (int64_t j = 0; j < g.Wo; ++j) gt[(i * g.Wo + j) * Op + o] = gn[o * gst[1] + i * gst[2] + j * gst[3]];
      }
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
namespace {
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
}  // namespace

void direct_input_grad(const float* gp, const int64_t* gst, const Geom& g, const float* w, float* dx, int nt) {
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
        for (int64_t i = 0; i < g.Ho; ++i) {
          const float* src = gp + n * gst[0] + o * gst[1] + i * gst[2];
          float* dst = gpad + (o * Hg + i + top) * Wg + left;
          for (int64_t j = 0; j < g.Wo; ++j) dst[j] = src[j * gst[3]];
        }
      float* dxn = dx + n * image;
      if (!all_covered) std::fill(dxn, dxn + image, 0.0f);
      for (const Phase& ph : phases) {
        for (int64_t u = 0; u < ph.U; ++u)
          for (int64_t v = 0; v < ph.V; ++v) rows[u * ph.V + v] = gpad + u * Wg + v;
        tiled_product(rows.data(), ph.U * ph.V, ph.off.data(), (int64_t)ph.off.size(), ph.wt.data(), Cp,
                      Cp / kLanes, out, Cp, false);
        if (p.stride_h == 1 && p.stride_w == 1) {  // the one phase is the whole image
          transpose(out, P, g.C, Cp, dxn, P);
          continue;
        }
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

}  // namespace latent::conv_internal

#endif  // LATENT_CONV_DIRECT
