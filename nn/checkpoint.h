// latent/nn — checkpoints: named tensors in one binary file, written atomically.
//
//   save_checkpoint("runs/ch03/mlp/last.ckpt", model, &opt, &gen, {{"epoch", 7}});
//   ...                                          // crash, reboot, come back
//   auto meta = load_checkpoint("runs/ch03/mlp/last.ckpt", model, &opt, &gen);
//   int start_epoch = (int)meta["epoch"] + 1;    // training continues bit for bit
//
// File layout (format version 1). Every integer is little-endian; "u32" is an
// unsigned 32-bit integer, "i64" a signed 64-bit one, and so on.
//
//   offset  size  field
//   0       8     magic, the ASCII bytes "LATENTCK"
//   8       4     u32 format version (1)
//   12      8     u64 total file size in bytes, this CRC-32 trailer included
//   20      8     u64 number of entries
//   28      ...   the entries, one after another, each:
//                   u32  name length L, then L bytes of name (UTF-8, no terminator)
//                   u32  dtype code: 0 = float32, 1 = float64, 2 = int64
//                   u32  rank R (0 for a scalar)
//                   R x i64 sizes of the axes
//                   u64  byte length B = product(sizes) * element size
//                   B    the elements, row-major (C order), little-endian
//   size-4  4     u32 CRC-32 (zlib's crc32, the one in PNG and zip) of every
//                 byte before it
//
// The total size is in the header so that a truncated file is told apart from
// a corrupted one (and the message can say how many bytes are missing). A
// reader in Python, for the curious:
//
//   import struct, zlib, numpy as np
//   def load_latent(path):
//       b = open(path, "rb").read()
//       assert b[:8] == b"LATENTCK"
//       version, size, count = struct.unpack_from("<IQQ", b, 8)
//       assert version == 1 and size == len(b)
//       assert zlib.crc32(b[:-4]) == struct.unpack_from("<I", b, len(b) - 4)[0]
//       pos, out = 28, {}
//       for _ in range(count):
//           (n,) = struct.unpack_from("<I", b, pos); pos += 4
//           name = b[pos:pos + n].decode(); pos += n
//           code, rank = struct.unpack_from("<II", b, pos); pos += 8
//           shape = struct.unpack_from("<%dq" % rank, b, pos); pos += 8 * rank
//           (nbytes,) = struct.unpack_from("<Q", b, pos); pos += 8
//           dt = ["<f4", "<f8", "<i8"][code]
//           out[name] = np.frombuffer(b, dt, nbytes // np.dtype(dt).itemsize, pos).reshape(shape)
//           pos += nbytes
//       return out
//
// Saving is atomic: the bytes go to "<path>.tmp.<pid>", are flushed to the disk
// (fsync), and only then renamed over <path>. rename() replaces a file in one
// step, so a crash at any moment leaves either the old checkpoint or the new
// one, never half of each. Loading checks everything it can (magic, version,
// size, CRC, dtype codes, shapes) and says which file and what is wrong.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/optim.h"
#include "tensor/random.h"

namespace latent {

inline constexpr char kCheckpointMagic[9] = "LATENTCK";
inline constexpr uint32_t kCheckpointVersion = 1;

// Any named tensors (any strides: they are written row-major).
void save_tensors(const std::string& path, const std::map<std::string, Tensor>& tensors);
std::map<std::string, Tensor> load_tensors(const std::string& path);

// A whole training state in one file, under these names:
//   "model.<parameter or buffer name>"   Module::state_dict()
//   "optim.<key>"                        Optimizer::state_dict() (step, lr, moments)
//   "rng.seed", "rng.counter"            the Generator's position (int64 bit patterns)
//   "meta.<key>"                         float64 scalars: epoch, step, best loss...
// opt and gen may be null: their entries are then not written.
void save_checkpoint(const std::string& path, const nn::Module& model,
                     const nn::Optimizer* opt = nullptr, const Generator* gen = nullptr,
                     const std::map<std::string, double>& meta = {});

// Restores the model (strictly: every parameter and buffer must be in the
// file, with its shape, and nothing else), and the optimizer and generator
// when given (the file must then hold their entries). Returns the "meta." values.
// If the model does not match, it is left exactly as it was before the call.
std::map<std::string, double> load_checkpoint(const std::string& path, nn::Module& model,
                                              nn::Optimizer* opt = nullptr,
                                              Generator* gen = nullptr);

// A fingerprint of a module's weights: FNV-1a (64-bit) over every parameter's and buffer's
// name, dtype, shape and values (row-major), cut to 52 bits so that it is an exact float64 and
// can travel in a checkpoint's "meta." entries. Equal weights give equal fingerprints; a
// chained checkpoint records the fingerprint of the weights it started from, so that it is
// never loaded on top of other ones (models/ch07's train_vae_staged).
double weights_fingerprint(const nn::Module& model);

// The whole file as bytes, for the loaders here and in npy.h and data.h. Errors
// name op and the path: missing ("cannot open: no such file"), a directory, a
// read failure.
std::vector<uint8_t> read_file_bytes(const std::string& op, const std::string& path);

}  // namespace latent
