// latent/nn — data: IDX files (plain or gzip) and MNIST. See data.h;
// datasets, batching and transforms are in nn/loader.cpp.
#include "nn/data.h"

#include "nn/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "tensor/kernels.h"

namespace fs = std::filesystem;

namespace latent {

namespace {

// ---- files ----


bool is_gzip(const std::vector<uint8_t>& b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

// Decompress a whole gzip file (concatenated members allowed, as gzip -d does).
std::vector<uint8_t> gunzip(const std::string& path, const std::vector<uint8_t>& in) {
  if (in.size() > 0xFFFFFFFFu) fail(path, "gzip file too large (over 4 GiB)");
  std::vector<uint8_t> out;
  if (in.size() >= 18) {  // the trailer holds the uncompressed size mod 2^32: a capacity hint
    size_t n = in.size();
    uint64_t isize = (uint64_t)in[n - 4] | (uint64_t)in[n - 3] << 8 | (uint64_t)in[n - 2] << 16 |
                     (uint64_t)in[n - 1] << 24;
    out.reserve((size_t)std::min<uint64_t>(isize, (uint64_t)in.size() * 1032));  // deflate's max ratio
  }
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail(path, "zlib inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = (uInt)in.size();
  int rc = Z_OK;
  while (true) {
    if (out.size() == out.capacity()) out.reserve(std::max<size_t>(out.capacity() * 2, 1 << 16));
    size_t have = out.size();
    out.resize(out.capacity());
    zs.next_out = out.data() + have;
    size_t room = std::min<size_t>(out.size() - have, 0x40000000);
    zs.avail_out = (uInt)room;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(have + (room - zs.avail_out));
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow; anything else after the stream is an error.
      if (zs.avail_in == 0) break;
      if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      size_t extra = zs.avail_in;
      inflateEnd(&zs);
      fail(path, "corrupt gzip file: " + std::to_string(extra) + " stray bytes after the compressed data");
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      fail(path, "truncated gzip file: the compressed data ends early (after " +
                     std::to_string(out.size()) + " decompressed bytes)");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string msg = zs.msg ? zs.msg : ("zlib error " + std::to_string(rc));
      inflateEnd(&zs);
      fail(path, "corrupt gzip file: " + msg);
    }
  }
  inflateEnd(&zs);
  return out;
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

std::string hex32(uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08X", v);
  return s;
}

std::string hex8(uint8_t v) {
  char s[8];
  std::snprintf(s, sizeof s, "0x%02X", v);
  return s;
}

const char* idx_type_name(uint8_t t) {
  switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
  }
  return "unknown";
}

std::string dims_str(const Shape& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return s;
}

// A parsed IDX file: the whole (decompressed) file, the data starting at `offset`.
struct RawIdx {
  Shape dims;
  std::vector<uint8_t> buf;
  size_t offset = 0;
};

RawIdx parse_idx(const std::string& path, int expected_ndims) {
  RawIdx r;
  r.buf = read_file_bytes("read_idx", path);
  if (r.buf.empty()) fail(path, "empty file (0 bytes)");
  bool gz = is_gzip(r.buf);
  if (gz) r.buf = gunzip(path, r.buf);
  const std::string what = gz ? "decompressed data" : "file";
  const auto& b = r.buf;
  if (b.size() < 4)
    fail(path, "too short for an IDX header: " + what + " has " + std::to_string(b.size()) + " bytes");
  uint32_t magic = be32(b.data());
  uint8_t type = b[2], ndims = b[3];
  if (b[0] != 0 || b[1] != 0 || ndims == 0)
    fail(path, "bad magic number " + hex32(magic) +
                   ": not an IDX file (IDX files start with 00 00 <type> <ndims>, e.g. 0x00000803 "
                   "for MNIST images, 0x00000801 for labels)");
  if (type != 0x08)
    fail(path, "IDX data type " + hex8(type) + " (" + idx_type_name(type) +
                   ") is not supported: only unsigned bytes (0x08)");
  if (expected_ndims > 0 && ndims != expected_ndims)
    fail(path, "bad magic number " + hex32(magic) + ": a " + std::to_string(ndims) + "-d IDX file, expected " +
                   std::to_string(expected_ndims) + "-d (magic " + hex32(0x800u + expected_ndims) +
                   (expected_ndims == 3 ? ", images)" : expected_ndims == 1 ? ", labels)" : ")"));
  size_t header = 4 + 4 * (size_t)ndims;
  if (b.size() < header)
    fail(path, "truncated header: " + std::to_string(ndims) + " dimensions need a " + std::to_string(header) +
                   "-byte header, " + what + " has " + std::to_string(b.size()) + " bytes");
  uint64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    uint32_t n = be32(b.data() + 4 + 4 * d);
    r.dims.push_back((int64_t)n);
    if (n == 0)
      fail(path, "size 0 in dimension " + std::to_string(d) + " of the header's sizes " + dims_str(r.dims) +
                     (d + 1 < ndims ? "..." : ""));
    total *= n;
    if (total > ((uint64_t)1 << 48)) fail(path, "header sizes too large: " + dims_str(r.dims) + "...");
  }
  uint64_t have = b.size() - header;
  if (have < total)
    fail(path, "truncated: header says " + dims_str(r.dims) + " = " + std::to_string(total) +
                   " bytes of data, " + std::to_string(header + total) + " with the " + std::to_string(header) +
                   "-byte header; " + what + " has " + std::to_string(b.size()));
  if (have > total)
    fail(path, "trailing bytes: header says " + dims_str(r.dims) + " = " + std::to_string(total) +
                   " bytes of data, " + std::to_string(header + total) + " with the " + std::to_string(header) +
                   "-byte header; " + what + " has " + std::to_string(b.size()) + " (" +
                   std::to_string(have - total) + " extra)");
  r.offset = header;
  return r;
}

Tensor images_from(const std::string& path, double scale) {
  RawIdx r = parse_idx(path, 3);
  const int64_t n = shape_numel(r.dims);
  Tensor t({r.dims[0], 1, r.dims[1], r.dims[2]}, DType::f32);
  float* out = t.data<float>();
  const uint8_t* in = r.buf.data() + r.offset;
  const float s = (float)scale;
#pragma omp parallel for if (n >= detail::kParallelGrain) schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = (float)in[i] * s;
  return t;
}

// ---- where the data lives ----

bool is_repo_root(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "data" / "embedded", ec);
}

// The source tree: the build's source directory, else the first directory
// holding data/embedded/ going up from the working directory, then from the
// executable. Empty when none is found.
fs::path repo_root() {
#ifdef LATENT_SOURCE_DIR
  if (is_repo_root(LATENT_SOURCE_DIR)) return LATENT_SOURCE_DIR;
#endif
  std::error_code ec;
  std::vector<fs::path> starts = {fs::current_path(ec)};
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  for (fs::path p : starts) {
    for (; !p.empty(); p = p.parent_path()) {
      if (is_repo_root(p)) return p;
      if (p == p.parent_path()) break;
    }
  }
#ifdef LATENT_SOURCE_DIR
  return LATENT_SOURCE_DIR;
#else
  return {};
#endif
}

// dir/name, else dir/name.gz; empty when neither exists.
std::string find_idx(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  if (fs::is_regular_file(dir / name, ec)) return (dir / name).string();
  if (fs::is_regular_file(dir / (name + ".gz"), ec)) return (dir / (name + ".gz")).string();
  return {};
}

MnistSplit load_split(const std::string& images_path, const std::string& labels_path) {
  MnistSplit s;
  s.images = read_idx_images(images_path);
  s.labels = read_idx_labels(labels_path);
  if (s.images.size(2) != 28 || s.images.size(3) != 28)
    fail(images_path, "MNIST images are 28x28, this file holds " + std::to_string(s.images.size(2)) + "x" +
                          std::to_string(s.images.size(3)));
  if (s.images.size(0) != s.labels.size(0))
    fail(labels_path, std::to_string(s.labels.size(0)) + " labels for " + std::to_string(s.images.size(0)) +
                          " images in " + images_path);
  const int64_t* y = s.labels.data<int64_t>();
  for (int64_t i = 0; i < s.labels.size(0); ++i)
    if (y[i] > 9)
      fail(labels_path, "label " + std::to_string(y[i]) + " at index " + std::to_string(i) +
                            " is not a digit 0..9");
  return s;
}

const char* kFiles[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                         "t10k-labels-idx1-ubyte"};

}  // namespace

