// Scales, ticks and axes for the report's charts.
#include "output/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fmt/format.h>

#include "output/html_text.hpp"

namespace moebench {

namespace {

// The 1-2-5 step nearest above `raw`.
double nice_step(double raw) {
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * decade >= raw * 0.999) return m * decade;
  return 10 * decade;
}

std::vector<double> decade_ticks(const Scale& s, std::initializer_list<double> multipliers, int decade_stride) {
  std::vector<double> out;
  if (!(s.lo > 0) || !std::isfinite(s.hi)) return out;  // log_scale() never makes such a domain
  const int first = static_cast<int>(std::floor(std::log10(s.lo)));
  const int last = static_cast<int>(std::ceil(std::log10(s.hi)));
  for (int e = first; e <= last; ++e) {
    if ((e - first) % decade_stride != 0) continue;
    for (double m : multipliers) {
      const double v = m * std::pow(10.0, e);
      if (v >= s.lo * 0.9999 && v <= s.hi * 1.0001) out.push_back(v);
    }
  }
  return out;
}

}  // namespace

double Scale::map(double value) const {
  // A value at or below zero has no place on a log axis: it sits on the axis' lower end.
  if (log) value = std::max(value, lo);
  const double t =
      log ? (std::log10(value) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (value - lo) / (hi - lo);
  return pixel_lo + t * (pixel_hi - pixel_lo);
}

Scale log_scale(double min_value, double max_value, double pixel_lo, double pixel_hi) {
  // Data from a saved file can hold zeros or extremes (latency 0 ms): the domain stays positive,
  // finite and within kMaxDecades, so the padding and the decade ticks below never overflow.
  constexpr double kMaxDecades = 12;
  if (!(max_value > 0)) max_value = 1.0;
  max_value = std::clamp(max_value, 1e-280, 1e280);
  const double lowest = max_value * std::pow(10.0, -kMaxDecades);
  min_value = std::clamp(std::isfinite(min_value) ? min_value : 0.0, lowest, max_value);
  const double span = std::log10(max_value / min_value);
  const double pad = span > 0 ? std::max(0.04, span * 0.06) : std::log10(2.0);
  return Scale{min_value / std::pow(10.0, pad), max_value * std::pow(10.0, pad), pixel_lo, pixel_hi, true};
}

Scale linear_scale(double min_value, double max_value, double pixel_lo, double pixel_hi) {
  if (max_value <= min_value) {
    const double half = std::max(std::fabs(max_value) * 0.1, 1.0);
    min_value -= half;
    max_value += half;
  }
  const double step = nice_step((max_value - min_value) / 5);
  const double padded = max_value + 0.04 * (max_value - min_value);
  double lo = std::floor(min_value / step) * step;
  if (min_value >= 0 && lo < 0) lo = 0;
  return Scale{lo, std::ceil(padded / step) * step, pixel_lo, pixel_hi, false};
}

std::vector<double> ticks_for(const Scale& s) {
  if (!s.log) {
    // linear_scale() rounds its domain to steps of about a fifth of the data; a sixth of the
    // padded domain lands on the same step.
    const double step = nice_step((s.hi - s.lo) / 6);
    std::vector<double> out;
    // A domain too wide or too narrow for its magnitude (possible only with values from an edited
    // file) gets no ticks rather than an endless loop: v += step must move, a few dozen times.
    if (!(step > 0) || !std::isfinite(step) || !std::isfinite(s.lo)) return out;
    for (double v = std::ceil(s.lo / step) * step; v <= s.hi + step * 1e-6 && out.size() < 64; v += step) {
      if (v + step == v) break;
      out.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
    }
    return out;
  }
  std::vector<double> out = decade_ticks(s, {1, 2, 5}, 1);
  // No 7 and 9: next to 8 and 10 their labels would crowd out the rounder ones.
  if (out.size() < 3) out = decade_ticks(s, {1, 2, 3, 4, 5, 6, 8}, 1);
  for (int stride = 1; out.size() > 8; ++stride) out = decade_ticks(s, {1}, stride);
  return out;
}

std::vector<Tick> thin_ticks(const Scale& scale, const std::vector<Tick>& ticks, bool horizontal) {
  constexpr double kCharWidth = 7.5, kLineHeight = 17.0;  // at the charts' 13px
  std::vector<Tick> kept;
  double last_position = 0, last_half = 0;
  for (const Tick& t : ticks) {
    const double position = scale.map(t.value);
    const double half = horizontal ? (t.label.size() * kCharWidth + 8) / 2 : kLineHeight / 2;
    if (!kept.empty() && std::fabs(position - last_position) < last_half + half) continue;
    kept.push_back(t);
    last_position = position;
    last_half = half;
  }
  return kept;
}

std::string token_label(double tokens) {
  const auto n = static_cast<std::int64_t>(std::llround(tokens));
  if (n >= 65536 && n % 1024 == 0) return fmt::format("{}K", n / 1024);
  return fmt::format("{}", n);
}

std::string value_label(double value) {
  std::string text = format_significant(value, 3);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

std::string px(double value) { return fmt::format("{:.1f}", value); }

std::string svg_label(double x, double y, const std::string& color, const std::string& text) {
  return fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{}\" font-size=\"12\" stroke=\"#fff\" "
      "stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n",
      px(x), px(y), color, html_escape(text));
}

std::string svg_open(const std::string& aria_label, const std::string& kind) {
  return fmt::format(
      "<svg class=\"chart\" data-chart=\"{}\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" role=\"img\" "
      "aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui, 'DejaVu Sans', sans-serif\" "
      "font-size=\"13\">\n",
      kind, kChartWidth, kChartHeight, kChartWidth, kChartHeight, html_escape(aria_label));
}

std::string svg_axes(const PlotArea& a, const Scale& x, const std::vector<Tick>& x_ticks, const Scale& y,
                     const std::vector<Tick>& y_ticks, const std::string& x_title, const std::string& y_title) {
  std::string out = "<g class=\"axes\" fill=\"#333\">\n";
  for (const Tick& t : x_ticks) {
    const std::string xp = px(x.map(t.value));
    out += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#e4e4e4\"/>", xp, px(a.top),
                       px(a.bottom));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", xp, px(a.bottom + 17),
                       html_escape(t.label));
  }
  for (const Tick& t : y_ticks) {
    const std::string yp = px(y.map(t.value));
    out += fmt::format("<line x1=\"{1}\" y1=\"{0}\" x2=\"{2}\" y2=\"{0}\" stroke=\"#e4e4e4\"/>", yp, px(a.left),
                       px(a.right));
    out += fmt::format("<text x=\"{}\" y=\"{}\" dy=\"0.35em\" text-anchor=\"end\">{}</text>\n", px(a.left - 6), yp,
                       html_escape(t.label));
  }
  out += fmt::format("<path d=\"M{0} {1}V{2}H{3}\" fill=\"none\" stroke=\"#444\"/>\n", px(a.left), px(a.top),
                     px(a.bottom), px(a.right));
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
                     px((a.left + a.right) / 2), px(kChartHeight - 8), html_escape(x_title));
  out += fmt::format(
      "<text transform=\"translate(15 {}) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
      px((a.top + a.bottom) / 2), html_escape(y_title));
  return out + "</g>\n";
}

}  // namespace moebench
