// latent/tensor — storage, views and copies. See tensor.h for the model.
#include "tensor/tensor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <new>
#include <sstream>

#include "tensor/kernels.h"

namespace latent {

const char* dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i64: return "int64";
  }
  return "?";
}
size_t dtype_size(DType d) { return d == DType::f32 ? 4 : 8; }

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}
std::string num_str(double v, int significant) {
  char b[48];
  std::snprintf(b, sizeof b, "%.*g", significant, v);
  return b;
}
int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto x : s) n *= x;
  return n;
}
void fail(const std::string& op, const std::string& what) { throw Error(op + ": " + what); }

// Large blocks are recycled. glibc hands out blocks over 32 MB with mmap and
// unmaps them on free, so every fresh 40 MB result would page-fault ~10,000
// times (a fresh add of 10M floats ran at a quarter of copy bandwidth). A
// training loop allocates the same sizes every step, so a freed block of
// >= 1 MiB is kept (up to 1 GiB in all) and handed to the next request of the
// same rounded size. Off under AddressSanitizer, which must see every free.
namespace {
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheBlocks = false;
#else
constexpr bool kCacheBlocks = true;
#endif
struct BlockCache {
  std::mutex mutex;
  std::unordered_multimap<size_t, void*> free_blocks;
  size_t bytes = 0;
  static constexpr size_t kMinBlock = size_t(1) << 20, kCapacity = size_t(1) << 30;
};
BlockCache& block_cache() {
  static BlockCache* c = new BlockCache;  // never destroyed: storages may outlive statics
  return *c;
}
size_t rounded_size(size_t n) { return (std::max<size_t>(n, 1) + 63) / 64 * 64; }
}  // namespace

Storage::Storage(size_t n) : nbytes(n) {
  // 64-byte alignment: a cache line, and what AVX-512 loads like.
  const size_t r = rounded_size(n);
  if (kCacheBlocks && r >= BlockCache::kMinBlock) {
    BlockCache& c = block_cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(r);
    if (it != c.free_blocks.end()) {
      data = it->second;
      c.free_blocks.erase(it);
      c.bytes -= r;
      return;
    }
  }
  data = std::aligned_alloc(64, r);
  if (!data) throw std::bad_alloc();
}

Storage::~Storage() {
  const size_t r = rounded_size(nbytes);
  if (kCacheBlocks && r >= BlockCache::kMinBlock) {
    BlockCache& c = block_cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + r <= BlockCache::kCapacity) {
      c.free_blocks.emplace(r, data);
      c.bytes += r;
      return;
    }
  }
  std::free(data);
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (int64_t i = (int64_t)shape.size() - 1; i >= 0; --i) {
    st[i] = s;
    s *= shape[i];
  }
  return st;
}

int64_t normalize_axis(const std::string& op, int64_t axis, int64_t ndim) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= std::max<int64_t>(ndim, 1) || (ndim == 0))
    fail(op, "axis " + std::to_string(axis) + " is out of range for a tensor with " +
                 std::to_string(ndim) + " dimensions");
  return a;
}

Tensor::Tensor(const Shape& shape, DType dtype)
    : dtype_(dtype), shape_(shape), strides_(contiguous_strides(shape)) {
  for (auto x : shape)
    if (x < 0) fail("tensor", "negative size in shape " + shape_str(shape));
  storage_ = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dtype));
}

Tensor Tensor::make_view(std::shared_ptr<Storage> st, DType d, Shape shape, Shape strides,
                         int64_t offset) {
  Tensor t;
  t.storage_ = std::move(st);
  t.dtype_ = d;
  t.shape_ = std::move(shape);
  t.strides_ = std::move(strides);
  t.offset_ = offset;
  return t;
}

int64_t Tensor::size(int64_t axis) const { return shape_[normalize_axis("size", axis, dim())]; }

bool Tensor::is_contiguous() const {
  int64_t s = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape_[i] != 1 && strides_[i] != s) return false;
    s *= shape_[i];
  }
  return true;
}

void* Tensor::raw() const {
  return static_cast<char*>(storage_->data) + offset_ * dtype_size(dtype_);
}

static double read_elem(const Tensor& t, int64_t off) {
  return detail::dispatch_all(t.dtype(), "read", [&](auto z_) { using T = decltype(z_);
    return (double)(static_cast<T*>(t.storage()->data)[off]);
  });
}

double Tensor::item() const {
  if (numel() != 1) fail("item", "tensor of shape " + shape_str(shape_) + " has " +
                                     std::to_string(numel()) + " elements, not 1");
  int64_t off = offset_;  // the single element, whatever the strides
  return read_elem(*this, off);
}

