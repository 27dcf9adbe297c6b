// The JSON and HTML outputs of real CPU runs, and `report` and `compare` on saved runs: exit
// codes, output, and one clear line for each kind of bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/tiny_run.hpp"

namespace moebench {
namespace {

using nlohmann::json;
using testing::read_file;
using testing::read_lines;
using testing::run_process;

const std::string kBinary = MOEBENCH_BINARY;

std::vector<std::string> tiny(const std::vector<std::string>& extra) { return testing::tiny_cpu_run(3, extra); }

class E2EReport : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-e2e-report"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // A saved run of 2 scenarios x 2 token counts x both implementations.
  std::string saved_run(const std::string& name) {
    const auto r = run_process(kBinary, tiny({"--num-tokens", "16", "48", "--scenarios", "random", "balanced",
                                              "--output-format", "json", "--output-file", path(name)}));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path(name + ".json");
  }
  std::string write_json(const std::string& name, const json& document) {
    std::ofstream(path(name)) << document.dump(1);
    return path(name);
  }
  std::string dir_;
};

TEST_F(E2EReport, OneRunWritesAllFourFormats) {
  const auto r =
      run_process(kBinary, tiny({"--num-tokens", "16", "33", "--scenarios", "random", "imbalanced", "--check",
                                 "--output-format", "csv", "markdown", "json", "html", "--output-file", path("all")}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* ext : {".csv", ".md", ".json", ".html"}) {
    EXPECT_TRUE(std::filesystem::exists(path("all") + ext)) << ext;
    EXPECT_FALSE(std::filesystem::exists(path("all") + ext + ".tmp")) << ext;
  }
  const json j = json::parse(read_file(path("all.json")));
  EXPECT_EQ(j["schema"], "moebench-results");
  EXPECT_EQ(j["cases_planned"], 4);
  ASSERT_EQ(j["cases"].size(), 4u);
  EXPECT_EQ(j["command_line"].get<std::string>().find(kBinary + " --num-experts 8"), 0u);
  EXPECT_EQ(j["timing"]["benchmark_iters"], 3);
  EXPECT_EQ(j["timing"]["cuda_graph"], false);  // the CPU backend times plain iterations
  EXPECT_FALSE(j["hosts"][0].get<std::string>().empty());
  EXPECT_EQ(j["devices"][0]["backend"], "cpu");
  EXPECT_GT(j["devices"][0]["memory_bytes"].get<double>(), 0);
  EXPECT_EQ(j["cases"][3]["scenario"], "imbalanced");
  EXPECT_EQ(j["cases"][3]["expert_loads"].size(), 8u);
  std::int64_t routed = 0;
  for (const auto& n : j["cases"][3]["expert_loads"]) routed += n.get<std::int64_t>();
  EXPECT_EQ(routed, 33 * 2);
  EXPECT_EQ(j["cases"][3]["rows"][1]["max_load"],
            *std::max_element(j["cases"][3]["expert_loads"].begin(), j["cases"][3]["expert_loads"].end()));
  EXPECT_EQ(read_lines(path("all.csv")).size(), 1u + 8u);
  const std::string html = read_file(path("all.html"));
  EXPECT_NE(html.find("<section class=\"scenario\" id=\"scenario-imbalanced\">"), std::string::npos);
  EXPECT_NE(html.find("data-chart=\"loads\""), std::string::npos);
}

TEST_F(E2EReport, ReportOverlaysSavedRuns) {
  const std::string a = saved_run("a"), b = saved_run("b");
  const auto r =
      run_process(kBinary, {"report", a, b, "-o", path("out/report.html"), "--label", "before", "--label", "after"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + path("out/report.html") + ": 2 run(s), 8 case(s)\n");
  const std::string html = read_file(path("out/report.html"));
  EXPECT_NE(html.find("data-label=\"before · fused\""), std::string::npos);
  EXPECT_NE(html.find("data-label=\"after · epmoe\""), std::string::npos);
  // Without labels, two runs with the same command line are told apart by their file names.
  const auto unlabelled = run_process(kBinary, {"report", a, a, "-o", path("same.html")});
  ASSERT_EQ(unlabelled.exit_code, 0) << unlabelled.err;
  EXPECT_NE(read_file(path("same.html")).find(" [" + a + "]"), std::string::npos);
}

TEST_F(E2EReport, CompareFindsAKnownRegression) {
  const std::string a = saved_run("a");
  json slower = json::parse(read_file(a));
  for (auto& c : slower["cases"]) {
    for (auto& row : c["rows"]) {
      row["latency_std_ms"] = 0.0;
      if (row["implementation"] == "epmoe" && c["num_tokens"] == 48) row["latency_mean_ms"] = 1000.0;
    }
  }
  json base = json::parse(read_file(a));
  for (auto& c : base["cases"])
    for (auto& row : c["rows"]) row["latency_std_ms"] = 0.0;
  const std::string pa = write_json("base.json", base), pb = write_json("slower.json", slower);

  const auto report = run_process(kBinary, {"compare", pa, pb});
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("# 8 matching case(s): 2 slower, 0 faster, 6 within noise\n"), std::string::npos)
      << report.out;
  const auto fail = run_process(kBinary, {"compare", pa, pb, "--fail-on-regression", "5"});
  EXPECT_EQ(fail.exit_code, 1) << fail.err;
  EXPECT_NE(fail.out.find("      random      48  epmoe"), std::string::npos);
  EXPECT_NE(fail.out.find("REGRESSION\n"), std::string::npos);
  EXPECT_NE(fail.out.find("; 2 regression(s) beyond 5%\n"), std::string::npos);
  EXPECT_EQ(run_process(kBinary, {"compare", pb, pa, "--fail-on-regression", "5"}).exit_code, 0);  // B is faster
  EXPECT_EQ(run_process(kBinary, {"compare", pa, pa, "--fail-on-regression", "0"}).exit_code, 0);
}

TEST_F(E2EReport, BadInputGetsOneLineAndExitTwo) {
  const std::string a = saved_run("a");
  json other_version = json::parse(read_file(a));
  other_version["schema_version"] = 7;
  json empty = json::parse(read_file(a));
  empty["cases"] = json::array();
  json unmatched = json::parse(read_file(a));
  for (std::size_t i = 0; i < unmatched["cases"].size(); ++i) {
    auto& c = unmatched["cases"][i];
    c["num_tokens"] = 1000 + i;
    for (auto& row : c["rows"]) row["num_tokens"] = 1000 + i;
  }
  std::ofstream(path("notes.txt")) << "not json";
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases{
      {{"compare", a, write_json("v7.json", other_version)},
       path("v7.json") + ": schema_version 7 cannot be read: this bench_fused_vs_epmoe reads schema_version 1 to 5"},
      {{"compare", a, write_json("other.json", json{{"results", json::array()}})},
       path("other.json") + ": not a moebench results file (no \"schema\": \"moebench-results\"; write one with "
                            "--output-format json)"},
      {{"report", write_json("empty.json", empty), "-o", path("r.html")},
       path("empty.json") + ": the run finished no case (0 of 4 planned): nothing to show"},
      {{"compare", a, write_json("unmatched.json", unmatched)},
       path("unmatched.json") + ": no case matches one of " + a +
           " (cases match by scenario, tokens and implementation; A has 8, B has 8)"},
      {{"compare", a, path("notes.txt")},
       path("notes.txt") + ": not JSON (parse error at line 1, column 2: syntax "
                           "error while parsing value - invalid literal; last read: 'no')"},
      {{"compare", a, "--fail-on-regression", "-3", a}, "--fail-on-regression must be a percentage >= 0 (got -3)"},
      {{"report", a, "-o", path("r.html"), "--label", "x", "--label", "y"},
       "2 --label values for 1 run file(s): give at most one per file"},
      {{"report", a}, "--output is required (see bench_fused_vs_epmoe report --help)"},
  };
  for (const Case& c : cases) {
    const auto r = run_process(kBinary, c.args);
    EXPECT_EQ(r.exit_code, 2) << c.error;
    EXPECT_EQ(r.err, "bench_fused_vs_epmoe: error: " + c.error + "\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(path("r.html")));
}

TEST_F(E2EReport, HelpOfEachCommand) {
  const auto report = run_process(kBinary, {"report", "--help"});
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_NE(report.out.find("Usage: bench_fused_vs_epmoe report [OPTIONS] runs..."), std::string::npos);
  const auto compare = run_process(kBinary, {"compare", "--help"});
  EXPECT_EQ(compare.exit_code, 0);
  EXPECT_NE(compare.out.find("--fail-on-regression PCT"), std::string::npos);
  EXPECT_NE(compare.out.find("Exit codes: 0 done, 1 a regression (with --fail-on-regression), 2 bad input."),
            std::string::npos);
  const auto main_help = run_process(kBinary, {"--help"});
  EXPECT_NE(main_help.out.find("bench_fused_vs_epmoe compare A.json B.json [--fail-on-regression PCT]"),
            std::string::npos);
}

}  // namespace
}  // namespace moebench
