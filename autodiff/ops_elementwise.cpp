// latent/autodiff — elementwise ops: forward next to backward.
//
// Reading guide. Every op has the same three parts:
//   value      computed by the tensor/ kernel of the same name;
//   inputs     the Vars the value depends on;
//   backward   dL/d(input) from g = dL/d(out), written with Var ops.
// Broadcasting: if an input was broadcast from shape s to the output's shape,
// its gradient is summed back down to s (sum_to): every copy of an element
// contributed to the loss, so their gradients add up.
#include "autodiff/ops.h"

namespace latent {

namespace {
// A constant Var (no gradient flows into it) from a Tensor.
Var constant(const Tensor& t) { return Var(t); }
}  // namespace

// y = a + b                       dy/da = 1,  dy/db = 1
Var add(const Var& a, const Var& b) {
  return make_op("add", add(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    return {sum_to(c.g, c.in(0).shape()), sum_to(c.g, c.in(1).shape())};
  });
}

// y = a - b                       dy/da = 1,  dy/db = -1
Var sub(const Var& a, const Var& b) {
  return make_op("sub", sub(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    return {sum_to(c.g, c.in(0).shape()), c.need(1) ? sum_to(neg(c.g), c.in(1).shape()) : Var()};
  });
}

// y = a * b                       dy/da = b,  dy/db = a
Var mul(const Var& a, const Var& b) {
  return make_op("mul", mul(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    return {c.need(0) ? sum_to(c.g * c.in(1), c.in(0).shape()) : Var(),
            c.need(1) ? sum_to(c.g * c.in(0), c.in(1).shape()) : Var()};
  });
}

// y = a / b                       dy/da = 1/b,  dy/db = -a/b²
Var div(const Var& a, const Var& b) {
  return make_op("div", div(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    const Var& a = c.in(0);
    const Var& b = c.in(1);
    return {c.need(0) ? sum_to(c.g / b, a.shape()) : Var(),
            c.need(1) ? sum_to(neg(c.g * a) / square(b), b.shape()) : Var()};
  });
}

// y = a^b                         dy/da = b a^(b-1),  dy/db = a^b log a
Var pow(const Var& a, const Var& b) {
  return make_op("pow", pow(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    const Var& a = c.in(0);
    const Var& b = c.in(1);
    return {c.need(0) ? sum_to(c.g * b * pow(a, b - 1.0), a.shape()) : Var(),
            c.need(1) ? sum_to(c.g * c.out * log(a), b.shape()) : Var()};
  });
}

// max(a, b): the gradient goes to whichever input is larger (to a on ties).
Var maximum(const Var& a, const Var& b) {
  return make_op("maximum", maximum(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    Tensor pick_a = ge(c.in(0).data(), c.in(1).data());  // constant 0/1 mask
    return {sum_to(c.g * constant(pick_a), c.in(0).shape()),
            sum_to(c.g * constant(1.0 - pick_a), c.in(1).shape())};
  });
}

Var minimum(const Var& a, const Var& b) {
  return make_op("minimum", minimum(a.data(), b.data()), {a, b}, [](const BackwardCtx& c) -> Grads {
    Tensor pick_a = le(c.in(0).data(), c.in(1).data());
    return {sum_to(c.g * constant(pick_a), c.in(0).shape()),
            sum_to(c.g * constant(1.0 - pick_a), c.in(1).shape())};
  });
}

// where(cond, a, b): cond is data (not differentiable); g is routed by it.
Var where(const Tensor& cond, const Var& a, const Var& b) {
  return make_op("where", where(cond, a.data(), b.data()), {a, b}, [cond](const BackwardCtx& c) -> Grads {
    Var zero(zeros({}, c.g.dtype()));
    return {sum_to(where(cond, c.g, zero), c.in(0).shape()), sum_to(where(cond, zero, c.g), c.in(1).shape())};
  });
}

// y = a + s                       dy/da = 1
Var add(const Var& a, double s) {
  return make_op("add_scalar", add(a.data(), s), {a}, [](const BackwardCtx& c) -> Grads { return {c.g}; });
}

// y = a * s                       dy/da = s
Var mul(const Var& a, double s) {
  return make_op("mul_scalar", mul(a.data(), s), {a}, [s](const BackwardCtx& c) -> Grads { return {c.g * s}; });
}

// y = a^p                         dy/da = p a^(p-1)
Var pow(const Var& a, double p) {
  return make_op("pow_scalar", pow(a.data(), p), {a}, [p](const BackwardCtx& c) -> Grads {
    if (p == 1) return {c.g};
    if (p == 2) return {c.g * c.in(0) * 2.0};
    return {c.g * pow(c.in(0), p - 1) * p};
  });
}

// y = -a
Var neg(const Var& a) {
  return make_op("neg", neg(a.data()), {a}, [](const BackwardCtx& c) -> Grads { return {neg(c.g)}; });
}

// y = e^a                         dy/da = e^a = y
Var exp(const Var& a) {
  return make_op("exp", exp(a.data()), {a}, [](const BackwardCtx& c) -> Grads { return {c.g * c.out}; });
}

// y = log a                       dy/da = 1/a
Var log(const Var& a) {
  return make_op("log", log(a.data()), {a}, [](const BackwardCtx& c) -> Grads { return {c.g / c.in(0)}; });
}

// y = log(1 + a)                  dy/da = 1/(1 + a)
Var log1p(const Var& a) {
  return make_op("log1p", log1p(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g / (c.in(0) + 1.0)};
  });
}

