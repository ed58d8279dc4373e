// latent/tensor — reductions over any set of axes.
//
// Three primitive kernels (sum, max, min) over a [rows, len] or [len, cols]
// layout; everything else (mean, var, logsumexp, norm, softmax) is a short
// composition of them, written the way the formula reads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>
#include <omp.h>

#include "tensor/kernels.h"

namespace latent {

namespace {

struct SumOp {
  template <class T> static T init() { return 0; }
  template <class T> static T combine(T a, T b) { return a + b; }
};
// Max and min start from -inf / +inf (so a row of -inf has max -inf, not
// `lowest`); int64 has no infinity and starts from its extremes.
struct MaxOp {
  template <class T> static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::lowest();
  }
  template <class T> static T combine(T a, T b) { return (a > b || b != b) ? a : b; }
};
struct MinOp {
  template <class T> static T init() {
    if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::max();
  }
  template <class T> static T combine(T a, T b) { return (a < b || b != b) ? a : b; }
};

// Accumulate float32 row sums in double: summing 10M floats in float loses
// digits. (Column sums — reducing leading axes — add whole rows in the
// tensor's own dtype, each output element summing one value per row.)
template <class T> struct Acc { using type = T; };
template <> struct Acc<float> { using type = double; };

// One contiguous run. Sums widen float to double (one SIMD accumulator is
// enough: the float->double conversion, not the add, bounds its speed). Max
// and min keep kLanes independent partial results in T (widening changes
// nothing for them) and combine them at the end: written as one running
// value, their compare-and-select loop does not vectorise at all.
template <class Op, class T>
typename Acc<T>::type reduce_run(const T* p, int64_t n) {
  using A = typename Acc<T>::type;
  if constexpr (std::is_same_v<Op, SumOp>) {
    A acc = 0;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = 0; i < n; ++i) acc += (A)p[i];
    return acc;
  } else {
    constexpr int64_t kLanes = 64 / sizeof(T) * 2;  // two SIMD registers
    T lane[kLanes];
    for (auto& l : lane) l = Op::template init<T>();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
#pragma omp simd
      for (int64_t l = 0; l < kLanes; ++l) lane[l] = Op::combine(lane[l], p[i + l]);
    T acc = Op::template init<T>();
    for (; i < n; ++i) acc = Op::combine(acc, p[i]);
    for (auto l : lane) acc = Op::combine(acc, l);
    return (A)acc;
  }
}

struct Plan {
  Shape out_shape;       // with keepdim applied
  std::vector<bool> reduced;
};

Plan make_plan(const char* op, const Tensor& a, const Axes& axes, bool keepdim) {
  Plan p;
  p.reduced.assign(a.dim(), axes.empty());
  for (auto ax : axes) {
    int64_t k = normalize_axis(op, ax, a.dim());
    if (p.reduced[k] && !axes.empty())
      fail(op, "axis " + std::to_string(ax) + " listed twice for shape " + shape_str(a.shape()));
    p.reduced[k] = true;
  }
  for (int64_t i = 0; i < a.dim(); ++i) {
    if (!p.reduced[i]) p.out_shape.push_back(a.shape()[i]);
    else if (keepdim) p.out_shape.push_back(1);
  }
  return p;
}

