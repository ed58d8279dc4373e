// latent/tensor — gather / scatter_add, index_select / index_add, one_hot,
// concat / stack / split.
//
// The pairs are adjoints of each other — gather reads a[..index..], and
// scatter_add writes (adds) to the same places — which is why each one's
// gradient is the other (autodiff/ops_index.cpp).
//
// Every index is range-checked in a serial pass before the kernel runs: the
// kernels may run inside OpenMP regions, and an exception must not escape one.
#include "tensor/index.h"

#include <cstring>

#include "tensor/kernels.h"

namespace latent {

namespace {

// "[i,j,k]": the position of the flat (row-major) element `flat` in `shape`.
std::string position(const Shape& shape, int64_t flat) {
  Shape idx(shape.size());
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    idx[d] = flat % std::max<int64_t>(shape[d], 1);
    flat /= std::max<int64_t>(shape[d], 1);
  }
  return shape_str(idx);
}

void check_defined(const char* op, const Tensor& t, const char* what) {
  if (!t.defined()) fail(op, std::string("undefined ") + what);
}

void check_index_dtype(const char* op, const Tensor& index) {
  check_defined(op, index, "index");
  if (index.dtype() != DType::i64)
    fail(op, std::string("index must be int64, got ") + dtype_name(index.dtype()) + " with shape " +
                 shape_str(index.shape()) + " (indices and labels are DType::i64)");
}

// Every index value must address an element of an axis of size n.
void check_range(const char* op, const Tensor& index, int64_t n, int64_t axis, const std::string& shapes) {
  Tensor ic = index.contiguous();
  const int64_t* p = ic.data<int64_t>();
  for (int64_t k = 0; k < ic.numel(); ++k)
    if (p[k] < 0 || p[k] >= n)
      fail(op, "index " + std::to_string(p[k]) + " at position " + position(ic.shape(), k) +
                   " is out of range for axis " + std::to_string(axis) + " of size " +
                   std::to_string(n) + " (" + shapes + ")" +
                   (p[k] < 0 ? "; negative indices are not allowed" : ""));
}

// gather / scatter_add: index has the rank of `a` and fits inside it off `axis`.
void check_fits(const char* op, const Tensor& a, const Tensor& index, int64_t axis, const char* what,
                bool along_axis_too) {
  if (index.dim() != a.dim())
    fail(op, "index " + shape_str(index.shape()) + " must have the rank of " + what + " " +
                 shape_str(a.shape()) + " (" + std::to_string(index.dim()) + " vs " +
                 std::to_string(a.dim()) + " dimensions)");
  for (int64_t d = 0; d < a.dim(); ++d)
    if ((d != axis || along_axis_too) && index.shape()[d] > a.shape()[d])
      fail(op, "index " + shape_str(index.shape()) + " does not fit inside " + what + " " +
                   shape_str(a.shape()) + ": index.size(" + std::to_string(d) + ") = " +
                   std::to_string(index.shape()[d]) + " > " + std::to_string(a.shape()[d]));
}

// The tensor as [outer, n, inner] around `axis` (row-major, so contiguous).
struct Around {
  int64_t outer = 1, n = 1, inner = 1;
};
Around around(const Shape& s, int64_t axis) {
  Around r;
  for (int64_t d = 0; d < (int64_t)s.size(); ++d)
    (d < axis ? r.outer : d == axis ? r.n : r.inner) *= s[d];
  return r;
}

}  // namespace

Tensor gather(const Tensor& a, int64_t axis, const Tensor& index) {
  const char* op = "gather";
  check_defined(op, a, "input");
  check_index_dtype(op, index);
  axis = normalize_axis(op, axis, a.dim());
  check_fits(op, a, index, axis, "input", false);
  check_range(op, index, a.size(axis), axis,
              "input " + shape_str(a.shape()) + ", index " + shape_str(index.shape()));
  Tensor out(index.shape(), a.dtype());
  // Walk index's positions; a's offset is computed without the axis (stride 0
  // there) and the axis step index*stride added per element.
  Shape ast = a.strides();
  const int64_t step = ast[axis];
  ast[axis] = 0;
  const int64_t* pi = index.data<int64_t>();
  detail::dispatch_all(a.dtype(), op, [&](auto z_) { using T = decltype(z_);
    const T* pa = a.data<T>();
    T* po = out.data<T>();
    detail::nd_loop<3>(index.shape(), {out.strides(), ast, index.strides()},
                       [&](std::array<int64_t, 3> off, int64_t n, std::array<int64_t, 3> st) {
                         for (int64_t i = 0; i < n; ++i)
                           po[off[0] + i * st[0]] = pa[off[1] + i * st[1] + pi[off[2] + i * st[2]] * step];
                       });
  });
  return out;
}

