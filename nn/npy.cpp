// latent/nn — .npy and .npz files (see npy.h for the formats).
#include "nn/npy.h"

#include "nn/checkpoint.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace latent {

static_assert(std::endian::native == std::endian::little, ".npy/.npz code assumes a little-endian host");

namespace {

const char kNpyMagic[] = "\x93NUMPY";  // 6 bytes


void write_file(const std::string& op, const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail(op, path + ": cannot open for writing: " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) fail(op, path + ": writing failed (disk full?)");
}

template <class T> T get_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T> void put_le(std::vector<uint8_t>& out, T v) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

// ---- the header dict: a tiny reader for the three keys NumPy writes ----

// Where the value of 'key' starts in the dict text (either quote style).
size_t value_pos(const std::string& h, const std::string& key, const std::string& source) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) k = h.find("\"" + key + "\"");
  if (k == std::string::npos) fail("load_npy", source + ": the header has no '" + key + "' entry: " + h);
  size_t p = h.find(':', k);
  if (p == std::string::npos) fail("load_npy", source + ": malformed header: " + h);
  ++p;
  while (p < h.size() && h[p] == ' ') ++p;
  return p;
}

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

NpyHeader parse_header(const std::string& h, const std::string& source) {
  auto bad = [&](const std::string& why) { fail("load_npy", source + ": malformed header (" + why + "): " + h); };
  NpyHeader r;
  size_t p = value_pos(h, "descr", source);
  if (p >= h.size() || (h[p] != '\'' && h[p] != '"')) bad("descr is not a string; structured dtypes are not supported");
  size_t q = h.find(h[p], p + 1);
  if (q == std::string::npos) bad("unterminated descr");
  r.descr = h.substr(p + 1, q - p - 1);

  p = value_pos(h, "fortran_order", source);
  if (h.compare(p, 4, "True") == 0) r.fortran_order = true;
  else if (h.compare(p, 5, "False") != 0) bad("fortran_order is neither True nor False");

  p = value_pos(h, "shape", source);
  if (p >= h.size() || h[p] != '(') bad("shape is not a tuple");
  size_t end = h.find(')', p);
  if (end == std::string::npos) bad("unterminated shape");
  for (size_t i = p + 1; i < end;) {
    if (h[i] == ' ' || h[i] == ',') { ++i; continue; }
    if (h[i] < '0' || h[i] > '9') bad("shape holds something that is not a size");
    int64_t v = 0;
    for (; i < end && h[i] >= '0' && h[i] <= '9'; ++i) {
      if (v > (INT64_MAX - 9) / 10) bad("a size is too large");
      v = v * 10 + (h[i] - '0');
    }
    if (i < end && h[i] == 'L') ++i;  // Python 2 wrote longs as 3L
    r.shape.push_back(v);
  }
  return r;
}

std::string descr_of(DType d) { return d == DType::f32 ? "<f4" : d == DType::f64 ? "<f8" : "<i8"; }

// Copies n elements of file type From into a tensor of type To.
template <class From, class To>
void convert(const uint8_t* src, Tensor& t) {
  To* dst = t.data<To>();
  for (int64_t i = 0; i < t.numel(); ++i) dst[i] = (To)get_le<From>(src + i * sizeof(From));
}

}  // namespace

// ---- .npy ----

