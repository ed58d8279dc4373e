// nn/data: IDX reading (and rejecting bad files), MNIST loading, batching,
// transforms. Uses only the embedded subset (data/embedded/), never needs the
// full MNIST; one check runs on the full set only when it has been fetched.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "helpers.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::test;
namespace fs = std::filesystem;

namespace {

// A fresh directory for corrupt files, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("latent_test_data_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    std::string p = (path / name).string();
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), (std::streamsize)bytes.size());
    return p;
  }
};

std::vector<uint8_t> read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// An IDX header: 00 00 <type> <ndims> then big-endian sizes.
std::vector<uint8_t> header(uint8_t type, const std::vector<uint32_t>& dims) {
  std::vector<uint8_t> h = {0, 0, type, (uint8_t)dims.size()};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back((uint8_t)(d >> s));
  return h;
}
std::vector<uint8_t> with_data(std::vector<uint8_t> h, size_t n, uint8_t v = 7) {
  h.insert(h.end(), n, v);
  return h;
}

const Mnist& embedded() {
  static Mnist m = load_mnist_embedded();
  return m;
}

std::vector<int64_t> ints(const Tensor& t) {
  std::vector<int64_t> v;
  for (double d : t.to_vector()) v.push_back((int64_t)d);
  return v;
}

}  // namespace

TEST_CASE("the embedded MNIST subset: shapes, ranges, known labels") {
  const Mnist& m = embedded();
  CHECK(m.embedded);
  CHECK(m.source.find("embedded") != std::string::npos);
  CHECK(m.train.images.shape() == Shape{2000, 1, 28, 28});
  CHECK(m.train.images.dtype() == DType::f32);
  CHECK(m.train.labels.shape() == Shape{2000});
  CHECK(m.train.labels.dtype() == DType::i64);
  CHECK(m.test.images.shape() == Shape{500, 1, 28, 28});
  CHECK(m.test.labels.shape() == Shape{500});
  CHECK(m.train.size() == 2000);
  CHECK(m.test.size() == 500);
  for (const MnistSplit* s : {&m.train, &m.test}) {
    CHECK(min(s->images).item() == 0.0);
    CHECK(max(s->images).item() == 1.0);
    CHECK(min(s->labels).item() == 0);
    CHECK(max(s->labels).item() == 9);
  }
  // MNIST's famous mean pixel is 0.1307; a 2,000-image subset is close.
  CHECK(mean(m.train.images).item() == doctest::Approx(0.1307).epsilon(0.05));
  auto first = [](const Tensor& y) { return ints(y.slice(0, 0, 10)); };
  CHECK(first(m.train.labels) == std::vector<int64_t>{5, 0, 4, 1, 9, 2, 1, 3, 1, 4});
  CHECK(first(m.test.labels) == std::vector<int64_t>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9});
  // Every digit occurs (the class counts are in data/embedded/README.md).
  CHECK(sum(eq(m.train.labels, scalar(1, DType::i64))).item() == 220);

  // Raw pixels are the integers 0..255, and the scaled ones are raw / 255.
  Tensor raw = read_idx_images_raw(embedded_data_dir() + "/t10k-images-500-idx3-ubyte.gz");
  CHECK(raw.shape() == Shape{500, 1, 28, 28});
  CHECK(max(raw).item() == 255.0);
  CHECK(sum(ne(raw, sub(raw, raw) + (raw.to(DType::i64).to(DType::f32)))).item() == 0);
  check_close(scale_01(raw), m.test.images, 1e-7, 0);
}

