// latent/nn — line plots (see plot.h). One layout (ranges, ticks, pixel
// positions) is computed once and then either written as SVG elements or
// rasterised into an RGB buffer.
#include "nn/plot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nn/image.h"
#include "tensor/tensor.h"

namespace latent {

namespace {

constexpr int kWidth = 720, kHeight = 450;
constexpr int kLeft = 80, kRight = 20, kTop = 40, kBottom = 55;
constexpr int kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
// matplotlib's tab10: ten colours that stay distinct for most colour vision.
const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

struct Axis {
  double lo = 0, hi = 1;      // in plotting space: log10 of the value on a log axis
  std::vector<double> ticks;  // in plotting space
  std::vector<std::string> labels;
};

// A step of 1, 2 or 5 times a power of ten giving about `target` intervals.
double nice_step(double span, int target) {
  double raw = span / target, mag = std::pow(10.0, std::floor(std::log10(raw))), f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

std::string format_number(double v, double step) {
  char buf[32];
  if (std::abs(v) < step * 1e-9) v = 0;  // no "-0"
  int decimals = std::max(0, (int)-std::floor(std::log10(step) + 1e-9));
  if (std::abs(v) >= 1e6 || decimals > 4) std::snprintf(buf, sizeof buf, "%.3g", v);
  else std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Axis make_axis(double lo, double hi, bool log, int target) {
  Axis a{lo, hi, {}, {}};
  if (log && hi - lo >= 1) {  // at least a decade: ticks at powers of ten (and 2, 5 times them when few)
    int step = std::max(1, (int)std::ceil((hi - lo) / target));
    for (double e = std::floor(lo); e <= hi; e += step)
      for (double m : {1.0, 2.0, 5.0}) {
        double t = e + std::log10(m);
        if (t < lo || t > hi || (m > 1 && hi - lo >= 3)) continue;
        a.ticks.push_back(t);
        a.labels.push_back(num_str(m * std::pow(10.0, e)));
      }
    return a;
  }
  double vlo = log ? std::pow(10.0, lo) : lo, vhi = log ? std::pow(10.0, hi) : hi;
  double step = nice_step(vhi - vlo, target);
  double first = std::ceil(vlo / step - 1e-9);
  for (double i = first; i * step <= vhi + step * 1e-9 && i < first + 50; ++i) {  // (50: a guard against rounding)
    double v = i * step;
    if (log && v <= 0) continue;
    a.ticks.push_back(log ? std::log10(v) : v);
    a.labels.push_back(format_number(v, step));
  }
  return a;
}

using Run = std::vector<std::pair<double, double>>;  // pixel positions of consecutive usable points

struct Layout {
  Axis x, y;
  std::vector<std::vector<Run>> runs;  // per series
  double px(double v) const { return kLeft + (v - x.lo) / (x.hi - x.lo) * kPlotW; }
  double py(double v) const { return kTop + kPlotH - (v - y.lo) / (y.hi - y.lo) * kPlotH; }
};

Layout make_layout(const std::string& op, const std::string& path, const std::vector<Series>& series, bool logy) {
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  auto usable = [&](double x, double y) { return std::isfinite(x) && std::isfinite(y) && (!logy || y > 0); };
  for (const Series& s : series) {
    if (s.x.size() != s.y.size())
      fail(op, path + ": series '" + s.name + "' has " + std::to_string(s.x.size()) + " x values but " +
                   std::to_string(s.y.size()) + " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) continue;
      double ty = logy ? std::log10(s.y[i]) : s.y[i];
      xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, ty), yhi = std::max(yhi, ty);
    }
  }
  auto widen = [](double& lo, double& hi, bool log) {
    if (!(lo <= hi)) lo = 0, hi = 1;  // nothing to show
    if (lo == hi) {
      double d = (log || lo == 0) ? 0.5 : std::abs(lo) * 0.05;
      lo -= d, hi += d;
    }
  };
  widen(xlo, xhi, false);
  widen(ylo, yhi, logy);
  double margin = 0.05 * (yhi - ylo);  // keep curves off the frame
  Layout L;
  L.x = make_axis(xlo, xhi, false, 8);
  L.y = make_axis(ylo - margin, yhi + margin, logy, 6);
  for (const Series& s : series) {
    std::vector<Run> runs(1);
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) {
        if (!runs.back().empty()) runs.emplace_back();
        continue;
      }
      runs.back().push_back({L.px(s.x[i]), L.py(logy ? std::log10(s.y[i]) : s.y[i])});
    }
    if (runs.back().empty()) runs.pop_back();
    L.runs.push_back(std::move(runs));
  }
  return L;
}

// ---- SVG ----

std::string xml_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '&') r += "&amp;";
    else if (c == '<') r += "&lt;";
    else if (c == '>') r += "&gt;";
    else if (c == '"') r += "&quot;";
    else r += c;
  }
  return r;
}

