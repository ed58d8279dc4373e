// latent/autodiff — convolution and pooling: forward next to backward.
//
// Convolution is bilinear. Write A_w for "conv2d with weight w" as a linear
// map of x; its adjoints give the gradients of L(y), y = A_w x = conv2d(x, w):
//   dL/dx = A_wᵀ g               = conv2d_input_grad(g, w)
//   dL/dw = (the w-adjoint) of g  = conv2d_weight_grad(x, g)
// both defined by  <conv2d(x, w), g> = <x, input_grad(g, w)> = <w, weight_grad(x, g)>.
// Differentiating z = input_grad(g, w) or z = weight_grad(x, g) against an
// incoming gradient gz uses the same identity read the other way round, so
// the three ops' backward rules only ever call each other.
#include "autodiff/ops_conv.h"

namespace latent {

namespace {
// v's value, or an error naming the op when v is undefined.
const Tensor& value(const std::string& op, const Var& v, const char* name) {
  if (!v.defined()) fail(op, std::string("undefined ") + name);
  return v.data();
}
// b must be [channels] of the same dtype, or undefined.
void check_bias(const std::string& op, const Var& b, int64_t channels, const Tensor& w) {
  if (!b.defined()) return;
  if (b.dim() != 1 || b.size(0) != channels || b.dtype() != w.dtype())
    fail(op, "bias " + shape_str(b.shape()) + " (" + dtype_name(b.dtype()) + ") must be [" +
                 std::to_string(channels) + "] " + dtype_name(w.dtype()) + " for weight " +
                 shape_str(w.shape()));
}
// y += b broadcast over [N, ., H, W]; the gradient of b is g summed over those axes.
std::vector<Var> with_bias(Tensor& y, const Var& x, const Var& w, const Var& b) {
  if (!b.defined()) return {x, w};
  add_(y, b.data().reshape({1, b.size(0), 1, 1}));
  return {x, w, b};
}
}  // namespace

// y = conv2d(x, w) + b:  dx = input_grad(g, w),  dw = weight_grad(x, g),
// db = Σ_{n,i,j} g[n,:,i,j].
Var conv2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& p) {
  Tensor y = conv2d(value("conv2d", x, "input"), value("conv2d", w, "weight"), p,
                    b.defined() ? b.data() : Tensor());  // checks b, adds it
  std::vector<Var> inputs = {x, w};
  if (b.defined()) inputs.push_back(b);
  return make_op("conv2d", y, inputs, [p](const BackwardCtx& c) -> Grads {
    const Var &x = c.in(0), &w = c.in(1);
    Grads gs = {c.need(0) ? conv2d_input_grad(c.g, w, x.shape(), p) : Var(),
                c.need(1) ? conv2d_weight_grad(x, c.g, w.shape(), p) : Var()};
    if (c.inputs.size() == 3) gs.push_back(c.need(2) ? sum(c.g, {0, 2, 3}) : Var());
    return gs;
  });
}

// z = input_grad(g, w), so <gz, z> = <conv2d(gz, w), g> = <w, weight_grad(gz, g)>:
//   dg = conv2d(gz, w),  dw = weight_grad(gz, g).
Var conv2d_input_grad(const Var& g, const Var& w, const Shape& input_shape, const Conv2dParams& p) {
  const std::string op = "conv2d_input_grad";
  Tensor z = conv2d_input_grad(value(op, g, "grad"), value(op, w, "weight"), input_shape, p);
  return make_op(op, z, {g, w}, [p](const BackwardCtx& c) -> Grads {
    const Var &g = c.in(0), &w = c.in(1);
    return {c.need(0) ? conv2d(c.g, w, Var(), p) : Var(),
            c.need(1) ? conv2d_weight_grad(c.g, g, w.shape(), p) : Var()};
  });
}

