// --profile on the CPU: one trace per (scenario, tokens, implementation) at the seed's path, a
// gzip'd Chrome trace whose phase ranges sit inside their iterations, in the algorithm's order.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "support/process.hpp"
#include "support/trace_reader.hpp"

namespace moebench {
namespace {

using testing::run_process;

const std::string kBinary = MOEBENCH_BINARY;

class E2EProfile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-profile"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

// The one trace of a case, checked to sit at <dir>/<case>/plugins/profile/<run-id>/<host>.trace.json.gz.
nlohmann::json load_trace(const std::string& profile_dir, const std::string& case_dir) {
  const auto files = testing::find_files(profile_dir + "/" + case_dir, ".trace.json.gz");
  EXPECT_EQ(files.size(), 1u) << case_dir;
  if (files.empty()) return {};
  const std::filesystem::path path(files[0]);
  EXPECT_EQ(path.parent_path().parent_path().filename(), "profile");
  EXPECT_EQ(path.parent_path().parent_path().parent_path().filename(), "plugins");
  return nlohmann::json::parse(testing::read_gzip(files[0]));
}

// Every phase lies inside exactly one iteration, durations are non-negative, and within each
// iteration the phases of `order` start in that order (any thread).
void check_phases(const nlohmann::json& trace, int iterations, const std::vector<std::string>& order) {
  const auto iters = testing::complete_events(trace, "iteration");
  ASSERT_EQ(static_cast<int>(iters.size()), iterations);
  std::map<int, std::vector<std::string>> seen;
  for (const auto& p : testing::complete_events(trace, "phase")) {
    const double ts = p.at("ts"), dur = p.at("dur");
    EXPECT_GE(dur, 0.0);
    int inside = 0;
    for (int i = 0; i < iterations; ++i) {
      const double its = iters[i].at("ts"), idur = iters[i].at("dur");
      if (ts >= its && ts + dur <= its + idur + 1e-3) {
        ++inside;
        seen[i].push_back(p.at("name"));
      }
    }
    EXPECT_EQ(inside, 1) << p.dump();
  }
  for (int i = 0; i < iterations; ++i) {
    std::vector<std::string> names;
    for (const auto& n : seen[i])
      if (std::find(order.begin(), order.end(), n) != order.end() && (names.empty() || names.back() != n))
        names.push_back(n);
    EXPECT_EQ(names, order) << "iteration " << i;
  }
}

TEST_F(E2EProfile, TracePerCaseAtTheSeedsPath) {
  const std::string profiles = dir_ + "/profiles";
  const auto r = run_process(kBinary, {"--num-experts",
                                       "8",
                                       "--num-experts-per-tok",
                                       "2",
                                       "--hidden-size",
                                       "64",
                                       "--intermediate-size",
                                       "96",
                                       "--num-tokens",
                                       "16",
                                       "--scenarios",
                                       "random",
                                       "--benchmark-iters",
                                       "3",
                                       "--device",
                                       "cpu",
                                       "--profile",
                                       "--profile-dir",
                                       profiles,
                                       "--output-file",
                                       dir_ + "/results"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json epmoe = load_trace(profiles, "random_tokens16_epmoe");
  check_phases(epmoe, 3, {"route", "permute", "dispatch", "gate_up_gemm", "activation", "down_gemm", "combine"});
  EXPECT_EQ(epmoe.at("otherData").at("implementation"), "epmoe");
  const nlohmann::json fused = load_trace(profiles, "random_tokens16_fused");
  check_phases(fused, 3, {"fused_block"});
  // Only that implementation's iterations: no epmoe phase in the fused trace.
  for (const auto& e : testing::complete_events(fused, "phase")) EXPECT_NE(e.at("name"), "gate_up_gemm");
  // The CSV still comes from the unprofiled timed pass.
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/results.csv"));
}

TEST_F(E2EProfile, UnwritableProfileDirWarnsAndStillWritesResults) {
  const auto r = run_process(kBinary, {"--num-experts",
                                       "8",
                                       "--num-experts-per-tok",
                                       "2",
                                       "--hidden-size",
                                       "64",
                                       "--intermediate-size",
                                       "96",
                                       "--num-tokens",
                                       "16",
                                       "--scenarios",
                                       "random",
                                       "--benchmark-iters",
                                       "2",
                                       "--device",
                                       "cpu",
                                       "--profile",
                                       "--profile-dir",
                                       "/proc/moebench-profiles",
                                       "--output-file",
                                       dir_ + "/results"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("cannot write traces under --profile-dir /proc/moebench-profiles"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/results.csv"));
}

}  // namespace
}  // namespace moebench