Tensor scatter_add(const Tensor& a, int64_t axis, const Tensor& index, const Tensor& src) {
  const char* op = "scatter_add";
  check_defined(op, a, "input");
  check_defined(op, src, "src");
  check_index_dtype(op, index);
  if (src.dtype() != a.dtype())
    fail(op, std::string("src has dtype ") + dtype_name(src.dtype()) + " but the input has " +
                 dtype_name(a.dtype()));
  axis = normalize_axis(op, axis, a.dim());
  check_fits(op, a, index, axis, "input", false);
  check_fits(op, src, index, axis, "src", true);
  check_range(op, index, a.size(axis), axis,
              "input " + shape_str(a.shape()) + ", index " + shape_str(index.shape()) + ", src " +
                  shape_str(src.shape()));
  Tensor out = a.clone();
  if (index.numel() == 0) return out;
  Shape ost = out.strides();
  const int64_t step = ost[axis];
  ost[axis] = 0;
  // Serial on purpose: two index entries may name the same output element,
  // and the order of float additions should not depend on the thread count.
  const Shape& shape = index.shape();
  const int64_t nd = (int64_t)shape.size();
  const int64_t* pi = index.data<int64_t>();
  detail::dispatch_all(a.dtype(), op, [&](auto z_) { using T = decltype(z_);
    T* po = out.data<T>();
    const T* ps = src.data<T>();
    Shape pos(nd, 0);  // an odometer over index's positions
    int64_t oo = 0, os = 0, oi = 0;
    for (int64_t k = 0, total = index.numel(); k < total; ++k) {
      po[oo + pi[oi] * step] += ps[os];
      for (int64_t d = nd - 1; d >= 0; --d) {  // advance to the next position
        oo += ost[d];
        os += src.strides()[d];
        oi += index.strides()[d];
        if (++pos[d] < shape[d]) break;
        oo -= ost[d] * shape[d];
        os -= src.strides()[d] * shape[d];
        oi -= index.strides()[d] * shape[d];
        pos[d] = 0;
      }
    }
  });
  return out;
}

Tensor index_select(const Tensor& a, int64_t axis, const Tensor& index) {
  const char* op = "index_select";
  check_defined(op, a, "input");
  check_index_dtype(op, index);
  if (index.dim() != 1)
    fail(op, "index must be 1-d, got shape " + shape_str(index.shape()));
  axis = normalize_axis(op, axis, a.dim());
  check_range(op, index, a.size(axis), axis,
              "input " + shape_str(a.shape()) + ", index " + shape_str(index.shape()));
  Shape os = a.shape();
  os[axis] = index.numel();
  Tensor out(os, a.dtype());
  Tensor ac = a.contiguous(), ic = index.contiguous();
  // a as [outer, n, inner], out as [outer, K, inner]: copy rows of `inner` elements.
  const Around g = around(a.shape(), axis);
  const int64_t K = index.numel(), es = (int64_t)dtype_size(a.dtype());
  const int64_t* pi = ic.data<int64_t>();
  const char* pa = static_cast<const char*>(ac.raw());
  char* po = static_cast<char*>(out.raw());
  const bool par = g.outer * K * g.inner >= detail::kParallelGrain;
#pragma omp parallel for if (par) schedule(static)
  for (int64_t r = 0; r < g.outer * K; ++r) {
    const int64_t o = r / K, k = r % K;
    std::memcpy(po + r * g.inner * es, pa + (o * g.n + pi[k]) * g.inner * es, g.inner * es);
  }
  return out;
}

