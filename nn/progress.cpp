// latent/nn — progress bar and divergence checks (see progress.h).
#include "nn/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace latent {

namespace {

std::string clock_text(double seconds) {  // 75 -> "1:15", 3725 -> "1:02:05"
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(int64_t total, ProgressOptions options)
    : total_(std::max<int64_t>(total, 0)), opt_(std::move(options)) {
  if (!opt_.out) opt_.out = stdout;
  interactive_ = opt_.interactive >= 0 ? opt_.interactive == 1 : ::isatty(::fileno(opt_.out)) == 1;
  start_ = last_print_ = std::chrono::steady_clock::now();
}

ProgressBar::~ProgressBar() { finish(); }

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double ProgressBar::mean_loss() const { return examples_ ? loss_sum_ / (double)examples_ : NAN; }

double ProgressBar::examples_per_second() const {
  double t = elapsed();
  return t > 0 ? (double)examples_ / t : 0;
}

std::string ProgressBar::status() const {
  std::string s = opt_.label.empty() ? "" : opt_.label + " ";
  if (opt_.epochs > 0) s += "epoch " + std::to_string(opt_.epoch) + "/" + std::to_string(opt_.epochs) + " ";
  else if (opt_.epoch > 0) s += "epoch " + std::to_string(opt_.epoch) + " ";
  char buf[160];
  if (total_ > 0) {
    const int width = 20;
    int filled = (int)(width * std::min(done_, total_) / total_);
    s += "[" + std::string(filled, '#') + std::string(width - filled, '-') + "] ";
    s += std::to_string(done_) + "/" + std::to_string(total_);
  } else {
    s += std::to_string(done_);
  }
  std::snprintf(buf, sizeof buf, "  loss %.4f  %.0f ex/s", mean_loss(), examples_per_second());
  s += buf;
  if (finished_) s += "  took " + clock_text(elapsed());
  else if (total_ > 0 && done_ > 0) s += "  ETA " + clock_text(elapsed() / done_ * (total_ - done_));
  return s;
}

void ProgressBar::print(bool final) {
  std::string line = status();
  if (interactive_) {
    // Pad over what the previous, possibly longer, line left on screen.
    size_t len = line.size();
    if (len < last_len_) line += std::string(last_len_ - len, ' ');
    last_len_ = len;
    std::fprintf(opt_.out, "\r%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(opt_.out, "%s\n", line.c_str());
  }
  std::fflush(opt_.out);
  last_print_ = std::chrono::steady_clock::now();
}

void ProgressBar::update(double loss, int64_t examples) {
  if (finished_) return;
  ++done_;
  examples_ += std::max<int64_t>(examples, 0);
  loss_sum_ += loss * (double)std::max<int64_t>(examples, 0);
  const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_print_).count();
  if (interactive_) {
    if (since >= 0.1 || done_ == total_) print(false);  // ~10 redraws a second is enough for eyes
    return;
  }
  // Plain output: one line per 10% crossed, or when it has been quiet too long.
  int64_t decile = total_ > 0 ? std::min<int64_t>(done_ * 10 / total_, 10) : 0;
  if ((decile > last_decile_ && done_ < total_) || since >= opt_.every_seconds) print(false);
  last_decile_ = decile;
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  print(true);
}

// ---- divergence ----

void check_finite(const Tensor& t, const std::string& what, int64_t step) {
  if (!t.defined() || t.dtype() == DType::i64) return;
  const Tensor c = t.contiguous();  // no copy for parameters and gradients
  int64_t bad = 0, first = -1;
  double first_value = 0;
  auto scan = [&](const auto* p) {
    for (int64_t i = 0; i < c.numel(); ++i)
      if (!std::isfinite(p[i]) && bad++ == 0) first = i, first_value = (double)p[i];
  };
  if (c.dtype() == DType::f32) scan(c.data<float>());
  else scan(c.data<double>());
  if (!bad) return;
  std::string kind = std::isnan(first_value) ? "NaN" : (first_value > 0 ? "+Inf" : "-Inf");
  std::string msg = what + " is " + kind + " at step " + std::to_string(step);
  if (c.numel() > 1) {
    // The first bad element's index, [i, j, ...], from its row-major position.
    Shape idx(c.dim());
    for (int64_t d = c.dim() - 1, rest = first; d >= 0; --d) idx[d] = rest % c.shape()[d], rest /= c.shape()[d];
    msg += " (" + std::to_string(bad) + " of " + std::to_string(c.numel()) + " elements are not finite; the first at " +
           shape_str(idx) + ")";
  }
  fail("training diverged", msg + ". Try a smaller learning rate, gradient clipping, or check the inputs.");
}

void check_finite(const nn::Module& model, int64_t step) {
  for (auto& [name, p] : model.named_parameters()) {
    check_finite(p.data(), "parameter '" + name + "'", step);
    Var g = p.grad();
    if (g.defined()) check_finite(g.data(), "the gradient of '" + name + "'", step);
  }
}

}  // namespace latent
