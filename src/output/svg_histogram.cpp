// Per-expert load histogram as SVG: one rect per expert (with a tooltip) up to kMaxTooltipBars
// experts, one path for all bars beyond that to keep a 4096-expert report small.
#include "output/svg_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "output/html_text.hpp"
#include "output/svg_plot.hpp"

namespace moebench {

namespace {

constexpr std::size_t kMaxTooltipBars = 512;

std::vector<Tick> expert_ticks(std::size_t experts) {
  const std::size_t step = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(experts / 8.0)));
  std::vector<Tick> ticks;
  for (std::size_t e = 0; e < experts; e += step) ticks.push_back({e + 0.5, fmt::format("{}", e)});
  return ticks;
}

}  // namespace

std::string render_load_histogram(const LoadHistogram& h) {
  const PlotArea area;
  const std::size_t experts = h.loads.size();
  const double max_load = static_cast<double>(*std::max_element(h.loads.begin(), h.loads.end()));
  const Scale x{0, static_cast<double>(experts), area.left, area.right, false};
  const Scale y = linear_scale(0, std::max({max_load, h.average_load, 1.0}), area.bottom, area.top);
  std::vector<Tick> y_ticks;
  for (double v : ticks_for(y)) y_ticks.push_back({v, value_label(v)});

  std::string out = svg_open(h.description, "loads");
  out += svg_axes(area, x, thin_ticks(x, expert_ticks(experts), true), y, thin_ticks(y, y_ticks, false), "expert",
                  "tokens routed");
  const double slot = (area.right - area.left) / static_cast<double>(experts);
  const double width = slot >= 3 ? slot * 0.8 : slot;
  out += fmt::format("<g class=\"bars\" fill=\"{}\">\n", h.color);
  std::string path;
  for (std::size_t e = 0; e < experts; ++e) {
    const double load = static_cast<double>(h.loads[e]);
    const double left = x.map(static_cast<double>(e)) + (slot - width) / 2;
    const double top = y.map(load);
    if (experts <= kMaxTooltipBars) {
      out +=
          fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>expert {}: {} tokens</title></rect>\n",
                      px(left), px(top), fmt::format("{:.2f}", width), px(area.bottom - top), e, h.loads[e]);
    } else {
      path += fmt::format("M{:.2f} {}h{:.2f}V{}h{:.2f}z", left, px(area.bottom), width, px(top), -width);
    }
  }
  if (!path.empty()) out += fmt::format("<path d=\"{}\"/>\n", path);
  out += "</g>\n";
  const std::string avg = px(y.map(h.average_load));
  out += fmt::format(
      "<line class=\"reference\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#c0392b\" "
      "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
      px(area.left), avg, px(area.right), avg);
  out += svg_label(area.right - 4, y.map(h.average_load) - 5, "#c0392b", "average " + value_label(h.average_load));
  return out + "</svg>\n";
}

}  // namespace moebench
