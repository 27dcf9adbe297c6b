// The binary end to end on tiny configs: outputs, exit codes, and that bad input writes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "support/process.hpp"
#include "support/tiny_run.hpp"

namespace moebench {
namespace {

using testing::read_file;
using testing::read_lines;
using testing::run_process;

const std::string kBinary = MOEBENCH_BINARY;

std::vector<std::string> tiny(const std::vector<std::string>& extra) { return testing::tiny_cpu_run(2, extra); }

class E2E : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-e2e"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string base() const { return dir_ + "/results"; }
  bool dir_is_empty() const { return std::filesystem::is_empty(dir_); }
  std::string dir_;
};

TEST_F(E2E, TinyRunWritesCsvAndMarkdown) {
  const auto r = run_process(kBinary, tiny({"--num-tokens", "16", "33", "--scenarios", "random", "imbalanced",
                                            "--check", "--output-file", base()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto csv = read_lines(base() + ".csv");
  ASSERT_EQ(csv.size(), 9u);  // header + 2 scenarios x 2 token counts x 2 implementations
  EXPECT_EQ(csv[0].rfind("implementation,scenario,num_tokens,ep_size,tp_size,num_experts,num_experts_per_tok,", 0), 0u);
  EXPECT_EQ(csv[1].rfind("fused,random,16,1,1,8,2,", 0), 0u);
  EXPECT_EQ(csv[2].rfind("epmoe,random,16,1,1,8,2,", 0), 0u);
  EXPECT_EQ(csv[8].rfind("epmoe,imbalanced,33,1,1,8,2,", 0), 0u);
  for (std::size_t i = 1; i < csv.size(); ++i) {
    EXPECT_EQ(std::count(csv[i].begin(), csv[i].end(), ','), std::count(csv[0].begin(), csv[0].end(), ','));
    EXPECT_NE(csv[i].find(",cpu:"), std::string::npos);
  }
  const std::string md = read_file(base() + ".md");
  EXPECT_EQ(md.rfind("# MoE Benchmark Results\n**Configuration:** 8 experts, top-2", 0), 0u);
  EXPECT_NE(md.find("## Scenario: random, Tokens: 16"), std::string::npos);
  EXPECT_NE(md.find("## Scenario: imbalanced, Tokens: 33"), std::string::npos);
  EXPECT_NE(md.find("| Metric | Fused MoE | EP MoE | Speedup |"), std::string::npos);
  EXPECT_NE(r.out.find("imbalanced"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(base() + ".md.tmp"));
}

TEST_F(E2E, CheckShowsAgreementBetweenThePaths) {
  const auto r = run_process(kBinary, tiny({"--num-tokens", "40", "--scenarios", "balanced", "--check",
                                            "--output-format", "csv", "--output-file", base()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto csv = read_lines(base() + ".csv");
  ASSERT_EQ(csv.size(), 3u);
  // check_rel_err is the 22nd column.
  auto column = [](const std::string& line, int index) {
    std::size_t start = 0;
    for (int i = 0; i < index; ++i) start = line.find(',', start) + 1;
    return line.substr(start, line.find(',', start) - start);
  };
  EXPECT_LT(std::stod(column(csv[1], 21)), 1e-5);
  EXPECT_EQ(column(csv[1], 21), column(csv[2], 21));
  EXPECT_FALSE(std::filesystem::exists(base() + ".md"));
}

TEST_F(E2E, SimulatedMeshRuns) {
  const auto r = run_process(kBinary, tiny({"--num-tokens", "50", "--scenarios", "random", "--tp-size", "4",
                                            "--ep-size", "2", "--check", "--output-file", base()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto csv = read_lines(base() + ".csv");
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1].rfind("fused,random,50,2,4,8,2,", 0), 0u);
}

// The CSV cell of `name` in `line`, from the header's column order.
std::string csv_cell(const std::string& header, const std::string& line, const std::string& name) {
  auto split = [](const std::string& text) {
    std::vector<std::string> cells;
    std::stringstream in(text);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    if (!text.empty() && text.back() == ',') cells.emplace_back();
    return cells;
  };
  const std::vector<std::string> names = split(header), cells = split(line);
  const auto at = static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
  return at < cells.size() ? cells[at] : "(no column " + name + ")";
}

// The balanced scenario's routing, recomputed: token t's experts are (t k + j) mod E. Each row goes
// from its owner to every TP rank of its expert's group but the owner, and a partial y row comes
// back; the bound is the busiest device's busier direction (docs/metrics.md).
std::int64_t balanced_comm_bytes(int devices, int ep, std::int64_t tokens, std::int64_t dispatch_row) {
  const int experts = 8, k = 2, tp = devices / ep;
  const std::int64_t combine_row = 2 * 64;
  std::vector<std::int64_t> sent(static_cast<std::size_t>(devices)), received(sent.size());
  for (std::int64_t t = 0; t < tokens; ++t) {
    const std::int64_t share = tokens / devices, extra = tokens % devices;
    const auto owner =
        static_cast<int>(t < extra * (share + 1) ? t / (share + 1) : extra + (t - extra * (share + 1)) / share);
    for (int j = 0; j < k; ++j) {
      const int group = static_cast<int>((t * k + j) % experts) / (experts / ep);
      for (int q = 0; q < tp; ++q) {
        const int dest = group * tp + q;
        if (dest == owner) continue;
        sent[static_cast<std::size_t>(owner)] += dispatch_row;
        received[static_cast<std::size_t>(dest)] += dispatch_row;
        sent[static_cast<std::size_t>(dest)] += combine_row;
        received[static_cast<std::size_t>(owner)] += combine_row;
      }
    }
  }
  return std::max(*std::max_element(sent.begin(), sent.end()), *std::max_element(received.begin(), received.end()));
}

TEST_F(E2E, MeshRowsCarryTheCommunicationBound) {
  for (const auto& [devices, ep] : {std::pair{4, 4}, std::pair{4, 2}}) {
    const auto r = run_process(
        kBinary, tiny({"--num-tokens", "50", "--scenarios", "balanced", "--tp-size", std::to_string(devices),
                       "--ep-size", std::to_string(ep), "--output-format", "csv", "--output-file", base()}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(", link "), std::string::npos) << r.out;  // the link bandwidth in the header
    const auto csv = read_lines(base() + ".csv");
    ASSERT_EQ(csv.size(), 3u);
    // bf16 rows of H = 64: 128 bytes each way; fused adds its 8-byte row record to the dispatch.
    EXPECT_EQ(csv_cell(csv[0], csv[1], "comm_bytes"), std::to_string(balanced_comm_bytes(devices, ep, 50, 136)));
    EXPECT_EQ(csv_cell(csv[0], csv[2], "comm_bytes"), std::to_string(balanced_comm_bytes(devices, ep, 50, 128)));
    for (const std::size_t row : {1u, 2u}) {
      auto number = [&](const char* name) { return std::stod(csv_cell(csv[0], csv[row], name)); };
      EXPECT_GT(number("comm_floor_ms"), 0.0) << csv[row];
      // 100 * max(roofline, floor) / mean, as far as the CSV's rounding (0.05 of the percentage,
      // 0.00005 ms of the times) tells.
      const double bound = std::max(number("roofline_ms"), number("comm_floor_ms"));
      const double mean = number("latency_mean_ms"), pct = number("pct_of_bound");
      const double tolerance = 0.05 + (100.0 + pct) * 0.00005 / mean + 1e-9;
      EXPECT_NEAR(pct, 100.0 * bound / mean, tolerance) << csv[row];
    }
  }
}

TEST_F(E2E, OneDeviceRowsHaveNoCommunicationBound) {
  const auto r = run_process(kBinary, tiny({"--num-tokens", "50", "--scenarios", "balanced", "--output-format", "csv",
                                            "--output-file", base()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(", link "), std::string::npos) << r.out;
  const auto csv = read_lines(base() + ".csv");
  ASSERT_EQ(csv.size(), 3u);
  for (const char* name : {"comm_bytes", "comm_floor_ms", "pct_of_bound"}) {
    EXPECT_EQ(csv_cell(csv[0], csv[1], name), "") << name;
    EXPECT_EQ(csv_cell(csv[0], csv[2], name), "") << name;
  }
}

TEST_F(E2E, Fp8RunsOnTheCpuAndSaysSo) {
  // --dtype fp8 on a simulated EP mesh (H = 64 and I = 96: one short block each way).
  const auto r = run_process(
      kBinary, tiny({"--num-tokens", "50", "--scenarios", "random", "--tp-size", "2", "--ep-size", "2", "--check",
                     "--dtype", "fp8", "--verbose", "--output-format", "csv", "markdown", "--output-file", base()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto csv = read_lines(base() + ".csv");
  ASSERT_EQ(csv.size(), 3u);
  for (std::size_t i = 1; i < csv.size(); ++i) EXPECT_NE(csv[i].find(",fp8-b128,"), std::string::npos) << csv[i];
  EXPECT_NE(r.out.find("# dtype: fp8-b128 (e4m3, 128x128 weight blocks, 1x128 activation groups)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("fp8 emulated in f32"), std::string::npos) << r.out;  // the fp8 peak beside the SGEMM one
  EXPECT_NE(read_file(base() + ".md").find("- Dtype: fp8-b128"), std::string::npos);
  EXPECT_NE(r.err.find("fp8 vs bf16 random T=50: ||out_fp8 - out_bf16|| / ||out_bf16|| = "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("epmoe random T=50: the dispatch moved "), std::string::npos) << r.err;
}

TEST_F(E2E, HelpListsFlagsAndExitsZero) {
  const auto r = run_process(kBinary, {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--imbalance-factor"), std::string::npos);
}

// Each bad input: exit code 2, one line on stderr, no output file.
TEST_F(E2E, BadInputIsOneLineExitTwoAndWritesNothing) {
  const std::vector<std::vector<std::string>> cases{
      {"--output-file", base()},
      {"--num-experts", "8", "--output-file", base()},
      tiny({"--num-tokens", "0", "--output-file", base()}),
      tiny({"--scenarios", "nope", "--output-file", base()}),
      tiny({"--ep-size", "3", "--tp-size", "3", "--output-file", base()}),
      tiny({"--tp-size", "512", "--ep-size", "8", "--output-file", base()}),
      tiny({"--imbalance-factor", "9", "--output-file", base()}),
      tiny({"--nnodes", "2", "--output-file", base()}),
      tiny({"--bogus-flag", "--output-file", base()}),
      tiny({"--dtype", "int8", "--output-file", base()}),
      tiny({"--dtype", "model", "--output-file", base()}),
      tiny({"--dtype", "fp8", "--tp-size", "2", "--output-file", base()}),
      tiny({"--output-file", "/proc/no/such/dir/results"}),
      {"--num-experts", "4096", "--num-experts-per-tok", "8", "--hidden-size", "65536", "--intermediate-size", "65536",
       "--device", "cpu", "--output-file", base()},
  };
  for (const auto& args : cases) {
    const auto r = run_process(kBinary, args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("bench_fused_vs_epmoe: error: ", 0), 0u) << joined << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined;
    EXPECT_TRUE(dir_is_empty()) << joined;
  }
}

TEST_F(E2E, SeedMessagesForDivisibilityAndDeviceCount) {
  auto r = run_process(kBinary, tiny({"--ep-size", "3", "--tp-size", "3", "--output-file", base()}));
  EXPECT_NE(r.err.find("num_experts must be divisible by ep_size"), std::string::npos);
  r = run_process(kBinary, tiny({"--tp-size", "512", "--ep-size", "8", "--output-file", base()}));
  EXPECT_NE(r.err.find("tp_size exceeds device count"), std::string::npos);
  EXPECT_NE(r.err.find("256 available"), std::string::npos);
  r = run_process(kBinary, {"--num-experts", "4096", "--num-experts-per-tok", "8", "--hidden-size", "65536",
                            "--intermediate-size", "65536", "--device", "cpu", "--output-file", base()});
  EXPECT_NE(r.err.find("GiB of host memory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace moebench
