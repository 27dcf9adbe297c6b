// SIGINT and SIGTERM mid-run: the process ends within a second, even inside an iteration longer
// than that, with exit code 128 + signal, one line saying how many cases finished, and every
// output file holding exactly those cases, whole.
#include <csignal>
#include <nlohmann/json.hpp>

#include "fault_support.hpp"

namespace moebench::fault {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One iteration of the second case (16384 tokens through 8 experts of 1024 x 2048, top-2: about
// 0.4 TFLOP) takes seconds on a few CPU cores, so the loop's own check between iterations cannot
// stop it in time: the watchdog has to.
std::vector<std::string> slow_second_case(const std::string& base) {
  return {"--num-experts",
          "8",
          "--num-experts-per-tok",
          "2",
          "--hidden-size",
          "1024",
          "--intermediate-size",
          "2048",
          "--num-tokens",
          "16",
          "16384",
          "--scenarios",
          "random",
          "--warmup-iters",
          "0",
          "--benchmark-iters",
          "3",
          "--device",
          "cpu",
          "--verbose",
          "--output-file",
          base};
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Sends `signal` once the child is inside the slow case; returns the seconds until it exited.
double interrupt_slow_case(testing::ChildProcess& child, int signal, const std::string& base) {
  EXPECT_TRUE(wait_until([&] { return line_count(base + ".csv") == 3; }, 120s)) << child.stderr_so_far();
  EXPECT_TRUE(wait_until([&] { return child.stderr_so_far().find("tokens=16384") != std::string::npos; }, 60s));
  std::this_thread::sleep_for(200ms);  // inside the first iteration of 16384 tokens
  const Clock::time_point sent = Clock::now();
  child.send_signal(signal);
  wait_until([&] { return !child.running(); }, 30s);
  return seconds_between(sent, Clock::now());
}

TEST_F(FaultTest, SigintInsideALongIterationStopsWithinASecondKeepingTheFinishedCase) {
  testing::ChildProcess child(kBinary, slow_second_case(base()));
  const double stop_s = interrupt_slow_case(child, SIGINT, base());
  const testing::ProcessResult r = child.wait();
  EXPECT_LT(stop_s, 1.0);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  const std::string line =
      "bench_fused_vs_epmoe: interrupted by signal 2 after 1 of 2 case(s); finished cases are written\n";
  EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  ASSERT_EQ(line_count(base() + ".csv"), 3u);  // the header and the 16-token case's two rows
  expect_whole_csv_rows(base() + ".csv");
  EXPECT_EQ(markdown_tables(base() + ".md"), 1);
  expect_no_temporaries(dir_);
}

TEST_F(FaultTest, SigtermInsideALongIterationExits143) {
  testing::ChildProcess child(kBinary, slow_second_case(base()));
  const double stop_s = interrupt_slow_case(child, SIGTERM, base());
  const testing::ProcessResult r = child.wait();
  EXPECT_LT(stop_s, 1.0);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_NE(r.err.find("interrupted by signal 15 after 1 of 2 case(s)"), std::string::npos) << r.err;
  expect_whole_csv_rows(base() + ".csv");
  EXPECT_EQ(line_count(base() + ".csv"), 3u);
}

// Before the first case (weights, peaks): nothing measured, so no output file was begun.
TEST_F(FaultTest, SigintBeforeTheFirstCaseStopsWithinASecondAndWritesNothing) {
  testing::ChildProcess child(kBinary, slow_second_case(base()));
  ASSERT_TRUE(wait_until([&] { return child.stderr_so_far().find("generating weights") != std::string::npos; }, 60s));
  const Clock::time_point sent = Clock::now();
  child.send_signal(SIGINT);
  wait_until([&] { return !child.running(); }, 30s);
  const double stop_s = seconds_between(sent, Clock::now());
  const testing::ProcessResult r = child.wait();
  EXPECT_LT(stop_s, 1.0);
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("after 0 of 2 case(s)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(base() + ".csv"));
  EXPECT_FALSE(std::filesystem::exists(base() + ".md"));
}

// Many short cases, every format, read over and over while they are written: each read sees
// whole rows and whole documents. Then a SIGINT, and all four files agree on the cases finished.
TEST_F(FaultTest, ReadersNeverSeeAPartialRowAndAllFormatsAgreeAfterAnInterrupt) {
  std::vector<std::string> args = tiny(token_counts(400));
  for (const char* a : {"--output-format", "csv", "markdown", "json", "html", "--output-file"}) args.push_back(a);
  args.push_back(base());
  testing::ChildProcess child(kBinary, args);
  int snapshots = 0;
  std::string last_csv, last_md;
  while (child.running() && line_count(base() + ".csv") < 101) {
    const std::string csv = testing::read_file(base() + ".csv");
    const std::string md = testing::read_file(base() + ".md");
    const std::string json = testing::read_file(base() + ".json");
    const std::string html = testing::read_file(base() + ".html");
    if (!csv.empty()) {
      ASSERT_EQ(csv.back(), '\n') << "a reader saw a partial CSV row";
      ASSERT_EQ(csv.rfind(last_csv, 0), 0u) << "the CSV changed other than by appending";
      last_csv = csv;
    }
    if (!md.empty()) {
      ASSERT_EQ(md.rfind(last_md, 0), 0u) << "a reader saw a Markdown that is not a whole earlier version";
      last_md = md;
    }
    if (!json.empty()) {
      ASSERT_TRUE(nlohmann::json::accept(json)) << "a reader saw a partial JSON";
    }
    if (!html.empty()) {
      ASSERT_EQ(html.substr(html.size() - 8), "</html>\n") << "a reader saw a partial HTML";
    }
    ++snapshots;
  }
  child.send_signal(SIGINT);
  const testing::ProcessResult r = child.wait();
  ASSERT_EQ(r.exit_code, 130) << r.err;
  EXPECT_GT(snapshots, 10);

  const auto at = r.err.find("after ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const int done = std::stoi(r.err.substr(at + 6));
  EXPECT_GE(done, 50);
  expect_whole_csv_rows(base() + ".csv");
  EXPECT_EQ(line_count(base() + ".csv"), 1u + 2u * static_cast<unsigned>(done));
  EXPECT_EQ(markdown_tables(base() + ".md"), done);
  const nlohmann::json json = nlohmann::json::parse(testing::read_file(base() + ".json"));
  EXPECT_EQ(json["cases"].size(), static_cast<std::size_t>(done));
  EXPECT_EQ(json["cases_planned"], 1200);
  expect_no_temporaries(dir_);
}

}  // namespace
}  // namespace moebench::fault
