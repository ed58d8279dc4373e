// Chapter 07 tests, training in stages: Burda et al.'s schedule, and a staged run that stops
// after a stage and resumes from its checkpoint, rejecting checkpoints that do not fit.
#include <cmath>
#include <filesystem>
#include <unistd.h>

#include "helpers.h"
#include "models/ch07/vae.h"
#include "nn/checkpoint.h"
#include "nn/data.h"

using namespace latent;
using namespace latent::models;
using latent::test::check_error;
namespace fs = std::filesystem;

namespace {

// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("latent_ch07_" + name + "_" + std::to_string(getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// Copies of every tensor (state_dict() shares memory with the live parameters).
std::map<std::string, Tensor> snapshot(const Vae& v) {
  std::map<std::string, Tensor> out;
  for (const auto& [name, t] : v.state_dict()) out.emplace(name, t.clone());
  return out;
}

bool same(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, t] : a)
    if (!b.count(name) || max(abs(t - b.at(name))).item() != 0.0) return false;
  return true;
}

}  // namespace

TEST_CASE("ch07: Burda et al.'s schedule is 3^i epochs at 1e-3 * 10^(-i/7), 3,280 epochs in 8 stages") {
  const std::vector<VaeStage> b = burda_schedule();
  REQUIRE(b.size() == 8);
  int64_t total = 0;
  for (const VaeStage& s : b) total += s.epochs;
  CHECK(total == 3280);
  CHECK(b[7].epochs == 2187);
  CHECK(b[0].lr == doctest::Approx(1e-3).epsilon(1e-12));
  CHECK(b[7].lr == doctest::Approx(1e-4).epsilon(1e-12));
  CHECK(b[3].lr == doctest::Approx(1e-3 * std::pow(10.0, -3.0 / 7.0)).epsilon(1e-12));
  check_error([] { burda_schedule(0); }, {"burda_schedule", "stages"});
}