// ---- IDX ----

IdxArray read_idx(const std::string& path, int expected_ndims) {
  RawIdx r = parse_idx(path, expected_ndims);
  IdxArray a;
  a.dims = r.dims;
  a.data.assign(r.buf.begin() + (std::ptrdiff_t)r.offset, r.buf.end());
  return a;
}

Tensor read_idx_images(const std::string& path) { return images_from(path, 1.0 / 255.0); }
Tensor read_idx_images_raw(const std::string& path) { return images_from(path, 1.0); }

Tensor read_idx_labels(const std::string& path) {
  RawIdx r = parse_idx(path, 1);
  Tensor t({r.dims[0]}, DType::i64);
  int64_t* out = t.data<int64_t>();
  const uint8_t* in = r.buf.data() + r.offset;
  for (int64_t i = 0; i < r.dims[0]; ++i) out[i] = in[i];
  return t;
}

void write_idx(const std::string& path, const Shape& dims, const std::vector<uint8_t>& data) {
  if (dims.empty() || dims.size() > 255) fail("write_idx", "needs 1 to 255 dimensions, got " + std::to_string(dims.size()));
  for (auto d : dims)
    if (d < 0 || d > 0xFFFFFFFFll) fail("write_idx", "size " + std::to_string(d) + " does not fit an IDX header");
  if ((int64_t)data.size() != shape_numel(dims))
    fail("write_idx", "dims " + dims_str(dims) + " need " + std::to_string(shape_numel(dims)) + " bytes, got " +
                          std::to_string(data.size()));
  std::vector<uint8_t> out = {0, 0, 0x08, (uint8_t)dims.size()};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) out.push_back((uint8_t)((uint64_t)d >> s));
  out.insert(out.end(), data.begin(), data.end());
  bool gz = path.size() >= 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb9");
    if (!f) fail(path, std::string("cannot create: ") + std::strerror(errno));
    int w = out.empty() ? 0 : gzwrite(f, out.data(), (unsigned)out.size());
    if (gzclose(f) != Z_OK || w != (int)out.size()) fail(path, "write error");
  } else {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) fail(path, std::string("cannot create: ") + std::strerror(errno));
    f.write(reinterpret_cast<const char*>(out.data()), (std::streamsize)out.size());
    if (!f) fail(path, "write error");
  }
}

