// latent/nn — data: MNIST files, datasets, batching, and input transforms.
//
// Plain tensors only (no autodiff): data is prepared before it meets a model.
//
//   Mnist mnist = load_mnist();              // full set if fetched, else the embedded subset
//   std::puts(mnist.source.c_str());         // says which one
//   TensorDataset train(mnist.train.images, mnist.train.labels);
//   DataLoader loader(train, 64, {.shuffle = true, .seed = 1});
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (auto& batch : loader) {           // reshuffled every epoch
//       Tensor x = batch.x;                  // [64,1,28,28] float32 in [0,1]
//       Tensor y = batch.y;                  // [64] int64
//     }
//
// The IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian header
//   magic = 0x00 0x00 <type> <ndims>   (type 0x08 = unsigned byte)
//   ndims big-endian uint32 sizes
// followed by the data in row-major order, nothing else. MNIST images are
// magic 0x00000803 ([N, 28, 28]); labels 0x00000801 ([N]). A file starting
// with the gzip signature (1f 8b) is decompressed first, whatever its name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace latent {

// ---- IDX files ----

// The raw content of an unsigned-byte IDX file.
struct IdxArray {
  Shape dims;                 // from the header, e.g. [60000, 28, 28]
  std::vector<uint8_t> data;  // shape_numel(dims) bytes, row-major
};
// Reads a plain or gzip-compressed IDX file of unsigned bytes (type 0x08).
// Every problem is a latent::Error "<file name>: <reason>": missing or
// unreadable file, empty file, corrupt gzip stream, bad magic number, a type
// other than unsigned byte, expected_ndims given (> 0) and not matched, a zero
// size, and a data length other than the header's product of sizes (truncated
// or trailing bytes). The size is checked before anything is allocated.
IdxArray read_idx(const std::string& path, int expected_ndims = 0);
// An image file (magic 0x00000803) -> float32 [N, 1, rows, cols], pixel/255 in [0, 1].
Tensor read_idx_images(const std::string& path);
// The same pixels unscaled: float32 [N, 1, rows, cols] with integer values 0..255.
Tensor read_idx_images_raw(const std::string& path);
// A label file (magic 0x00000801) -> int64 [N].
Tensor read_idx_labels(const std::string& path);
// Writes bytes with the given dims as an IDX file (gzip-compressed when the
// path ends in .gz). For tests, tools and cutting subsets.
void write_idx(const std::string& path, const Shape& dims, const std::vector<uint8_t>& data);

// ---- MNIST ----

struct MnistSplit {
  Tensor images;  // float32 [N, 1, 28, 28] in [0, 1]
  Tensor labels;  // int64 [N], digits 0..9
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};
struct Mnist {
  MnistSplit train, test;
  std::string source;     // one line: which files were read, full set or embedded subset
  bool embedded = false;  // true when this is the embedded 2,000 / 500 subset
};

// The full MNIST (60,000 / 10,000) when its four files (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each
// plain or .gz) are in data_dir; "" means the default, mnist_data_dir().
// Otherwise the embedded subset when allow_embedded (source says so, and how to
// get the full set), else an Error naming the directory and scripts/fetch-data.
// Files that are present but corrupt are an Error, never silently replaced.
Mnist load_mnist(const std::string& data_dir = "", bool allow_embedded = true);
// The committed subset: the first 2,000 training and first 500 test examples
// of the official files (data/embedded/, see its README.md).
Mnist load_mnist_embedded();
// $LATENT_DATA when set, else <repo>/data/mnist (what scripts/fetch-data fills).
std::string mnist_data_dir();
// <repo>/data/embedded. The repo is found from the build's source directory,
// then by walking up from the working directory and from the executable.
std::string embedded_data_dir();

// ---- datasets and batching ----

// One batch: x = inputs, y = targets (undefined for a dataset without targets).
struct Batch {
  Tensor x, y;
};

// Examples along axis 0 of inputs (and of targets, when given). Both are made
// contiguous once here so batches are gathered with plain row copies.
class TensorDataset {
 public:
  TensorDataset() = default;
  explicit TensorDataset(const Tensor& inputs, const Tensor& targets = Tensor());
  int64_t size() const { return inputs_.defined() ? inputs_.size(0) : 0; }
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }
  // Examples idx[0..n) gathered into one new contiguous batch.
  Batch gather(const int64_t* idx, int64_t n) const;
  Batch get(int64_t i) const;  // example i, keeping a leading axis of size 1

 private:
  Tensor inputs_, targets_;
};

