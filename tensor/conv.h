// latent/tensor — 2-d convolution and pooling on NCHW tensors (no autograd).
//
// Shapes (PyTorch's conventions):
//   input x   [N, C, H, W]       N images of C channels
//   weight w  [O, C, kh, kw]     O filters, each C x kh x kw
//   output y  [N, O, Ho, Wo]
//
//   y[n,o,i,j] = sum_{c,a,b} w[o,c,a,b] * x[n, c, i*sh - ph + a*dh, j*sw - pw + b*dw]
//
// (x read as 0 outside the image: zero padding), with
//   Ho = floor((H + 2 ph - dh (kh-1) - 1) / sh) + 1     (likewise Wo).
//
// Convolution is bilinear in (x, w), and its two adjoints are the gradients:
//   <conv2d(x, w), g> = <x, conv2d_input_grad(g, w)> = <w, conv2d_weight_grad(x, g)>.
// conv2d_input_grad is also the transposed convolution ("deconvolution").
//
// All three are computed the classic way: im2col unrolls the input patches
// into a matrix, so a convolution becomes one matrix product (GEMM) per image;
// col2im is its adjoint (scatter-add back into the image).
#pragma once

#include "tensor/tensor.h"

namespace latent {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;      // zeros added on each side
  int64_t dil_h = 1, dil_w = 1;      // dilation: gap between kernel taps
  Conv2dParams() = default;
  // Square: the same stride / padding / dilation along both axes.
  Conv2dParams(int64_t stride, int64_t pad = 0, int64_t dilation = 1)
      : stride_h(stride), stride_w(stride), pad_h(pad), pad_w(pad), dil_h(dilation), dil_w(dilation) {}
  Conv2dParams(int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh = 1, int64_t dw = 1)
      : stride_h(sh), stride_w(sw), pad_h(ph), pad_w(pw), dil_h(dh), dil_w(dw) {}
};

// [N,O,Ho,Wo] for input shape [N,C,H,W] and weight shape [O,C,kh,kw]; checks
// both (the errors below name `op`).
Shape conv2d_output_shape(const Shape& input, const Shape& weight, const Conv2dParams& p,
                          const std::string& op = "conv2d");

// y = conv2d(x, w) [+ bias [O] on every pixel of channel o, added while each
// image is still in cache].
Tensor conv2d(const Tensor& x, const Tensor& w, const Conv2dParams& p = {}, const Tensor& bias = Tensor());

// dL/dx given g = dL/dy [N,O,Ho,Wo]: the adjoint of conv2d in x. -> input_shape
Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& input_shape,
                         const Conv2dParams& p = {});

// dL/dw given x and g = dL/dy: the adjoint of conv2d in w. -> weight_shape
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Shape& weight_shape,
                          const Conv2dParams& p = {});

// Transposed convolution, x [N,Cin,H,W], w [Cin,Cout,kh,kw] (PyTorch's layout):
// the adjoint of conv2d with that weight, so each input pixel "stamps" the
// kernel into the output at stride s. Output size
//   Hout = (H-1) sh - 2 ph + dh (kh-1) + output_pad_h + 1
// (output_pad picks among the sizes a strided conv2d maps to the same H; it
// must be smaller than the stride or the dilation).
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Conv2dParams& p = {},
                        int64_t output_pad_h = 0, int64_t output_pad_w = 0);
Shape conv_transpose2d_output_shape(const Shape& input, const Shape& weight, const Conv2dParams& p,
                                    int64_t output_pad_h = 0, int64_t output_pad_w = 0);

// ---- pooling ----
// A (height, width) pair; a single number means the same along both axes, so
// max_pool2d(x, 2, 2) and max_pool2d(x, {3, 2}, {2, 1}, {1, 0}) both read well.
struct Size2 {
  int64_t h = 0, w = 0;
  Size2(int64_t v) : h(v), w(v) {}  // NOLINT: implicit on purpose
  Size2(int64_t h_, int64_t w_) : h(h_), w(w_) {}
};

// Output [N,C,Ho,Wo] with Ho = floor((H + 2 ph - kh) / sh) + 1 (PyTorch's
// ceil_mode=false). Padding may be at most half the kernel, so every window
// holds at least one real pixel.
Shape pool2d_output_shape(const Shape& input, Size2 kernel, Size2 stride, Size2 padding,
                          const std::string& op = "max_pool2d");

struct MaxPool2dResult {
  Tensor values;   // [N,C,Ho,Wo]
  Tensor indices;  // int64 [N,C,Ho,Wo]: where each max came from, as ih*W + iw in its plane
};
// Max over each window; padding counts as -infinity, NaN wins (as in PyTorch).
MaxPool2dResult max_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding = 0);
// dL/dx: each g[n,c,i,j] goes back to the pixel its max came from (summed when
// windows overlap and share a max).
Tensor max_pool2d_backward(const Tensor& g, const Tensor& indices, const Shape& input_shape);
// The adjoint of max_pool2d_backward: out[n,c,i,j] = x[n,c, indices[n,c,i,j]].
// (max_pool2d's value is max_pool2d_gather(x, its indices).)
Tensor max_pool2d_gather(const Tensor& x, const Tensor& indices);

// Mean over each window, padding counted as zeros in the mean (PyTorch's
// count_include_pad=true): every window divides by kh*kw, so the op is linear.
Tensor avg_pool2d(const Tensor& x, Size2 kernel, Size2 stride, Size2 padding = 0);
// Its adjoint: each g[n,c,i,j] / (kh kw) is added to every pixel of its window.
Tensor avg_pool2d_backward(const Tensor& g, const Shape& input_shape, Size2 kernel, Size2 stride,
                           Size2 padding = 0);

}  // namespace latent
