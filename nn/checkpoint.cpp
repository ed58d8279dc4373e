// latent/nn — checkpoints (see checkpoint.h for the file layout).
#include "nn/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

namespace latent {

// The format is little-endian and we write memory as it is: refuse to build
// where that would be wrong rather than write unreadable files.
static_assert(std::endian::native == std::endian::little, "checkpoints assume a little-endian host");

namespace {

constexpr size_t kHeaderBytes = 28, kTrailerBytes = 4;

uint32_t dtype_code(DType d) { return d == DType::f32 ? 0 : d == DType::f64 ? 1 : 2; }

std::string errno_text() { return std::strerror(errno); }

// Appends bytes to a FILE while keeping the running CRC-32 of everything written.
struct CrcWriter {
  std::FILE* f;
  uLong crc = crc32_z(0, nullptr, 0);
  bool ok = true;
  void bytes(const void* p, size_t n) {
    if (n == 0) return;
    crc = crc32_z(crc, static_cast<const Bytef*>(p), n);
    ok = ok && std::fwrite(p, 1, n, f) == n;
  }
  template <class T> void put(T v) { bytes(&v, sizeof v); }
};

// Writes through `body` into "<path>.tmp.<pid>", makes it durable, then
// renames it over `path`. On any failure the temporary file is removed and the
// file at `path` (an older checkpoint, say) is untouched.
template <class Body>
void write_atomically(const std::string& op, const std::string& path, Body body) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(op, path + ": cannot create the temporary file '" + tmp + "': " + errno_text());
  auto give_up = [&](const std::string& why) {
    std::fclose(f);
    std::remove(tmp.c_str());
    fail(op, path + ": " + why);
  };
  try {
    if (!body(f)) give_up("writing '" + tmp + "' failed: " + errno_text() + " (disk full?)");
  } catch (...) {
    std::fclose(f);
    std::remove(tmp.c_str());
    throw;
  }
  // fflush moves our buffer to the kernel; fsync moves the kernel's to the disk.
  // Without fsync, a power cut after rename could leave a renamed empty file.
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) give_up("flushing '" + tmp + "' failed: " + errno_text());
  if (std::fclose(f) != 0) {
    std::remove(tmp.c_str());
    fail(op, path + ": closing '" + tmp + "' failed: " + errno_text());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    std::remove(tmp.c_str());
    fail(op, path + ": cannot rename '" + tmp + "' to it: " + why);
  }
  // Make the rename itself durable (best effort: not every file system allows it).
  std::string dir = std::filesystem::path(path).parent_path().string();
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}


// Bounds-checked reading of the file's bytes. After the CRC has matched, an
// overrun can only come from a faulty writer, so it is reported as corruption.
struct Cursor {
  const std::vector<uint8_t>& b;
  size_t pos, end;
  const std::string& path;
  void need(size_t n, const std::string& what) const {
    if (n > end - pos) fail("load_tensors", path + ": corrupt: " + what + " runs past the end of the data");
  }
  template <class T> T get(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, b.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
};

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& op, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(op, path + ": cannot open: no such file");
  if (std::filesystem::is_directory(path, ec)) fail(op, path + ": is a directory, not a file");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(op, path + ": cannot open: " + errno_text());
  std::vector<uint8_t> buf;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.insert(buf.end(), chunk, chunk + n);
  bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) fail(op, path + ": reading failed: " + errno_text());
  return buf;
}

void save_tensors(const std::string& path, const std::map<std::string, Tensor>& tensors) {
  // Row-major copies first: their sizes give the total for the header.
  std::vector<std::pair<const std::string*, Tensor>> entries;
  uint64_t total = kHeaderBytes + kTrailerBytes;
  for (auto& [name, t] : tensors) {
    if (!t.defined()) fail("save_tensors", path + ": entry '" + name + "' is an undefined tensor");
    if (name.size() > UINT32_MAX) fail("save_tensors", path + ": an entry name is too long");
    entries.push_back({&name, t.contiguous()});
    total += 4 + name.size() + 4 + 4 + 8 * t.dim() + 8 + t.numel() * dtype_size(t.dtype());
  }
  write_atomically("save_tensors", path, [&](std::FILE* f) {
    CrcWriter w{f};
    w.bytes(kCheckpointMagic, 8);
    w.put<uint32_t>(kCheckpointVersion);
    w.put<uint64_t>(total);
    w.put<uint64_t>(entries.size());
    for (auto& [name, t] : entries) {
      w.put<uint32_t>((uint32_t)name->size());
      w.bytes(name->data(), name->size());
      w.put<uint32_t>(dtype_code(t.dtype()));
      w.put<uint32_t>((uint32_t)t.dim());
      for (int64_t s : t.shape()) w.put<int64_t>(s);
      uint64_t nbytes = t.numel() * dtype_size(t.dtype());
      w.put<uint64_t>(nbytes);
      w.bytes(t.raw(), nbytes);
    }
    uint32_t crc = (uint32_t)w.crc;
    return w.ok && std::fwrite(&crc, 1, 4, f) == 4;
  });
}