TEST_CASE("load_mnist: full set when present, else the embedded subset, and says which") {
  TempDir tmp;
  const std::string dir = tmp.path.string();
  Mnist e = load_mnist(dir);  // nothing there
  CHECK(e.embedded);
  CHECK(e.train.size() == 2000);
  CHECK(e.source.find("not in " + dir) != std::string::npos);
  CHECK(e.source.find("scripts/fetch-data") != std::string::npos);
  check_error([&] { load_mnist(dir, false); }, {"load_mnist", "not found in " + dir, "scripts/fetch-data"});

  // A tiny fake "full" set: four files, plain and gzip mixed.
  std::vector<uint8_t> px(3 * 28 * 28, 255), lab = {3, 1, 4};
  write_idx(dir + "/train-images-idx3-ubyte.gz", {3, 28, 28}, px);
  check_error([&] { load_mnist(dir); }, {"incomplete MNIST", "found train-images-idx3-ubyte", "missing"});
  write_idx(dir + "/train-labels-idx1-ubyte", {3}, lab);
  write_idx(dir + "/t10k-images-idx3-ubyte", {3, 28, 28}, px);
  write_idx(dir + "/t10k-labels-idx1-ubyte.gz", {2}, {1, 2});
  check_error([&] { load_mnist(dir); }, {"t10k-labels-idx1-ubyte.gz", "2 labels for 3 images"});
  write_idx(dir + "/t10k-labels-idx1-ubyte.gz", {3}, {1, 2, 12});
  check_error([&] { load_mnist(dir); }, {"label 12 at index 2", "0..9"});
  write_idx(dir + "/t10k-labels-idx1-ubyte.gz", {3}, lab);
  Mnist f = load_mnist(dir, false);
  CHECK_FALSE(f.embedded);
  CHECK(f.source.find("full set") != std::string::npos);
  CHECK(f.train.images.shape() == Shape{3, 1, 28, 28});
  CHECK(ints(f.test.labels) == std::vector<int64_t>{3, 1, 4});
  CHECK(min(f.test.images).item() == 1.0);
  fs::remove(dir + "/t10k-images-idx3-ubyte");
  write_idx(dir + "/t10k-images-idx3-ubyte", {3, 20, 20}, std::vector<uint8_t>(1200));
  check_error([&] { load_mnist(dir); }, {"MNIST images are 28x28", "20x20"});

  // When scripts/fetch-data has run, the embedded subset is the first examples
  // of the official files (checked on the small files only: the test stays fast).
  fs::path full = mnist_data_dir();
  auto find = [&](const std::string& name) {
    for (std::string n : {name, name + ".gz"})
      if (fs::exists(full / n)) return (full / n).string();
    return std::string();
  };
  std::string ti = find("t10k-images-idx3-ubyte"), tl = find("t10k-labels-idx1-ubyte"),
              rl = find("train-labels-idx1-ubyte");
  if (!ti.empty() && !tl.empty() && !rl.empty()) {
    Tensor test_images = read_idx_images(ti), test_labels = read_idx_labels(tl), train_labels = read_idx_labels(rl);
    CHECK(test_images.size(0) == 10000);
    CHECK(train_labels.size(0) == 60000);
    check_close(test_images.slice(0, 0, 500), embedded().test.images, 0, 0);
    CHECK(ints(test_labels.slice(0, 0, 500)) == ints(embedded().test.labels));
    CHECK(ints(train_labels.slice(0, 0, 2000)) == ints(embedded().train.labels));
  } else {
    MESSAGE("full MNIST not in " << full.string() << ": provenance check skipped");
  }
}

