// The HTML report: every chart and the table per scenario, notes where a chart cannot be drawn,
// strings from the run escaped, several runs told apart; and the plotting helpers' ticks.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "output/html_report.hpp"
#include "output/html_text.hpp"
#include "output/svg_plot.hpp"
#include "unit/sample_runs.hpp"

namespace moebench {
namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HtmlReport, EveryChartPerScenarioAndTheTable) {
  const std::string html = html_report({samples::run({Scenario::kRandom, Scenario::kImbalanced}, {64, 256, 1024})});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_EQ(count(html, "<svg class=\"chart\""), 8u);
  for (const char* kind : {"latency", "speedup", "roofline", "loads"}) {
    EXPECT_EQ(count(html, fmt::format("data-chart=\"{}\"", kind)), 2u) << kind;
  }
  EXPECT_NE(html.find("<section class=\"scenario\" id=\"scenario-random\">"), std::string::npos);
  EXPECT_NE(html.find("<section class=\"scenario\" id=\"scenario-imbalanced\">"), std::string::npos);
  EXPECT_EQ(count(html, "<tr>"), 1u + 12u);  // header + 2 scenarios x 3 token counts x 2 implementations
  EXPECT_EQ(count(html, "<polygon"), 4u);    // a p50-p95 band per implementation and scenario
  EXPECT_NE(
      html.find("<title>fused, 1024 tokens: mean 2.000 ms, p50 1.980, p95 2.060, std 0.0100 (10 iterations)</title>"),
      std::string::npos);
  EXPECT_NE(html.find("<title>expert 0: 512 tokens</title>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // the SVG namespace, nothing fetched
  EXPECT_EQ(html.find("Partial"), std::string::npos);
}

TEST(HtmlReport, OneImplementationSaysThereIsNoSpeedup) {
  const std::string html = html_report({samples::run({Scenario::kBalanced}, {64, 256}, {ImplKind::kEpMoe})});
  EXPECT_EQ(count(html, "data-chart=\"speedup\""), 0u);
  EXPECT_NE(html.find("This run ran only one implementation in this scenario: no speedup to draw"), std::string::npos);
  EXPECT_EQ(count(html, "data-chart=\"latency\""), 1u);
}

TEST(HtmlReport, NoPeaksSaysThereIsNoRoofline) {
  RunRecord run = samples::run({Scenario::kRandom}, {64});
  for (ResultRow& r : run.cases[0].rows) r.roofline.reset();
  run.peaks = {};
  const std::string html = html_report({run});
  EXPECT_EQ(count(html, "data-chart=\"roofline\""), 0u);
  EXPECT_NE(html.find("No percent of roofline: the run measured no device peaks."), std::string::npos);
  EXPECT_NE(html.find("<dt>Peaks</dt><dd>not measured</dd>"), std::string::npos);
}

TEST(HtmlReport, SaysTheDtypeAndTheFp8Peak) {
  RunRecord run = samples::run({Scenario::kRandom}, {64});
  for (ResultRow& r : run.cases[0].rows) r.dtype = "fp8-b128";
  run.peaks.fp8_tflops = 0.2;
  run.peaks.fp8_compute_method = "fp8 emulated in f32: the SGEMM peak";
  const std::string html = html_report({run});
  EXPECT_NE(html.find("<dt>Dtype</dt><dd>fp8-b128</dd>"), std::string::npos);
  EXPECT_NE(html.find("fp8 0.20 TFLOP/s (fp8 emulated in f32: the SGEMM peak)"), std::string::npos);
}

TEST(HtmlReport, EscapesEverythingFromTheRun) {
  RunRecord run = samples::run({Scenario::kRandom}, {64});
  run.command_line = "bench_fused_vs_epmoe --output-file '<script>alert(\"x\")</script>&'";
  run.hosts = {"host<1>"};
  const std::string html = html_report({run});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&#39;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"), std::string::npos);
  EXPECT_NE(html.find("host&lt;1&gt;"), std::string::npos);
}

TEST(HtmlReport, SeveralRunsOverlaidWithTheirLabels) {
  RunRecord a = samples::run({Scenario::kRandom}, {64, 1024});
  RunRecord b = samples::run({Scenario::kRandom}, {64, 1024}, {ImplKind::kFused, ImplKind::kEpMoe}, 2.5, 2.8);
  a.label = "before";
  b.label = "after & <more>";
  const std::string html = html_report({a, b});
  EXPECT_NE(html.find("<title>moebench report: 2 runs</title>"), std::string::npos);
  EXPECT_NE(html.find("data-label=\"before · fused\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"after &amp; &lt;more&gt; · epmoe / fused\""), std::string::npos);
  EXPECT_NE(html.find("<h3>after &amp; &lt;more&gt;</h3>"), std::string::npos);
  EXPECT_EQ(count(html, "data-chart=\"loads\""), 1u);  // the same loads are drawn once
  EXPECT_EQ(count(html, "<tr>"), 1u + 8u);
  EXPECT_NE(html.find("stroke-dasharray=\"7 4\""), std::string::npos);  // the second run's dash pattern
}

TEST(HtmlReport, PartialRunSaysSo) {
  RunRecord run = samples::run({Scenario::kRandom}, {64, 1024});
  run.cases_planned = 5;
  EXPECT_NE(html_report({run}).find("Partial: 2 of 5 case(s) finished"), std::string::npos);
  run.cases.clear();
  EXPECT_NE(html_report({run}).find("No case has finished yet."), std::string::npos);
}

TEST(SvgPlot, LogTicksAndLabels) {
  const Scale s = log_scale(0.3, 30, 0, 100);
  EXPECT_LT(s.lo, 0.3);
  EXPECT_GT(s.hi, 30);
  EXPECT_NEAR(s.map(std::sqrt(s.lo * s.hi)), 50, 1e-9);
  EXPECT_EQ(ticks_for(s), (std::vector<double>{0.5, 1, 2, 5, 10, 20}));
  const std::vector<double> wide = ticks_for(log_scale(1e-3, 1e4, 0, 100));
  EXPECT_LE(wide.size(), 8u);
  EXPECT_EQ(wide.front(), 1e-3);
  EXPECT_EQ(token_label(512), "512");
  EXPECT_EQ(token_label(65536), "64K");
  EXPECT_EQ(value_label(0.5), "0.5");
  EXPECT_EQ(value_label(200), "200");
  EXPECT_EQ(value_label(0.00125), "0.00125");
}

TEST(SvgPlot, LinearTicksStartAtZeroForCounts) {
  const Scale s = linear_scale(0, 148, 300, 0);
  EXPECT_EQ(s.lo, 0);
  EXPECT_GE(s.hi, 148);
  EXPECT_EQ(ticks_for(s).front(), 0);
  EXPECT_EQ(ticks_for(linear_scale(0, 100, 0, 1)), (std::vector<double>{0, 20, 40, 60, 80, 100, 120}));
}

TEST(SvgPlot, OverlappingTickLabelsAreDropped) {
  const Scale x = log_scale(16, 32768, 0, 400);
  std::vector<Tick> ticks;
  for (double t = 16; t <= 32768; t *= 2) ticks.push_back({t, token_label(t)});
  const std::vector<Tick> kept = thin_ticks(x, ticks, true);
  EXPECT_LT(kept.size(), ticks.size());
  EXPECT_EQ(kept.front().label, "16");
  for (std::size_t i = 1; i < kept.size(); ++i) EXPECT_GT(x.map(kept[i].value) - x.map(kept[i - 1].value), 30);
}

TEST(HtmlText, EscapeAndNumbers) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(format_significant(212.3447, 4), "212.3");
  EXPECT_EQ(format_significant(0.012345, 3), "0.0123");
  EXPECT_EQ(format_significant(15731.2, 3), "15731");
}

}  // namespace
}  // namespace moebench
