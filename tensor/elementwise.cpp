// latent/tensor — elementwise ops with NumPy broadcasting.
//
// One kernel shape for all of them: compute the broadcast output shape, view
// each operand with stride 0 along broadcast axes (Tensor::expand), then walk
// the index space with nd_loop. Contiguous operands of equal shape take a flat
// loop that the compiler vectorises and OpenMP splits between threads.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "tensor/kernels.h"

namespace latent {

Shape broadcast_shapes(const std::string& op, const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1)
      fail(op, "shapes " + shape_str(a) + " and " + shape_str(b) +
                   " cannot be broadcast: axis " + std::to_string(i) + " has sizes " +
                   std::to_string(x) + " and " + std::to_string(y));
    out[i] = x == 1 ? y : x;
  }
  return out;
}

DType promote(DType a, DType b) {
  if (a == DType::f64 || b == DType::f64) return DType::f64;
  if (a == DType::f32 || b == DType::f32) return DType::f32;
  return DType::i64;
}

namespace {

template <class T, class F>
Tensor binary_kernel(const Tensor& a0, const Tensor& b0, const Shape& shape, DType out_dtype, F f) {
  Tensor out(shape, out_dtype);
  T* po = out.data<T>();
  if (a0.is_contiguous() && b0.is_contiguous() && a0.shape() == shape && b0.shape() == shape) {
    const T* pa = a0.data<T>();
    const T* pb = b0.data<T>();
    int64_t n = out.numel();
#pragma omp parallel for simd if (n >= detail::kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return out;
  }
  if (b0.numel() == 1 && a0.is_contiguous() && a0.shape() == shape) {  // tensor op scalar
    const T* pa = a0.data<T>();
    const T vb = *b0.data<T>();
    int64_t n = out.numel();
#pragma omp parallel for simd if (n >= detail::kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    return out;
  }
  Tensor a = a0.expand(shape), b = b0.expand(shape);
  const T* pa = static_cast<const T*>(a.storage()->data) + a.offset();
  const T* pb = static_cast<const T*>(b.storage()->data) + b.offset();
  detail::nd_loop<3>(shape, {out.strides(), a.strides(), b.strides()},
                     [&](std::array<int64_t, 3> off, int64_t n, std::array<int64_t, 3> st) {
                       T* o = po + off[0];
                       const T* x = pa + off[1];
                       const T* y = pb + off[2];
                       for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
                     });
  return out;
}

// All binary ops: promote dtypes, broadcast, dispatch. `floating` ops reject int64.
template <template <class> class Op, bool Floating = false>
Tensor binary(const char* name, const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined()) fail(name, "undefined tensor operand");
  DType d = promote(a.dtype(), b.dtype());
  Shape shape = broadcast_shapes(name, a.shape(), b.shape());
  Tensor x = a.to(d), y = b.to(d);
  if constexpr (Floating)
    return detail::dispatch_float(d, name, [&](auto z_) { using T = decltype(z_); return binary_kernel<T>(x, y, shape, d, Op<T>{}); });
  return detail::dispatch_all(d, name, [&](auto z_) { using T = decltype(z_); return binary_kernel<T>(x, y, shape, d, Op<T>{}); });
}

template <class T> struct AddF { T operator()(T a, T b) const { return a + b; } };
template <class T> struct SubF { T operator()(T a, T b) const { return a - b; } };
template <class T> struct MulF { T operator()(T a, T b) const { return a * b; } };
template <class T> struct DivF { T operator()(T a, T b) const { return a / b; } };
template <class T> struct PowF { T operator()(T a, T b) const { return std::pow(a, b); } };
template <class T> struct MaxF { T operator()(T a, T b) const { return a > b ? a : b; } };
template <class T> struct MinF { T operator()(T a, T b) const { return a < b ? a : b; } };
template <class T> struct EqF { T operator()(T a, T b) const { return a == b; } };
template <class T> struct NeF { T operator()(T a, T b) const { return a != b; } };
template <class T> struct LtF { T operator()(T a, T b) const { return a < b; } };
template <class T> struct LeF { T operator()(T a, T b) const { return a <= b; } };
template <class T> struct GtF { T operator()(T a, T b) const { return a > b; } };
template <class T> struct GeF { T operator()(T a, T b) const { return a >= b; } };

