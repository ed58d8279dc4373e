// latent/nn — datasets, batching (DataLoader) and transforms. See data.h;
// IDX files and MNIST are in nn/data.cpp.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "nn/data.h"
#include "tensor/kernels.h"
#include "tensor/random.h"

namespace latent {

// ---- datasets and batching ----

TensorDataset::TensorDataset(const Tensor& inputs, const Tensor& targets) {
  if (!inputs.defined()) fail("TensorDataset", "inputs are an undefined tensor");
  if (inputs.dim() < 1) fail("TensorDataset", "inputs need an example axis (axis 0), got a scalar");
  if (targets.defined()) {
    if (targets.dim() < 1) fail("TensorDataset", "targets need an example axis (axis 0), got a scalar");
    if (targets.size(0) != inputs.size(0))
      fail("TensorDataset", "inputs " + shape_str(inputs.shape()) + " and targets " + shape_str(targets.shape()) +
                                " have different numbers of examples along axis 0");
    targets_ = targets.contiguous();
  }
  inputs_ = inputs.contiguous();
}

namespace {
// Rows idx[0..n) of a contiguous tensor t, as one new contiguous tensor.
Tensor gather_rows(const Tensor& t, const int64_t* idx, int64_t n) {
  Shape s = t.shape();
  const int64_t rows = s[0];
  s[0] = n;
  Tensor out(s, t.dtype());
  const size_t row_bytes = rows ? t.numel() / rows * dtype_size(t.dtype()) : 0;
  const char* src = static_cast<const char*>(t.raw());
  char* dst = static_cast<char*>(out.raw());
#pragma omp parallel for if ((size_t)n * row_bytes >= ((size_t)1 << 22)) schedule(static)
  for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * row_bytes, src + idx[i] * row_bytes, row_bytes);
  return out;
}
}  // namespace

Batch TensorDataset::gather(const int64_t* idx, int64_t n) const {
  const int64_t N = size();
  for (int64_t i = 0; i < n; ++i)
    if (idx[i] < 0 || idx[i] >= N)
      fail("TensorDataset", "index " + std::to_string(idx[i]) + " out of range for " + std::to_string(N) +
                                " examples");
  Batch b;
  b.x = gather_rows(inputs_, idx, n);
  if (targets_.defined()) b.y = gather_rows(targets_, idx, n);
  return b;
}

Batch TensorDataset::get(int64_t i) const { return gather(&i, 1); }

DataLoader::DataLoader(const TensorDataset& data, int64_t batch_size, DataLoaderOptions opt)
    : data_(data), batch_size_(batch_size), opt_(opt) {
  if (batch_size <= 0) fail("DataLoader", "batch_size must be positive, got " + std::to_string(batch_size));
}

int64_t DataLoader::num_batches() const {
  const int64_t n = data_.size();
  return opt_.drop_last ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

Tensor DataLoader::order(int64_t e) const {
  const int64_t n = data_.size();
  if (!opt_.shuffle) return arange(0, (double)n, 1, DType::i64);
  Generator g(opt_.seed);
  g.set_counter((uint64_t)e << 32);  // epoch e's own stretch of the seed's stream
  return permutation(n, &g);
}

DataLoader::iterator::iterator(const DataLoader* l, Tensor order, int64_t index)
    : loader_(l), order_(std::move(order)), index_(index) {}

Batch& DataLoader::iterator::operator*() {
  if (!ready_) {
    const int64_t n = loader_->data_.size(), B = loader_->batch_size_;
    const int64_t start = index_ * B, len = std::min(B, n - start);
    batch_ = loader_->data_.gather(order_.data<int64_t>() + start, len);
    ready_ = true;
  }
  return batch_;
}

DataLoader::iterator& DataLoader::iterator::operator++() {
  ++index_;
  ready_ = false;
  batch_ = Batch();
  return *this;
}

DataLoader::iterator DataLoader::begin() { return iterator(this, order(epoch_++), 0); }
DataLoader::iterator DataLoader::end() { return iterator(this, Tensor(), num_batches()); }

// ---- transforms ----

Tensor rescale(const Tensor& x, double from_lo, double from_hi, double to_lo, double to_hi) {
  if (!(from_hi != from_lo)) fail("rescale", "empty input range [" + std::to_string(from_lo) + ", " +
                                                  std::to_string(from_hi) + "]");
  detail::dispatch_float(x.dtype(), "rescale", [](auto) {});
  const double a = (to_hi - to_lo) / (from_hi - from_lo);
  return add(mul(x, a), to_lo - from_lo * a);
}

Tensor binarize(const Tensor& x, double threshold) {
  detail::dispatch_float(x.dtype(), "binarize", [](auto) {});
  return gt(x, scalar(threshold, x.dtype()));
}

Tensor binarize_dynamic(const Tensor& x, Generator& g) {
  detail::dispatch_float(x.dtype(), "binarize_dynamic", [](auto) {});
  if (x.numel() > 0) {
    double lo = min(x).item(), hi = max(x).item();
    if (!(lo >= 0 && hi <= 1))
      fail("binarize_dynamic", "needs probabilities in [0, 1], got values in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "] (scale images to [0, 1] first)");
  }
  return bernoulli(x, &g);
}

Tensor gaussian_noise(const Tensor& x, double std, Generator& g, bool clip01) {
  detail::dispatch_float(x.dtype(), "gaussian_noise", [](auto) {});
  if (!(std >= 0)) fail("gaussian_noise", "std must be >= 0, got " + std::to_string(std));
  Tensor y = add(x, normal(x.shape(), 0, std, x.dtype(), &g));
  return clip01 ? clamp(y, 0, 1) : y;
}

Tensor mask_noise(const Tensor& x, double fraction, Generator& g) {
  if (!(fraction >= 0 && fraction <= 1))
    fail("mask_noise", "fraction must be in [0, 1], got " + std::to_string(fraction));
  Tensor out = x.clone();
  const int64_t rows = x.dim() >= 2 ? x.size(0) : 1;
  if (out.numel() == 0 || rows == 0) return out;
  const int64_t D = out.numel() / rows;
  const int64_t k = std::llround(fraction * (double)D);
  if (k == 0) return out;
  const uint64_t base = g.reserve((uint64_t)(rows * k));
  detail::dispatch_all(out.dtype(), "mask_noise", [&](auto z_) {
    using T = decltype(z_);
    T* p = out.data<T>();
#pragma omp parallel if (rows * D >= detail::kParallelGrain)
    {
      std::vector<int64_t> idx((size_t)D);
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; ++r) {
        // The first k steps of a Fisher–Yates shuffle pick k distinct positions;
        // draw j of row r is number base + r*k + j of the stream (thread-independent).
        std::iota(idx.begin(), idx.end(), 0);
        for (int64_t j = 0; j < k; ++j) {
          int64_t pick = j + (int64_t)(g.uniform01(base + (uint64_t)(r * k + j)) * (double)(D - j));
          std::swap(idx[j], idx[pick]);
          p[r * D + idx[j]] = T(0);
        }
      }
    }
  });
  return out;
}

}  // namespace latent