static int64_t elem_offset(const Tensor& t, std::initializer_list<int64_t> idx, const char* op) {
  if ((int64_t)idx.size() != t.dim())
    fail(op, "got " + std::to_string(idx.size()) + " indices for a tensor of shape " +
                 shape_str(t.shape()));
  int64_t off = t.offset(), d = 0;
  for (auto i : idx) {
    int64_t n = t.shape()[d];
    int64_t j = i < 0 ? i + n : i;
    if (j < 0 || j >= n)
      fail(op, "index " + std::to_string(i) + " out of range for axis " + std::to_string(d) +
                   " of size " + std::to_string(n) + " (shape " + shape_str(t.shape()) + ")");
    off += j * t.strides()[d++];
  }
  return off;
}

double Tensor::at(std::initializer_list<int64_t> idx) const {
  return read_elem(*this, elem_offset(*this, idx, "at"));
}

void Tensor::set(std::initializer_list<int64_t> idx, double v) {
  int64_t off = elem_offset(*this, idx, "set");
  detail::dispatch_all(dtype_, "set", [&](auto z_) { using T = decltype(z_); static_cast<T*>(storage_->data)[off] = (T)v; });
}

std::vector<double> Tensor::to_vector() const {
  Tensor c = to(DType::f64).contiguous();
  const double* p = c.data<double>();
  return std::vector<double>(p, p + c.numel());
}

// ---------------------------------------------------------------- views

static Shape infer_shape(const Shape& want, int64_t numel, const Shape& from) {
  Shape s = want;
  int64_t known = 1, minus = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      if (minus >= 0) fail("reshape", "only one size may be -1, got " + shape_str(want));
      minus = i;
    } else {
      known *= s[i];
    }
  }
  if (minus >= 0) {
    if (known == 0 || numel % known)
      fail("reshape", "cannot reshape " + shape_str(from) + " into " + shape_str(want));
    s[minus] = numel / known;
  }
  if (shape_numel(s) != numel)
    fail("reshape", "cannot reshape " + shape_str(from) + " (" + std::to_string(numel) +
                        " elements) into " + shape_str(want));
  return s;
}

// Strides for viewing this tensor as `shape` without copying, if possible:
// walk old and new shapes in groups whose products agree; each old group must
// be internally contiguous (NumPy's _attempt_nocopy_reshape, in spirit).
static bool view_strides(const Shape& old_shape, const Shape& old_st, const Shape& shape,
                         Shape& out) {
  Shape os, ost;  // drop size-1 axes of the old shape
  for (size_t i = 0; i < old_shape.size(); ++i)
    if (old_shape[i] != 1) { os.push_back(old_shape[i]); ost.push_back(old_st[i]); }
  out.assign(shape.size(), 0);
  size_t oi = 0, ni = 0;
  while (ni < shape.size()) {
    if (shape[ni] == 1) { out[ni] = 1; ++ni; continue; }
    if (oi >= os.size()) return false;
    int64_t np = shape[ni], op = os[oi];
    size_t n0 = ni, o0 = oi;
    while (np != op) {
      if (np < op) np *= shape[++ni];
      else op *= os[++oi];
    }
    for (size_t k = o0; k < oi; ++k)
      if (ost[k] != ost[k + 1] * os[k + 1]) return false;  // group not contiguous
    int64_t st = ost[oi];
    for (size_t k = ni + 1; k-- > n0;) {
      out[k] = st;
      st *= shape[k];
    }
    ++ni;
    ++oi;
  }
  return oi == os.size();
}

Tensor Tensor::view(const Shape& want) const {
  Shape s = infer_shape(want, numel(), shape_);
  Shape st;
  if (!view_strides(shape_, strides_, s, st))
    fail("view", "a tensor of shape " + shape_str(shape_) + " with strides " +
                     shape_str(strides_) + " cannot be viewed as " + shape_str(s) +
                     " without a copy; use reshape()");
  return make_view(storage_, dtype_, s, st, offset_);
}

Tensor Tensor::reshape(const Shape& want) const {
  Shape s = infer_shape(want, numel(), shape_);
  Shape st;
  if (view_strides(shape_, strides_, s, st)) return make_view(storage_, dtype_, s, st, offset_);
  return contiguous().view(s);
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  a = normalize_axis("transpose", a, dim());
  b = normalize_axis("transpose", b, dim());
  Shape s = shape_, st = strides_;
  std::swap(s[a], s[b]);
  std::swap(st[a], st[b]);
  return make_view(storage_, dtype_, s, st, offset_);
}

Tensor Tensor::permute(const std::vector<int64_t>& order) const {
  if ((int64_t)order.size() != dim())
    fail("permute", "order " + shape_str(order) + " does not match shape " + shape_str(shape_));
  Shape s(dim()), st(dim());
  std::vector<bool> seen(dim(), false);
  for (int64_t i = 0; i < dim(); ++i) {
    int64_t a = normalize_axis("permute", order[i], dim());
    if (seen[a]) fail("permute", "axis repeated in order " + shape_str(order));
    seen[a] = true;
    s[i] = shape_[a];
    st[i] = strides_[a];
  }
  return make_view(storage_, dtype_, s, st, offset_);
}