// z = weight_grad(x, g), so <gz, z> = <conv2d(x, gz), g> = <x, input_grad(g, gz)>:
//   dx = input_grad(g, gz),  dg = conv2d(x, gz).
Var conv2d_weight_grad(const Var& x, const Var& g, const Shape& weight_shape, const Conv2dParams& p) {
  const std::string op = "conv2d_weight_grad";
  Tensor z = conv2d_weight_grad(value(op, x, "input"), value(op, g, "grad"), weight_shape, p);
  return make_op(op, z, {x, g}, [p](const BackwardCtx& c) -> Grads {
    const Var &x = c.in(0), &g = c.in(1);
    return {c.need(0) ? conv2d_input_grad(g, c.g, x.shape(), p) : Var(),
            c.need(1) ? conv2d(x, c.g, Var(), p) : Var()};
  });
}

// y = conv_transpose2d(x, w) = input_grad(x, w) (output_pad < stride makes
// conv2d map y's shape back onto x's exactly), so its rule is input_grad's.
Var conv_transpose2d(const Var& x, const Var& w, const Var& b, const Conv2dParams& p, int64_t oph,
                     int64_t opw) {
  const std::string op = "conv_transpose2d";
  Tensor y = conv_transpose2d(value(op, x, "input"), value(op, w, "weight"), p, oph, opw);
  check_bias("conv_transpose2d", b, w.size(1), w.data());
  return make_op("conv_transpose2d", y, with_bias(y, x, w, b), [p](const BackwardCtx& c) -> Grads {
    const Var &x = c.in(0), &w = c.in(1);
    Grads gs = {c.need(0) ? conv2d(c.g, w, Var(), p) : Var(),
                c.need(1) ? conv2d_weight_grad(c.g, x, w.shape(), p) : Var()};
    if (c.inputs.size() == 3) gs.push_back(c.need(2) ? sum(c.g, {0, 2, 3}) : Var());
    return gs;
  });
}

// ---- pooling ----
// max_pool2d(x) = gather(x, idx) with idx fixed (the argmax is piecewise
// constant in x), so dx = scatter(g, idx); scatter and gather through the same
// idx are adjoints, so each is the other's backward.
Var max_pool2d(const Var& x, Size2 kernel, Size2 stride, Size2 padding) {
  MaxPool2dResult r = max_pool2d(value("max_pool2d", x, "input"), kernel, stride, padding);
  Tensor idx = r.indices;
  return make_op("max_pool2d", r.values, {x}, [idx](const BackwardCtx& c) -> Grads {
    return {max_pool2d_backward(c.g, idx, c.in(0).shape())};
  });
}

Var max_pool2d_backward(const Var& g, const Tensor& indices, const Shape& input_shape) {
  const std::string op = "max_pool2d_backward";
  Tensor dx = max_pool2d_backward(value(op, g, "grad"), indices, input_shape);
  return make_op(op, dx, {g}, [indices](const BackwardCtx& c) -> Grads {
    return {max_pool2d_gather(c.g, indices)};
  });
}

Var max_pool2d_gather(const Var& x, const Tensor& indices) {
  const std::string op = "max_pool2d_gather";
  Tensor y = max_pool2d_gather(value(op, x, "input"), indices);
  return make_op(op, y, {x}, [indices](const BackwardCtx& c) -> Grads {
    return {max_pool2d_backward(c.g, indices, c.in(0).shape())};
  });
}

// avg_pool2d (count_include_pad) is linear, y = A x: dx = Aᵀ g = avg_pool2d_backward(g),
// and the backward of Aᵀ is A again.
Var avg_pool2d(const Var& x, Size2 kernel, Size2 stride, Size2 padding) {
  Tensor y = avg_pool2d(value("avg_pool2d", x, "input"), kernel, stride, padding);
  return make_op("avg_pool2d", y, {x}, [kernel, stride, padding](const BackwardCtx& c) -> Grads {
    return {avg_pool2d_backward(c.g, c.in(0).shape(), kernel, stride, padding)};
  });
}

Var avg_pool2d_backward(const Var& g, const Shape& input_shape, Size2 kernel, Size2 stride,
                        Size2 padding) {
  const std::string op = "avg_pool2d_backward";
  Tensor dx = avg_pool2d_backward(value(op, g, "grad"), input_shape, kernel, stride, padding);
  return make_op(op, dx, {g}, [kernel, stride, padding](const BackwardCtx& c) -> Grads {
    return {avg_pool2d(c.g, kernel, stride, padding)};
  });
}

}  // namespace latent
