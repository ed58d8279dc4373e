// latent/nn — pictures: PNG files and image grids (samples, filters).
//
//   write_image_grid("runs/ch05/samples.png", x.view({64, 1, 28, 28}), 8);
//   write_image_grid("runs/ch04/filters.png", W.view({500, 28, 28}), 25, true);
//
// Pixel values are in [0, 1] (0 black, 1 white); anything outside is clamped
// when written, NaN is written as black. Tensors hold images channel-first,
// [3, H, W], as the conv layers do; [H, W, 3] is accepted too.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace latent {

// 8-bit PNG of `img`: [H, W] or [1, H, W] grey, [3, H, W] or [H, W, 3] RGB.
// (A [3, H, 3] tensor is read channel-first.)
void write_png(const std::string& path, const Tensor& img);

// The same from 8-bit pixels, row-major with interleaved channels
// (1: grey, 3: RGB), for code that draws into a byte buffer (nn/plot.cpp).
void write_png_pixels(const std::string& path, int64_t width, int64_t height, int channels,
                      const uint8_t* pixels);

// Any PNG (palette, 16-bit and alpha are converted; alpha is composited on
// white) as float32 in [0, 1]: [H, W] for grey files, [3, H, W] for colour.
Tensor read_png(const std::string& path);

// Lays images out on a rows x cols grid, like tile_raster_images in the
// DeepLearningTutorials: row-major, `pad` pixels of pad_value between tiles
// (none around the outside). imgs: [N, H, W], [N, 1, H, W] or [N, 3, H, W].
// Returns float32 [rows*H + (rows-1)*pad, cols*W + (cols-1)*pad] for grey,
// [3, ...] for colour. Only the first rows*cols images are used; unused cells
// are filled with pad_value.
//
// per_tile_normalise rescales each tile to [0, 1] by its own min and max.
// Use it for weights (filters), whose values have no fixed range; leave it off
// for images already in [0, 1], where it would exaggerate faint samples.
Tensor tile_images(const Tensor& imgs, int64_t rows, int64_t cols, int64_t pad = 1,
                   bool per_tile_normalise = false, double pad_value = 1.0);

// tile_images with ceil(N / cols) rows, written as a PNG.
void write_image_grid(const std::string& path, const Tensor& imgs, int64_t cols,
                      bool per_tile_normalise = false);

}  // namespace latent