Tensor Tensor::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  axis = normalize_axis("slice", axis, dim());
  int64_t n = shape_[axis];
  if (step <= 0) fail("slice", "step must be positive, got " + std::to_string(step));
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = shape_, st = strides_;
  s[axis] = (end - start + step - 1) / step;
  st[axis] *= step;
  return make_view(storage_, dtype_, s, st, offset_ + start * strides_[axis]);
}

Tensor Tensor::select(int64_t axis, int64_t index) const {
  axis = normalize_axis("select", axis, dim());
  int64_t n = shape_[axis];
  int64_t i = index < 0 ? index + n : index;
  if (i < 0 || i >= n)
    fail("select", "index " + std::to_string(index) + " out of range for axis " +
                       std::to_string(axis) + " of shape " + shape_str(shape_));
  Shape s = shape_, st = strides_;
  s.erase(s.begin() + axis);
  st.erase(st.begin() + axis);
  return make_view(storage_, dtype_, s, st, offset_ + i * strides_[axis]);
}

Tensor Tensor::expand(const Shape& shape) const {
  if ((int64_t)shape.size() < dim())
    fail("expand", "cannot broadcast " + shape_str(shape_) + " to fewer dimensions " +
                       shape_str(shape));
  Shape st(shape.size(), 0);
  int64_t lead = shape.size() - dim();
  for (int64_t i = 0; i < dim(); ++i) {
    if (shape_[i] == shape[lead + i]) st[lead + i] = strides_[i];
    else if (shape_[i] == 1) st[lead + i] = 0;  // the same element, repeated
    else
      fail("expand", "cannot broadcast " + shape_str(shape_) + " to " + shape_str(shape) +
                         ": axis " + std::to_string(i) + " has size " +
                         std::to_string(shape_[i]));
  }
  return make_view(storage_, dtype_, shape, st, offset_);
}

Tensor Tensor::squeeze(int64_t axis) const {
  axis = normalize_axis("squeeze", axis, dim());
  if (shape_[axis] != 1)
    fail("squeeze", "axis " + std::to_string(axis) + " of shape " + shape_str(shape_) +
                        " has size " + std::to_string(shape_[axis]) + ", not 1");
  Shape s = shape_, st = strides_;
  s.erase(s.begin() + axis);
  st.erase(st.begin() + axis);
  return make_view(storage_, dtype_, s, st, offset_);
}

Tensor Tensor::unsqueeze(int64_t axis) const {
  axis = normalize_axis("unsqueeze", axis, dim() + 1);
  Shape s = shape_, st = strides_;
  int64_t stride = axis < dim() ? strides_[axis] * shape_[axis] : 1;
  s.insert(s.begin() + axis, 1);
  st.insert(st.begin() + axis, stride);
  return make_view(storage_, dtype_, s, st, offset_);
}

// ---------------------------------------------------------------- copies

// dst[i] = (Dst) src[i] over a broadcast index space.
template <class D, class S>
static void copy_kernel(const Tensor& dst, const Tensor& src) {
  D* pd = static_cast<D*>(dst.storage()->data);
  const S* ps = static_cast<const S*>(src.storage()->data);
  detail::nd_loop<2>(dst.shape(), {dst.strides(), src.strides()},
                     [&](std::array<int64_t, 2> off, int64_t n, std::array<int64_t, 2> st) {
                       D* d = pd + dst.offset() + off[0];
                       const S* s = ps + src.offset() + off[1];
                       if (st[0] == 1 && st[1] == 1) {
                         for (int64_t i = 0; i < n; ++i) d[i] = (D)s[i];
                       } else {
                         for (int64_t i = 0; i < n; ++i) d[i * st[0]] = (D)s[i * st[1]];
                       }
                     });
}

void Tensor::copy_(const Tensor& src) {
  Tensor s = src.expand(shape_);
  detail::dispatch_all(dtype_, "copy_", [&](auto z_) { using T = decltype(z_);
    using D = T;
    detail::dispatch_all(s.dtype(), "copy_", [&](auto z_) { using T = decltype(z_); copy_kernel<D, T>(*this, s); });
  });
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::clone() const {
  Tensor out(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(DType d) const {
  if (d == dtype_) return *this;
  Tensor out(shape_, d);
  out.copy_(*this);
  return out;
}

void Tensor::fill_(double v) {
  detail::dispatch_all(dtype_, "fill_", [&](auto z_) { using T = decltype(z_);
    T* p = static_cast<T*>(storage_->data) + offset_;
    T x = (T)v;
    detail::nd_loop<1>(shape_, {strides_}, [&](std::array<int64_t, 1> off, int64_t n,
                                               std::array<int64_t, 1> st) {
      for (int64_t i = 0; i < n; ++i) p[off[0] + i * st[0]] = x;
    });
  });
}

}  // namespace latent
