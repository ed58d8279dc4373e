// latent/tensor — internal header shared by conv.cpp, conv_direct.cpp and
// pool.cpp. NOT part of the public API: user code includes tensor/conv.h.
//
// The convolution code is split in three files so each reads on its own:
//   conv.cpp         checks, shapes, im2col/col2im + GEMM, the public entry points
//   conv_direct.cpp  the fast float32 path ("indirect convolution", AVX2/AVX-512)
//   pool.cpp         max and average pooling
// This header holds only what they share: the geometry of a convolution, a few
// helpers defined in conv.cpp, and the entry points of the fast path.
#pragma once

#include <string>

#include "tensor/conv.h"

// The fast float32 path is compiled only on AVX-512 or AVX2 + FMA builds
// (conv_direct.cpp picks the vector width); elsewhere everything takes
// im2col + BLAS.
#if (defined(__AVX512F__) && defined(__AVX2__)) || (defined(__AVX2__) && defined(__FMA__))
#define LATENT_CONV_DIRECT 1
#endif

namespace latent::conv_internal {

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
  // A kernel as large as the unpadded image gives one output pixel per image:
  // col_n is x_n itself (one column), so over the batch the convolution is the
  // linear layer Y [N,O] = X [N,K] Wᵀ. (DCGAN's first transposed convolution
  // from a 1x1 noise "image" and its critic's last 7x7 layer are of this kind.)
  bool whole_image() const {
    return kh == H && kw == W && p.pad_h == 0 && p.pad_w == 0 && p.dil_h == 1 && p.dil_w == 1;
  }
};

// ---- defined in conv.cpp ----
// "3x4": an (h, w) pair in error messages.
std::string hw(int64_t h, int64_t w);
// Fails (naming op) unless t is defined and float32 or float64.
void check_float(const std::string& op, const Tensor& t, const char* name);
// Is the convolution too small to be worth waking the thread pool?
bool small_work(const Geom& g);
// Threads to spread the N images over (see the top of conv.cpp).
int image_threads(const Geom& g);

// y [O, P] (one image) += bias[o] on row o: while the image is still in cache.
template <class T>
void add_bias(T* y, const T* bias, int64_t O, int64_t P) {
  for (int64_t o = 0; o < O; ++o)
    for (int64_t p = 0; p < P; ++p) y[o * P + p] += bias[o];
}

#ifdef LATENT_CONV_DIRECT
// ---- defined in conv_direct.cpp (see there for the algorithm) ----
// n rounded up to whole vectors of channels.
int64_t round_lanes(int64_t n);
// Should this convolution take the fast path? vector_channels is the channel
// count the kernel spreads over vector lanes (O forward, C for the input grad).
bool use_direct(const Geom& g, DType d, int64_t vector_channels);
// y [N,O,Ho,Wo] = conv2d(x, w) (+ bias) with wt = wᵀ packed as [K, Op], Op = round_lanes(O).
void direct_forward(const float* x, const int64_t* xst, const Geom& g, const float* wt, int64_t Op,
                    const float* bias, float* y, int nt);
// dw [O,K] = Σ_n g_n col_nᵀ; x and g read through their strides.
void direct_weight_grad(const float* x, const int64_t* xst, const float* gp, const int64_t* gst,
                        const Geom& g, float* dw, int nt);
// dx [N,C,H,W] = the adjoint of conv2d in x; g read through its strides.
void direct_input_grad(const float* gp, const int64_t* gst, const Geom& g, const float* w, float* dx, int nt);
#endif  // LATENT_CONV_DIRECT

}  // namespace latent::conv_internal
