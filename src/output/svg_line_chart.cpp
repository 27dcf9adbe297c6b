// Line charts against token counts, drawn as plain SVG: a band and error bars for the spread,
// markers with tooltips, one dash pattern and marker shape per run.
#include "output/svg_line_chart.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <limits>
#include <set>

#include "output/html_text.hpp"
#include "output/svg_plot.hpp"

namespace moebench {

namespace {

constexpr const char* kDashes[] = {"", "7 4", "2 3", "9 3 2 3"};

std::string dash_attribute(int style) {
  const char* dash = kDashes[style % 4];
  return *dash ? fmt::format(" stroke-dasharray=\"{}\"", dash) : "";
}

// Circle, square, triangle, diamond: runs stay apart in print and for colour-blind readers.
std::string marker(double x, double y, int style, const std::string& color, const std::string& tooltip) {
  const std::string title = tooltip.empty() ? "" : fmt::format("<title>{}</title>", html_escape(tooltip));
  const std::string paint = fmt::format("fill=\"{}\" stroke=\"#fff\" stroke-width=\"1\"", color);
  switch (style % 4) {
    case 1:
      return fmt::format("<rect x=\"{}\" y=\"{}\" width=\"8\" height=\"8\" {}>{}</rect>", px(x - 4), px(y - 4), paint,
                         title);
    case 2: return fmt::format("<path d=\"M{} {}l5 9h-10z\" {}>{}</path>", px(x), px(y - 5.5), paint, title);
    case 3: return fmt::format("<path d=\"M{} {}l5 5-5 5-5-5z\" {}>{}</path>", px(x), px(y - 5), paint, title);
    default: return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" {}>{}</circle>", px(x), px(y), paint, title);
  }
}

struct Bounds {
  double x_min = std::numeric_limits<double>::max(), x_max = std::numeric_limits<double>::lowest();
  double y_min = std::numeric_limits<double>::max(), y_max = std::numeric_limits<double>::lowest();
  void add_y(double y) {
    y_min = std::min(y_min, y);
    y_max = std::max(y_max, y);
  }
};

Bounds bounds_of(const LineChart& c) {
  Bounds b;
  for (const ChartSeries& s : c.series) {
    for (const ChartPoint& p : s.points) {
      b.x_min = std::min(b.x_min, p.x);
      b.x_max = std::max(b.x_max, p.x);
      b.add_y(p.y);
      if (p.low) b.add_y(*p.low);
      if (p.high) b.add_y(*p.high);
    }
  }
  if (c.reference_y) b.add_y(*c.reference_y);
  return b;
}

std::string draw_series(const ChartSeries& s, const Scale& x, const Scale& y) {
  std::string out = fmt::format("<g class=\"series\" data-label=\"{}\">\n", html_escape(s.label));
  const bool spread =
      std::all_of(s.points.begin(), s.points.end(), [](const ChartPoint& p) { return p.low && p.high; });
  if (spread && s.points.size() >= 2) {
    std::string band;
    for (const ChartPoint& p : s.points) band += fmt::format("{},{} ", px(x.map(p.x)), px(y.map(*p.high)));
    for (auto p = s.points.rbegin(); p != s.points.rend(); ++p)
      band += fmt::format("{},{} ", px(x.map(p->x)), px(y.map(*p->low)));
    out += fmt::format("<polygon points=\"{}\" fill=\"{}\" fill-opacity=\"0.15\"/>\n", band, s.color);
  }
  for (const ChartPoint& p : s.points) {
    if (!p.low || !p.high) continue;
    out += fmt::format("<path d=\"M{0} {1}V{2}M{3} {1}h8M{3} {2}h8\" stroke=\"{4}\" fill=\"none\"/>\n", px(x.map(p.x)),
                       px(y.map(*p.low)), px(y.map(*p.high)), px(x.map(p.x) - 4), s.color);
  }
  if (s.points.size() >= 2) {
    std::string line;
    for (const ChartPoint& p : s.points) line += fmt::format("{},{} ", px(x.map(p.x)), px(y.map(p.y)));
    out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/>\n", line, s.color,
                       dash_attribute(s.style));
  }
  for (const ChartPoint& p : s.points) out += marker(x.map(p.x), y.map(p.y), s.style, s.color, p.tooltip) + "\n";
  return out + "</g>\n";
}

}  // namespace

std::string render_line_chart(const LineChart& c) {
  const Bounds b = bounds_of(c);
  const PlotArea area;
  const Scale x = log_scale(b.x_min, b.x_max, area.left, area.right);
  const Scale y = c.log_y ? log_scale(b.y_min, b.y_max, area.bottom, area.top)
                          : linear_scale(c.y_from_zero ? 0.0 : b.y_min, b.y_max, area.bottom, area.top);
  std::set<double> token_counts;
  for (const ChartSeries& s : c.series)
    for (const ChartPoint& p : s.points) token_counts.insert(p.x);
  std::vector<Tick> x_ticks, y_ticks;
  for (double t : token_counts) x_ticks.push_back({t, token_label(t)});
  for (double v : ticks_for(y)) y_ticks.push_back({v, value_label(v)});

  std::string out = svg_open(c.description, c.kind);
  out += svg_axes(area, x, thin_ticks(x, x_ticks, true), y, thin_ticks(y, y_ticks, false), c.x_title, c.y_title);
  if (c.reference_y) {
    const std::string yp = px(y.map(*c.reference_y));
    out += fmt::format(
        "<line class=\"reference\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#777\" "
        "stroke-dasharray=\"5 4\"/>\n",
        px(area.left), yp, px(area.right), yp);
    out += svg_label(area.right - 4, y.map(*c.reference_y) - 5, "#555", c.reference_label);
  }
  for (const ChartSeries& s : c.series) out += draw_series(s, x, y);
  return out + "</svg>\n";
}

std::string render_legend(const std::vector<ChartSeries>& series) {
  std::string out = "<ul class=\"legend\">\n";
  for (const ChartSeries& s : series) {
    out += fmt::format(
        "<li><svg width=\"36\" height=\"14\" viewBox=\"0 0 36 14\" aria-hidden=\"true\"><line x1=\"2\" y1=\"7\" "
        "x2=\"34\" y2=\"7\" stroke=\"{}\" stroke-width=\"2\"{}/>{}</svg>{}</li>\n",
        s.color, dash_attribute(s.style), marker(18, 7, s.style, s.color, ""), html_escape(s.label));
  }
  return out + "</ul>\n";
}

}  // namespace moebench
