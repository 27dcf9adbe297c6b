// A chart of series against token counts (log x): lines through markers, an optional low-high
// spread per point (band and error bars), an optional reference line; and its HTML legend.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace moebench {

struct ChartPoint {
  double x = 0;
  double y = 0;
  std::optional<double> low, high;  // the spread drawn around y (p50 to p95 for latencies)
  std::string tooltip;
};

struct ChartSeries {
  std::string label;
  std::string color;               // CSS color
  int style = 0;                   // dash pattern and marker shape: one per run when several runs overlay
  std::vector<ChartPoint> points;  // increasing x
};

struct LineChart {
  std::string kind;         // data-chart attribute: latency, speedup, roofline
  std::string description;  // aria-label
  std::string x_title = "tokens";
  std::string y_title;
  bool log_y = false;
  bool y_from_zero = false;  // linear y axes that start at 0 (percentages)
  std::optional<double> reference_y;
  std::string reference_label;
  std::vector<ChartSeries> series;
};

// The <svg class="chart"> element. Every series must have at least one point.
std::string render_line_chart(const LineChart& chart);

// A list of the series, each with a small sample of its line and marker.
std::string render_legend(const std::vector<ChartSeries>& series);

}  // namespace moebench