// ---- MNIST ----

std::string mnist_data_dir() {
  if (const char* e = std::getenv("LATENT_DATA"); e && *e) return e;
  return (repo_root() / "data" / "mnist").string();
}

std::string embedded_data_dir() { return (repo_root() / "data" / "embedded").string(); }

Mnist load_mnist_embedded() {
  fs::path dir = embedded_data_dir();
  Mnist m;
  m.train = load_split((dir / "train-images-2000-idx3-ubyte.gz").string(),
                       (dir / "train-labels-2000-idx1-ubyte.gz").string());
  m.test = load_split((dir / "t10k-images-500-idx3-ubyte.gz").string(),
                      (dir / "t10k-labels-500-idx1-ubyte.gz").string());
  m.embedded = true;
  m.source = "embedded MNIST subset (first " + std::to_string(m.train.size()) + " training / first " +
             std::to_string(m.test.size()) + " test images of the official files) from " + dir.string();
  return m;
}

Mnist load_mnist(const std::string& data_dir, bool allow_embedded) {
  const fs::path dir = data_dir.empty() ? mnist_data_dir() : data_dir;
  std::string paths[4];
  std::string found, missing;
  for (int i = 0; i < 4; ++i) {
    paths[i] = find_idx(dir, kFiles[i]);
    std::string& list = paths[i].empty() ? missing : found;
    list += (list.empty() ? "" : ", ") + std::string(kFiles[i]);
  }
  if (!found.empty() && !missing.empty())
    fail("load_mnist", "incomplete MNIST in " + dir.string() + ": found " + found + "; missing " + missing +
                           " (plain or .gz). Run scripts/fetch-data to complete it.");
  if (missing.empty()) {
    Mnist m;
    m.train = load_split(paths[0], paths[1]);
    m.test = load_split(paths[2], paths[3]);
    m.source = "MNIST, full set (" + std::to_string(m.train.size()) + " training / " +
               std::to_string(m.test.size()) + " test images) from " + dir.string();
    return m;
  }
  if (!allow_embedded)
    fail("load_mnist", "MNIST not found in " + dir.string() + " (looked for " + kFiles[0] +
                           "[.gz] and the three others). Run scripts/fetch-data, or set LATENT_DATA.");
  Mnist m = load_mnist_embedded();
  m.source += "; the full set is not in " + dir.string() + " (run scripts/fetch-data to get it)";
  return m;
}

}  // namespace latent