TEST_CASE("corrupt IDX files are rejected with the file name and the reason") {
  TempDir tmp;
  auto img = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
    std::string p = tmp.write(name, bytes);
    return [p] { read_idx_images(p); };
  };
  check_error(img("empty", {}), {"empty", "empty file (0 bytes)"});
  check_error([&] { read_idx_images((tmp.path / "nope").string()); }, {"nope", "no such file"});
  check_error([&] { read_idx_images(tmp.path.string()); }, {"is a directory"});
  check_error(img("short", {0, 0, 8}), {"short", "too short for an IDX header"});
  auto bad = with_data(header(0x08, {2, 28, 28}), 2 * 784);
  bad[0] = 0x12, bad[1] = 0x34;
  check_error(img("badmagic", bad), {"badmagic", "bad magic number 0x12340803", "not an IDX file"});
  // A labels file where images are expected, and a 2-d file: wrong number of dims.
  check_error(img("labels-as-images", with_data(header(0x08, {10}), 10)),
              {"labels-as-images", "bad magic number 0x00000801", "expected 3-d"});
  check_error(img("twod", with_data(header(0x08, {10, 784}), 7840)), {"twod", "0x00000802", "expected 3-d"});
  check_error([&] { read_idx_labels(tmp.write("images-as-labels", with_data(header(0x08, {1, 28, 28}), 784))); },
              {"images-as-labels", "0x00000803", "expected 1-d"});
  check_error(img("float", with_data(header(0x0D, {1, 2, 2}), 16)), {"float", "0x0D (float32) is not supported"});
  check_error(img("zero", header(0x08, {0, 28, 28})), {"zero", "size 0 in dimension 0"});
  check_error(img("header-cut", {0, 0, 8, 3, 0, 0, 0, 5, 0, 0}), {"header-cut", "truncated header", "16-byte"});
  check_error(img("train-images-idx3-ubyte", with_data(header(0x08, {60000, 28, 28}), 1000)),
              {"train-images-idx3-ubyte: truncated: header says 60000x28x28 = 47040000 bytes of data, "
               "47040016 with the 16-byte header; file has 1016"});
  check_error(img("long", with_data(header(0x08, {2, 28, 28}), 2 * 784 + 5)), {"long", "trailing bytes", "5 extra"});

  // gzip: truncated or damaged compressed data; the size checks still apply inside.
  auto gz = read_all(embedded_data_dir() + "/t10k-images-500-idx3-ubyte.gz");
  REQUIRE(gz.size() > 1000);
  check_error(img("cut.gz", std::vector<uint8_t>(gz.begin(), gz.begin() + (long)gz.size() / 2)),
              {"cut.gz", "truncated gzip file"});
  auto damaged = gz;
  for (size_t i = 100; i < 200; ++i) damaged[i] ^= 0x5A;
  check_error(img("damaged.gz", damaged), {"damaged.gz", "corrupt gzip file"});
  std::string p = (tmp.path / "short.gz").string();
  write_idx(p, {2, 28, 28}, std::vector<uint8_t>(2 * 784));
  auto g = read_all(p);
  auto body = with_data(header(0x08, {3, 28, 28}), 2 * 784);  // says 3 images, holds 2
  write_idx(p, {(int64_t)body.size()}, body);                  // (any bytes, gzipped)
  check_error([&] { read_idx_images(p); }, {"short.gz", "bad magic"});
}

TEST_CASE("write_idx / read_idx round trip; gzip is recognised by content, not name") {
  TempDir tmp;
  std::vector<uint8_t> bytes(2 * 3 * 4);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = (uint8_t)(i * 10);
  for (std::string name : {"a-idx3-ubyte", "a-idx3-ubyte.gz"}) {
    std::string p = (tmp.path / name).string();
    write_idx(p, {2, 3, 4}, bytes);
    IdxArray a = read_idx(p);
    CHECK(a.dims == Shape{2, 3, 4});
    CHECK(a.data == bytes);
    Tensor t = read_idx_images_raw(p);
    CHECK(t.shape() == Shape{2, 1, 3, 4});
    CHECK(t.at({1, 0, 2, 3}) == 230);
  }
  fs::rename(tmp.path / "a-idx3-ubyte.gz", tmp.path / "no-suffix");
  CHECK(read_idx((tmp.path / "no-suffix").string(), 3).data == bytes);
  check_error([&] { write_idx((tmp.path / "x").string(), {2, 2}, {1, 2, 3}); }, {"write_idx", "need 4 bytes"});
}

