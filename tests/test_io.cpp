// nn files and pictures: checkpoints (round trips, bit-identical resume,
// atomic saves, every corruption rejected with its reason), .npy/.npz against
// golden files written by NumPy, PNG, image grids, plots, metrics logs,
// progress bar and divergence checks.
//
// The golden files in tests/data/npy/ were made once with NumPy 1.24:
//   a = np.array([[-1.5, 0, 0.25], [1e-3, 3.5, -7]], '<f4')
//   b = np.array([-(2**63), -1, 0, 2**62 + 1], '<i8')
//   np.save("f4_2x3.npy", a); np.save("i8_vec.npy", b)
//   np.save("f8_vec.npy", np.array([np.pi, -np.e, 1e300, 5e-324], '<f8'))
//   np.save("i4_2x2.npy", np.array([[1, -2], [2**31 - 1, -2**31]], '<i4'))
//   np.save("u1_4x4.npy", np.arange(0, 256, 17, dtype='u1').reshape(4, 4))
//   np.save("f4_fortran.npy", np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)))
//   np.save("f8_scalar.npy", np.array(2.5)); np.save("f4_empty.npy", np.zeros((0, 3), '<f4'))
//   np.save("be_f4.npy", np.array([1, 2], '>f4')); np.save("f2_vec.npy", np.array([1, 2], '<f2'))
//   np.savez("stored.npz", a=a, b=b)
//   np.savez_compressed("compressed.npz", a=a, b=b, img=np.arange(0, 256, 17, dtype='u1').reshape(4, 4))
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "nn/checkpoint.h"
#include "nn/image.h"
#include "nn/layers.h"
#include "nn/loss.h"
#include "nn/metrics.h"
#include "nn/npy.h"
#include "nn/plot.h"
#include "nn/progress.h"

using namespace latent;
using namespace latent::test;
namespace fs = std::filesystem;