// ---- raster: an RGB canvas with lines and a 5x7 pixel font ----

// Glyphs as 7 rows of 5 bits (bit 4 is the leftmost pixel), one per character of kGlyphChars.
const char kGlyphChars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-+_:/()%=,";
const uint8_t kGlyphs[][7] = {
    {14, 17, 19, 21, 25, 17, 14}, {4, 12, 4, 4, 4, 4, 14},   {14, 17, 1, 2, 4, 8, 31},     // 0 1 2
    {31, 2, 4, 2, 1, 17, 14},     {2, 6, 10, 18, 31, 2, 2},  {31, 16, 30, 1, 1, 17, 14},   // 3 4 5
    {6, 8, 16, 30, 17, 17, 14},   {31, 1, 2, 4, 8, 8, 8},    {14, 17, 17, 14, 17, 17, 14}, // 6 7 8
    {14, 17, 17, 15, 1, 2, 12},                                                            // 9
    {14, 17, 17, 31, 17, 17, 17}, {30, 17, 17, 30, 17, 17, 30}, {14, 17, 16, 16, 16, 17, 14},  // A B C
    {30, 17, 17, 17, 17, 17, 30}, {31, 16, 16, 30, 16, 16, 31}, {31, 16, 16, 30, 16, 16, 16},  // D E F
    {14, 17, 16, 23, 17, 17, 15}, {17, 17, 17, 31, 17, 17, 17}, {14, 4, 4, 4, 4, 4, 14},       // G H I
    {7, 2, 2, 2, 2, 18, 12},      {17, 18, 20, 24, 20, 18, 17}, {16, 16, 16, 16, 16, 16, 31},  // J K L
    {17, 27, 21, 21, 17, 17, 17}, {17, 17, 25, 21, 19, 17, 17}, {14, 17, 17, 17, 17, 17, 14},  // M N O
    {30, 17, 17, 30, 16, 16, 16}, {14, 17, 17, 17, 21, 18, 13}, {30, 17, 17, 30, 20, 18, 17},  // P Q R
    {15, 16, 16, 14, 1, 1, 30},   {31, 4, 4, 4, 4, 4, 4},       {17, 17, 17, 17, 17, 17, 14},  // S T U
    {17, 17, 17, 17, 17, 10, 4},  {17, 17, 17, 21, 21, 21, 10}, {17, 17, 10, 4, 10, 17, 17},   // V W X
    {17, 17, 10, 4, 4, 4, 4},     {31, 1, 2, 4, 8, 16, 31},                                    // Y Z
    {0, 0, 0, 0, 0, 12, 12},      {0, 0, 0, 14, 0, 0, 0},       {0, 4, 4, 31, 4, 4, 0},        // . - +
    {0, 0, 0, 0, 0, 0, 31},       {0, 12, 12, 0, 12, 12, 0},    {1, 1, 2, 4, 8, 16, 16},       // _ : /
    {2, 4, 8, 8, 8, 4, 2},        {8, 4, 2, 2, 2, 4, 8},        {24, 25, 2, 4, 8, 19, 3},      // ( ) %
    {0, 0, 31, 0, 31, 0, 0},      {0, 0, 0, 0, 12, 4, 8}};                                     // = ,