TEST_CASE("DataLoader: batches, drop_last, every example once per epoch") {
  const int64_t N = 10;
  Tensor x = arange(0, N, 1, DType::f32).reshape({N, 1}).expand({N, 3});  // row i is [i, i, i] (a strided view)
  Tensor y = arange(0, N, 1, DType::i64);
  TensorDataset ds(x, y);
  CHECK(ds.size() == N);

  DataLoader plain(ds, 4);
  CHECK(plain.num_batches() == 3);
  std::vector<int64_t> seen, sizes;
  for (auto& b : plain) {
    CHECK(b.x.is_contiguous());
    CHECK(b.x.size(1) == 3);
    sizes.push_back(b.x.size(0));
    for (int64_t i = 0; i < b.x.size(0); ++i) {
      CHECK(b.x.at({i, 2}) == b.y.at({i}));  // inputs and targets stay paired
      seen.push_back((int64_t)b.y.at({i}));
    }
  }
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  CHECK(seen == ints(arange(0, N, 1, DType::i64)));  // in order without shuffle

  DataLoader dropped(ds, 4, {.drop_last = true});
  CHECK(dropped.num_batches() == 2);
  int64_t count = 0;
  for (auto& b : dropped) {
    CHECK(b.x.size(0) == 4);
    count += b.x.size(0);
  }
  CHECK(count == 8);
  CHECK(DataLoader(ds, 5, {.drop_last = true}).num_batches() == 2);
  CHECK(DataLoader(ds, 11, {.drop_last = true}).num_batches() == 0);
  CHECK(DataLoader(ds, 11).num_batches() == 1);

  // A batch is a copy: changing it leaves the dataset alone.
  auto it = plain.begin();
  it->x.fill_(-1);
  CHECK(ds.inputs().at({0, 0}) == 0);
  // Inputs without targets.
  TensorDataset xs_only(x);
  for (auto& b : DataLoader(xs_only, 3)) CHECK_FALSE(b.y.defined());
  check_error([&] { TensorDataset(x, arange(0, 9, 1, DType::i64)); }, {"TensorDataset", "different numbers"});
  check_error([&] { DataLoader(ds, 0); }, {"DataLoader", "batch_size must be positive"});
}

TEST_CASE("DataLoader shuffling: seeded, reshuffled every epoch, a permutation") {
  const Mnist& m = embedded();
  TensorDataset ds(m.train.images, m.train.labels);
  auto epoch_labels = [](DataLoader& l) {
    std::vector<int64_t> v;
    for (auto& b : l) {
      auto y = ints(b.y);
      v.insert(v.end(), y.begin(), y.end());
    }
    return v;
  };
  auto epoch_order = [](DataLoader& l, int64_t e) { return ints(l.order(e)); };
  DataLoader a(ds, 64, {.shuffle = true, .seed = 7}), b(ds, 64, {.shuffle = true, .seed = 7}),
      c(ds, 64, {.shuffle = true, .seed = 8});
  CHECK(a.num_batches() == 32);  // 2000 / 64 = 31.25
  auto a0 = epoch_labels(a), b0 = epoch_labels(b), c0 = epoch_labels(c);
  CHECK(a0 == b0);  // same seed, same order
  CHECK(a0 != c0);  // different seed, different order
  CHECK(a.epoch() == 1);
  auto a1 = epoch_labels(a);
  CHECK(a1 != a0);  // a new order each epoch
  CHECK(epoch_order(a, 1) != epoch_order(a, 0));
  a.set_epoch(1);  // resuming at epoch 1 replays it
  CHECK(epoch_labels(a) == a1);
  // The epoch is a permutation: each example exactly once, all labels seen.
  auto order = epoch_order(c, 0);
  CHECK(std::set<int64_t>(order.begin(), order.end()).size() == 2000);
  CHECK(order != ints(arange(0, 2000, 1, DType::i64)));
  std::vector<int64_t> all = ints(m.train.labels), sorted0 = a0;
  std::sort(all.begin(), all.end());
  std::sort(sorted0.begin(), sorted0.end());
  CHECK(sorted0 == all);
  // The batch holds exactly the examples the order names.
  DataLoader d(ds, 64, {.shuffle = true, .seed = 8, .drop_last = true});
  CHECK(d.num_batches() == 31);
  auto it = d.begin();
  auto o = d.order(0);
  Batch& first = *it;
  CHECK(first.x.shape() == Shape{64, 1, 28, 28});
  int64_t k = (int64_t)o.at({5});
  check_close(first.x.select(0, 5), m.train.images.select(0, k), 0, 0);
  CHECK(first.y.at({5}) == m.train.labels.at({k}));
}