std::map<std::string, Tensor> load_tensors(const std::string& path) {
  const std::vector<uint8_t> b = read_file_bytes("load_tensors", path);
  auto bad = [&](const std::string& why) { fail("load_tensors", path + ": " + why); };
  const size_t size = b.size(), minimum = kHeaderBytes + kTrailerBytes;

  // 1. Is it ours at all? A short file that starts like ours was cut off.
  if (size > 0 && std::memcmp(b.data(), kCheckpointMagic, std::min<size_t>(size, 8)) != 0)
    bad("not a latent checkpoint (it does not start with \"LATENTCK\")");
  if (size < minimum)
    bad("truncated: expected at least " + std::to_string(minimum) + " bytes, the file has " +
        std::to_string(size));

  // 2. Version, size, checksum: in that order, so each message names the real problem.
  uint32_t version;
  uint64_t expected, count;
  std::memcpy(&version, b.data() + 8, 4);
  std::memcpy(&expected, b.data() + 12, 8);
  std::memcpy(&count, b.data() + 20, 8);
  if (version != kCheckpointVersion)
    bad("unknown format version " + std::to_string(version) + " (this build reads version " +
        std::to_string(kCheckpointVersion) + "; was it written by a newer latent?)");
  if (size < expected)
    bad("truncated: expected " + std::to_string(expected) + " bytes, the file has " + std::to_string(size) +
        " (" + std::to_string(expected - size) + " missing; was the write interrupted?)");
  if (size > expected)
    bad("corrupt: the header says " + std::to_string(expected) + " bytes but the file has " + std::to_string(size));
  uint32_t stored;
  std::memcpy(&stored, b.data() + size - 4, 4);
  uint32_t computed = (uint32_t)crc32_z(crc32_z(0, nullptr, 0), b.data(), size - 4);
  if (stored != computed) {
    char hex[64];
    std::snprintf(hex, sizeof hex, " (stored %08x, computed %08x)", stored, computed);
    bad(std::string("corrupt: CRC mismatch") + hex);
  }

  // 3. The entries.
  std::map<std::string, Tensor> out;
  Cursor c{b, kHeaderBytes, size - kTrailerBytes, path};
  for (uint64_t i = 0; i < count; ++i) {
    const std::string where = "entry #" + std::to_string(i);
    uint32_t len = c.get<uint32_t>(where + "'s name length");
    c.need(len, where + "'s name");
    std::string name(reinterpret_cast<const char*>(b.data() + c.pos), len);
    c.pos += len;
    const std::string what = "entry '" + name + "'";
    uint32_t code = c.get<uint32_t>(what);
    if (code > 2) bad(what + " has unknown dtype code " + std::to_string(code) + " (known: 0 float32, 1 float64, 2 int64)");
    DType dt = code == 0 ? DType::f32 : code == 1 ? DType::f64 : DType::i64;
    uint32_t rank = c.get<uint32_t>(what);
    c.need(8 * (uint64_t)rank, what + "'s shape");
    Shape shape(rank);
    uint64_t numel = 1;
    bool overflow = false;
    for (auto& s : shape) {
      s = c.get<int64_t>(what);
      if (s < 0) bad(what + " has a negative size in its shape");
      if (s > 0 && numel > (UINT64_MAX / 16) / (uint64_t)s) overflow = true;
      numel *= (uint64_t)s;
    }
    uint64_t nbytes = c.get<uint64_t>(what);
    if (overflow || numel * dtype_size(dt) != nbytes)
      bad(what + " has shape " + shape_str(shape) + " of " + dtype_name(dt) + " (" +
          (overflow ? std::string("too many") : std::to_string(numel * dtype_size(dt))) +
          " bytes) but a byte length of " + std::to_string(nbytes));
    c.need(nbytes, what + "'s data");
    Tensor t(shape, dt);
    if (nbytes) std::memcpy(t.raw(), b.data() + c.pos, nbytes);
    c.pos += nbytes;
    if (!out.emplace(name, t).second) bad("corrupt: " + what + " appears twice");
  }
  if (c.pos != c.end)
    bad("corrupt: " + std::to_string(c.end - c.pos) + " unexplained bytes after the last entry");
  return out;
}

// ---- whole training states ----