// exp and sigmoid for the hot float32 loops. std::exp(float) is a call into
// libm that the compiler cannot vectorise (~8x slower than memory speed);
// these are plain arithmetic, so the `omp simd` loops below vectorise them.
//
// exp_f32: error < 1 ulp, checked against exp in double for all 2^32 floats
// (overflow gives inf, underflow 0 through the subnormals, NaN stays NaN).
// Method (SLEEF's expf): x = q ln2 + s with |s| <= ln2/2 (ln2 split in two so
// q*ln2_hi is exact), e^s by a degree-6 polynomial, times 2^q built from
// exponent bits (in two halves, so that subnormal results and q = 128 work).
// Selections are written on the integer bits: GCC does not vectorise a float
// comparison feeding a select (it may raise a floating-point exception)
// unless AVX-512 masks are available.
inline float exp_f32(float x) {
  // Clamp x to [-104, 88.8], where e^x already rounds to 0 / overflows to inf:
  // an integer min on |x|'s bits (the bits of positive floats are ordered).
  const int32_t bits = std::bit_cast<int32_t>(x);
  const int32_t limit = bits < 0 ? 0x42d00000 /* 104.f */ : 0x42b1999a /* 88.8f */;
  const float xc = std::bit_cast<float>(std::min(bits & 0x7fffffff, limit) | (bits & INT32_MIN));
  const float q = (xc * 1.44269504088896341f + 12582912.f) - 12582912.f;  // round(x/ln2)
  float s = xc - q * 0.693145751953125f;
  s = s - q * 1.428606765330187045e-06f;
  float u = 0.000198527617612853646278381f;
  u = u * s + 0.00139304355252534151077271f;
  u = u * s + 0.00833336077630519866943359f;
  u = u * s + 0.0416664853692054748535156f;
  u = u * s + 0.166666671633720397949219f;
  u = u * s + 0.5f;
  u = (s * s) * u + s + 1.0f;
  const int32_t qi = (int32_t)q, h = qi >> 1;
  u = u * std::bit_cast<float>((h + 127) << 23) * std::bit_cast<float>((qi - h + 127) << 23);
  return std::isnan(x) ? x : u;
}
// sigmoid(x) = 1/(1+e^-x); for x < 0, e^x/(1+e^x) so e^-x never overflows.
// Both are n/(1+e) with e = e^-|x| and n = (x < 0 ? e : 1), picked on the sign bit.
inline float sigmoid_f32(float x) {
  const float e = exp_f32(-std::abs(x)), r = 1.f / (1.f + e);
  const int32_t neg = std::bit_cast<int32_t>(x) >> 31;  // all ones where x < 0
  const float n = std::bit_cast<float>((std::bit_cast<int32_t>(e) & neg) | (std::bit_cast<int32_t>(1.f) & ~neg));
  return n * r;
}
// log(1+e) for e in [0, 1], the tail of softplus and log σ. std::log1p(float)
// is a libm call the compiler cannot vectorise (10 % of a VAE epoch went there).
// Method: u = 1+e rounds, c = (e − (u−1))/u restores the lost bits to first
// order (fdlibm's log1p correction); u = 2^k·m with m in [√½, √2] (k = 1 when
// u > √2: halve u exactly through its exponent bits); log m = 2 atanh t =
// 2(t + t³/3 + … + t⁹/9) with t = (m−1)/(m+1), |t| <= 0.1716, so the next term
// is below 2e-9 of the sum. The leading 2t carries two roundings (m+1 and the
// division), so this is not correctly rounded: softplus and log σ built on it
// were within 2.7 ulp of the double result on the test's grid (tests/test_tensor.cpp:
// 245,761 points at step 2^-12 over [-30, 30], plus the tails).
inline float log1p_unit_f32(float e) {
  const float u = 1.f + e;
  const float c = (e - (u - 1.f)) / u;
  const int32_t ub = std::bit_cast<int32_t>(u);
  const int32_t big = -(int32_t)(ub > 0x3fb504f3);  // all ones where u > √2
  const float m = std::bit_cast<float>(ub - (big & 0x00800000));
  const float k = std::bit_cast<float>(big & std::bit_cast<int32_t>(1.f));
  const float t = (m - 1.f) / (m + 1.f), t2 = t * t;
  float p = 0.111111111f;  // 1/9
  p = p * t2 + 0.142857143f;
  p = p * t2 + 0.2f;
  p = p * t2 + 0.333333333f;
  const float log_m = 2.f * t + 2.f * t * t2 * p;
  return k * 0.693145751953125f + (log_m + c + k * 1.428606765330187045e-06f);
}
// log1p(e^−|x|): the tail shared by softplus(x) = max(x,0) + tail and
// log σ(x) = min(x,0) − tail (and bernoulli_log_prob below); e^−|x| <= 1 never overflows.
inline float softplus_tail(float x) { return log1p_unit_f32(exp_f32(-std::abs(x))); }
inline double softplus_tail(double x) { return std::log1p(std::exp(-std::abs(x))); }
inline float fast_exp(float x) { return exp_f32(x); }
inline double fast_exp(double x) { return std::exp(x); }
inline float fast_sigmoid(float x) { return sigmoid_f32(x); }
inline double fast_sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  double e = std::exp(x);
  return e / (1 + e);
}

