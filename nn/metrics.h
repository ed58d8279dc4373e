// latent/nn — a run's numbers, written as they come, in files a learner (or a
// spreadsheet, or pandas) can open.
//
//   MetricsLog log("ch03", "mlp-adam", {"train_loss", "valid_loss", "valid_acc"});
//   log.log(step, {{"train_loss", 0.31}});                 // any subset of the columns
//   log.log(step, {{"valid_loss", 0.28}, {"valid_acc", 0.91}, {"lr", 1e-3}});
//   log.write_final({{"test_acc", 0.978}, {"epochs", 10}});
//   plot_metrics_csv(log.csv_path(), (log.dir() / "plot_").string());  // nn/plot.h
//
// In runs/<chapter>/<run>/ (created as needed):
//   metrics.csv    "step,train_loss,valid_loss,valid_acc", then one row per
//                  log() call. The columns are fixed when the log is created,
//                  so the header stays true; a column not given is left empty.
//   metrics.jsonl  one JSON object per log() call with every key given,
//                  columns or not ("lr" above), for values that come and go.
//   metrics.json   the final figures of the run, from write_final().
// Every row is on disk when log() returns: a crashed run keeps its curve.
// Numbers are written with 8 significant digits; NaN and infinities as nan,
// inf, -inf in the CSV and null in JSON (which has no word for them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace latent {

class MetricsLog {
 public:
  // resume = false starts the run afresh (old files of the same run are
  // replaced). resume = true appends, after a checkpoint restart; the CSV's
  // header must then list the same columns.
  MetricsLog(const std::string& chapter, const std::string& run, std::vector<std::string> columns,
             bool resume = false, const std::filesystem::path& root = "runs");

  void log(int64_t step, const std::map<std::string, double>& values);
  void write_final(const std::map<std::string, double>& figures) const;

  const std::filesystem::path& dir() const { return dir_; }
  std::string csv_path() const { return (dir_ / "metrics.csv").string(); }
  std::string jsonl_path() const { return (dir_ / "metrics.jsonl").string(); }
  std::string json_path() const { return (dir_ / "metrics.json").string(); }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> columns_;
};

}  // namespace latent
