// latent/tutorials — the tutorial runner.
//
// A tutorial is a sequence of narrated steps. Each step prints a heading and
// its text, may show tensors and write pictures under runs/<chapter>/, and
// records figures (accuracy, nats, ...) that the tour prints next to the
// published anchor. With --pause, and only when stdin and stdout are a
// terminal, the runner waits for Enter between steps; otherwise it runs
// straight through.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <set>
#include <vector>

#include "tensor/tensor.h"

namespace latent::tutorial {

struct Options {
  bool quick = true;     // small data, few epochs (the tour); false: the full setting
  bool pause = false;    // wait for Enter between steps
  std::string runs_dir = "runs";
  uint64_t seed = 0;
  // --part NAME (repeatable): run only these parts of a chapter that is split into parts
  // (chapter 08: ring, dcgan, side, table), e.g. to re-measure one table of a long full run.
  // Empty: every part.
  std::set<std::string> parts;
};

// One reported figure: ours next to the anchor it should reproduce.
struct Figure {
  std::string name;    // "LeNet test accuracy"
  double value = 0;    // what we measured
  std::string unit;    // "%", "nats", "s"
  std::string anchor;  // "99.0 (full setting goal)" — text: anchors differ in kind
  std::string setting; // "quick: 2000 train images, 2 epochs"
};

class Tutorial {
 public:
  Tutorial(std::string chapter, std::string title, Options opt);

  // A new step: heading + narration; pauses first (from the second step on) when interactive.
  void step(const std::string& heading, const std::string& text = "");
  void say(const std::string& text);           // more narration in the current step
  void show(const std::string& label, const Tensor& t);  // print a (small) tensor
  // A path under runs/<chapter>/ (directories created); say() it when written.
  std::string path(const std::string& file) const;
  void wrote(const std::string& file, const std::string& what);  // announce a written file
  void figure(Figure f);

  const Options& options() const { return opt_; }
  bool quick() const { return opt_.quick; }
  const std::string& chapter() const { return chapter_; }
  const std::vector<Figure>& figures() const { return figures_; }
  // Whether the part `name` of this chapter runs (Options::parts; the tour checks the names
  // against Chapter::parts before it starts).
  bool runs_part(const std::string& name) const { return opt_.parts.empty() || opt_.parts.count(name) > 0; }

 private:
  std::string chapter_, title_;
  Options opt_;
  int steps_ = 0;
  std::vector<Figure> figures_;
};

// Small helpers the chapter tutorials share.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// printf-style formatting of one number: fmt("%.2f", x).
inline std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// A chapter's tutorial, as the tour and the per-chapter command run it.
struct Chapter {
  std::string id;     // "00"
  std::string title;  // "tensors and autodiff"
  std::function<void(Tutorial&)> run;
  std::vector<std::string> parts = {};  // what --part may name (Tutorial::runs_part); empty: runs whole
};
// All chapters in order (tutorials/chapters.cpp).
const std::vector<Chapter>& chapters();

}  // namespace latent::tutorial