struct DataLoaderOptions {
  bool shuffle = false;    // a new random order every epoch
  uint64_t seed = 0;       // the shuffling seed: same seed, same orders
  bool drop_last = false;  // drop a final batch smaller than batch_size
};

// Batches of a TensorDataset. Each pass (each range-for, each begin()) is one
// epoch. With shuffle, epoch e visits the examples in the order
// permutation(N) drawn from Generator(seed) at counter e * 2^32, so the order
// depends only on (seed, e): a run resumed with set_epoch(e) sees the same
// batches. Every example appears exactly once per epoch (drop_last drops at
// most batch_size - 1 of them). Each batch is one new contiguous tensor (one
// row copy per example), so changing it never changes the dataset.
class DataLoader {
 public:
  DataLoader(const TensorDataset& data, int64_t batch_size, DataLoaderOptions opt = {});

  int64_t num_batches() const;
  int64_t size() const { return num_batches(); }
  int64_t batch_size() const { return batch_size_; }
  const TensorDataset& dataset() const { return data_; }
  const DataLoaderOptions& options() const { return opt_; }
  int64_t epoch() const { return epoch_; }  // the epoch the next pass will be
  void set_epoch(int64_t e) { epoch_ = e; }
  // The example order of epoch e (identity without shuffle): int64 [N].
  Tensor order(int64_t e) const;

  class iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Batch& operator*();
    Batch* operator->() { return &**this; }
    iterator& operator++();
    bool operator==(const iterator& o) const { return index_ == o.index_; }

   private:
    friend class DataLoader;
    iterator(const DataLoader* l, Tensor order, int64_t index);
    const DataLoader* loader_ = nullptr;
    Tensor order_;  // int64 [N]
    int64_t index_ = 0;  // batch number
    bool ready_ = false;
    Batch batch_;
  };
  iterator begin();  // starts epoch(), then advances epoch() by one
  iterator end();

 private:
  TensorDataset data_;
  int64_t batch_size_;
  DataLoaderOptions opt_;
  int64_t epoch_ = 0;
};

// ---- transforms (plain functions: they return new tensors) ----

// Affine map of [from_lo, from_hi] onto [to_lo, to_hi].
Tensor rescale(const Tensor& x, double from_lo, double from_hi, double to_lo, double to_hi);
inline Tensor scale_01(const Tensor& raw255) { return rescale(raw255, 0, 255, 0, 1); }  // [0,255] -> [0,1]
inline Tensor to_pm1(const Tensor& x01) { return rescale(x01, 0, 1, -1, 1); }            // [0,1] -> [-1,1]
inline Tensor from_pm1(const Tensor& xpm1) { return rescale(xpm1, -1, 1, 0, 1); }        // [-1,1] -> [0,1]

// Static binarisation: 1 where x > threshold, else 0 (same dtype). Apply it
// once to a dataset's images and keep the result: the binary data is fixed.
Tensor binarize(const Tensor& x, double threshold = 0.5);
// Dynamic binarisation: each pixel 1 with probability x (x in [0, 1]), a fresh
// sample at every call (apply per batch); the standard input for Bernoulli
// decoders (VAEs on "dynamically binarised MNIST").
Tensor binarize_dynamic(const Tensor& x, Generator& g);
// x + N(0, std^2) noise, optionally clipped back to [0, 1].
Tensor gaussian_noise(const Tensor& x, double std, Generator& g, bool clip01 = false);
// Masking noise (Vincent et al. 2008, denoising autoencoders): in each example
// (axis 0; a tensor of rank < 2 is one example) exactly round(fraction * D) of
// its D values, chosen at random, are set to 0.
Tensor mask_noise(const Tensor& x, double fraction, Generator& g);

}  // namespace latent
