// The JSON results document: written in the documented layout, read back to the same run, and
// anything else refused with one line that names the file and the field.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/errors.hpp"
#include "output/csv_format.hpp"
#include "output/results_json.hpp"
#include "report/results_file.hpp"
#include "unit/sample_runs.hpp"

namespace moebench {
namespace {

RunRecord sample() { return samples::run({Scenario::kRandom, Scenario::kImbalanced}, {64, 1024}); }

std::string refusal(const Json& document) {
  try {
    results_from_json(document, "x.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(ResultsJson, IdentifiesItself) {
  const Json j = results_to_json(sample());
  EXPECT_EQ(j["schema"], "moebench-results");
  EXPECT_EQ(j["schema_version"], 5);
  EXPECT_EQ(j["program"], "bench_fused_vs_epmoe");
  EXPECT_EQ(j["cases_planned"], 4);
  EXPECT_EQ(j["cases"].size(), 4u);
  EXPECT_EQ(j["cases"][0]["expert_loads"].size(), 8u);
  EXPECT_TRUE(j["model"]["name"].is_null());
  EXPECT_TRUE(j["devices"][0]["sm_count"].is_null());
  EXPECT_EQ(j["devices"][0]["cpu_threads"], 2);
  EXPECT_EQ(j["devices"][0]["nccl_version"], "none");
}

TEST(ResultsJson, RowsHaveTheCsvColumnsInOrderThenTheIterationCountAndThePeakBeaten) {
  std::vector<std::string> columns;
  std::stringstream header(csv_header());
  for (std::string name; std::getline(header, name, ',');) columns.push_back(name);
  columns.emplace_back("latency_count");
  columns.emplace_back("beyond_peak");
  std::vector<std::string> keys;
  const Json document = results_to_json(sample());
  for (const auto& [key, value] : document["cases"][1]["rows"][1].items()) keys.push_back(key);
  EXPECT_EQ(keys, columns);
}

TEST(ResultsJson, RoundTripKeepsEveryField) {
  RunRecord run = sample();
  run.cases[0].rows[0].check_rel_err.reset();
  run.cases[0].rows[0].roofline.reset();
  run.cases[0].rows[1].roofline->roofline_ms = 0;  // peaks unknown: no ceiling
  run.cases[0].rows[1].roofline->pct_of_roofline = 0;
  run.device.sm_count = 132;
  run.device.compute_capability = "9.0";
  const RunRecord back = results_from_json(Json::parse(results_to_json(run).dump()), "x.json");
  EXPECT_EQ(results_to_json(back), results_to_json(run));
  EXPECT_EQ(back.cases[1].bench_case.num_tokens, 1024);
  EXPECT_EQ(back.cases[1].expert_loads(), run.cases[1].expert_loads());
  EXPECT_EQ(back.cases[3].rows[1].latency.p95_ms, run.cases[3].rows[1].latency.p95_ms);
  EXPECT_FALSE(back.cases[0].rows[0].check_rel_err.has_value());
  EXPECT_FALSE(back.cases[0].rows[0].roofline.has_value());
  EXPECT_EQ(back.device.sm_count, 132);
  EXPECT_EQ(back.timing.benchmark_iters, 10);
}

// fp8 runs: the rows' dtype and the fp8 compute peak; a run without that peak, or a version 2 file
// (no such key), reads as none measured.
TEST(ResultsJson, Fp8DtypeAndPeakRoundTripAndVersionTwoReadsAsNone) {
  RunRecord run = sample();
  Json j = results_to_json(run);
  EXPECT_TRUE(j["peaks"]["fp8_tflops"].is_null());
  EXPECT_TRUE(j["peaks"]["fp8_compute_method"].is_null());
  run.peaks.fp8_tflops = 1500.5;
  run.peaks.fp8_compute_method = "cuBLASLt fp8 GEMM 8192^3";
  for (CaseRecord& c : run.cases)
    for (ResultRow& r : c.rows) r.dtype = "fp8-b128";
  j = results_to_json(run);
  EXPECT_EQ(j["peaks"]["fp8_tflops"], 1500.5);
  const RunRecord back = results_from_json(Json::parse(j.dump()), "x.json");
  EXPECT_EQ(back.peaks.fp8_tflops, 1500.5);
  EXPECT_EQ(back.peaks.fp8_compute_method, "cuBLASLt fp8 GEMM 8192^3");
  EXPECT_EQ(back.cases[2].rows[1].dtype, "fp8-b128");
  j["schema_version"] = 2;
  j["peaks"].erase("fp8_tflops");
  j["peaks"].erase("fp8_compute_method");
  EXPECT_EQ(results_from_json(j, "x.json").peaks.fp8_tflops, 0.0);
}

// Multi-device runs: the link bandwidth and each row's communication bound; a run without them,
// or a version 3 file (no such keys), reads as none measured.
TEST(ResultsJson, CommBoundRoundTripsAndVersionThreeReadsAsNone) {
  RunRecord run = sample();
  Json j = results_to_json(run);
  EXPECT_TRUE(j["peaks"]["link_gbps"].is_null());
  EXPECT_TRUE(j["cases"][0]["rows"][0]["comm_bytes"].is_null());
  run.peaks.link_gbps = 370.5;
  run.peaks.link_method = "cudaMemcpyPeerAsync of 256 MiB, GPU 0 to 1";
  run.cases[1].rows[0].comm = CommBound{123456789, 0.25, 61.5};
  j = results_to_json(run);
  EXPECT_EQ(j["cases"][1]["rows"][0]["comm_bytes"], 123456789);
  EXPECT_TRUE(j["cases"][1]["rows"][1]["pct_of_bound"].is_null());
  const RunRecord back = results_from_json(Json::parse(j.dump()), "x.json");
  EXPECT_EQ(results_to_json(back), j);
  EXPECT_EQ(back.peaks.link_gbps, 370.5);
  ASSERT_TRUE(back.cases[1].rows[0].comm.has_value());
  EXPECT_EQ(back.cases[1].rows[0].comm->bytes, 123456789);
  EXPECT_EQ(back.cases[1].rows[0].comm->floor_ms, 0.25);
  EXPECT_EQ(back.cases[1].rows[0].comm->pct_of_bound, 61.5);
  EXPECT_FALSE(back.cases[1].rows[1].comm.has_value());
  j["schema_version"] = 3;
  j["peaks"].erase("link_gbps");
  j["peaks"].erase("link_method");
  for (Json& c : j["cases"])
    for (Json& r : c["rows"])
      for (const char* key : {"comm_bytes", "comm_floor_ms", "pct_of_bound"}) r.erase(key);
  const RunRecord old = results_from_json(j, "x.json");
  EXPECT_EQ(old.peaks.link_gbps, 0.0);
  EXPECT_FALSE(old.cases[1].rows[0].comm.has_value());
}

// How --cold-l2 flushed: null without it, its name with it; a version 4 file (no such key) with
// cold_l2 reads as a write, the flush of its day; an unknown name is refused.
TEST(ResultsJson, L2FlushRoundTripsAndVersionFourReadsAsAWrite) {
  RunRecord run = sample();
  Json j = results_to_json(run);
  EXPECT_TRUE(j["timing"]["l2_flush"].is_null());
  run.timing.cold_l2 = true;
  j = results_to_json(run);
  EXPECT_EQ(j["timing"]["l2_flush"], "read");
  EXPECT_EQ(results_from_json(j, "x.json").timing.l2_flush, L2Flush::kRead);
  run.timing.l2_flush = L2Flush::kWrite;
  j = results_to_json(run);
  EXPECT_EQ(results_to_json(results_from_json(j, "x.json")), j);
  j["timing"]["l2_flush"] = "memset";
  EXPECT_EQ(refusal(j), "x.json: timing.l2_flush is an unknown name 'memset'");
  j["schema_version"] = 4;
  j["timing"].erase("l2_flush");
  EXPECT_EQ(results_from_json(j, "x.json").timing.l2_flush, L2Flush::kWrite);
}

// A row beyond a peak says which; a version 1 file (no such key) reads as beyond none.
TEST(ResultsJson, BeyondPeakRoundTripsAndVersionOneReadsAsNone) {
  RunRecord run = sample();
  ASSERT_TRUE(run.cases[1].rows[0].roofline.has_value());
  run.cases[1].rows[0].roofline->beaten = PeaksBeaten::kBandwidth;
  Json j = results_to_json(run);
  EXPECT_EQ(j["cases"][1]["rows"][0]["beyond_peak"], "bandwidth");
  EXPECT_TRUE(j["cases"][1]["rows"][1]["beyond_peak"].is_null());
  EXPECT_EQ(results_from_json(j, "x.json").cases[1].rows[0].roofline->beaten, PeaksBeaten::kBandwidth);
  j["cases"][1]["rows"][0]["beyond_peak"] = "latency";
  EXPECT_EQ(refusal(j), "x.json: cases[1].rows[0].beyond_peak is an unknown name 'latency'");
  j["schema_version"] = 1;
  for (Json& c : j["cases"])
    for (Json& r : c["rows"]) r.erase("beyond_peak");
  EXPECT_EQ(results_from_json(j, "x.json").cases[1].rows[0].roofline->beaten, PeaksBeaten::kNone);
}

TEST(ResultsJson, RefusesOtherProgramsAndVersions) {
  Json j = results_to_json(sample());
  j["schema_version"] = 6;
  EXPECT_EQ(refusal(j),
            "x.json: schema_version 6 cannot be read: this bench_fused_vs_epmoe reads schema_version 1 to 5");
  j["schema_version"] = "5";
  EXPECT_EQ(refusal(j),
            "x.json: schema_version \"5\" cannot be read: this bench_fused_vs_epmoe reads schema_version 1 to 5");
  j["schema"] = "other-results";
  EXPECT_EQ(refusal(j), "x.json: schema \"other-results\" is not moebench-results");
  EXPECT_NE(refusal(Json{{"name", "x"}}).find("x.json: not a moebench results file"), std::string::npos);
  EXPECT_NE(refusal(Json::array()).find("x.json: not a moebench results file"), std::string::npos);
  j = results_to_json(sample());
  j["program"] = "other_bench";
  EXPECT_EQ(refusal(j), "x.json: program 'other_bench' is not bench_fused_vs_epmoe");
}

TEST(ResultsJson, NamesTheMissingOrMistypedField) {
  Json j = results_to_json(sample());
  j["cases"][2]["rows"][1].erase("latency_std_ms");
  EXPECT_EQ(refusal(j), "x.json: cases[2].rows[1].latency_std_ms is missing");
  j = results_to_json(sample());
  j["timing"]["cold_l2"] = "no";
  EXPECT_EQ(refusal(j), "x.json: timing.cold_l2 must be true or false");
  j = results_to_json(sample());
  j["cases"][0]["rows"][0]["implementation"] = "triton";
  EXPECT_EQ(refusal(j), "x.json: cases[0].rows[0].implementation is an unknown name 'triton'");
  j = results_to_json(sample());
  j["cases"][0]["expert_loads"][3] = 1.5;
  EXPECT_EQ(refusal(j), "x.json: cases[0].expert_loads must hold only integers");
}

class ResultsFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("moebench-results-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string refusal(const std::string& path) {
    try {
      read_results_file(path);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "(accepted)";
  }
  std::filesystem::path dir_;
};

TEST_F(ResultsFile, ReadsASavedRunAndLabelsItWithItsCommand) {
  const RunRecord run = read_results_file(write("a.json", results_to_json(sample()).dump(1)));
  EXPECT_EQ(run.cases.size(), 4u);
  EXPECT_EQ(run.label, "bench_fused_vs_epmoe --num-experts 8 --output-format json");
}

TEST_F(ResultsFile, RefusesWhatItCannotUse) {
  const std::string missing = (dir_ / "none.json").string();
  EXPECT_EQ(refusal(missing), missing + ": cannot be read: No such file or directory");
  const std::string csv = write("a.csv", "implementation,scenario\n");
  EXPECT_EQ(refusal(csv).rfind(csv + ": not JSON (parse error at line 1, column 1", 0), 0u) << refusal(csv);
  RunRecord empty = sample();
  empty.cases.clear();
  const std::string path = write("empty.json", results_to_json(empty).dump());
  EXPECT_EQ(refusal(path), path + ": the run finished no case (0 of 4 planned): nothing to show");
}

}  // namespace
}  // namespace moebench