struct Rgb { uint8_t r, g, b; };
Rgb parse_hex(const char* h) {
  unsigned v = (unsigned)std::strtoul(h + 1, nullptr, 16);
  return {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
}

struct Canvas {
  int w, h;
  std::vector<uint8_t> px;
  int cx0 = 0, cy0 = 0, cx1 = 1 << 30, cy1 = 1 << 30;  // clip rectangle (inclusive)
  Canvas(int w, int h) : w(w), h(h), px((size_t)w * h * 3, 255) {}
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= w || y >= h || x < cx0 || x > cx1 || y < cy0 || y > cy1) return;
    uint8_t* p = &px[((size_t)y * w + x) * 3];
    p[0] = c.r, p[1] = c.g, p[2] = c.b;
  }
  void fill(int x0, int y0, int x1, int y1, Rgb c) {
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) set(x, y, c);
  }
  // Bresenham's line; thick draws a 2x2 pen so curves stay visible.
  void line(double fx0, double fy0, double fx1, double fy1, Rgb c, bool thick = false) {
    int x0 = (int)std::lround(fx0), y0 = (int)std::lround(fy0), x1 = (int)std::lround(fx1), y1 = (int)std::lround(fy1);
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
    for (;;) {
      set(x0, y0, c);
      if (thick) set(x0 + 1, y0, c), set(x0, y0 + 1, c), set(x0 + 1, y0 + 1, c);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  static int text_width(const std::string& s, int scale) { return s.empty() ? 0 : (int)s.size() * 6 * scale - scale; }
  // align: -1 left, 0 centred, 1 right of (x, y); y is the top of the text.
  // vertical text reads bottom to top, centred on (x, y) when align is 0.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1, int align = -1, bool vertical = false) {
    int width = text_width(s, scale), start = align < 0 ? 0 : align == 0 ? width / 2 : width;
    for (size_t i = 0; i < s.size(); ++i) {
      const char* g = std::strchr(kGlyphChars, std::toupper((unsigned char)s[i]));
      if (!g || !*g) continue;  // space and characters the font lacks
      const uint8_t* rows = kGlyphs[g - kGlyphChars];
      for (int gy = 0; gy < 7; ++gy)
        for (int gx = 0; gx < 5; ++gx)
          if (rows[gy] & (16 >> gx))
            for (int a = 0; a < scale; ++a)
              for (int b = 0; b < scale; ++b) {
                int tx = (int)i * 6 * scale + gx * scale + a - start, ty = gy * scale + b;
                if (vertical) set(x + ty, y - tx, c);
                else set(x + tx, y + ty, c);
              }
    }
  }
};

}  // namespace