Tensor index_add(const Tensor& a, int64_t axis, const Tensor& index, const Tensor& src) {
  const char* op = "index_add";
  check_defined(op, a, "input");
  check_defined(op, src, "src");
  check_index_dtype(op, index);
  if (index.dim() != 1)
    fail(op, "index must be 1-d, got shape " + shape_str(index.shape()));
  if (src.dtype() != a.dtype())
    fail(op, std::string("src has dtype ") + dtype_name(src.dtype()) + " but the input has " +
                 dtype_name(a.dtype()));
  axis = normalize_axis(op, axis, a.dim());
  Shape want = a.shape();
  want[axis] = index.numel();
  if (src.shape() != want)
    fail(op, "src has shape " + shape_str(src.shape()) + ", expected " + shape_str(want) +
                 " (input " + shape_str(a.shape()) + " with axis " + std::to_string(axis) +
                 " of size index.numel() = " + std::to_string(index.numel()) + ")");
  check_range(op, index, a.size(axis), axis,
              "input " + shape_str(a.shape()) + ", index " + shape_str(index.shape()));
  Tensor out = a.clone();  // contiguous
  Tensor sc = src.contiguous(), ic = index.contiguous();
  const Around g = around(a.shape(), axis);
  const int64_t K = index.numel();
  const int64_t* pi = ic.data<int64_t>();
  detail::dispatch_all(a.dtype(), op, [&](auto z_) { using T = decltype(z_);
    T* po = out.data<T>();
    const T* ps = sc.data<T>();
    // Different o touch disjoint memory, so the outer loop may run in
    // parallel; within one o, repeated indices make k sequential.
    const bool par = g.outer > 1 && g.outer * K * g.inner >= detail::kParallelGrain;
#pragma omp parallel for if (par) schedule(static)
    for (int64_t o = 0; o < g.outer; ++o)
      for (int64_t k = 0; k < K; ++k) {
        T* dst = po + (o * g.n + pi[k]) * g.inner;
        const T* s = ps + (o * K + k) * g.inner;
        for (int64_t i = 0; i < g.inner; ++i) dst[i] += s[i];
      }
  });
  return out;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  const char* op = "one_hot";
  check_index_dtype(op, labels);
  if (num_classes < 1) fail(op, "num_classes must be >= 1, got " + std::to_string(num_classes));
  Tensor lc = labels.contiguous();
  const int64_t* pl = lc.data<int64_t>();
  for (int64_t k = 0; k < lc.numel(); ++k)
    if (pl[k] < 0 || pl[k] >= num_classes)
      fail(op, "label " + std::to_string(pl[k]) + " at position " + position(lc.shape(), k) +
                   " is out of range for " + std::to_string(num_classes) + " classes (labels " +
                   shape_str(labels.shape()) + ")");
  Shape s = labels.shape();
  s.push_back(num_classes);
  Tensor out = zeros(s, dtype);
  detail::dispatch_all(dtype, op, [&](auto z_) { using T = decltype(z_);
    T* po = out.data<T>();
    for (int64_t k = 0; k < lc.numel(); ++k) po[k * num_classes + pl[k]] = T(1);
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  const char* op = "concat";
  if (xs.empty()) fail(op, "needs at least one tensor");
  for (size_t i = 0; i < xs.size(); ++i)
    if (!xs[i].defined()) fail(op, "tensor " + std::to_string(i) + " is undefined");
  const Tensor& x0 = xs[0];
  if (x0.dim() == 0) fail(op, "cannot concatenate 0-d tensors (use stack)");
  axis = normalize_axis(op, axis, x0.dim());
  Shape os = x0.shape();
  os[axis] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& x = xs[i];
    if (x.dtype() != x0.dtype())
      fail(op, "tensor " + std::to_string(i) + " has dtype " + dtype_name(x.dtype()) +
                   " but tensor 0 has " + dtype_name(x0.dtype()));
    bool ok = x.dim() == x0.dim();
    for (int64_t d = 0; ok && d < x0.dim(); ++d) ok = d == axis || x.shape()[d] == x0.shape()[d];
    if (!ok)
      fail(op, "tensor " + std::to_string(i) + " has shape " + shape_str(x.shape()) +
                   ", tensor 0 has " + shape_str(x0.shape()) + ": they must match except along axis " +
                   std::to_string(axis));
    os[axis] += x.shape()[axis];
  }
  Tensor out(os, x0.dtype());
  int64_t at = 0;
  for (const Tensor& x : xs) {
    const int64_t n = x.shape()[axis];
    if (n > 0) out.slice(axis, at, at + n).copy_(x);
    at += n;
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  const char* op = "stack";
  if (xs.empty()) fail(op, "needs at least one tensor");
  for (size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined()) fail(op, "tensor " + std::to_string(i) + " is undefined");
    if (xs[i].shape() != xs[0].shape())
      fail(op, "tensor " + std::to_string(i) + " has shape " + shape_str(xs[i].shape()) +
                   " but tensor 0 has " + shape_str(xs[0].shape()) + ": all must be equal");
    if (xs[i].dtype() != xs[0].dtype())
      fail(op, "tensor " + std::to_string(i) + " has dtype " + dtype_name(xs[i].dtype()) +
                   " but tensor 0 has " + dtype_name(xs[0].dtype()));
  }
  axis = normalize_axis(op, axis, xs[0].dim() + 1);
  std::vector<Tensor> u;
  u.reserve(xs.size());
  for (const Tensor& x : xs) u.push_back(x.unsqueeze(axis));  // views: [.., 1, ..]
  return concat(u, axis);
}

std::vector<Tensor> split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t axis) {
  const char* op = "split";
  check_defined(op, a, "input");
  axis = normalize_axis(op, axis, a.dim());
  int64_t total = 0;
  for (auto s : sizes) {
    if (s < 0) fail(op, "sizes " + shape_str(sizes) + " contain a negative size");
    total += s;
  }
  if (total != a.size(axis))
    fail(op, "sizes " + shape_str(sizes) + " add up to " + std::to_string(total) + ", but axis " +
                 std::to_string(axis) + " of " + shape_str(a.shape()) + " has size " +
                 std::to_string(a.size(axis)));
  std::vector<Tensor> out;
  int64_t at = 0;
  for (auto s : sizes) {
    out.push_back(a.slice(axis, at, at + s));
    at += s;
  }
  return out;
}

}  // namespace latent