// Unary float ops: out[i] = f(a[i]).
template <class T, class F>
Tensor unary_kernel(const Tensor& a0, F f) {
  Tensor out(a0.shape(), a0.dtype());
  T* po = out.data<T>();
  if (a0.is_contiguous()) {
    const T* pa = a0.data<T>();
    int64_t n = out.numel();
#pragma omp parallel for simd if (n >= detail::kParallelGrain) schedule(static)
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i]);
    return out;
  }
  const T* pa = static_cast<const T*>(a0.storage()->data) + a0.offset();
  detail::nd_loop<2>(a0.shape(), {out.strides(), a0.strides()},
                     [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
                       for (int64_t i = 0; i < n; ++i) po[off[0] + i * st[0]] = f(pa[off[1] + i * st[1]]);
                     });
  return out;
}

// Generic lambda `f(auto x)`; float only, except where allow_int.
template <bool AllowInt = false, class F>
Tensor unary(const char* name, const Tensor& a, F f) {
  if (!a.defined()) fail(name, "undefined tensor operand");
  if constexpr (AllowInt)
    return detail::dispatch_all(a.dtype(), name, [&](auto z_) { using T = decltype(z_); return unary_kernel<T>(a, [&](T x) { return (T)f(x); }); });
  return detail::dispatch_float(a.dtype(), name, [&](auto z_) { using T = decltype(z_); return unary_kernel<T>(a, [&](T x) { return (T)f(x); }); });
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) { return binary<AddF>("add", a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary<SubF>("sub", a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary<MulF>("mul", a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary<DivF>("div", a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary<PowF, true>("pow", a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary<MaxF>("maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary<MinF>("minimum", a, b); }
Tensor eq(const Tensor& a, const Tensor& b) { return binary<EqF>("eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary<NeF>("ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary<LtF>("lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return binary<LeF>("le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary<GtF>("gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary<GeF>("ge", a, b); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  // where(c, a, b) = b + c*(a - b) would lose a's value when b is inf; do it exactly.
  Shape shape = broadcast_shapes("where", broadcast_shapes("where", cond.shape(), a.shape()), b.shape());
  DType d = promote(a.dtype(), b.dtype());
  Tensor c = cond.to(d).expand(shape), x = a.to(d).expand(shape), y = b.to(d).expand(shape);
  Tensor out(shape, d);
  detail::dispatch_all(d, "where", [&](auto z_) { using T = decltype(z_);
    T* po = out.data<T>();
    const T* pc = static_cast<const T*>(c.storage()->data) + c.offset();
    const T* px = static_cast<const T*>(x.storage()->data) + x.offset();
    const T* py = static_cast<const T*>(y.storage()->data) + y.offset();
    detail::nd_loop<4>(shape, {out.strides(), c.strides(), x.strides(), y.strides()},
                       [&](std::array<int64_t, 4> o, int64_t n, std::array<int64_t, 4> s) {
                         for (int64_t i = 0; i < n; ++i)
                           po[o[0] + i * s[0]] = pc[o[1] + i * s[1]] != 0 ? px[o[2] + i * s[2]] : py[o[3] + i * s[3]];
                       });
  });
  return out;
}

static Tensor scalar_like(const Tensor& a, double v) {
  return scalar(v, a.dtype() == DType::i64 && v != std::floor(v) ? DType::f32 : a.dtype());
}
Tensor add(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor pow(const Tensor& a, double p) {
  if (p == 2) return square(a);
  if (p == 1) return a.clone();
  return unary("pow", a, [p](auto x) { return std::pow(x, (decltype(x))p); });
}

Tensor neg(const Tensor& a) { return unary<true>("neg", a, [](auto x) { return -x; }); }
Tensor exp(const Tensor& a) { return unary("exp", a, [](auto x) { return fast_exp(x); }); }
Tensor log(const Tensor& a) { return unary("log", a, [](auto x) { return std::log(x); }); }
Tensor log1p(const Tensor& a) { return unary("log1p", a, [](auto x) { return std::log1p(x); }); }
Tensor sqrt(const Tensor& a) { return unary("sqrt", a, [](auto x) { return std::sqrt(x); }); }
Tensor abs(const Tensor& a) { return unary<true>("abs", a, [](auto x) { return x < 0 ? -x : x; }); }
Tensor sign(const Tensor& a) {
  return unary<true>("sign", a, [](auto x) { return (decltype(x))((x > 0) - (x < 0)); });
}
Tensor square(const Tensor& a) { return unary<true>("square", a, [](auto x) { return x * x; }); }
Tensor reciprocal(const Tensor& a) { return unary("reciprocal", a, [](auto x) { return 1 / x; }); }
Tensor clamp(const Tensor& a, double lo, double hi) {
  if (lo > hi) fail("clamp", "lo " + std::to_string(lo) + " > hi " + std::to_string(hi));
  if (!a.defined()) fail("clamp", "undefined tensor operand");
  // min(max(x, lo), hi) keeps a NaN x (both return their first argument when a
  // comparison is false) and compiles to vector min/max instructions.
  return detail::dispatch_all(a.dtype(), "clamp", [&](auto z_) {
    using T = decltype(z_);
    const T l = (T)lo, h = (T)hi;
    return unary_kernel<T>(a, [l, h](T x) { return std::min(std::max(x, l), h); });
  });
}
// sigmoid(x) = 1/(1+e^-x); for x < 0 use e^x/(1+e^x) so e^-x never overflows.
Tensor sigmoid(const Tensor& a) { return unary("sigmoid", a, [](auto x) { return fast_sigmoid(x); }); }
// softplus(x) = log(1+e^x) = max(x,0) + log1p(e^-|x|): never overflows.
Tensor softplus(const Tensor& a) {
  return unary("softplus", a, [](auto x) { return std::max(x, decltype(x)(0)) + softplus_tail(x); });
}
Tensor log_sigmoid(const Tensor& a) {
  return unary("log_sigmoid", a, [](auto x) { return std::min(x, decltype(x)(0)) - softplus_tail(x); });
}
namespace {
// x·l − softplus(l) = (x − [l > 0])·l − log1p(e^−|l|): the max(l, 0) of softplus
// folded into the product, so x = 1 and a large l give −log1p(e^−l) ≈ −e^−l with
// full relative accuracy instead of the rounding error of l − l.
// [l > 0] as 1 or 0 from the sign and magnitude bits (an integer compare, so the
// loop vectorises; see exp_f32 on float compares feeding a select).
template <class T> T positive_indicator(T l) {
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  const I b = std::bit_cast<I>(l);
  return std::bit_cast<T>((I)(-(I)(b > 0)) & std::bit_cast<I>(T(1)));
}
template <class T> struct BernoulliLogProbF {
  T operator()(T l, T x) const {
    if constexpr (std::is_floating_point_v<T>) return (x - positive_indicator(l)) * l - softplus_tail(l);
    else return T(0);  // never instantiated: binary<…, true> dispatches float types only
  }
};
}  // namespace
Tensor bernoulli_log_prob(const Tensor& logits, const Tensor& x) {
  return binary<BernoulliLogProbF, true>("bernoulli_log_prob", logits, x);
}
Tensor tanh(const Tensor& a) { return unary("tanh", a, [](auto x) { return std::tanh(x); }); }
Tensor relu(const Tensor& a) {
  return unary<true>("relu", a, [](auto x) { return x > 0 ? x : (decltype(x))0; });
}
Tensor leaky_relu(const Tensor& a, double slope) {
  if (!a.defined()) fail("leaky_relu", "undefined tensor operand");
  // The slope is rounded to the element type once, so the float loop stays in
  // float vectors (a double product would convert every element back and forth).
  return detail::dispatch_float(a.dtype(), "leaky_relu", [&](auto z_) {
    using T = decltype(z_);
    const T s = (T)slope;
    // max(x,0) + s·min(x,0) equals x > 0 ? x : s·x exactly (also for ±0, ±inf
    // and NaN) without a branch: the branch on the sign of random data
    // mispredicts half the time, and GCC won't turn it into a vector select
    // because s·x "might trap" (-ftrapping-math).
    return unary_kernel<T>(a, [s](T x) { return std::max(x, T(0)) + s * std::min(x, T(0)); });
  });
}
Tensor elu(const Tensor& a, double alpha) {
  return unary("elu", a, [alpha](auto x) {
    using T = decltype(x);
    return x > 0 ? x : (T)(alpha * std::expm1(x));
  });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return add(neg(b), a); }

void add_(Tensor& a, const Tensor& b0, double alpha) {
  if (a.dtype() != b0.dtype() && b0.numel() != 1)
    fail("add_", std::string("dtypes differ: ") + dtype_name(a.dtype()) + " += " + dtype_name(b0.dtype()));
  Tensor b = b0.to(a.dtype());
  broadcast_shapes("add_", a.shape(), b.shape());
  b = b.expand(a.shape());
  detail::dispatch_all(a.dtype(), "add_", [&](auto z_) { using T = decltype(z_);
    T* pa = static_cast<T*>(a.storage()->data) + a.offset();
    const T* pb = static_cast<const T*>(b.storage()->data) + b.offset();
    T al = (T)alpha;
    detail::nd_loop<2>(a.shape(), {a.strides(), b.strides()},
                       [&](std::array<int64_t, 2> o, int64_t n, std::array<int64_t, 2> s) {
                         if (s[0] == 1 && s[1] == 1) {
#pragma omp simd
                           for (int64_t i = 0; i < n; ++i) pa[o[0] + i] += al * pb[o[1] + i];
                         } else {
                           for (int64_t i = 0; i < n; ++i) pa[o[0] + i * s[0]] += al * pb[o[1] + i * s[1]];
                         }
                       });
  });
}

}  // namespace latent
