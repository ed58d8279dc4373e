// latent/tensor — creating tensors, and printing them.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "tensor/kernels.h"

namespace latent {

Tensor full(const Shape& s, double v, DType d) {
  Tensor t(s, d);
  t.fill_(v);
  return t;
}
Tensor zeros(const Shape& s, DType d) { return full(s, 0.0, d); }
Tensor ones(const Shape& s, DType d) { return full(s, 1.0, d); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double v) { return full(t.shape(), v, t.dtype()); }
Tensor empty_like(const Tensor& t) { return Tensor(t.shape(), t.dtype()); }
Tensor scalar(double v, DType d) { return full({}, v, d); }

Tensor arange(double start, double end, double step, DType d) {
  if (step == 0) fail("arange", "step must not be 0");
  int64_t n = std::max<int64_t>(0, (int64_t)std::ceil((end - start) / step));
  Tensor t({n}, d);
  detail::dispatch_all(d, "arange", [&](auto z_) { using T = decltype(z_);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = (T)(start + i * step);
  });
  return t;
}

Tensor linspace(double start, double end, int64_t n, DType d) {
  if (n < 0) fail("linspace", "n must be >= 0, got " + std::to_string(n));
  Tensor t({n}, d);
  detail::dispatch_all(d, "linspace", [&](auto z_) { using T = decltype(z_);
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i)
      p[i] = (T)(n == 1 ? start : start + (end - start) * (double)i / (double)(n - 1));
  });
  return t;
}

Tensor eye(int64_t n, DType d) {
  Tensor t = zeros({n, n}, d);
  for (int64_t i = 0; i < n; ++i) t.set({i, i}, 1.0);
  return t;
}

Tensor from_vector(const std::vector<double>& v, const Shape& s, DType d) {
  if ((int64_t)v.size() != shape_numel(s))
    fail("from_vector", std::to_string(v.size()) + " values do not fill shape " + shape_str(s));
  Tensor t(s, d);
  detail::dispatch_all(d, "from_vector", [&](auto z_) { using T = decltype(z_);
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = (T)v[i];
  });
  return t;
}
Tensor from_vector_f(const std::vector<float>& v, const Shape& s) {
  return from_vector(std::vector<double>(v.begin(), v.end()), s, DType::f32);
}
Tensor from_vector_i(const std::vector<int64_t>& v, const Shape& s) {
  // Direct copy: going through double would lose integers above 2^53.
  if ((int64_t)v.size() != shape_numel(s))
    fail("from_vector_i", std::to_string(v.size()) + " values do not fill shape " + shape_str(s));
  Tensor t(s, DType::i64);
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

// ---------------------------------------------------------------- printing
// Like NumPy: nested brackets, one row per line, "..." past 3 edge items when
// a tensor has more than 1000 elements.

static void print_rec(std::ostream& os, const Tensor& t, int64_t axis, int64_t off,
                      bool summarise, int indent, int width, int prec) {
  const int64_t n = t.shape()[axis];
  os << "[";
  const int64_t edge = 3;
  for (int64_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * edge && i == edge) {
      os << (axis + 1 == t.dim() ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = n - edge;
    }
    int64_t o = off + i * t.strides()[axis];
    if (axis + 1 == t.dim()) {
      double v = detail::dispatch_all(t.dtype(), "print", [&](auto z_) { using T = decltype(z_);
        return (double)static_cast<T*>(t.storage()->data)[o];
      });
      std::ostringstream s;
      if (t.dtype() == DType::i64) s << (int64_t)v;
      else s << std::setprecision(prec) << v;
      os << std::setw(width) << s.str();
      if (i + 1 < n) os << ", ";
    } else {
      print_rec(os, t, axis + 1, o, summarise, indent + 1, width, prec);
      if (i + 1 < n) os << "," << std::string(t.dim() - axis - 1, '\n') << std::string(indent + 1, ' ');
    }
  }
  os << "]";
}

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << "tensor(";
  int prec = dtype_ == DType::f64 ? 8 : 5;
  if (dim() == 0) {
    std::ostringstream s;
    s << std::setprecision(prec) << item();
    os << s.str();
  } else if (numel() == 0) {
    os << "[]";
  } else {
    bool summarise = numel() > 1000;
    int width = 0;  // align columns: widest printed value
    for (double v : (numel() <= 1000 ? to_vector() : std::vector<double>{})) {
      std::ostringstream s;
      if (dtype_ == DType::i64) s << (int64_t)v;
      else s << std::setprecision(prec) << v;
      width = std::max<int>(width, (int)s.str().size());
    }
    print_rec(os, *this, 0, offset_, summarise, 7, width, prec);
  }
  os << ", shape=" << shape_str(shape_) << ", dtype=" << dtype_name(dtype_) << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace latent