template <class Op, class T>
Tensor reduce_kernel(const char* name, const Tensor& a, const Axes& axes, bool keepdim) {
  Plan plan = make_plan(name, a, axes, keepdim);
  Tensor out(plan.out_shape, a.dtype());
  T* po = out.data<T>();
  const int64_t total = a.numel();
  if (total == 0 && !std::is_same_v<Op, SumOp>) fail(name, "reduction of an empty tensor");
  // Are the reduced axes a prefix or a suffix of a contiguous tensor?
  int64_t nd = a.dim(), first_kept = 0, last_kept = nd - 1;
  while (first_kept < nd && plan.reduced[first_kept]) ++first_kept;
  while (last_kept >= 0 && plan.reduced[last_kept]) --last_kept;
  bool suffix = true, prefix = true;
  for (int64_t i = 0; i < nd; ++i) {
    if (i > last_kept && !plan.reduced[i]) suffix = false;
    if (i <= last_kept && plan.reduced[i]) suffix = false;
    if (i < first_kept && !plan.reduced[i]) prefix = false;
    if (i >= first_kept && plan.reduced[i]) prefix = false;
  }
  Tensor src = a;
  if (!a.is_contiguous() || (!suffix && !prefix)) {
    // Move the kept axes to the front, the reduced ones to the back, and copy.
    std::vector<int64_t> order;
    for (int64_t i = 0; i < nd; ++i) if (!plan.reduced[i]) order.push_back(i);
    for (int64_t i = 0; i < nd; ++i) if (plan.reduced[i]) order.push_back(i);
    src = a.permute(order).contiguous();
    suffix = true;
  }
  const T* pa = src.data<T>();
  int64_t kept = out.numel(), len = kept ? total / kept : 0;
  if (suffix) {  // out[r] = reduce(row r), rows of `len` contiguous elements
    if (kept >= omp_get_max_threads() || len < detail::kParallelGrain) {
#pragma omp parallel for if (total >= detail::kParallelGrain) schedule(static)
      for (int64_t r = 0; r < kept; ++r) po[r] = (T)reduce_run<Op>(pa + r * len, len);
    } else {  // few long rows: split each row between threads
      for (int64_t r = 0; r < kept; ++r) {
        using A = typename Acc<T>::type;
        // Partial results combined in thread order, not finishing order, so
        // the same input and thread count always give the same bits.
        std::vector<A> parts(omp_get_max_threads(), Op::template init<A>());
#pragma omp parallel
        {
          int nt = omp_get_num_threads(), t = omp_get_thread_num();
          int64_t i0 = len * t / nt, i1 = len * (t + 1) / nt;
          parts[t] = reduce_run<Op>(pa + r * len + i0, i1 - i0);
        }
        A acc = Op::template init<A>();
        for (A p : parts) acc = Op::combine(acc, p);
        po[r] = (T)acc;
      }
    }
  } else {  // prefix: out[j] = reduce over i of a[i, j]; add whole rows at a time
    for (int64_t j = 0; j < kept; ++j) po[j] = Op::template init<T>();
    const int64_t nt = total >= detail::kParallelGrain ? omp_get_max_threads() : 1;
    // Whole cache lines per thread: two threads writing the same line would
    // bounce it between the cores on every row.
    const int64_t line = 64 / sizeof(T);
    if (nt > 1 && len >= nt && kept <= 65536) {
      // Many rows of a short output: each thread reduces its own block of rows
      // into a partial output (one contiguous stream through memory per
      // thread), then the partials are combined. (Splitting the columns
      // instead makes every thread read a piece of every row, and the
      // prefetchers then fetch the other threads' pieces too.)
      const int64_t stride = (kept + line - 1) / line * line;
      std::vector<T> part(nt * stride, Op::template init<T>());
#pragma omp parallel num_threads(nt)
      {
        const int64_t n = omp_get_num_threads(), t = omp_get_thread_num();
        T* acc = part.data() + t * stride;
        for (int64_t i = len * t / n; i < len * (t + 1) / n; ++i) {
          const T* row = pa + i * kept;
#pragma omp simd
          for (int64_t j = 0; j < kept; ++j) acc[j] = Op::combine(acc[j], row[j]);
        }
      }
      for (int64_t t = 0; t < nt; ++t)
        for (int64_t j = 0; j < kept; ++j) po[j] = Op::combine(po[j], part[t * stride + j]);
    } else {  // few long rows: split the columns
#pragma omp parallel for num_threads(nt) schedule(static)
      for (int64_t t = 0; t < nt; ++t) {
        const int64_t per = ((kept + nt - 1) / nt + line - 1) / line * line;
        const int64_t j0 = std::min(kept, t * per), j1 = std::min(kept, j0 + per);
        for (int64_t i = 0; i < len; ++i) {
          const T* row = pa + i * kept;
#pragma omp simd
          for (int64_t j = j0; j < j1; ++j) po[j] = Op::combine(po[j], row[j]);
        }
      }
    }
  }
  return out;
}

template <class Op>
Tensor reduce(const char* name, const Tensor& a, const Axes& axes, bool keepdim) {
  if (!a.defined()) fail(name, "undefined tensor operand");
  return detail::dispatch_all(a.dtype(), name, [&](auto z_) { using T = decltype(z_); return reduce_kernel<Op, T>(name, a, axes, keepdim); });
}

template <bool Max>
Tensor arg_kernel(const char* name, const Tensor& a, int64_t axis, bool keepdim) {
  axis = normalize_axis(name, axis, a.dim());
  if (a.shape()[axis] == 0) fail(name, "axis " + std::to_string(axis) + " is empty in " + shape_str(a.shape()));
  Tensor src = a.transpose(axis, -1).contiguous();
  Shape out_shape = src.shape();
  int64_t len = out_shape.back();
  out_shape.pop_back();
  Tensor out(out_shape, DType::i64);
  int64_t rows = out.numel();
  int64_t* po = out.data<int64_t>();
  detail::dispatch_all(a.dtype(), name, [&](auto z_) { using T = decltype(z_);
    const T* p = src.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = p + r * len;
      int64_t best = 0;
      for (int64_t i = 1; i < len; ++i)
        if (Max ? row[i] > row[best] : row[i] < row[best]) best = i;
      po[r] = best;
    }
  });
  // `out` has the axis removed and the last axis moved to `axis`: undo the swap.
  if (axis != a.dim() - 1 && a.dim() > 1) {
    Shape sh = a.shape();
    sh.erase(sh.begin() + axis);
    // src axes = a's with axis and last swapped; dropping the last of src leaves
    // a's axis order with the old last axis sitting at `axis`.
    std::vector<int64_t> order;
    for (int64_t i = 0; i < (int64_t)sh.size(); ++i) order.push_back(i);
    int64_t moved = axis;  // position holding a's last axis
    order.erase(order.begin() + moved);
    order.push_back(moved);
    out = out.permute(order).contiguous();
  }
  if (keepdim) out = out.unsqueeze(axis);
  return out;
}