TEST_CASE("transforms: rescaling, binarisation, noise") {
  Tensor v = from_vector({0, 0.25, 0.5, 1}, {4});
  check_values(to_pm1(v), {-1, -0.5, 0, 1});
  check_close(from_pm1(to_pm1(v)), v);
  check_values(scale_01(from_vector({0, 51, 255}, {3})), {0, 0.2, 1});
  CHECK(to_pm1(v.to(DType::f64)).dtype() == DType::f64);
  check_error([&] { rescale(v, 1, 1, 0, 1); }, {"rescale", "empty input range"});

  check_values(binarize(from_vector({0, 0.5, 0.5001, 1}, {4})), {0, 0, 1, 1});
  // Small tensors (under the parallel grain): fast even on a busy machine.
  const Tensor imgs = embedded().train.images.slice(0, 0, 40);
  Tensor sb = binarize(imgs);
  CHECK(sum(mul(sb, 1.0 - sb)).item() == 0);  // only 0 and 1
  CHECK(sb.dtype() == DType::f32);

  Generator g(5), g2(5);
  Tensor d1 = binarize_dynamic(imgs, g), d2 = binarize_dynamic(imgs, g);
  CHECK(sum(mul(d1, 1.0 - d1)).item() == 0);
  CHECK(mean(d1).item() == doctest::Approx(mean(imgs).item()).epsilon(0.05));  // E[bernoulli(p)] = p
  CHECK(sum(ne(d1, d2)).item() > 0);                                           // a fresh sample each call
  check_close(binarize_dynamic(imgs, g2), d1, 0, 0);                           // seeded
  check_error([&] { binarize_dynamic(from_vector({0.5, 2}, {2}), g); }, {"binarize_dynamic", "[0, 1]"});

  Tensor z = zeros({10000});
  Tensor n = gaussian_noise(z, 0.3, g);
  CHECK(std::sqrt(var(n).item()) == doctest::Approx(0.3).epsilon(0.04));
  Tensor nc = gaussian_noise(full({1000}, 0.5), 2.0, g, true);
  CHECK(min(nc).item() == 0.0);
  CHECK(max(nc).item() == 1.0);

  Tensor o = ones({32, 1, 28, 28});
  Generator g3(9), g4(9);
  Tensor masked = mask_noise(o, 0.25, g3);
  CHECK(masked.shape() == o.shape());
  Tensor zeros_per_row = sum(eq(masked, scalar(0)), {1, 2, 3});
  CHECK(min(zeros_per_row).item() == 196);  // exactly round(0.25 * 784) in every image
  CHECK(max(zeros_per_row).item() == 196);
  check_close(mask_noise(o, 0.25, g4), masked, 0, 0);  // seeded
  CHECK(sum(ne(masked.select(0, 0), masked.select(0, 1))).item() > 0);  // different pixels per image
  check_close(mask_noise(o, 0, g3), o, 0, 0);
  CHECK(sum(mask_noise(o, 1, g3)).item() == 0);
  CHECK(min(o).item() == 1);  // the input is untouched
  check_error([&] { mask_noise(o, 1.5, g3); }, {"mask_noise", "fraction"});
}
