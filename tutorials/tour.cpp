// latent tour — runs every chapter's tutorial (quick setting by default) and
// prints each chapter's figures next to the anchor they should reproduce.
//
//   latent_tour                 all chapters, quick setting, no pauses when piped
//   latent_tour 01 --full       one chapter, full setting
//   latent_tour --pause         stop between steps (default when on a terminal: no)
//   latent_tour --list          the chapters
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include "tensor/tensor.h"
#include "tutorials/runner.h"

using namespace latent::tutorial;

int main(int argc, char** argv) {
  Options opt;
  std::set<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--full") opt.quick = false;
    else if (a == "--quick") opt.quick = true;
    else if (a == "--pause") opt.pause = isatty(0) && isatty(1);
    else if (a == "--no-pause") opt.pause = false;
    else if (a == "--seed" && i + 1 < argc) opt.seed = std::stoull(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) opt.runs_dir = argv[++i];
    else if (a == "--list") {
      for (auto& c : chapters()) std::printf("%s  %s\n", c.id.c_str(), c.title.c_str());
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: latent_tour [chapter ...] [--full] [--pause] [--seed N] [--runs DIR] [--list]\n");
      return 0;
    } else {
      only.insert(a.size() == 1 ? "0" + a : a);
    }
  }
  std::vector<std::pair<std::string, Figure>> table;
  auto t0 = std::chrono::steady_clock::now();
  for (auto& c : chapters()) {
    if (!only.empty() && !only.count(c.id)) continue;
    Tutorial T(c.id, c.title, opt);
    try {
      c.run(T);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "chapter %s failed: %s\n", c.id.c_str(), e.what());
      return 1;
    }
    for (auto& f : T.figures()) table.push_back({c.id, f});
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\n==== latent tour: %s setting, %.0f s ====\n", opt.quick ? "quick" : "full", secs);
  std::printf("%-3s %-42s %12s  %-26s %s\n", "ch", "figure", "ours", "anchor", "setting");
  for (auto& [ch, f] : table)
    std::printf("%-3s %-42s %10.4g %-2s %-26s %s\n", ch.c_str(), f.name.c_str(), f.value, f.unit.c_str(),
                f.anchor.c_str(), f.setting.c_str());
  return 0;
}
