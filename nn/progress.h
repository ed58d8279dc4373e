// latent/nn — watching a long loop: a progress bar, and a tripwire for NaN.
//
//   for (int epoch = 1; epoch <= epochs; ++epoch) {
//     ProgressBar bar(loader.size(), {.epoch = epoch, .epochs = epochs});
//     for (auto& batch : loader) {
//       Var loss = ...;
//       check_finite(loss, "loss", step);         // stop at the first NaN, saying where
//       loss.backward();
//       bar.update(loss.item(), batch.x.size(0));
//     }
//     bar.finish();
//   }
//
// On a terminal the bar redraws one line in place ('\r'):
//   epoch 3/10 [########------------] 187/469  loss 0.3124  15230 ex/s  ETA 0:04
// When stdout is not a terminal (a CI log, a file) it prints a plain line at
// every 10% and at least every `every_seconds`, since '\r' would pile up.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "nn/module.h"

namespace latent {

struct ProgressOptions {
  int64_t epoch = 0, epochs = 0;  // shown as "epoch 3/10" when epochs > 0 ("epoch 3" when only epoch)
  std::string label = "";         // e.g. "train" or "eval", shown first (the = "" keeps -Wextra quiet
                                  // about designated initializers that leave it out)
  double every_seconds = 30;      // non-terminal output: longest gap between lines
  int interactive = -1;           // -1: ask isatty(); 0 or 1 force plain or redrawn output
  std::FILE* out = stdout;
};

class ProgressBar {
 public:
  // total: number of updates expected (batches); 0 if unknown (no bar, no ETA).
  explicit ProgressBar(int64_t total, ProgressOptions options = {});
  ~ProgressBar();  // finishes the line if finish() was not called
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // After each batch: its mean loss and how many examples it held.
  void update(double loss, int64_t examples = 1);
  // The final line ("took" instead of "ETA"), then a newline. Idempotent.
  void finish();

  double mean_loss() const;  // over the examples so far (NaN before the first)
  int64_t done() const { return done_; }
  double examples_per_second() const;
  std::string status() const;  // the current line's text

 private:
  void print(bool final);
  double elapsed() const;

  int64_t total_, done_ = 0, examples_ = 0;
  double loss_sum_ = 0;
  ProgressOptions opt_;
  bool interactive_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_print_;
  int64_t last_decile_ = 0;
  size_t last_len_ = 0;
};

// Throws latent::Error "training diverged: <what> is NaN at step <step> ..."
// (or Inf) if any element is not finite. Integer tensors always pass.
void check_finite(const Tensor& t, const std::string& what, int64_t step);
inline void check_finite(const Var& v, const std::string& what, int64_t step) { check_finite(v.data(), what, step); }
// Every parameter and every gradient present, named ("0.weight", "gradient of 0.weight").
void check_finite(const nn::Module& model, int64_t step);

}  // namespace latent
