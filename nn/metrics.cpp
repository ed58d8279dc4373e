// latent/nn — metrics files (see metrics.h).
#include "nn/metrics.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>

#include "tensor/tensor.h"

namespace latent {

namespace {

std::string csv_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);  // nan, inf, -inf for the non-finite
  return buf;
}

std::string json_number(double v) { return std::isfinite(v) ? csv_number(v) : "null"; }

std::string json_string(const std::string& s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') r += '\\', r += (char)c;
    else if (c == '\n') r += "\\n";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      r += buf;
    } else r += (char)c;
  }
  return r + "\"";
}

// Appends (or, with truncate, replaces) and checks the write reached the file.
void write_text(const std::string& path, const std::string& text, bool truncate) {
  std::ofstream f(path, truncate ? std::ios::trunc : std::ios::app);
  f << text;
  if (!f.flush()) fail("MetricsLog", path + ": cannot write (is the disk full, or the directory read-only?)");
}

}  // namespace

MetricsLog::MetricsLog(const std::string& chapter, const std::string& run, std::vector<std::string> columns,
                       bool resume, const std::filesystem::path& root)
    : columns_(std::move(columns)) {
  if (chapter.empty() || run.empty()) fail("MetricsLog", "chapter and run names must not be empty");
  std::set<std::string> seen;
  for (const std::string& c : columns_) {
    if (c.empty() || c == "step" || c.find_first_of(",\"\n\r") != std::string::npos)
      fail("MetricsLog", "bad column name '" + c + "': it must be non-empty, not 'step', and have no commas, quotes or newlines");
    if (!seen.insert(c).second) fail("MetricsLog", "column '" + c + "' is listed twice");
  }
  dir_ = root / chapter / run;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) fail("MetricsLog", "cannot create the directory " + dir_.string() + ": " + ec.message());

  std::string header = "step";
  for (const std::string& c : columns_) header += "," + c;
  if (resume && std::filesystem::exists(csv_path())) {
    std::ifstream in(csv_path());
    std::string first;
    std::getline(in, first);
    if (first != header)
      fail("MetricsLog", csv_path() + ": cannot resume: the file has columns \"" + first + "\" but this run logs \"" +
                             header + "\" (use another run name, or resume = false to start over)");
    return;
  }
  write_text(csv_path(), header + "\n", true);
  write_text(jsonl_path(), "", true);
  std::filesystem::remove(json_path(), ec);  // a fresh run has no final figures yet
}

void MetricsLog::log(int64_t step, const std::map<std::string, double>& values) {
  std::string row = std::to_string(step);
  for (const std::string& c : columns_) {
    auto it = values.find(c);
    row += "," + (it == values.end() ? std::string() : csv_number(it->second));
  }
  write_text(csv_path(), row + "\n", false);

  std::string obj = "{\"step\": " + std::to_string(step);
  for (auto& [k, v] : values) obj += ", " + json_string(k) + ": " + json_number(v);
  write_text(jsonl_path(), obj + "}\n", false);
}

void MetricsLog::write_final(const std::map<std::string, double>& figures) const {
  std::string obj = "{";
  bool first = true;
  for (auto& [k, v] : figures) {
    obj += (first ? "\n  " : ",\n  ") + json_string(k) + ": " + json_number(v);
    first = false;
  }
  write_text(json_path(), obj + (first ? "}\n" : "\n}\n"), true);
}

}  // namespace latent
