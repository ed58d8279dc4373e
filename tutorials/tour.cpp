// latent tour — runs every chapter's tutorial (quick setting by default) and
// prints each chapter's figures next to the anchor they should reproduce.
//
//   latent_tour                 all chapters, quick setting, no pauses when piped
//   latent_tour 01 --full       one chapter, full setting
//   latent_tour --pause         stop between steps (default when on a terminal: no)
//   latent_tour --list          the chapters
//   latent_tour 02 --full --results DIR
//                               also write DIR/ch02.md: the chapter's figures
//                               beside their anchors, as a markdown table
//                               (scripts/results assembles docs/RESULTS.md)
//   latent_tour 08 --full --part table
//                               one part of a chapter split into parts (08: ring,
//                               dcgan, side, table); --results then writes
//                               DIR/ch08.part-table.md
#include <unistd.h>

#include <algorithm>

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tensor/tensor.h"
#include "tutorials/runner.h"

using namespace latent::tutorial;

namespace {

std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return f ? a + " " + b + " " + c : "unknown";
}

// A table cell: markdown tables cannot hold '|' or newlines.
std::string cell(std::string s) {
  for (char& ch : s)
    if (ch == '|' || ch == '\n') ch = ch == '|' ? '/' : ' ';
  return s;
}

// DIR/chNN.md for one chapter run: written to a temporary file and renamed,
// so an interrupted run leaves the previous fragment intact.
void write_results(const std::string& dir, const Chapter& c, const Tutorial& T, double secs,
                   const std::string& load_before) {
  std::filesystem::create_directories(dir);
  char date[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::ostringstream o;
  std::string parts;  // "" or "ring + table": a --part run measures only those parts
  for (const std::string& p : T.options().parts) parts += (parts.empty() ? "" : " + ") + p;
  o << "## Chapter " << c.id << ": " << c.title << (parts.empty() ? "" : " (parts " + parts + ")") << "\n\n";
  o << "Setting: " << (T.quick() ? "quick" : "full") << ", seed " << T.options().seed << ". Took " << (int)(secs + 0.5)
    << " s on " << std::thread::hardware_concurrency() << " cores with " << omp_get_max_threads()
    << " OpenMP threads, " << date << " (load average before: " << load_before
    << ", after: " << load_average() << ").\n\n";
  o << "| figure | ours | published / goal | setting |\n|---|---|---|---|\n";
  for (const Figure& f : T.figures()) {
    char v[64];
    std::snprintf(v, sizeof v, "%.6g", f.value);
    o << "| " << cell(f.name) << " | " << v << (f.unit.empty() ? "" : " " + cell(f.unit)) << " | " << cell(f.anchor)
      << " | " << cell(f.setting) << " |\n";
  }
  // a --part run gets its own file (chNN.part-table.md), and leaves the whole chapter's intact
  std::string suffix;
  for (const std::string& p : T.options().parts) suffix += (suffix.empty() ? ".part-" : "-") + p;
  const std::string path = dir + "/ch" + c.id + suffix + ".md", tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << o.str();
    if (!out) throw std::runtime_error("latent_tour: cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
  std::printf("   wrote %s  (the chapter's results table)\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::set<std::string> only;
  std::string results_dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--full") opt.quick = false;
    else if (a == "--quick") opt.quick = true;
    else if (a == "--pause") opt.pause = isatty(0) && isatty(1);
    else if (a == "--no-pause") opt.pause = false;
    else if (a == "--seed" && i + 1 < argc) opt.seed = std::stoull(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) opt.runs_dir = argv[++i];
    else if (a == "--results" && i + 1 < argc) results_dir = argv[++i];
    else if (a == "--part" && i + 1 < argc) opt.parts.insert(argv[++i]);
    else if (a == "--list") {
      for (auto& c : chapters()) std::printf("%s  %s\n", c.id.c_str(), c.title.c_str());
      return 0;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: latent_tour [chapter ...] [--full] [--pause] [--seed N] [--runs DIR] [--results DIR] [--part NAME]... [--list]\n");
      return 0;
    } else {
      only.insert(a.size() == 1 ? "0" + a : a);
    }
  }
  // --part names parts of the chapters asked for: checked before anything runs
  for (const std::string& p : opt.parts)
    for (auto& c : chapters()) {
      if (!only.empty() && !only.count(c.id)) continue;
      if (std::find(c.parts.begin(), c.parts.end(), p) != c.parts.end()) continue;
      std::string known;
      for (const std::string& k : c.parts) known += (known.empty() ? "" : ", ") + k;
      std::fprintf(stderr, "latent_tour: --part %s: chapter %s has no such part (%s)\n", p.c_str(), c.id.c_str(),
                   known.empty() ? "it runs whole; name a chapter that has parts, e.g. 08" : ("its parts: " + known).c_str());
      return 2;
    }
  std::vector<std::pair<std::string, Figure>> table;
  auto t0 = std::chrono::steady_clock::now();
  for (auto& c : chapters()) {
    if (!only.empty() && !only.count(c.id)) continue;
    Tutorial T(c.id, c.title, opt);
    const auto tc = std::chrono::steady_clock::now();
    const std::string load_before = load_average();
    try {
      c.run(T);
      if (!results_dir.empty()) write_results(results_dir, c, T, seconds_since(tc), load_before);
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