int64_t reduced_count(const Tensor& a, const Axes& axes) {
  if (axes.empty()) return a.numel();
  int64_t n = 1;
  for (auto ax : axes) n *= a.shape()[normalize_axis("reduce", ax, a.dim())];
  return n;
}

}  // namespace

Tensor sum(const Tensor& a, const Axes& axes, bool keepdim) { return reduce<SumOp>("sum", a, axes, keepdim); }
Tensor max(const Tensor& a, const Axes& axes, bool keepdim) { return reduce<MaxOp>("max", a, axes, keepdim); }
Tensor min(const Tensor& a, const Axes& axes, bool keepdim) { return reduce<MinOp>("min", a, axes, keepdim); }

Tensor mean(const Tensor& a, const Axes& axes, bool keepdim) {
  if (a.dtype() == DType::i64) fail("mean", "needs a float tensor, got int64");
  int64_t n = reduced_count(a, axes);
  if (n == 0) fail("mean", "mean over zero elements of shape " + shape_str(a.shape()));
  return mul(sum(a, axes, keepdim), 1.0 / (double)n);
}

// var = mean((x - mean(x))²), the two-pass form (the one-pass E[x²]-E[x]² cancels badly).
Tensor var(const Tensor& a, const Axes& axes, bool keepdim, bool unbiased) {
  int64_t n = reduced_count(a, axes);
  if (n - (unbiased ? 1 : 0) <= 0) fail("var", "too few elements in shape " + shape_str(a.shape()));
  Tensor d = sub(a, mean(a, axes, true));
  return mul(sum(square(d), axes, keepdim), 1.0 / (double)(n - (unbiased ? 1 : 0)));
}

// logsumexp(x) = m + log Σ exp(x - m), m = max(x): no exp ever overflows.
Tensor logsumexp(const Tensor& a, const Axes& axes, bool keepdim) {
  Tensor m = max(a, axes, true);
  // A row of all -inf has m = -inf; shift by 0 there so we get -inf, not NaN.
  Tensor shift = where(eq(abs(m), scalar(INFINITY, m.dtype())), zeros_like(m), m);
  Tensor out = add(log(sum(exp(sub(a, shift)), axes, true)), shift);
  if (!keepdim) out = out.reshape(make_plan("logsumexp", a, axes, false).out_shape);
  return out;
}

Tensor norm(const Tensor& a, const Axes& axes, bool keepdim) { return sqrt(sum(square(a), axes, keepdim)); }

Tensor argmax(const Tensor& a, int64_t axis, bool keepdim) { return arg_kernel<true>("argmax", a, axis, keepdim); }
Tensor argmin(const Tensor& a, int64_t axis, bool keepdim) { return arg_kernel<false>("argmin", a, axis, keepdim); }

// softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m)
Tensor softmax(const Tensor& a, int64_t axis) {
  Tensor e = exp(sub(a, max(a, {axis}, true)));
  return div(e, sum(e, {axis}, true));
}
// log_softmax(x) = x - logsumexp(x): stays finite where softmax underflows to 0.
Tensor log_softmax(const Tensor& a, int64_t axis) { return sub(a, logsumexp(a, {axis}, true)); }

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  int64_t lead = a.dim() - (int64_t)shape.size();
  if (lead < 0) fail("sum_to", "cannot sum " + shape_str(a.shape()) + " to larger " + shape_str(shape));
  Axes axes;
  for (int64_t i = 0; i < a.dim(); ++i) {
    if (i < lead) { axes.push_back(i); continue; }
    int64_t want = shape[i - lead];
    if (want == 1 && a.shape()[i] != 1) axes.push_back(i);
    else if (want != a.shape()[i])
      fail("sum_to", "cannot sum " + shape_str(a.shape()) + " to " + shape_str(shape));
  }
  if (axes.empty()) return a.reshape(shape);
  return sum(a, axes, true).reshape(shape);
}

}  // namespace latent