void save_checkpoint(const std::string& path, const nn::Module& model, const nn::Optimizer* opt,
                     const Generator* gen, const std::map<std::string, double>& meta) {
  std::map<std::string, Tensor> all;
  for (auto& [name, t] : model.state_dict()) all["model." + name] = t;
  if (opt)
    for (auto& [key, t] : opt->state_dict()) all["optim." + key] = t;
  if (gen) {
    // int64 tensors hold the uint64 bit patterns exactly (a float64 would
    // round seeds above 2^53).
    auto u64 = [](uint64_t v) {
      Tensor t(Shape{}, DType::i64);
      *t.data<int64_t>() = (int64_t)v;
      return t;
    };
    all["rng.seed"] = u64(gen->seed());
    all["rng.counter"] = u64(gen->counter());
  }
  for (auto& [key, v] : meta) all["meta." + key] = scalar(v, DType::f64);
  save_tensors(path, all);
}

std::map<std::string, double> load_checkpoint(const std::string& path, nn::Module& model,
                                              nn::Optimizer* opt, Generator* gen) {
  std::map<std::string, Tensor> model_state, optim_state;
  std::map<std::string, double> meta;
  const Tensor *seed = nullptr, *counter = nullptr;
  auto bad = [&](const std::string& why) { fail("load_checkpoint", path + ": " + why); };

  const std::map<std::string, Tensor> all = load_tensors(path);
  for (auto& [key, t] : all) {
    auto rest = [&](size_t n) { return key.substr(n); };
    if (key.rfind("model.", 0) == 0) model_state[rest(6)] = t;
    else if (key.rfind("optim.", 0) == 0) optim_state[rest(6)] = t;
    else if (key.rfind("meta.", 0) == 0) {
      if (t.numel() != 1) bad("entry '" + key + "' should be a single number, it has shape " + shape_str(t.shape()));
      meta[rest(5)] = t.item();
    }
    else if (key == "rng.seed") seed = &t;
    else if (key == "rng.counter") counter = &t;
    else bad("unexpected entry '" + key + "' (checkpoint names start with model., optim., rng. or meta.)");
  }
  // Check what is asked for is there before changing anything.
  if (opt && optim_state.empty()) bad("has no optimizer state (it was saved without an optimizer)");
  if (gen && (!seed || !counter)) bad("has no random generator state (it was saved without a generator)");

  // The model: strict names and shapes. On failure, put the old values back,
  // so a failed resume does not leave a half-loaded model behind.
  std::map<std::string, Tensor> before;
  for (auto& [name, t] : model.state_dict()) before[name] = t.clone();
  try {
    model.load_state_dict(model_state, /*strict=*/true);
  } catch (const Error& e) {
    model.load_state_dict(before, true);
    bad(std::string("the model does not match: ") + e.what());
  }
  if (opt) {
    try {
      opt->load_state_dict(optim_state);
    } catch (const std::exception& e) {  // (a malformed key can also raise std::invalid_argument)
      bad(std::string("the optimizer does not match: ") + e.what());
    }
  }
  if (gen) {
    if (seed->dtype() != DType::i64 || seed->numel() != 1 || counter->dtype() != DType::i64 || counter->numel() != 1)
      bad("rng.seed and rng.counter must be int64 scalars");
    gen->manual_seed((uint64_t)*seed->data<int64_t>());
    gen->set_counter((uint64_t)*counter->data<int64_t>());
  }
  return meta;
}

double weights_fingerprint(const nn::Module& model) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a offset basis
  auto mix = [&h](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ULL;  // FNV prime
  };
  for (const auto& [name, t] : model.state_dict()) {  // a std::map: sorted by name
    const uint64_t len = name.size(), dims = t.shape().size();  // lengths first: unambiguous boundaries
    mix(&len, sizeof len);
    mix(name.data(), name.size());
    const int dt = (int)t.dtype();
    mix(&dt, sizeof dt);
    mix(&dims, sizeof dims);
    for (int64_t d : t.shape()) mix(&d, sizeof d);
    const Tensor c = t.contiguous();
    switch (c.dtype()) {
      case DType::f32: mix(c.data<float>(), (size_t)c.numel() * sizeof(float)); break;
      case DType::f64: mix(c.data<double>(), (size_t)c.numel() * sizeof(double)); break;
      case DType::i64: mix(c.data<int64_t>(), (size_t)c.numel() * sizeof(int64_t)); break;
    }
  }
  // Fold the high bits in before keeping 52: FNV's low bits alone are its weakest.
  return (double)((h ^ (h >> 52)) & ((1ULL << 52) - 1));
}

}  // namespace latent
