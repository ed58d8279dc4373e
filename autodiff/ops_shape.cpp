// latent/autodiff — shape ops: views forward, the inverse view backward.
//
// Moving elements around does not change their values, so each backward rule
// just moves g back: transpose ↔ transpose, expand ↔ sum_to, slice ↔ pad.
#include "autodiff/ops.h"
#include "tensor/index.h"

namespace latent {

Var reshape(const Var& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return make_op("reshape", a.data().reshape(shape), {a}, [](const BackwardCtx& c) -> Grads {
    return {reshape(c.g, c.in(0).shape())};
  });
}

Var transpose(const Var& a, int64_t d0, int64_t d1) {
  return make_op("transpose", a.data().transpose(d0, d1), {a}, [d0, d1](const BackwardCtx& c) -> Grads {
    return {transpose(c.g, d0, d1)};
  });
}

Var permute(const Var& a, const std::vector<int64_t>& order) {
  return make_op("permute", a.data().permute(order), {a}, [order](const BackwardCtx& c) -> Grads {
    std::vector<int64_t> inverse(order.size());
    for (size_t i = 0; i < order.size(); ++i)
      inverse[normalize_axis("permute", order[i], (int64_t)order.size())] = (int64_t)i;
    return {permute(c.g, inverse)};
  });
}

// expand copies each element to many places; their gradients add up (sum_to).
Var expand(const Var& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return make_op("expand", a.data().expand(shape), {a}, [](const BackwardCtx& c) -> Grads {
    return {sum_to(c.g, c.in(0).shape())};
  });
}

Var sum_to(const Var& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  return make_op("sum_to", sum_to(a.data(), shape), {a}, [](const BackwardCtx& c) -> Grads {
    return {expand(reshape(c.g, Shape(c.g.shape())), c.in(0).shape())};
  });
}

// The adjoint of slice: g placed into zeros of the input's shape.
static Var slice_backward(const Var& g, const Shape& in_shape, int64_t axis, int64_t start, int64_t end,
                          int64_t step) {
  Tensor z = zeros(in_shape, g.dtype());
  z.slice(axis, start, end, step).copy_(g.data());
  return make_op("slice_backward", z, {g}, [axis, start, end, step](const BackwardCtx& c) -> Grads {
    return {slice(c.g, axis, start, end, step)};
  });
}

Var slice(const Var& a, int64_t axis, int64_t start, int64_t end, int64_t step) {
  return make_op("slice", a.data().slice(axis, start, end, step), {a},
                 [axis, start, end, step](const BackwardCtx& c) -> Grads {
                   return {slice_backward(c.g, c.in(0).shape(), axis, start, end, step)};
                 });
}

Var select(const Var& a, int64_t axis, int64_t index) {
  int64_t ax = normalize_axis("select", axis, a.dim());
  int64_t i = index < 0 ? index + a.shape()[ax] : index;
  a.data().select(ax, i);  // validates the index with a clear message
  return squeeze(slice(a, ax, i, i + 1), ax);
}

Var squeeze(const Var& a, int64_t axis) { return reshape(a, a.data().squeeze(axis).shape()); }
Var unsqueeze(const Var& a, int64_t axis) { return reshape(a, a.data().unsqueeze(axis).shape()); }

Var flatten(const Var& a, int64_t start_axis) {
  Shape s(a.shape().begin(), a.shape().begin() + normalize_axis("flatten", start_axis, a.dim()));
  s.push_back(-1);
  return reshape(a, s);
}

Var contiguous(const Var& a) {
  if (a.data().is_contiguous()) return a;
  return make_op("contiguous", a.data().contiguous(), {a}, [](const BackwardCtx& c) -> Grads { return {c.g}; });
}

// concat: each input's gradient is its slice of g.
Var concat(const std::vector<Var>& xs, int64_t axis) {
  if (xs.empty()) fail("concat", "no tensors to concatenate");
  std::vector<Tensor> ts;
  for (const Var& x : xs) ts.push_back(x.data());
  int64_t ax = normalize_axis("concat", axis, xs[0].dim());
  return make_op("concat", concat(ts, ax), xs, [ax](const BackwardCtx& c) -> Grads {
    Grads gs;
    int64_t at = 0;
    for (const Var& x : c.inputs) {
      int64_t n = x.shape()[ax];
      gs.push_back(slice(c.g, ax, at, at + n));
      at += n;
    }
    return gs;
  });
}

Var stack(const std::vector<Var>& xs, int64_t axis) {
  if (xs.empty()) fail("stack", "no tensors to stack");
  int64_t ax = normalize_axis("stack", axis, xs[0].dim() + 1);
  std::vector<Var> us;
  for (const Var& x : xs) {
    if (x.shape() != xs[0].shape())
      fail("stack", "shapes differ: " + shape_str(xs[0].shape()) + " and " + shape_str(x.shape()));
    us.push_back(unsqueeze(x, ax));
  }
  return concat(us, ax);
}

std::vector<Var> split(const Var& a, const std::vector<int64_t>& sizes, int64_t axis) {
  int64_t ax = normalize_axis("split", axis, a.dim()), total = 0;
  for (auto s : sizes) {
    if (s < 0) fail("split", "negative size in " + shape_str(sizes));
    total += s;
  }
  if (total != a.shape()[ax])
    fail("split", "sizes " + shape_str(sizes) + " add up to " + std::to_string(total) + ", but axis " +
                      std::to_string(ax) + " of " + shape_str(a.shape()) + " has " +
                      std::to_string(a.shape()[ax]));
  std::vector<Var> out;
  int64_t at = 0;
  for (auto s : sizes) {
    out.push_back(slice(a, ax, at, at + s));
    at += s;
  }
  return out;
}

}  // namespace latent
