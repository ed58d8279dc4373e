// latent/nn — line plots of training curves, as SVG (for reading) and PNG
// (for anything that cannot show SVG), with no plotting library.
//
//   write_svg_plot("runs/ch03/loss.svg", "MLP on MNIST", "epoch", "loss",
//                  {{"train", epochs, train_loss}, {"valid", epochs, valid_loss}});
//   plot_metrics_csv("runs/ch03/mlp/metrics.csv", "runs/ch03/mlp/plot_");
//
// Both formats share one layout: "nice" ticks (steps of 1, 2 or 5 times a
// power of ten), a legend in the top right corner, one colour per series
// (matplotlib's tab10 palette). Non-finite points break a line into pieces,
// so a diverged run shows a gap instead of a vertical cliff; with logy,
// values <= 0 are skipped. The PNG draws text with a built-in 5x7 pixel font
// (capital letters, digits and a little punctuation: lower case is shown in
// capitals).
#pragma once

#include <string>
#include <vector>

namespace latent {

struct Series {
  std::string name;  // shown in the legend
  std::vector<double> x, y;
};

void write_svg_plot(const std::string& path, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel, const std::vector<Series>& series, bool logy = false);
void write_png_plot(const std::string& path, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel, const std::vector<Series>& series, bool logy = false);

// Reads a metrics CSV (header "step,<metric>,...", as nn/metrics.h writes)
// and plots each metric against the first column: "<out_prefix><metric>.svg"
// and ".png" (parent directories are created). Empty cells are points not
// logged (the line joins across them); "nan" cells break the line. Returns
// the paths written.
std::vector<std::string> plot_metrics_csv(const std::string& csv_path, const std::string& out_prefix);

}  // namespace latent
