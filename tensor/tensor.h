// latent/tensor — n-dimensional arrays, no autograd here.
//
// A Tensor is a *view*: a reference-counted block of memory (Storage) plus
// the three numbers that say how to read it:
//
//   shape   [d0, d1, ..., dn-1]     how many elements along each axis
//   strides [s0, s1, ..., sn-1]     how many elements to jump to move one step
//   offset                          where element [0,0,...,0] lives
//
// element [i0, ..., in-1] lives at  offset + i0*s0 + ... + in-1*sn-1.
// Transpose, permute, slicing and broadcasting only rewrite shape/strides/offset
// and share the Storage: no copying. A view is "contiguous" when its strides
// are the row-major ones (last axis stride 1); kernels that need that call
// contiguous(), which copies only when it must.
//
// Copying a Tensor object copies the view, not the data (like NumPy arrays
// handed around in Python). clone() copies the data.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace latent {

// float32 is the default; float64 is for gradient checks and numerics;
// int64 holds labels and indices.
enum class DType { f32, f64, i64 };
const char* dtype_name(DType d);
size_t dtype_size(DType d);

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[64,784]"
// A number for an error message: printf's %g with this many significant digits (trailing zeros dropped)
// (num_str(0.5) = "0.5", num_str(1e-4) = "0.0001", num_str(2.0/3, 3) = "0.667").
std::string num_str(double v, int significant = 6);
int64_t shape_numel(const Shape& s);

// Every error in latent is a latent::Error whose message starts with the op.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
[[noreturn]] void fail(const std::string& op, const std::string& what);

// A block of memory, 64-byte aligned (for SIMD), shared by all views of it.
struct Storage {
  explicit Storage(size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data = nullptr;
  size_t nbytes = 0;
};

class Tensor {
 public:
  Tensor() = default;  // an "undefined" tensor: defined() is false
  // Uninitialised memory of the given shape (creation functions below fill it).
  Tensor(const Shape& shape, DType dtype);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  int64_t dim() const { return (int64_t)shape_.size(); }
  int64_t size(int64_t axis) const;  // negative axes count from the end
  int64_t numel() const { return shape_numel(shape_); }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Typed pointer to element [0,...,0]. Checks the dtype matches T.
  template <class T> T* data() const;
  void* raw() const;

  // Element access for tests and small loops (slow: one index at a time).
  double item() const;  // a one-element tensor's value
  double at(std::initializer_list<int64_t> idx) const;
  void set(std::initializer_list<int64_t> idx, double v);
  std::vector<double> to_vector() const;  // row-major copy, as double

  // ---- views (share storage) ----
  Tensor reshape(const Shape& shape) const;  // view when possible, else copy; one -1 allowed
  Tensor view(const Shape& shape) const;     // view or an error, never a copy
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor t() const { return transpose(-2, -1); }  // swap the last two axes
  Tensor permute(const std::vector<int64_t>& order) const;
  Tensor slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t axis, int64_t index) const;  // drops the axis
  Tensor expand(const Shape& shape) const;           // broadcast_to: size-1 axes get stride 0
  Tensor squeeze(int64_t axis) const;
  Tensor unsqueeze(int64_t axis) const;
  Tensor flatten() const { return reshape({numel()}); }

  // ---- copies ----
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;
  Tensor to(DType d) const;  // itself when already of that dtype
  void copy_(const Tensor& src);  // writes src (broadcast) into this view
  void fill_(double v);

  std::string str() const;  // NumPy-like printing, truncated when large

  // Friends used by kernels to build result views.
  static Tensor make_view(std::shared_ptr<Storage> st, DType d, Shape shape, Shape strides,
                          int64_t offset);

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::f32;
  Shape shape_, strides_;
  int64_t offset_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

Shape contiguous_strides(const Shape& shape);
int64_t normalize_axis(const std::string& op, int64_t axis, int64_t ndim);

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::i64; };

template <class T> T* Tensor::data() const {
  if (dtype_ != dtype_of<T>::value)
    fail("data", std::string("tensor has dtype ") + dtype_name(dtype_) + ", asked for " +
                     dtype_name(dtype_of<T>::value));
  return static_cast<T*>(storage_->data) + offset_;
}

