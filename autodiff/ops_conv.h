// latent/autodiff — differentiable convolution and pooling (ops_conv.cpp).
//
// Second derivatives come for free because every backward rule is one of the
// ops below again:
//   conv2d, conv2d_input_grad and conv2d_weight_grad are bilinear and each
//   one's gradients are the other two (the three are closed under
//   differentiation);
//   max_pool2d_backward and max_pool2d_gather are each other's adjoints (a
//   scatter and a gather through the same indices), as are avg_pool2d and
//   avg_pool2d_backward.
#pragma once

#include "autodiff/ops.h"
#include "tensor/conv.h"

namespace latent {

// x [N,C,H,W], w [O,C,kh,kw], b [O] or undefined (no bias) -> [N,O,Ho,Wo].
Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& p = {});
// The adjoints of conv2d in x and in w, as differentiable ops (see conv.h).
Var conv2d_input_grad(const Var& g, const Var& w, const Shape& input_shape, const Conv2dParams& p = {});
Var conv2d_weight_grad(const Var& x, const Var& g, const Shape& weight_shape, const Conv2dParams& p = {});
// x [N,Cin,H,W], w [Cin,Cout,kh,kw], b [Cout] or undefined.
Var conv_transpose2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& p = {},
                     int64_t output_pad_h = 0, int64_t output_pad_w = 0);

Var max_pool2d(const Var& x, Size2 kernel, Size2 stride, Size2 padding = 0);
// g [N,C,Ho,Wo] scattered to the argmax pixels (indices from tensor max_pool2d).
Var max_pool2d_backward(const Var& g, const Tensor& indices, const Shape& input_shape);
Var max_pool2d_gather(const Var& x, const Tensor& indices);

Var avg_pool2d(const Var& x, Size2 kernel, Size2 stride, Size2 padding = 0);
Var avg_pool2d_backward(const Var& g, const Shape& input_shape, Size2 kernel, Size2 stride,
                        Size2 padding = 0);

}  // namespace latent