TEST_CASE("ch07: a staged run stops after a stage and resumes from its checkpoint; misfit files are refused") {
  TempDir dir("staged");
  const std::string prefix = (dir.path / "vae_").string();
  Mnist m = load_mnist_embedded();
  const Tensor X = m.train.images.slice(0, 0, 200).reshape({200, 784});
  VaeConfig cfg;
  cfg.hidden = 16, cfg.latent = 3, cfg.depth = 2, cfg.tanh = true;
  VaeTrainOptions opt;
  opt.batch_size = 50, opt.binarize = true, opt.seed = 5;
  const std::vector<VaeStage> two = burda_schedule(2);  // 1 epoch at 1e-3, then 3 at 7.2e-4

  Vae straight(cfg);  // both stages in one go, no files
  CHECK(train_vae_staged(straight, X, Tensor(), two, opt) == 0);

  Vae first(cfg);  // stage 0 only, written to a file: the run "stops" there
  CHECK(train_vae_staged(first, X, Tensor(), {two[0]}, opt, prefix) == 0);
  REQUIRE(fs::exists(prefix + "stage0.ckpt"));
  std::vector<std::pair<int64_t, bool>> calls;
  Vae again(cfg);  // a new process starts from fresh weights: stage 0 comes from the file
  CHECK(train_vae_staged(again, X, Tensor(), two, opt, prefix,
                         [&](const VaeStage& s, bool loaded) { calls.push_back({s.index, loaded}); }) == 1);
  CHECK(calls == std::vector<std::pair<int64_t, bool>>{{0, true}, {1, false}});
  CHECK(fs::exists(prefix + "stage1.ckpt"));
  CHECK(same(snapshot(straight), snapshot(again)));  // bit for bit the uninterrupted run

  // Rerun with both files present: the last one is loaded, nothing is trained.
  calls.clear();
  Vae third(cfg);
  CHECK(train_vae_staged(third, X, Tensor(), two, opt, prefix,
                         [&](const VaeStage& s, bool loaded) { calls.push_back({s.index, loaded}); }) == 2);
  CHECK(calls == std::vector<std::pair<int64_t, bool>>{{1, true}});
  CHECK(same(snapshot(straight), snapshot(third)));

  // Another architecture: a deeper model matches the file's first layers, then misses one.
  // The error names the file, and the model keeps every weight it had.
  VaeConfig deeper = cfg;
  deeper.depth = 3;
  Vae other(deeper);
  const auto before = snapshot(other);
  check_error([&] { train_vae_staged(other, X, Tensor(), two, opt, prefix); }, {"stage1.ckpt", "does not match"});
  CHECK(same(before, snapshot(other)));

  // A fixed-variance Gaussian decoder has the very same parameters as the Bernoulli one: only
  // the recorded likelihood tells them apart.
  VaeConfig gauss = cfg;
  gauss.likelihood = Likelihood::gaussian, gauss.learn_variance = false;
  Vae g(gauss);
  const auto g_before = snapshot(g);
  check_error([&] { train_vae_staged(g, X, Tensor(), two, opt, prefix); }, {"stage1.ckpt", "with gaussian = 0, this run has 1"});
  CHECK(same(g_before, snapshot(g)));

  // The same architecture from other starting weights (another config seed): every option
  // matches, only the recorded fingerprint of the fresh weights tells the files apart.
  VaeConfig reseeded_cfg = cfg;
  reseeded_cfg.seed = cfg.seed + 1;
  Vae other_start(reseeded_cfg);
  const auto os_before = snapshot(other_start);
  check_error([&] { train_vae_staged(other_start, X, Tensor(), two, opt, prefix); },
              {"stage1.ckpt", "other starting weights"});
  CHECK(same(os_before, snapshot(other_start)));

  // A fine-tune chained after a trained model (a stage of its own, as tutorial 07's conv-iwae):
  // loaded onto the same trained weights, refused onto other ones.
  const std::string tune = (dir.path / "tune_").string();
  const VaeStage extra{.index = 2, .epochs = 1, .lr = 1e-4};
  Vae tuned(cfg);
  CHECK(train_vae_staged(tuned, X, Tensor(), two, opt, prefix) == 2);  // straight's weights, from the file
  CHECK(train_vae_staged(tuned, X, Tensor(), {extra}, opt, tune) == 0);
  Vae same_base(cfg);
  CHECK(train_vae_staged(same_base, X, Tensor(), two, opt, prefix) == 2);
  CHECK(train_vae_staged(same_base, X, Tensor(), {extra}, opt, tune) == 1);
  CHECK(same(snapshot(tuned), snapshot(same_base)));
  Vae other_base(cfg);  // trained with another seed before the fine-tune: other weights
  VaeTrainOptions other_opt = opt;
  other_opt.seed = 9;
  CHECK(train_vae_staged(other_base, X, Tensor(), two, other_opt) == 0);
  const auto ob_before = snapshot(other_base);
  check_error([&] { train_vae_staged(other_base, X, Tensor(), {extra}, opt, tune); },
              {"tune_stage2.ckpt", "other starting weights"});
  CHECK(same(ob_before, snapshot(other_base)));

  // Other training options: refused by name before the model is touched.
  Vae fresh(cfg);
  const auto untouched = snapshot(fresh);
  auto refused = [&](const Tensor& x, const VaeTrainOptions& o, const std::vector<std::string>& says) {
    check_error([&] { train_vae_staged(fresh, x, Tensor(), two, o, prefix); }, says);
    CHECK(same(untouched, snapshot(fresh)));
  };
  VaeTrainOptions smaller = opt, reseeded = opt;
  smaller.batch_size = 25, reseeded.seed = 6;
  refused(X, smaller, {"stage1.ckpt", "with batch_size = 50, this run has 25"});
  refused(X, reseeded, {"stage1.ckpt", "with seed = 5, this run has 6"});
  refused(X.slice(0, 0, 100), opt, {"stage1.ckpt", "with examples = 200, this run has 100"});
  // A file from before fingerprints were recorded: refused, and told apart from other weights.
  {
    auto old_file = load_tensors(prefix + "stage1.ckpt");
    const auto kept = old_file;
    old_file.erase("meta.start");
    save_tensors(prefix + "stage1.ckpt", old_file);
    refused(X, opt, {"stage1.ckpt", "predates the fingerprint"});
    save_tensors(prefix + "stage1.ckpt", kept);
  }
  // A stage-1 file put where stage 0's belongs is refused for its stage.
  fs::remove(prefix + "stage0.ckpt");
  fs::rename(prefix + "stage1.ckpt", prefix + "stage0.ckpt");
  refused(X, opt, {"stage0.ckpt", "with stage = 1, this run has 0"});
}
