// latent/nn — PNG files and image grids (see image.h).
//
// PNG encoding goes through libpng's "simplified API" (png_image_*, libpng
// 1.6): one call each way, errors returned as text rather than through
// setjmp/longjmp, which would skip C++ destructors.
#include "nn/image.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace latent {

namespace {

uint8_t to_byte(float v) {
  if (!(v > 0)) return 0;  // also NaN
  if (v >= 1) return 255;
  return (uint8_t)std::lround(v * 255.0f);
}

}  // namespace

void write_png_pixels(const std::string& path, int64_t width, int64_t height, int channels,
                      const uint8_t* pixels) {
  if (channels != 1 && channels != 3) fail("write_png", path + ": channels must be 1 or 3, got " + std::to_string(channels));
  if (width <= 0 || height <= 0 || width > (1 << 24) || height > (1 << 24))
    fail("write_png", path + ": cannot write a " + std::to_string(width) + "x" + std::to_string(height) + " image");
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = (png_uint_32)width;
  image.height = (png_uint_32)height;
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("write_png", path + ": cannot open for writing: " + std::strerror(errno));
  int ok = png_image_write_to_stdio(&image, f, /*convert_to_8bit=*/0, pixels, /*row_stride=*/0, nullptr);
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) fail("write_png", path + ": " + (image.message[0] ? image.message : "writing failed (disk full?)"));
}

void write_png(const std::string& path, const Tensor& img) {
  if (!img.defined()) fail("write_png", path + ": the image tensor is undefined");
  const Shape& s = img.shape();
  Tensor hwc;  // [H, W, C]: the byte order PNG wants
  if (img.dim() == 2) hwc = img.unsqueeze(2);
  else if (img.dim() == 3 && (s[0] == 1 || s[0] == 3)) hwc = img.permute({1, 2, 0});
  else if (img.dim() == 3 && (s[2] == 1 || s[2] == 3)) hwc = img;
  else
    fail("write_png", path + ": expected an image [H,W], [1,H,W], [3,H,W] or [H,W,3], got shape " + shape_str(s));
  hwc = hwc.to(DType::f32).contiguous();
  const float* p = hwc.data<float>();
  std::vector<uint8_t> bytes(hwc.numel());
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = to_byte(p[i]);
  write_png_pixels(path, hwc.size(1), hwc.size(0), (int)hwc.size(2), bytes.data());
}

Tensor read_png(const std::string& path) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail("read_png", path + ": cannot open: " + std::strerror(errno));
  if (!png_image_begin_read_from_stdio(&image, f)) {
    std::fclose(f);
    fail("read_png", path + ": " + image.message);
  }
  const bool colour = image.format & PNG_FORMAT_FLAG_COLOR;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;  // 8-bit, alpha composited
  std::vector<uint8_t> bytes(PNG_IMAGE_SIZE(image));
  const png_color white = {255, 255, 255};
  int ok = png_image_finish_read(&image, &white, bytes.data(), 0, nullptr);
  std::fclose(f);
  if (!ok) fail("read_png", path + ": " + image.message);

  const int64_t h = image.height, w = image.width, c = colour ? 3 : 1;
  Tensor hwc({h, w, c}, DType::f32);
  float* out = hwc.data<float>();
  for (size_t i = 0; i < bytes.size(); ++i) out[i] = bytes[i] / 255.0f;
  return colour ? hwc.permute({2, 0, 1}).contiguous() : hwc.view({h, w});
}

Tensor tile_images(const Tensor& imgs, int64_t rows, int64_t cols, int64_t pad, bool per_tile_normalise,
                   double pad_value) {
  if (!imgs.defined()) fail("tile_images", "the images tensor is undefined");
  Tensor x = imgs;
  if (x.dim() == 3) x = x.unsqueeze(1);  // [N, H, W] -> [N, 1, H, W]
  if (x.dim() != 4 || (x.size(1) != 1 && x.size(1) != 3)) {
    std::string hint = imgs.dim() == 2 ? " (flat rows? reshape them first, e.g. x.view({N, 28, 28}))" : "";
    fail("tile_images", "expected images [N,H,W], [N,1,H,W] or [N,3,H,W], got shape " + shape_str(imgs.shape()) + hint);
  }
  if (rows <= 0 || cols <= 0 || pad < 0)
    fail("tile_images", "need rows > 0, cols > 0 and pad >= 0, got rows " + std::to_string(rows) + ", cols " +
                            std::to_string(cols) + ", pad " + std::to_string(pad));
  x = x.to(DType::f32).contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t out_h = rows * h + (rows - 1) * pad, out_w = cols * w + (cols - 1) * pad;
  Tensor out = full({c, out_h, out_w}, pad_value, DType::f32);
  float* o = out.data<float>();
  const float* src = x.data<float>();
  const int64_t tile = c * h * w;

  for (int64_t k = 0; k < std::min(n, rows * cols); ++k) {
    const float* t = src + k * tile;
    float lo = 0, scale = 1;
    if (per_tile_normalise) {
      // Min and max over the tile's finite values (all channels together, so
      // colours keep their balance).
      float mn = INFINITY, mx = -INFINITY;
      for (int64_t i = 0; i < tile; ++i)
        if (std::isfinite(t[i])) { mn = std::min(mn, t[i]); mx = std::max(mx, t[i]); }
      lo = std::isfinite(mn) ? mn : 0;
      scale = (std::isfinite(mx) && mx > mn) ? 1 / (mx - mn) : 0;  // a flat tile is shown black
    }
    const int64_t top = (k / cols) * (h + pad), left = (k % cols) * (w + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t r = 0; r < h; ++r)
        for (int64_t col = 0; col < w; ++col)
          o[(ch * out_h + top + r) * out_w + left + col] = (t[(ch * h + r) * w + col] - lo) * scale;
  }
  return c == 1 ? out.view({out_h, out_w}) : out;
}

void write_image_grid(const std::string& path, const Tensor& imgs, int64_t cols, bool per_tile_normalise) {
  if (!imgs.defined() || imgs.dim() < 3 || imgs.size(0) == 0)
    fail("write_image_grid", path + ": expected a non-empty batch of images [N,H,W] or [N,C,H,W]" +
                                 (imgs.defined() ? ", got shape " + shape_str(imgs.shape()) : std::string()));
  if (cols <= 0) fail("write_image_grid", path + ": cols must be positive, got " + std::to_string(cols));
  const int64_t n = imgs.size(0);
  cols = std::min(cols, n);
  write_png(path, tile_images(imgs, (n + cols - 1) / cols, cols, 1, per_tile_normalise));
}

}  // namespace latent
