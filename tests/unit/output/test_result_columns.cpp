// The column table: the CSV keeps the spec's order and the README's header, and the console and
// Markdown views it makes, byte for byte.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "output/csv_format.hpp"
#include "output/markdown_format.hpp"
#include "output/printer.hpp"
#include "output/result_columns.hpp"
#include "unit/sample_runs.hpp"

namespace moebench {
namespace {

TEST(ResultColumns, CsvStartsWithTheOriginalNineteenColumns) {
  const std::vector<std::string_view> original{"implementation",
                                               "scenario",
                                               "num_tokens",
                                               "ep_size",
                                               "tp_size",
                                               "num_experts",
                                               "num_experts_per_tok",
                                               "latency_mean_ms",
                                               "latency_std_ms",
                                               "latency_p50_ms",
                                               "latency_p95_ms",
                                               "latency_p99_ms",
                                               "latency_min_ms",
                                               "latency_max_ms",
                                               "max_load",
                                               "min_load",
                                               "avg_load",
                                               "max_imbalance",
                                               "throughput_tok_per_sec"};
  ASSERT_GE(result_columns().size(), original.size());
  for (std::size_t i = 0; i < original.size(); ++i) EXPECT_EQ(result_columns()[i].csv_name, original[i]);
}

TEST(ResultColumns, ReadmeShowsTheCsvHeader) {
  const auto readme = std::filesystem::path(__FILE__).parent_path() / "../../../README.md";
  std::ifstream in(readme);
  ASSERT_TRUE(in) << readme;
  std::string line;
  while (std::getline(in, line) && !line.starts_with("implementation,")) {
  }
  EXPECT_EQ(line, csv_header());
}

// A place is titled by its first column, and its columns share a part, since Markdown keeps or
// leaves out the line on the first column's part alone.
TEST(ResultColumns, EachPlaceHasATitleAndOnePart) {
  for (TextView ResultColumn::*view : {&ResultColumn::console, &ResultColumn::markdown}) {
    for (const ViewPlace& place : view_places(view)) {
      EXPECT_FALSE((place.front()->*view).title.empty());
      for (const ResultColumn* column : place) EXPECT_EQ(column->part, place.front()->part);
    }
  }
}

std::string console_output(std::span<const ResultRow> rows) {
  BenchmarkPlan plan;
  std::FILE* stream = std::tmpfile();
  auto printer = make_console_printer(stream);
  printer->begin(RunInfo{&plan, DeviceInfo{"cpu", "Test CPU", 1, "2 threads"}, {}, "test"});
  printer->add_case(rows);
  std::string text(static_cast<std::size_t>(std::ftell(stream)), '\0');
  std::rewind(stream);
  text.resize(std::fread(text.data(), 1, text.size(), stream));
  std::fclose(stream);
  return text;
}

TEST(ConsoleView, HeaderAndRowsByteForByte) {
  ResultRow bare = samples::row(Scenario::kImbalanced, 1024, ImplKind::kEpMoe, 3.0);
  bare.check_rel_err.reset();
  bare.roofline.reset();
  ResultRow mesh = samples::row(Scenario::kImbalanced, 1024, ImplKind::kFused, 2.0);
  mesh.comm = CommBound{4096, 1.5, 75.0};  // a multi-device row: its bound is the comm floor
  const std::vector<ResultRow> rows{mesh, bare};
  const std::string text = console_output(rows);
  EXPECT_EQ(
      text.substr(text.find("\n#\n") + 1),
      "#\n"
      "#   scenario  tokens   impl    mean_ms     p50_ms     p95_ms        tok/s   imbal     check   %roof  %bound\n"
      "  imbalanced    1024  fused     2.0000     1.9800     2.0600     512000.0   2.00x  1.50e-07    50.0    75.0\n"
      "  imbalanced    1024  epmoe     3.0000     2.9700     3.0900     341333.3   2.00x         -       -       -\n");
}

TEST(MarkdownView, CaseTableByteForByte) {
  ResultRow fused = samples::row(Scenario::kRandom, 512, ImplKind::kFused, 2.0);
  fused.roofline->roofline_ms = 0;  // peaks unknown: the % line stays, with "-"
  ResultRow epmoe = samples::row(Scenario::kRandom, 512, ImplKind::kEpMoe, 3.0);
  epmoe.check_rel_err.reset();
  EXPECT_EQ(markdown_case_table({epmoe, fused}),
            "\n## Scenario: random, Tokens: 512\n\n"
            "| Metric | Fused MoE | EP MoE | Speedup |\n"
            "|--------|-----------|-----------|---------|\n"
            "| Mean Latency (ms) | 2.0000 | 3.0000 | 1.50x |\n"
            "| P50 Latency (ms) | 1.9800 | 2.9700 | - |\n"
            "| P95 Latency (ms) | 2.0600 | 3.0900 | - |\n"
            "| P99 Latency (ms) | 2.1000 | 3.1500 | - |\n"
            "| Std (ms) | 0.0100 | 0.0100 | - |\n"
            "| Throughput (tok/s) | 256000.0 | 170666.7 | - |\n"
            "| Max Imbalance | 2.00x | 2.00x | - |\n"
            "| Load max / min / avg | 256 / 64 / 128.00 | 256 / 64 / 128.00 | - |\n"
            "| TFLOP/s | 0.500 | 0.500 | - |\n"
            "| % of Roofline | - | 50.0% | - |\n"
            "| Check (rel err) | 1.50e-07 | - | - |\n");
}

TEST(MarkdownView, LinesOfPartsTheFirstRowLacksAreLeftOut) {
  ResultRow fused = samples::row(Scenario::kRandom, 512, ImplKind::kFused, 2.0);
  fused.check_rel_err.reset();
  fused.roofline.reset();
  const std::string table = markdown_case_table({fused, samples::row(Scenario::kRandom, 512, ImplKind::kEpMoe, 3.0)});
  EXPECT_EQ(table.find("TFLOP/s"), std::string::npos);
  EXPECT_EQ(table.find("% of Roofline"), std::string::npos);
  EXPECT_EQ(table.find("Check"), std::string::npos);
  EXPECT_NE(table.find("| Load max / min / avg | 256 / 64 / 128.00 | 256 / 64 / 128.00 | - |\n"), std::string::npos);
}

}  // namespace
}  // namespace moebench
