// The pieces every chart of the HTML report shares: scales (linear or log10), "nice" ticks, and a
// plot frame with grid lines, axes and their labels, as SVG text.
#pragma once

#include <string>
#include <vector>

namespace moebench {

// The drawing area inside a chart's viewBox (kChartWidth x kChartHeight), margins for the axes.
inline constexpr double kChartWidth = 480;
inline constexpr double kChartHeight = 300;
struct PlotArea {
  double left = 62, right = kChartWidth - 14, top = 14, bottom = kChartHeight - 46;
};

// Maps data onto pixels; log scales map log10(value), so their domain must be positive.
struct Scale {
  double lo = 0, hi = 1;              // data domain
  double pixel_lo = 0, pixel_hi = 1;  // pixels for lo and hi (y runs downwards: pixel_lo > pixel_hi)
  bool log = false;
  double map(double value) const;
};

// Domains that hold every value with some room at both ends; a single value gets a range around it.
Scale log_scale(double min_value, double max_value, double pixel_lo, double pixel_hi);
Scale linear_scale(double min_value, double max_value, double pixel_lo, double pixel_hi);

// Tick values inside the scale's domain: 1-2-5 per decade (fewer where crowded, more where the
// range is short) on a log scale, 1-2-5 steps on a linear one.
std::vector<double> ticks_for(const Scale& scale);

struct Tick {
  double value;
  std::string label;
};
// Labelled ticks (in increasing order); those whose label would overlap the last kept one are dropped.
std::vector<Tick> thin_ticks(const Scale& scale, const std::vector<Tick>& ticks, bool horizontal);

// Tick labels: token counts as integers (65536 and up as "64K"), other values with 3 significant digits.
std::string token_label(double tokens);
std::string value_label(double value);

// Opening <svg class="chart"> tag for an accessible, responsive chart.
std::string svg_open(const std::string& aria_label, const std::string& kind);

// Grid lines, both axes, tick labels and the axis titles.
std::string svg_axes(const PlotArea& area, const Scale& x, const std::vector<Tick>& x_ticks, const Scale& y,
                     const std::vector<Tick>& y_ticks, const std::string& x_title, const std::string& y_title);

// A small right-aligned label ending at (x, y), with a white halo so it stays legible over bars and lines.
std::string svg_label(double x, double y, const std::string& color, const std::string& text);

// Fixed-point coordinates: short and locale-free.
std::string px(double value);

}  // namespace moebench