// y = √a                          dy/da = 1/(2√a) = 0.5/y
Var sqrt(const Var& a) {
  return make_op("sqrt", sqrt(a.data()), {a}, [](const BackwardCtx& c) -> Grads { return {c.g * 0.5 / c.out}; });
}

// y = |a|                         dy/da = sign(a)   (0 at 0, as in PyTorch)
Var abs(const Var& a) {
  return make_op("abs", abs(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g * constant(sign(c.in(0).data()))};
  });
}

// y = a²                          dy/da = 2a
Var square(const Var& a) {
  return make_op("square", square(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g * c.in(0) * 2.0};
  });
}

Var sign(const Var& a) { return constant(sign(a.data())); }

// clamp(a, lo, hi): gradient 1 strictly inside [lo, hi], 0 where clipped.
Var clamp(const Var& a, double lo, double hi) {
  return make_op("clamp", clamp(a.data(), lo, hi), {a}, [lo, hi](const BackwardCtx& c) -> Grads {
    const Tensor& x = c.in(0).data();
    Tensor inside = mul(ge(x, scalar(lo, x.dtype())), le(x, scalar(hi, x.dtype())));
    return {c.g * constant(inside)};
  });
}

// y = σ(a) = 1/(1+e^-a)           dy/da = σ(a)(1 - σ(a)) = y(1 - y)
Var sigmoid(const Var& a) {
  return make_op("sigmoid", sigmoid(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g * c.out * (1.0 - c.out)};
  });
}

// y = log σ(a) = -softplus(-a)    dy/da = 1 - σ(a) = σ(-a)
Var log_sigmoid(const Var& a) {
  return make_op("log_sigmoid", log_sigmoid(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g * sigmoid(neg(c.in(0)))};
  });
}

// y = tanh a                      dy/da = 1 - y²
Var tanh(const Var& a) {
  return make_op("tanh", tanh(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g * (1.0 - square(c.out))};
  });
}

// y = max(a, 0)                   dy/da = [a > 0]
Var relu(const Var& a) {
  return make_op("relu", relu(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    const Tensor& x = c.in(0).data();
    return {c.g * constant(gt(x, zeros({}, x.dtype())))};
  });
}

// y = a if a > 0 else slope·a     dy/da = 1 or slope
Var leaky_relu(const Var& a, double slope) {
  return make_op("leaky_relu", leaky_relu(a.data(), slope), {a}, [slope](const BackwardCtx& c) -> Grads {
    const Tensor& x = c.in(0).data();
    Tensor pos = gt(x, zeros({}, x.dtype()));
    return {c.g * constant(add(mul(pos, 1.0 - slope), slope))};
  });
}

// y = log(1 + e^a)                dy/da = σ(a)
Var softplus(const Var& a) {
  return make_op("softplus", softplus(a.data()), {a}, [](const BackwardCtx& c) -> Grads {
    return {c.g * sigmoid(c.in(0))};
  });
}

// y = a if a > 0 else α(e^a - 1)  dy/da = 1 or α e^a = y + α
Var elu(const Var& a, double alpha) {
  return make_op("elu", elu(a.data(), alpha), {a}, [alpha](const BackwardCtx& c) -> Grads {
    const Tensor& x = c.in(0).data();
    Tensor pos = gt(x, zeros({}, x.dtype()));
    return {where(pos, c.g, c.g * (c.out + alpha))};
  });
}

// y = x·l − softplus(l) = log p(x | σ(l))   dy/dl = x − σ(l),   dy/dx = l
// One fused pass instead of mul, softplus and sub over (for a VAE) batch × 784;
// broadcast operands get their gradient summed back to their shape.
Var bernoulli_log_prob(const Var& logits, const Var& x) {
  return make_op("bernoulli_log_prob", bernoulli_log_prob(logits.data(), x.data()), {logits, x},
                 [](const BackwardCtx& c) -> Grads {
                   const Var &l = c.in(0), &x = c.in(1);
                   return {c.need(0) ? sum_to(c.g * (x - sigmoid(l)), l.shape()) : Var(),
                           c.need(1) ? sum_to(c.g * l, x.shape()) : Var()};
                 });
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator-(const Var& a) { return neg(a); }
Var operator+(const Var& a, double b) { return add(a, b); }
Var operator-(const Var& a, double b) { return add(a, -b); }
Var operator*(const Var& a, double b) { return mul(a, b); }
Var operator/(const Var& a, double b) { return mul(a, 1.0 / b); }
Var operator+(double a, const Var& b) { return add(b, a); }
Var operator-(double a, const Var& b) { return add(neg(b), a); }
Var operator*(double a, const Var& b) { return mul(b, a); }
Var operator/(double a, const Var& b) {
  return make_op("rdiv_scalar", div(scalar(a, b.dtype()), b.data()), {b}, [a](const BackwardCtx& c) -> Grads {
    return {neg(c.g) * a / square(c.in(0))};  // d(a/b)/db = -a/b²
  });
}

}  // namespace latent