std::vector<uint8_t> encode_npy(const Tensor& t_in) {
  if (!t_in.defined()) fail("save_npy", "the tensor is undefined");
  Tensor t = t_in.contiguous();
  std::string shape = "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
  shape += t.dim() == 1 ? ",)" : ")";  // Python's one-element tuple is (3,)
  std::string header = "{'descr': '" + descr_of(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that magic(6) + version(2) + length(2) + header + '\n'
  // is a multiple of 64: the data then starts aligned, as NumPy wants.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 65535) fail("save_npy", "the header is too long for format 1.0 (" + shape_str(t.shape()) + ")");

  std::vector<uint8_t> out(kNpyMagic, kNpyMagic + 6);
  out.push_back(1);  // major version
  out.push_back(0);  // minor version
  put_le<uint16_t>(out, (uint16_t)header.size());
  out.insert(out.end(), header.begin(), header.end());
  const uint8_t* p = static_cast<const uint8_t*>(t.raw());
  out.insert(out.end(), p, p + t.numel() * dtype_size(t.dtype()));
  return out;
}

Tensor decode_npy(const uint8_t* data, size_t size, const std::string& source) {
  auto bad = [&](const std::string& why) { fail("load_npy", source + ": " + why); };
  if (size < 10) {
    if (size == 0 || std::memcmp(data, kNpyMagic, std::min<size_t>(size, 6)) == 0)
      bad("truncated: " + std::to_string(size) + " bytes, not even a whole .npy preamble (10 bytes)");
  }
  if (size < 6 || std::memcmp(data, kNpyMagic, 6) != 0) bad("not a .npy file (it does not start with \\x93NUMPY)");
  const int major = data[6], minor = data[7];
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = get_le<uint16_t>(data + 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) bad("truncated in the preamble");
    header_len = get_le<uint32_t>(data + 8);
    header_start = 12;
  } else {
    bad("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > size - header_start)
    bad("truncated: the header needs " + std::to_string(header_len) + " bytes, " +
        std::to_string(size - header_start) + " are present");
  const NpyHeader h = parse_header(std::string((const char*)data + header_start, header_len), source);

  // File element type -> our dtype (and how to convert).
  struct Kind { const char* descr; size_t bytes; DType dtype; };
  static const Kind kinds[] = {{"<f4", 4, DType::f32}, {"<f8", 8, DType::f64}, {"<i8", 8, DType::i64},
                               {"<i4", 4, DType::i64}, {"|u1", 1, DType::f32}, {"<u1", 1, DType::f32}};
  const Kind* kind = nullptr;
  for (const Kind& k : kinds)
    if (h.descr == k.descr) kind = &k;
  if (!kind) {
    if (!h.descr.empty() && h.descr[0] == '>')
      bad("big-endian arrays ('" + h.descr + "') are not supported; in NumPy convert with a.astype('<" +
          h.descr.substr(1) + "')");
    bad("unsupported dtype '" + h.descr + "' (supported: <f4, <f8, <i8, and <i4, |u1 which are converted)");
  }
  for (int64_t s : h.shape)
    if (s > 0 && (uint64_t)s > (uint64_t)size) bad("the shape " + shape_str(h.shape) + " cannot fit in the file");
  const size_t start = header_start + header_len;
  const uint64_t need = (uint64_t)shape_numel(h.shape) * kind->bytes;
  if (need > size - start)
    bad("truncated: shape " + shape_str(h.shape) + " of " + h.descr + " needs " + std::to_string(need) +
        " data bytes, " + std::to_string(size - start) + " are present");

  // Column-major data is the row-major data of the reversed shape, transposed.
  Shape file_shape = h.shape;
  if (h.fortran_order) std::reverse(file_shape.begin(), file_shape.end());
  Tensor t(file_shape, kind->dtype);
  const uint8_t* src = data + start;
  if (kind->bytes == dtype_size(kind->dtype)) {
    if (need) std::memcpy(t.raw(), src, need);
  } else if (kind->bytes == 4) {
    convert<int32_t, int64_t>(src, t);
  } else {
    convert<uint8_t, float>(src, t);
  }
  if (h.fortran_order && t.dim() > 1) {
    std::vector<int64_t> order(t.dim());
    for (int64_t i = 0; i < t.dim(); ++i) order[i] = t.dim() - 1 - i;
    t = t.permute(order).contiguous();
  }
  return t;
}

void save_npy(const std::string& path, const Tensor& t) { write_file("save_npy", path, encode_npy(t)); }

Tensor load_npy(const std::string& path) {
  std::vector<uint8_t> b = read_file_bytes("load_npy", path);
  return decode_npy(b.data(), b.size(), path);
}

// ---- .npz: a zip archive (PKWARE APPNOTE.TXT) of .npy files ----
//
// Per entry, a local header (signature PK\3\4) and the data; at the end a
// central directory (PK\1\2 per entry) and an end record (PK\5\6) that says
// where the directory is. Readers start from the end record.

namespace {
constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint16_t kDosDate1980 = (0 << 9) | (1 << 5) | 1;  // a fixed date: same arrays, same bytes
}  // namespace

void save_npz(const std::string& path, const std::map<std::string, Tensor>& arrays) {
  std::vector<uint8_t> out, directory;
  for (auto& [key, t] : arrays) {
    if (key.empty()) fail("save_npz", path + ": an array has an empty name");
    const std::string name = key + ".npy";
    const std::vector<uint8_t> npy = encode_npy(t);
    if (npy.size() >= 0xFFFFFFFFu || out.size() >= 0xFFFFFFFFu)
      fail("save_npz", path + ": more than 4 GB needs zip64, which latent does not write");
    const uint32_t crc = (uint32_t)crc32_z(crc32_z(0, nullptr, 0), npy.data(), npy.size());
    const uint32_t offset = (uint32_t)out.size();
    // The fields both headers share, from "version needed" to the name length.
    auto common = [&](std::vector<uint8_t>& v) {
      put_le<uint16_t>(v, 20);  // version needed to extract: 2.0
      put_le<uint16_t>(v, 0);   // flags
      put_le<uint16_t>(v, 0);   // method 0: stored
      put_le<uint16_t>(v, 0);   // time 00:00
      put_le<uint16_t>(v, kDosDate1980);
      put_le<uint32_t>(v, crc);
      put_le<uint32_t>(v, (uint32_t)npy.size());  // compressed size
      put_le<uint32_t>(v, (uint32_t)npy.size());  // uncompressed size
      put_le<uint16_t>(v, (uint16_t)name.size());
      put_le<uint16_t>(v, 0);  // extra field length
    };
    put_le<uint32_t>(out, kLocalSig);
    common(out);
    out.insert(out.end(), name.begin(), name.end());
    out.insert(out.end(), npy.begin(), npy.end());

    put_le<uint32_t>(directory, kCentralSig);
    put_le<uint16_t>(directory, 20);  // version made by
    common(directory);
    put_le<uint16_t>(directory, 0);   // comment length
    put_le<uint16_t>(directory, 0);   // disk number
    put_le<uint16_t>(directory, 0);   // internal attributes
    put_le<uint32_t>(directory, 0);   // external attributes
    put_le<uint32_t>(directory, offset);
    directory.insert(directory.end(), name.begin(), name.end());
  }
  if (arrays.size() >= 0xFFFF) fail("save_npz", path + ": too many arrays for a plain zip file");
  const uint32_t dir_offset = (uint32_t)out.size();
  out.insert(out.end(), directory.begin(), directory.end());
  put_le<uint32_t>(out, kEndSig);
  put_le<uint16_t>(out, 0);  // this disk
  put_le<uint16_t>(out, 0);  // disk with the directory
  put_le<uint16_t>(out, (uint16_t)arrays.size());
  put_le<uint16_t>(out, (uint16_t)arrays.size());
  put_le<uint32_t>(out, (uint32_t)directory.size());
  put_le<uint32_t>(out, dir_offset);
  put_le<uint16_t>(out, 0);  // comment length
  write_file("save_npz", path, out);
}

std::map<std::string, Tensor> load_npz(const std::string& path) {
  const std::vector<uint8_t> b = read_file_bytes("load_npz", path);
  auto bad = [&](const std::string& why) { fail("load_npz", path + ": " + why); };
  const size_t size = b.size();
  auto need = [&](size_t pos, size_t n, const std::string& what) {
    if (pos > size || n > size - pos) bad("truncated or corrupt: " + what + " runs past the end of the file");
  };
  if (size >= 6 && std::memcmp(b.data(), kNpyMagic, 6) == 0) bad("this is a .npy file, not .npz: use load_npy");

  // The end record is the last 22 bytes, unless a comment (< 64 KB) follows it.
  size_t end = SIZE_MAX;
  for (size_t p = size >= 22 ? size - 22 : SIZE_MAX; p != SIZE_MAX && size - p <= 22 + 65535; --p) {
    if (get_le<uint32_t>(b.data() + p) == kEndSig) { end = p; break; }
    if (p == 0) break;
  }
  if (end == SIZE_MAX) {
    if (size >= 4 && get_le<uint32_t>(b.data()) == kLocalSig) bad("truncated: the zip archive has no end record");
    bad("not a .npz file (not a zip archive)");
  }
  const uint16_t count = get_le<uint16_t>(b.data() + end + 10);
  size_t pos = get_le<uint32_t>(b.data() + end + 16);
  if (count == 0xFFFF || pos == 0xFFFFFFFF) bad("zip64 archives (over 4 GB or 65535 arrays) are not supported");

  std::map<std::string, Tensor> out;
  for (uint16_t i = 0; i < count; ++i) {
    need(pos, 46, "central directory entry " + std::to_string(i));
    const uint8_t* e = b.data() + pos;
    if (get_le<uint32_t>(e) != kCentralSig) bad("corrupt central directory");
    const uint16_t flags = get_le<uint16_t>(e + 8), method = get_le<uint16_t>(e + 10);
    const uint32_t crc = get_le<uint32_t>(e + 16);
    uint64_t csize = get_le<uint32_t>(e + 20), usize = get_le<uint32_t>(e + 24);
    const uint16_t name_len = get_le<uint16_t>(e + 28), extra_len = get_le<uint16_t>(e + 30),
                   comment_len = get_le<uint16_t>(e + 32);
    uint64_t local = get_le<uint32_t>(e + 42);
    need(pos + 46, (size_t)name_len + extra_len, "central directory entry " + std::to_string(i));
    const std::string name((const char*)e + 46, name_len);
    // Sizes that do not fit 32 bits are 0xFFFFFFFF here and sit in the zip64
    // extra field (id 1), in this order, only those that overflowed.
    for (size_t x = 0; x + 4 <= extra_len;) {
      const uint8_t* f = e + 46 + name_len + x;
      uint16_t id = get_le<uint16_t>(f), len = get_le<uint16_t>(f + 2);
      if (id == 1) {
        size_t k = 4;
        for (uint64_t* v : {&usize, &csize, &local})
          if (*v == 0xFFFFFFFF && k + 8 <= 4u + len && x + k + 8 <= extra_len) { *v = get_le<uint64_t>(f + k); k += 8; }
      }
      x += 4 + len;
    }
    pos += 46 + name_len + extra_len + comment_len;
    if (flags & 1) bad("entry '" + name + "' is encrypted");

    need(local, 30, "entry '" + name + "'");
    if (get_le<uint32_t>(b.data() + local) != kLocalSig) bad("corrupt local header for '" + name + "'");
    const size_t data_pos = local + 30 + get_le<uint16_t>(b.data() + local + 26) + get_le<uint16_t>(b.data() + local + 28);
    need(data_pos, csize, "the data of '" + name + "'");
    const uint8_t* src = b.data() + data_pos;

    std::vector<uint8_t> inflated;
    if (method == 8) {  // deflate, raw (no zlib header): window bits -15
      if (usize > csize * 1032 + 1024) bad("corrupt: entry '" + name + "' claims an impossible size");
      inflated.resize(usize);
      z_stream zs{};
      if (inflateInit2(&zs, -15) != Z_OK) bad("zlib could not start inflating");
      zs.next_in = const_cast<Bytef*>(src);
      zs.avail_in = (uInt)csize;
      zs.next_out = inflated.data();
      zs.avail_out = (uInt)usize;
      int rc = inflate(&zs, Z_FINISH);
      uint64_t produced = zs.total_out;
      inflateEnd(&zs);
      if (rc != Z_STREAM_END || produced != usize) bad("corrupt: entry '" + name + "' does not inflate");
      src = inflated.data();
    } else if (method != 0) {
      bad("entry '" + name + "' uses compression method " + std::to_string(method) +
          "; only stored (0) and deflate (8) are supported");
    } else if (csize != usize) {
      bad("corrupt: stored entry '" + name + "' has different sizes");
    }
    if ((uint32_t)crc32_z(crc32_z(0, nullptr, 0), src, usize) != crc) bad("corrupt: CRC mismatch in entry '" + name + "'");

    std::string key = name;
    if (key.size() > 4 && key.compare(key.size() - 4, 4, ".npy") == 0) key.resize(key.size() - 4);
    out[key] = decode_npy(src, usize, path + ": " + name);
  }
  return out;
}

}  // namespace latent
