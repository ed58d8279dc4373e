// latent/nn — NumPy's .npy and .npz files, to trade arrays with Python.
//
//   save_npy("w.npy", model_weight);           // np.load("w.npy") in Python
//   Tensor x = load_npy("digits.npy");         // from np.save(...)
//   save_npz("run.npz", {{"mu", mu}, {"logvar", logvar}});
//   auto arrays = load_npz("data.npz");        // np.savez or np.savez_compressed
//
// A .npy file (format version 1.0, https://numpy.org/neps/nep-0001-npy-format.html):
//
//   "\x93NUMPY"  6 magic bytes
//   1, 0         major and minor format version (2.0 and 3.0 differ only in a
//                4-byte header length; we read those too)
//   u16          header length, little-endian
//   header       ASCII text of a Python dict, padded with spaces and a final
//                '\n' so the data starts at a multiple of 64 bytes:
//                {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   data         the elements, row-major unless fortran_order is True
//
// descr is the element type: '<' little-endian, 'f'/'i'/'u' float, signed,
// unsigned, then the byte size. We write '<f4', '<f8' and '<i8' (our three
// dtypes) and also read '|u1'/'<u1' (as float32, values 0..255) and '<i4' (as
// int64). Fortran-ordered (column-major) arrays are read and made row-major.
//
// A .npz file is a zip archive of .npy files, one per array, named
// "<key>.npy". We write it uncompressed ("stored"), as np.savez does, and read
// both stored entries and deflate-compressed ones (np.savez_compressed).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace latent {

void save_npy(const std::string& path, const Tensor& t);
Tensor load_npy(const std::string& path);

void save_npz(const std::string& path, const std::map<std::string, Tensor>& arrays);
std::map<std::string, Tensor> load_npz(const std::string& path);

// The .npy bytes in memory (what save_npy writes / load_npy parses). `source`
// names the data in error messages (a file name, or "a.npz: x.npy").
std::vector<uint8_t> encode_npy(const Tensor& t);
Tensor decode_npy(const uint8_t* data, size_t size, const std::string& source);

}  // namespace latent
