// latent/autodiff — reductions: forward next to backward.
//
// The backward of a reduction spreads g back over the reduced axes: first put
// the reduced axes back as size 1 (keepdim shape), then broadcast (expand).
#include "autodiff/ops.h"

namespace latent {

namespace {

// The shape `a` reduces to over `axes` with keepdim = true.
Shape keep_shape(const Shape& a, const Axes& axes) {
  Shape s = a;
  if (axes.empty()) {
    for (auto& x : s) x = 1;
    return s;
  }
  for (auto ax : axes) s[normalize_axis("reduce", ax, (int64_t)a.size())] = 1;
  return s;
}

// g (reduced, keepdim or not) broadcast back to the input's shape.
Var spread(const Var& g, const Shape& in_shape, const Axes& axes) {
  return expand(reshape(g, keep_shape(in_shape, axes)), in_shape);
}

int64_t count(const Shape& s, const Axes& axes) {
  if (axes.empty()) return shape_numel(s);
  int64_t n = 1;
  for (auto ax : axes) n *= s[normalize_axis("reduce", ax, (int64_t)s.size())];
  return n;
}

}  // namespace

// y = Σ_i a_i                     dy/da_i = 1
Var sum(const Var& a, const Axes& axes, bool keepdim) {
  return make_op("sum", sum(a.data(), axes, keepdim), {a}, [axes](const BackwardCtx& c) -> Grads {
    return {spread(c.g, c.in(0).shape(), axes)};
  });
}

// y = (1/n) Σ_i a_i               dy/da_i = 1/n
Var mean(const Var& a, const Axes& axes, bool keepdim) {
  return make_op("mean", mean(a.data(), axes, keepdim), {a}, [axes](const BackwardCtx& c) -> Grads {
    return {spread(c.g, c.in(0).shape(), axes) / (double)count(c.in(0).shape(), axes)};
  });
}

// y = max_i a_i: the gradient goes to the maximal elements (split evenly on ties).
static Var extremum(const char* name, const Var& a, const Axes& axes, bool keepdim, bool is_max) {
  Tensor v = is_max ? max(a.data(), axes, keepdim) : min(a.data(), axes, keepdim);
  return make_op(name, v, {a}, [axes](const BackwardCtx& c) -> Grads {
    const Tensor& x = c.in(0).data();
    Tensor hit = eq(x, c.out.data().reshape(keep_shape(x.shape(), axes)));  // 1 at the extremum
    Tensor share = div(hit, sum(hit, axes, true));
    return {spread(c.g, x.shape(), axes) * Var(share)};
  });
}
Var max(const Var& a, const Axes& axes, bool keepdim) { return extremum("max", a, axes, keepdim, true); }
Var min(const Var& a, const Axes& axes, bool keepdim) { return extremum("min", a, axes, keepdim, false); }

// var = Σ (a - mean a)² / (n - unbiased): composed of differentiable ops, so its
// backward (and second derivative) follows from theirs.
Var var(const Var& a, const Axes& axes, bool keepdim, bool unbiased) {
  int64_t n = count(a.shape(), axes) - (unbiased ? 1 : 0);
  if (n <= 0) fail("var", "too few elements in shape " + shape_str(a.shape()));
  Var d = a - mean(a, axes, true);
  return sum(square(d), axes, keepdim) / (double)n;
}

// y = log Σ e^a                   dy/da = e^(a - y) = softmax(a)
Var logsumexp(const Var& a, const Axes& axes, bool keepdim) {
  return make_op("logsumexp", logsumexp(a.data(), axes, keepdim), {a}, [axes](const BackwardCtx& c) -> Grads {
    const Shape& s = c.in(0).shape();
    Var y = spread(c.out, s, axes);
    return {spread(c.g, s, axes) * exp(c.in(0) - y)};
  });
}

// ||a||₂ = √Σa²                   d/da = a / ||a||   (undefined at 0: gives NaN, like 0/0)
Var norm(const Var& a, const Axes& axes, bool keepdim) {
  return make_op("norm", norm(a.data(), axes, keepdim), {a}, [axes](const BackwardCtx& c) -> Grads {
    const Shape& s = c.in(0).shape();
    return {spread(c.g, s, axes) * c.in(0) / spread(c.out, s, axes)};
  });
}

// y = softmax(a)                  dL/da = y ⊙ (g - Σ_j g_j y_j)
Var softmax(const Var& a, int64_t axis) {
  return make_op("softmax", softmax(a.data(), axis), {a}, [axis](const BackwardCtx& c) -> Grads {
    return {c.out * (c.g - sum(c.g * c.out, {axis}, true))};
  });
}

// y = a - logsumexp(a)            dL/da = g - softmax(a) Σ_j g_j = g - e^y Σ_j g_j
Var log_softmax(const Var& a, int64_t axis) {
  return make_op("log_softmax", log_softmax(a.data(), axis), {a}, [axis](const BackwardCtx& c) -> Grads {
    return {c.g - exp(c.out) * sum(c.g, {axis}, true)};
  });
}

}  // namespace latent