void write_svg_plot(const std::string& path, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel, const std::vector<Series>& series, bool logy) {
  const Layout L = make_layout("write_svg_plot", path, series, logy);
  std::ostringstream o;
  char b[256];
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
    << "\" viewBox=\"0 0 " << kWidth << ' ' << kHeight
    << "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << kLeft + kPlotW / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">"
    << xml_escape(title) << "</text>\n";
  const int bottom = kTop + kPlotH;
  for (size_t i = 0; i < L.x.ticks.size(); ++i) {
    double x = L.px(L.x.ticks[i]);
    std::snprintf(b, sizeof b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e6e6e6\"/>"
                  "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\"/>", x, kTop, x, bottom, x, bottom, x, bottom + 5);
    o << b << "<text x=\"" << x << "\" y=\"" << bottom + 18 << "\" text-anchor=\"middle\">" << L.x.labels[i] << "</text>\n";
  }
  for (size_t i = 0; i < L.y.ticks.size(); ++i) {
    double y = L.py(L.y.ticks[i]);
    std::snprintf(b, sizeof b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
                  "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/>", kLeft, y, kLeft + kPlotW, y, kLeft - 5, y, kLeft, y);
    o << b << "<text x=\"" << kLeft - 8 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << L.y.labels[i] << "</text>\n";
  }
  o << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kPlotW << "\" height=\"" << kPlotH
    << "\" fill=\"none\" stroke=\"#333\"/>\n"
    << "<text x=\"" << kLeft + kPlotW / 2 << "\" y=\"" << kHeight - 12 << "\" text-anchor=\"middle\">" << xml_escape(xlabel) << "</text>\n"
    << "<text transform=\"translate(18," << kTop + kPlotH / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
    << xml_escape(ylabel) << "</text>\n";
  for (size_t s = 0; s < series.size(); ++s) {
    const char* colour = kPalette[s % 10];
    o << "<g stroke=\"" << colour << "\" fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\">";
    for (const Run& run : L.runs[s]) {
      if (run.size() == 1) {  // a lone point: a line of one point would be invisible
        std::snprintf(b, sizeof b, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>", run[0].first, run[0].second, colour);
        o << b;
        continue;
      }
      o << "<polyline points=\"";
      for (auto& [x, y] : run) {
        std::snprintf(b, sizeof b, "%.2f,%.2f ", x, y);
        o << b;
      }
      o << "\"/>";
    }
    o << "</g>\n";
  }
  if (!series.empty()) {  // legend, top right
    size_t longest = 0;
    for (const Series& s : series) longest = std::max(longest, s.name.size());
    int w = 40 + 7 * (int)longest, h = 8 + 18 * (int)series.size(), x0 = kLeft + kPlotW - w - 8, y0 = kTop + 8;
    o << "<rect x=\"" << x0 << "\" y=\"" << y0 << "\" width=\"" << w << "\" height=\"" << h
      << "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n";
    for (size_t s = 0; s < series.size(); ++s) {
      int y = y0 + 13 + 18 * (int)s;
      o << "<line x1=\"" << x0 + 8 << "\" y1=\"" << y << "\" x2=\"" << x0 + 28 << "\" y2=\"" << y << "\" stroke=\""
        << kPalette[s % 10] << "\" stroke-width=\"2.5\"/><text x=\"" << x0 + 34 << "\" y=\"" << y + 4 << "\">"
        << xml_escape(series[s].name) << "</text>\n";
    }
  }
  o << "</svg>\n";
  std::ofstream f(path);
  f << o.str();
  if (!f.flush()) fail("write_svg_plot", path + ": cannot write the file");
}

void write_png_plot(const std::string& path, const std::string& title, const std::string& xlabel,
                    const std::string& ylabel, const std::vector<Series>& series, bool logy) {
  const Layout L = make_layout("write_png_plot", path, series, logy);
  Canvas c(kWidth, kHeight);
  const Rgb grid{230, 230, 230}, ink{51, 51, 51};
  const int bottom = kTop + kPlotH, right = kLeft + kPlotW;
  for (size_t i = 0; i < L.x.ticks.size(); ++i) {
    int x = (int)std::lround(L.px(L.x.ticks[i]));
    c.line(x, kTop, x, bottom, grid);
    c.line(x, bottom, x, bottom + 5, ink);
    c.text(x, bottom + 10, L.x.labels[i], ink, 1, 0);
  }
  for (size_t i = 0; i < L.y.ticks.size(); ++i) {
    int y = (int)std::lround(L.py(L.y.ticks[i]));
    c.line(kLeft, y, right, y, grid);
    c.line(kLeft - 5, y, kLeft, y, ink);
    c.text(kLeft - 9, y - 3, L.y.labels[i], ink, 1, 1);
  }
  c.line(kLeft, kTop, right, kTop, ink), c.line(kLeft, bottom, right, bottom, ink);
  c.line(kLeft, kTop, kLeft, bottom, ink), c.line(right, kTop, right, bottom, ink);
  c.text(kLeft + kPlotW / 2, 12, title, ink, 2, 0);
  c.text(kLeft + kPlotW / 2, kHeight - 20, xlabel, ink, 1, 0);
  c.text(12, kTop + kPlotH / 2, ylabel, ink, 1, 0, /*vertical=*/true);

  c.cx0 = kLeft + 1, c.cy0 = kTop + 1, c.cx1 = right - 1, c.cy1 = bottom - 1;  // curves stay inside the frame
  for (size_t s = 0; s < series.size(); ++s) {
    Rgb col = parse_hex(kPalette[s % 10]);
    for (const Run& run : L.runs[s]) {
      if (run.size() == 1) c.fill((int)run[0].first - 1, (int)run[0].second - 1, (int)run[0].first + 1, (int)run[0].second + 1, col);
      for (size_t i = 1; i < run.size(); ++i) c.line(run[i - 1].first, run[i - 1].second, run[i].first, run[i].second, col, true);
    }
  }
  if (!series.empty()) {
    size_t longest = 0;
    for (const Series& s : series) longest = std::max(longest, s.name.size());
    int w = 38 + Canvas::text_width(std::string(longest, 'M'), 1), h = 8 + 14 * (int)series.size();
    int x0 = right - w - 8, y0 = kTop + 8;
    c.fill(x0, y0, x0 + w, y0 + h, {255, 255, 255});
    c.line(x0, y0, x0 + w, y0, {187, 187, 187}), c.line(x0, y0 + h, x0 + w, y0 + h, {187, 187, 187});
    c.line(x0, y0, x0, y0 + h, {187, 187, 187}), c.line(x0 + w, y0, x0 + w, y0 + h, {187, 187, 187});
    for (size_t s = 0; s < series.size(); ++s) {
      int y = y0 + 11 + 14 * (int)s;
      c.line(x0 + 8, y, x0 + 28, y, parse_hex(kPalette[s % 10]), true);
      c.text(x0 + 34, y - 3, series[s].name, ink);
    }
  }
  write_png_pixels(path, kWidth, kHeight, 3, c.px.data());
}

std::vector<std::string> plot_metrics_csv(const std::string& csv_path, const std::string& out_prefix) {
  std::ifstream in(csv_path);
  if (!in) fail("plot_metrics_csv", csv_path + ": cannot open");
  auto split = [](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // a file saved on Windows
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    return cells;
  };
  std::string line;
  if (!std::getline(in, line) || line.empty()) fail("plot_metrics_csv", csv_path + ": is empty (no header line)");
  const std::vector<std::string> header = split(line);
  if (header.size() < 2) fail("plot_metrics_csv", csv_path + ": the header has no metric columns: " + line);
  std::vector<Series> series(header.size() - 1);
  for (size_t j = 1; j < header.size(); ++j) series[j - 1].name = header[j];
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty() || line == "\r") continue;
    std::vector<std::string> cells = split(line);
    if (cells.size() != header.size())
      fail("plot_metrics_csv", csv_path + ": line " + std::to_string(lineno) + " has " + std::to_string(cells.size()) +
                                   " fields, the header has " + std::to_string(header.size()));
    auto number = [&](size_t j) {
      char* end = nullptr;
      double v = std::strtod(cells[j].c_str(), &end);
      if (end == cells[j].c_str() || *end)
        fail("plot_metrics_csv", csv_path + ": line " + std::to_string(lineno) + ", column '" + header[j] + "': '" +
                                     cells[j] + "' is not a number");
      return v;
    };
    double x = number(0);
    for (size_t j = 1; j < cells.size(); ++j) {
      if (cells[j].empty()) continue;  // not logged at this step
      series[j - 1].x.push_back(x);
      series[j - 1].y.push_back(number(j));
    }
  }
  std::filesystem::path parent = std::filesystem::path(out_prefix).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::vector<std::string> written;
  for (const Series& s : series) {
    std::string file = s.name;  // a safe file name
    for (char& ch : file)
      if (!std::isalnum((unsigned char)ch) && ch != '_' && ch != '-' && ch != '.') ch = '_';
    for (const char* ext : {".svg", ".png"}) {
      std::string p = out_prefix + file + ext;
      if (ext[1] == 's') write_svg_plot(p, s.name, header[0], s.name, {s});
      else write_png_plot(p, s.name, header[0], s.name, {s});
      written.push_back(p);
    }
  }
  return written;
}

}  // namespace latent