// ---- creation (tensor/create.cpp) ----
Tensor zeros(const Shape& s, DType d = DType::f32);
Tensor ones(const Shape& s, DType d = DType::f32);
Tensor full(const Shape& s, double v, DType d = DType::f32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double v);
Tensor empty_like(const Tensor& t);
Tensor scalar(double v, DType d = DType::f32);  // shape []
Tensor arange(double start, double end, double step = 1, DType d = DType::f32);
Tensor linspace(double start, double end, int64_t n, DType d = DType::f32);
Tensor eye(int64_t n, DType d = DType::f32);
Tensor from_vector(const std::vector<double>& v, const Shape& s, DType d = DType::f32);
Tensor from_vector_f(const std::vector<float>& v, const Shape& s);
Tensor from_vector_i(const std::vector<int64_t>& v, const Shape& s);

// ---- broadcasting (tensor/elementwise.cpp) ----
// NumPy rule: align shapes on the right; sizes must match or one of them be 1.
Shape broadcast_shapes(const std::string& op, const Shape& a, const Shape& b);
// The dtype two operands combine to (f64 wins over f32, floats over int64).
DType promote(DType a, DType b);

// ---- elementwise (tensor/elementwise.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// Comparisons give 1 or 0 in the promoted dtype of the operands (a float mask
// that multiplies directly; NumPy would give bool).
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
// where(cond, a, b): a where cond != 0, else b; all three broadcast.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor pow(const Tensor& a, double p);

Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor square(const Tensor& a);
Tensor reciprocal(const Tensor& a);
Tensor clamp(const Tensor& a, double lo, double hi);
Tensor sigmoid(const Tensor& a);     // 1/(1+e^-x), computed without overflow for large |x|
Tensor log_sigmoid(const Tensor& a); // -softplus(-x), stable
Tensor tanh(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor leaky_relu(const Tensor& a, double slope = 0.01);
Tensor softplus(const Tensor& a);    // log(1+e^x) = max(x,0) + log1p(e^-|x|)
Tensor elu(const Tensor& a, double alpha = 1.0);
// log p(x | p = σ(l)) = x·l − softplus(l), elementwise with broadcasting: the
// Bernoulli log-likelihood from logits in one pass, without overflow for any l
// (x may be grey), computed as (x − [l > 0])·l − log1p(e^−|l|).
Tensor bernoulli_log_prob(const Tensor& logits, const Tensor& x);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator*(double a, const Tensor& b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);

// In-place (for optimizers and accumulation): a += b (b broadcast to a).
void add_(Tensor& a, const Tensor& b, double alpha = 1.0);

// ---- reductions (tensor/reduce.cpp) ----
// axes empty = all axes. keepdim keeps reduced axes with size 1.
using Axes = std::vector<int64_t>;
Tensor sum(const Tensor& a, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const Axes& axes = {}, bool keepdim = false);
Tensor max(const Tensor& a, const Axes& axes = {}, bool keepdim = false);
Tensor min(const Tensor& a, const Axes& axes = {}, bool keepdim = false);
// var with Bessel's correction when unbiased (divide by n-1).
Tensor var(const Tensor& a, const Axes& axes = {}, bool keepdim = false, bool unbiased = false);
Tensor logsumexp(const Tensor& a, const Axes& axes = {}, bool keepdim = false);
Tensor norm(const Tensor& a, const Axes& axes = {}, bool keepdim = false);  // L2
Tensor argmax(const Tensor& a, int64_t axis, bool keepdim = false);  // int64
Tensor argmin(const Tensor& a, int64_t axis, bool keepdim = false);  // int64
Tensor softmax(const Tensor& a, int64_t axis = -1);
Tensor log_softmax(const Tensor& a, int64_t axis = -1);
// Sum `a` down to `shape` (the inverse of broadcasting `shape` up to a.shape()).
Tensor sum_to(const Tensor& a, const Shape& shape);

// ---- matmul (tensor/matmul.cpp) ----
// [M,K]x[K,N] -> [M,N]; [...,M,K]x[...,K,N] batched with broadcast batch axes;
// 1-d operands are treated as a row / column vector and that axis dropped.
// Calls cblas_sgemm/dgemm; transposed views are passed as BLAS flags, not copied.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- threads (tensor/matmul.cpp) ----
// One thread pool for OpenMP loops and OpenBLAS (Debian's OpenMP build of
// OpenBLAS uses the same libgomp pool, so they never oversubscribe cores).
void set_num_threads(int n);
int get_num_threads();

}  // namespace latent