namespace {

struct TempDir {  // removed with everything in it at the end of a test
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("latent_test_io_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void spit(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

// Same dtype, shape and bytes (so NaN payloads and -0.0 count).
bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.raw(), y.raw(), x.numel() * dtype_size(x.dtype())) == 0;
}
bool same_state(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (auto& [k, t] : a)
    if (!b.count(k) || !bit_equal(t, b.at(k))) return false;
  return true;
}

// A checkpoint file's bytes with its CRC recomputed after an edit, so the
// reader gets past the checksum to the check under test.
std::string with_fixed_crc(std::string b) {
  uint32_t crc = (uint32_t)crc32(0, reinterpret_cast<const Bytef*>(b.data()), (uInt)b.size() - 4);
  std::memcpy(&b[b.size() - 4], &crc, 4);
  return b;
}

std::shared_ptr<nn::Sequential> tiny_mlp(int64_t hidden = 5) {
  return std::make_shared<nn::Sequential>(std::vector<nn::ModulePtr>{
      nn::make<nn::Linear>(3, hidden), nn::make<nn::Tanh>(), nn::make<nn::Linear>(hidden, 2)});
}
void train_step(nn::Module& m, nn::Optimizer& opt, uint64_t seed) {
  Generator g(seed);
  Var x(normal({4, 3}, 0, 1, DType::f32, &g)), y(normal({4, 2}, 0, 1, DType::f32, &g));
  opt.zero_grad();
  nn::mse_loss(m(x), y).backward();
  opt.step();
}

// int64 values built directly: from_vector_i goes through double, which
// cannot hold every int64 (INT64_MAX among them).
Tensor int64s(const std::vector<int64_t>& v, const Shape& shape) {
  Tensor t(shape, DType::i64);
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

const std::string kGolden = std::string(LATENT_SOURCE_DIR) + "/tests/data/npy/";

}  // namespace

TEST_CASE("save_tensors/load_tensors round trip every dtype and odd shapes") {
  TempDir tmp;
  Generator g(1);
  Tensor m = uniform({3, 4}, -1, 1, DType::f32, &g);
  std::map<std::string, Tensor> in = {
      {"f32", m},
      {"f32.transposed", m.t()},  // a strided view is written row-major
      {"f64.scalar", scalar(-0.0, DType::f64)},
      {"f64.special", from_vector({NAN, INFINITY, -INFINITY, 5e-324}, {4}, DType::f64)},
      {"i64", int64s({INT64_MIN, -1, 0, INT64_MAX}, {2, 2})},
      {"i64.empty", zeros({0, 4}, DType::i64)},
      {"f32.empty", zeros({2, 0, 3})},
      {"unicode name é", ones({1})}};
  save_tensors(tmp / "t.ckpt", in);
  auto out = load_tensors(tmp / "t.ckpt");
  CHECK(same_state(in, out));
  CHECK(out.at("f32.transposed").shape() == Shape{4, 3});
  save_tensors(tmp / "none.ckpt", {});
  CHECK(load_tensors(tmp / "none.ckpt").empty());
  CHECK(fs::file_size(tmp / "none.ckpt") == 32);  // header + CRC
  for (auto& e : fs::directory_iterator(tmp.path))  // no temporary file left behind
    CHECK(e.path().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("checkpoint: model + Adam + generator resume bit for bit") {
  TempDir tmp;
  auto a = tiny_mlp();
  nn::Adam opt_a(a->parameters(), 1e-2);
  for (uint64_t s = 0; s < 3; ++s) train_step(*a, opt_a, s);
  Generator gen(0xFFFFFFFFFFFFFF01ull);  // above 2^53: must survive exactly
  gen.reserve(77);
  save_checkpoint(tmp / "ck", *a, &opt_a, &gen, {{"epoch", 3}, {"best", 0.125}});

  auto b = tiny_mlp();
  nn::Adam opt_b(b->parameters(), 0.5);
  Generator gen_b;
  auto meta = load_checkpoint(tmp / "ck", *b, &opt_b, &gen_b);
  CHECK(meta == std::map<std::string, double>{{"best", 0.125}, {"epoch", 3}});
  CHECK(same_state(a->state_dict(), b->state_dict()));
  CHECK(same_state(opt_a.state_dict(), opt_b.state_dict()));
  CHECK(opt_b.lr() == 1e-2);
  CHECK(opt_b.steps() == 3);
  CHECK(gen_b.seed() == gen.seed());
  CHECK(gen_b.counter() == 77);

  train_step(*a, opt_a, 99);  // one more step from both: identical
  train_step(*b, opt_b, 99);
  CHECK(same_state(a->state_dict(), b->state_dict()));
  CHECK(same_state(opt_a.state_dict(), opt_b.state_dict()));

  // Without optimizer or generator in the file, asking for them is an error.
  save_checkpoint(tmp / "model_only", *a);
  check_error([&] { load_checkpoint(tmp / "model_only", *b, &opt_b); }, {"model_only", "no optimizer state"});
  check_error([&] { load_checkpoint(tmp / "model_only", *b, nullptr, &gen_b); }, {"no random generator state"});
  load_checkpoint(tmp / "model_only", *b);
}

TEST_CASE("weights_fingerprint: equal weights agree, one changed bit or a loaded file is seen") {
  TempDir tmp;
  auto a = tiny_mlp(), b = tiny_mlp();
  const double fa = weights_fingerprint(*a);
  CHECK(fa != weights_fingerprint(*b));  // two draws of initial weights
  b->load_state_dict(a->state_dict());
  CHECK(fa == weights_fingerprint(*b));  // a copy: the same weights
  CHECK(fa >= 0);
  CHECK(fa < 4503599627370496.0);  // 2^52: exact as a checkpoint's float64 meta value
  CHECK(fa == std::floor(fa));
  nn::Adam opt(b->parameters(), 1e-2);
  train_step(*b, opt, 0);
  const double fb = weights_fingerprint(*b);
  CHECK(fb != fa);
  save_checkpoint(tmp / "b", *b, nullptr, nullptr, {{"start", fb}});
  CHECK(load_checkpoint(tmp / "b", *a).at("start") == fb);  // survives the file exactly
  CHECK(weights_fingerprint(*a) == fb);
  // One weight nudged by one unit in the last place.
  Tensor w = a->named_parameters().front().second.data();
  float* p = w.data<float>();
  p[0] = std::nextafter(p[0], INFINITY);
  CHECK(weights_fingerprint(*a) != fb);
}

TEST_CASE("checkpoint: a failed save leaves the previous checkpoint intact") {
  TempDir tmp;
  auto a = tiny_mlp();
  const std::string path = tmp / "last.ckpt";
  save_checkpoint(path, *a, nullptr, nullptr, {{"epoch", 1}});
  const std::string before = slurp(path);
  // Block the temporary file's name with a directory: the write must fail.
  const std::string blocker = path + ".tmp." + std::to_string(::getpid());
  fs::create_directories(blocker + "/inside");
  auto changed = tiny_mlp();
  check_error([&] { save_checkpoint(path, *changed, nullptr, nullptr, {{"epoch", 2}}); },
              {"last.ckpt", "cannot create the temporary file"});
  CHECK(fs::is_directory(blocker + "/inside"));  // not ours to delete
  CHECK(slurp(path) == before);
  auto b = tiny_mlp();
  CHECK(load_checkpoint(path, *b).at("epoch") == 1);
  CHECK(same_state(a->state_dict(), b->state_dict()));
  // An error raised while writing (an undefined tensor) also leaves it alone.
  check_error([&] { save_tensors(path, {{"x", Tensor()}}); }, {"undefined"});
  CHECK(slurp(path) == before);
}

TEST_CASE("checkpoint: every kind of damage is rejected with its reason") {
  TempDir tmp;
  const std::string good = tmp / "good", bad = tmp / "bad";
  save_tensors(good, {{"x", from_vector({1, 2, 3}, {3})}});
  const std::string b = slurp(good);  // 28 header + (4+1+4+4+8+8+12) entry + 4 CRC = 73
  REQUIRE(b.size() == 73);
  auto rejects = [&](const std::string& bytes, std::vector<std::string> why) {
    spit(bad, bytes);
    why.insert(why.begin(), "load_tensors: " + bad);
    check_error([&] { load_tensors(bad); }, why);
  };
  rejects("", {"truncated", "at least 32 bytes", "has 0"});
  rejects(b.substr(0, 5), {"truncated"});
  rejects(b.substr(0, 20), {"truncated", "has 20"});
  for (size_t cut : {40, 60, 72}) rejects(b.substr(0, cut), {"truncated: expected 73 bytes, the file has " + std::to_string(cut)});
  rejects(b + "x", {"corrupt", "header says 73"});
  rejects("PNG and other things entirely", {"not a latent checkpoint"});
  std::string flipped = b;
  flipped[60] ^= 0x10;
  rejects(flipped, {"corrupt: CRC mismatch"});
  std::string magic = b;
  magic[0] = 'X';
  rejects(magic, {"not a latent checkpoint"});
  std::string version = b;
  version[8] = 9;
  rejects(version, {"unknown format version 9"});
  std::string dtype = b;
  dtype[33] = 7;  // after the name length (28..31) and the name "x" (32)
  rejects(with_fixed_crc(dtype), {"entry 'x'", "unknown dtype code 7"});
  std::string length = b;
  length[49] = 16;  // the byte length, 12 -> 16
  rejects(with_fixed_crc(length), {"entry 'x'", "shape [3]", "byte length of 16"});
  check_error([&] { load_tensors(tmp / "missing"); }, {"missing", "cannot open"});

  // Through load_checkpoint: a model of another shape, missing or extra layers.
  auto model = tiny_mlp(5);
  save_checkpoint(good, *model);
  auto other = tiny_mlp(4);
  auto other_before = other->state_dict();
  for (auto& [k, t] : other_before) t = t.clone();
  check_error([&] { load_checkpoint(good, *other); }, {good, "does not match", "shape"});
  CHECK(same_state(other->state_dict(), other_before));  // untouched by the failed load
  nn::Sequential bigger({nn::make<nn::Linear>(3, 5), nn::make<nn::Tanh>(), nn::make<nn::Linear>(5, 2), nn::make<nn::Linear>(2, 2)});
  check_error([&] { load_checkpoint(good, bigger); }, {"missing entry '3.bias'"});
  nn::Sequential smaller({nn::make<nn::Linear>(3, 5)});
  check_error([&] { load_checkpoint(good, smaller); }, {"unexpected entry '2.bias'"});
  save_tensors(bad, {{"weights.0", zeros({1})}});
  check_error([&] { load_checkpoint(bad, *model); }, {"unexpected entry 'weights.0'"});
}

TEST_CASE("npy/npz: NumPy's golden files read exactly") {
  check_values(load_npy(kGolden + "f4_2x3.npy"), {-1.5, 0, 0.25, 1e-3, 3.5, -7});
  CHECK(load_npy(kGolden + "f4_2x3.npy").at({1, 0}) == (double)1e-3f);
  Tensor f8 = load_npy(kGolden + "f8_vec.npy");
  CHECK(f8.dtype() == DType::f64);
  CHECK(f8.to_vector() == std::vector<double>{M_PI, -M_E, 1e300, 5e-324});
  Tensor i8 = load_npy(kGolden + "i8_vec.npy");
  CHECK(i8.dtype() == DType::i64);
  CHECK(i8.data<int64_t>()[0] == INT64_MIN);
  CHECK(i8.data<int64_t>()[3] == (int64_t(1) << 62) + 1);
  Tensor i4 = load_npy(kGolden + "i4_2x2.npy");  // int32 -> int64
  CHECK(i4.dtype() == DType::i64);
  CHECK(i4.to_vector() == std::vector<double>{1, -2, 2147483647, -2147483648.0});
  Tensor u1 = load_npy(kGolden + "u1_4x4.npy");  // uint8 -> float32, not rescaled
  CHECK(u1.dtype() == DType::f32);
  CHECK(u1.shape() == Shape{4, 4});
  CHECK(u1.at({3, 3}) == 255);
  CHECK(u1.at({0, 1}) == 17);
  Tensor fo = load_npy(kGolden + "f4_fortran.npy");  // column-major in the file
  CHECK(fo.shape() == Shape{2, 3, 4});
  CHECK(bit_equal(fo, arange(0, 24).reshape({2, 3, 4})));
  Tensor sc = load_npy(kGolden + "f8_scalar.npy");
  CHECK(sc.dim() == 0);
  CHECK(sc.item() == 2.5);
  CHECK(load_npy(kGolden + "f4_empty.npy").shape() == Shape{0, 3});
  check_error([&] { load_npy(kGolden + "be_f4.npy"); }, {"be_f4.npy", "big-endian", ">f4"});
  check_error([&] { load_npy(kGolden + "f2_vec.npy"); }, {"unsupported dtype '<f2'"});

  for (const char* name : {"stored.npz", "compressed.npz"}) {
    auto z = load_npz(kGolden + name);
    CHECK(bit_equal(z.at("a"), load_npy(kGolden + "f4_2x3.npy")));
    CHECK(bit_equal(z.at("b"), load_npy(kGolden + "i8_vec.npy")));
  }
  CHECK(bit_equal(load_npz(kGolden + "compressed.npz").at("img"), load_npy(kGolden + "u1_4x4.npy")));
  // What we write for this array is byte for byte what NumPy wrote.
  std::vector<uint8_t> mine = encode_npy(load_npy(kGolden + "f4_2x3.npy"));
  CHECK(std::string(mine.begin(), mine.end()) == slurp(kGolden + "f4_2x3.npy"));
}

TEST_CASE("npy/npz: round trips and damaged files") {
  TempDir tmp;
  Generator g(2);
  Tensor m = normal({3, 5}, 0, 1, DType::f64, &g);
  std::map<std::string, Tensor> arrays = {{"m", m.t()}, {"labels", from_vector_i({3, 1, 4}, {3})},
                                          {"s", scalar(1.5)}, {"empty", zeros({0})}};
  for (auto& [k, t] : arrays) {
    save_npy(tmp / "x.npy", t);
    CHECK(bit_equal(load_npy(tmp / "x.npy"), t));
  }
  std::vector<uint8_t> enc = encode_npy(from_vector_i({3, 1, 4}, {3}));
  uint16_t hlen;
  std::memcpy(&hlen, enc.data() + 8, 2);
  CHECK((10 + hlen) % 64 == 0);
  CHECK(std::string(enc.begin() + 10, enc.begin() + 10 + hlen).find("'descr': '<i8', 'fortran_order': False, 'shape': (3,), }") != std::string::npos);
  save_npz(tmp / "x.npz", arrays);
  CHECK(same_state(load_npz(tmp / "x.npz"), arrays));

  const std::string npy = slurp(kGolden + "f4_2x3.npy"), bad = tmp / "bad";
  spit(bad, npy.substr(0, npy.size() - 3));
  check_error([&] { load_npy(bad); }, {bad, "truncated", "needs 24 data bytes, 21 are present"});
  spit(bad, npy.substr(0, 50));
  check_error([&] { load_npy(bad); }, {"truncated", "header"});
  spit(bad, "PK\x03\x04 not numpy at all");
  check_error([&] { load_npy(bad); }, {"not a .npy file"});
  const std::string npz = slurp(kGolden + "stored.npz");
  spit(bad, npz.substr(0, npz.size() - 30));
  check_error([&] { load_npz(bad); }, {"load_npz", "truncated"});
  std::string flipped = npz;
  flipped[200] ^= 1;  // inside array a's data
  spit(bad, flipped);
  check_error([&] { load_npz(bad); }, {"CRC mismatch in entry 'a.npy'"});
  check_error([&] { load_npz(kGolden + "f4_2x3.npy"); }, {"use load_npy"});
}

TEST_CASE("png: write then read back, grey and colour") {
  TempDir tmp;
  Tensor grey({5, 7}, DType::f32);
  for (int64_t i = 0; i < 35; ++i) grey.data<float>()[i] = (float)(i * 7 % 256) / 255.0f;
  write_png(tmp / "g.png", grey);
  CHECK(bit_equal(read_png(tmp / "g.png"), grey));
  Generator g(3);
  Tensor rgb = uniform({3, 4, 6}, 0, 1, DType::f32, &g);
  write_png(tmp / "c.png", rgb);
  Tensor back = read_png(tmp / "c.png");
  CHECK(back.shape() == Shape{3, 4, 6});
  check_close(back, rgb, 0.5 / 255 + 1e-6, 0);
  write_png(tmp / "hwc.png", rgb.permute({1, 2, 0}));  // [H, W, 3] is the same picture
  CHECK(bit_equal(read_png(tmp / "hwc.png"), back));
  write_png(tmp / "clamp.png", from_vector({-1, 2, NAN, 0.5}, {1, 4}));
  check_values(read_png(tmp / "clamp.png"), {0, 1, 0, 128 / 255.0});
  check_error([&] { write_png(tmp / "x.png", zeros({2, 4, 4})); }, {"x.png", "expected an image", "[2,4,4]"});
  spit(tmp / "not.png", "hello");
  check_error([&] { read_png(tmp / "not.png"); }, {"read_png", "not.png"});
}

TEST_CASE("tile_images: tiles in row-major cells, padding between them") {
  Tensor imgs = arange(0, 12).reshape({3, 1, 2, 2});  // three 2x2 tiles: 0..3, 4..7, 8..11
  Tensor t = tile_images(imgs, 2, 2, 1, false, /*pad_value=*/-1);
  REQUIRE(t.shape() == Shape{5, 5});
  check_values(t, {0, 1, -1, 4, 5,    //
                   2, 3, -1, 6, 7,    //
                   -1, -1, -1, -1, -1,  // the padding row
                   8, 9, -1, -1, -1,  //
                   10, 11, -1, -1, -1});  // the fourth cell is empty
  Tensor filters = from_vector({2, 4, 6, 8, -1, -1, -1, -1}, {2, 2, 2});  // [N, H, W]
  Tensor n = tile_images(filters, 1, 2, 0, /*per_tile_normalise=*/true);
  check_values(n, {0, 1.0 / 3, 0, 0, 2.0 / 3, 1, 0, 0}, 1e-6);  // a flat tile shows black
  Tensor c = tile_images(ones({2, 3, 2, 2}), 1, 2, 1, false, 0.0);
  CHECK(c.shape() == Shape{3, 2, 5});
  CHECK(c.at({1, 0, 2}) == 0);
  CHECK(c.at({2, 1, 4}) == 1);
  check_error([&] { tile_images(zeros({4, 784}), 2, 2); }, {"tile_images", "[4,784]", "reshape"});
  TempDir tmp;
  write_image_grid(tmp / "grid.png", uniform({10, 1, 8, 8}), 4, true);
  CHECK(read_png(tmp / "grid.png").shape() == Shape{3 * 8 + 2, 4 * 8 + 3});
}

TEST_CASE("plots: SVG and PNG") {
  TempDir tmp;
  std::vector<Series> s = {{"train loss", {1, 2, 3, 4}, {2.0, 1.0, NAN, 0.5}},
                           {"valid<loss>", {1, 2, 3, 4}, {2.5, 1.5, 1.0, 0.9}}};
  write_svg_plot(tmp / "p.svg", "Loss & more", "epoch", "loss", s);
  std::string svg = slurp(tmp / "p.svg");
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  for (const char* part : {"train loss", "valid&lt;loss&gt;", "Loss &amp; more", "#1f77b4", "#ff7f0e", ">epoch<"})
    CHECK_MESSAGE(svg.find(part) != std::string::npos, part);
  size_t polylines = 0;
  for (size_t p = 0; (p = svg.find("<polyline", p)) != std::string::npos; ++p) ++polylines;
  CHECK(polylines == 2);  // train loss: one 2-point run, then a lone point (a circle); valid: one run
  CHECK(svg.find("<circle") != std::string::npos);
  write_svg_plot(tmp / "log.svg", "", "", "", {{"x", {0, 1, 2}, {0.0, 1e-3, 10}}}, /*logy=*/true);
  CHECK(slurp(tmp / "log.svg").find(">0.01<") != std::string::npos);

  write_png_plot(tmp / "p.png", "Loss", "epoch", "loss", s);
  Tensor img = read_png(tmp / "p.png");
  REQUIRE(img.shape() == Shape{3, 450, 720});
  Tensor blue = mul(mul(eq(img.select(0, 0), scalar(0x1f / 255.0f)), eq(img.select(0, 1), scalar(0x77 / 255.0f))),
                    eq(img.select(0, 2), scalar(0xb4 / 255.0f)));
  CHECK(sum(blue).item() > 50);  // the first series was drawn in its colour
  check_error([&] { write_svg_plot(tmp / "bad.svg", "", "", "", {{"oops", {1, 2}, {1}}}); }, {"oops", "2 x values but 1 y"});
}

TEST_CASE("MetricsLog: CSV, JSONL and final JSON; plots from the CSV") {
  TempDir tmp;
  {
    MetricsLog log("ch99", "run1", {"loss", "acc"}, false, tmp.path);
    log.log(1, {{"loss", 0.5}});
    log.log(2, {{"loss", 0.25}, {"acc", 0.75}, {"lr", 0.1}});
    log.log(3, {{"loss", NAN}});
    log.write_final({{"test_acc", 0.96875}, {"epochs", 2}});
    CHECK(log.dir() == tmp.path / "ch99" / "run1");
    CHECK(slurp(log.csv_path()) == "step,loss,acc\n1,0.5,\n2,0.25,0.75\n3,nan,\n");
    CHECK(slurp(log.jsonl_path()) ==
          "{\"step\": 1, \"loss\": 0.5}\n{\"step\": 2, \"acc\": 0.75, \"loss\": 0.25, \"lr\": 0.1}\n{\"step\": 3, \"loss\": null}\n");
    CHECK(slurp(log.json_path()) == "{\n  \"epochs\": 2,\n  \"test_acc\": 0.96875\n}\n");
    auto files = plot_metrics_csv(log.csv_path(), (log.dir() / "plots" / "m_").string());
    CHECK(files.size() == 4);
    for (auto& f : files) CHECK(fs::file_size(f) > 100);
  }
  MetricsLog resumed("ch99", "run1", {"loss", "acc"}, /*resume=*/true, tmp.path);
  resumed.log(4, {{"acc", 1}});
  CHECK(slurp(resumed.csv_path()) == "step,loss,acc\n1,0.5,\n2,0.25,0.75\n3,nan,\n4,,1\n");
  CHECK(fs::exists(resumed.json_path()));
  check_error([&] { MetricsLog("ch99", "run1", {"loss"}, true, tmp.path); }, {"cannot resume", "step,loss,acc"});
  MetricsLog fresh("ch99", "run1", {"loss"}, false, tmp.path);
  CHECK(slurp(fresh.csv_path()) == "step,loss\n");
  CHECK(!fs::exists(fresh.json_path()));
  check_error([&] { MetricsLog("ch99", "r", {"a,b"}, false, tmp.path); }, {"bad column name 'a,b'"});
}

TEST_CASE("ProgressBar output, and check_finite naming the step and the tensor") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  {
    ProgressBar bar(10, {.epoch = 2, .epochs = 5, .label = "train", .interactive = 0, .out = f});
    for (int i = 1; i <= 10; ++i) bar.update(i, 2);
    CHECK(bar.mean_loss() == 5.5);
    CHECK(bar.status().find("train epoch 2/5 [####################] 10/10  loss 5.5000") == 0);
  }  // the destructor finishes the line
  std::rewind(f);
  std::string text;
  char buf[512];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  CHECK(std::count(text.begin(), text.end(), '\n') == 10);  // at 10%, 20%, ..., 90%, and the end
  CHECK(text.find("1/10") != std::string::npos);
  CHECK(text.find("took") != std::string::npos);
  CHECK(text.find('\r') == std::string::npos);
  f = std::tmpfile();
  REQUIRE(f);
  {
    ProgressBar bar(3, {.interactive = 1, .out = f});  // a terminal: one line redrawn with '\r'
    for (int i = 0; i < 3; ++i) bar.update(1.0);
  }
  std::rewind(f);
  text.clear();
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  CHECK(text.rfind('\r', 0) == 0);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(text.find("[####################] 3/3  loss 1.0000") != std::string::npos);

  Tensor w = zeros({2, 3});
  check_finite(w, "w", 7);
  check_finite(from_vector_i({1}, {1}), "labels", 7);
  w.set({1, 2}, NAN);
  check_error([&] { check_finite(w, "w", 7); }, {"training diverged: w is NaN at step 7", "[1,2]", "1 of 6"});
  check_error([&] { check_finite(Var(scalar(-INFINITY)), "loss", 3); }, {"training diverged: loss is -Inf at step 3"});
  auto m = tiny_mlp();
  nn::Adam opt(m->parameters());
  train_step(*m, opt, 0);
  check_finite(*m, 1);
  Tensor g = (*m)[2]->named_parameters()[1].second.grad().data();  // a view: writes reach the gradient
  g.fill_(INFINITY);
  check_error([&] { check_finite(*m, 12); }, {"the gradient of '2.bias' is +Inf at step 12"});
  Tensor w0 = m->named_parameters()[0].second.data();
  w0.set({0, 0}, NAN);
  check_error([&] { check_finite(*m, 13); }, {"parameter '0.weight' is NaN at step 13"});
}
