// latent/tutorials — the tutorial runner (see runner.h).
#include "tutorials/runner.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace latent::tutorial {

Tutorial::Tutorial(std::string chapter, std::string title, Options opt)
    : chapter_(std::move(chapter)), title_(std::move(title)), opt_(std::move(opt)) {
  std::printf("\n==== chapter %s: %s (%s setting) ====\n", chapter_.c_str(), title_.c_str(),
              opt_.quick ? "quick" : "full");
}

void Tutorial::step(const std::string& heading, const std::string& text) {
  if (steps_++ > 0 && opt_.pause) {
    std::printf("\n[Enter] next step, q + Enter to run straight through > ");
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line) || line == "q") opt_.pause = false;
  }
  std::printf("\n-- %s.%d %s\n", chapter_.c_str(), steps_, heading.c_str());
  if (!text.empty()) say(text);
}

void Tutorial::say(const std::string& text) {
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

void Tutorial::show(const std::string& label, const Tensor& t) {
  std::printf("%s = %s\n", label.c_str(), t.str().c_str());
}

std::string Tutorial::path(const std::string& file) const {
  std::filesystem::path p = std::filesystem::path(opt_.runs_dir) / ("ch" + chapter_) / file;
  std::filesystem::create_directories(p.parent_path());
  return p.string();
}

void Tutorial::wrote(const std::string& file, const std::string& what) {
  std::printf("   wrote %s  (%s)\n", file.c_str(), what.c_str());
}

void Tutorial::figure(Figure f) {
  std::printf("   >> %s: %.4g %s   [anchor: %s]\n", f.name.c_str(), f.value, f.unit.c_str(), f.anchor.c_str());
  figures_.push_back(std::move(f));
}

}  // namespace latent::tutorial
