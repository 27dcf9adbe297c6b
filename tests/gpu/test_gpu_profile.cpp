// --profile on the GPU: CUPTI kernel events in the trace, each inside its iteration's range, and
// the kernel time of an iteration within 10% of the CUDA-event time of an eager iteration, and
// fused's own phase stamps on a track of their own. And fused's tile timeline
// (MOEBENCH_TILE_TIMELINE): every tile of both GEMMs once, one at a time on each CTA; with the
// decode kernel, every K step of every active expert's tiles once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "backend/backend.hpp"
#include "cuda/cuda_backend.hpp"
#include "moe_kernels/fused_stages.hpp"
#include "moe_kernels/heuristics.hpp"
#include "profile/profiler.hpp"
#include "support/process.hpp"
#include "support/trace_reader.hpp"

namespace moebench {
namespace {

TEST(GpuProfile, KernelsInsideIterationsAndMatchingEventTime) {
  if (cuda_device_count() == 0)
    GTEST_SKIP() << "no CUDA device: the gpu tests run on a GPU machine (bench/device_run.sh)";
  const std::string dir = testing::make_temp_dir("moebench-gpu-profile");
  BenchmarkPlan plan;
  plan.profile = true;
  plan.profile_dir = dir;
  plan.command_line = "gpu_tests";
  plan.problem.shape.num_experts = 128;
  plan.problem.shape.top_k = 8;
  plan.problem.shape.hidden_size = 2048;
  plan.problem.shape.intermediate_size = 768;
  auto backend = make_cuda_backend();
  const EpWeights weights = generate_ep_weights(plan.problem.shape, 5);
  const BenchCase bench_case{Scenario::kRandom, 1024};
  const CaseInputs inputs = make_case_inputs(plan.problem.shape, bench_case, 2.0, 5);
  Profiler profiler(plan, "cuda", true);
  for (ImplKind kind : {ImplKind::kFused, ImplKind::kEpMoe}) {
    auto impl = backend->create(kind, plan.problem, weights);
    impl->prepare(inputs);
    const std::atomic<bool> stop{false};
    const auto samples = backend->time_iterations(*impl, TimingConfig{2, 10, false, false}, stop);
    const double event_ms = *std::min_element(samples.begin(), samples.end());

    const ProfiledPass pass = profiler.profile(
        bench_case, kind, 3,
        [&](int) {
          impl->run_iteration();
          backend->synchronize();
        },
        [&] { return impl->last_kernel_stages(); });
    ASSERT_FALSE(pass.path.empty());
    const nlohmann::json trace = nlohmann::json::parse(testing::read_gzip(pass.path));
    const auto iterations = testing::complete_events(trace, "iteration");
    const auto kernels = testing::complete_events(trace, "kernel");
    ASSERT_EQ(iterations.size(), 3u);
    ASSERT_FALSE(kernels.empty()) << "no CUPTI kernel events";
    std::vector<double> kernel_us(iterations.size(), 0.0);
    for (const auto& k : kernels) {
      EXPECT_TRUE(k.at("args").contains("grid"));
      EXPECT_TRUE(k.at("args").contains("registers_per_thread"));
      const double ts = k.at("ts"), dur = k.at("dur");
      int inside = 0;
      for (std::size_t i = 0; i < iterations.size(); ++i) {
        const double its = iterations[i].at("ts"), idur = iterations[i].at("dur");
        if (ts >= its && ts + dur <= its + idur) {
          ++inside;
          kernel_us[i] += dur;
        }
      }
      EXPECT_EQ(inside, 1) << impl_name(kind) << " " << k.dump();
    }
    for (double us : kernel_us) {
      EXPECT_NEAR(us / 1e3, event_ms, 0.1 * event_ms) << impl_name(kind) << ": kernel time vs CUDA-event time";
    }
    // fused times its own phases: each iteration's stage spans tile its kernel.
    const auto stages = testing::complete_events(trace, "stage");
    if (kind == ImplKind::kFused) {
      ASSERT_EQ(stages.size(), 3u * moe_kernels::kFusedStageCount);
      double stage_us = 0;
      for (const auto& st : stages) stage_us += static_cast<double>(st.at("dur"));
      const double all_kernel_us = std::accumulate(kernel_us.begin(), kernel_us.end(), 0.0);
      EXPECT_NEAR(stage_us, all_kernel_us, 0.05 * all_kernel_us) << "stages vs kernel time";
    } else {
      EXPECT_TRUE(stages.empty());
    }
  }
  std::filesystem::remove_all(dir);
}

struct TimelineRow {
  std::string gemm;
  int tile, cta;
  double start_us, mainloop_end_us, end_us;
  int expert, rows, n_block, k_steps;
  double finished_us;
};

std::vector<TimelineRow> read_timeline(const std::string& path) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);
  EXPECT_EQ(line, "gemm,tile,cta,start_us,mainloop_end_us,end_us,expert,rows,n_block,k_steps,finished_us");
  std::vector<TimelineRow> rows;
  while (std::getline(file, line)) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    TimelineRow r;
    fields >> r.gemm >> r.tile >> r.cta >> r.start_us >> r.mainloop_end_us >> r.end_us >> r.expert >> r.rows >>
        r.n_block >> r.k_steps >> r.finished_us;
    rows.push_back(r);
  }
  return rows;
}

// One fused iteration (MOEBENCH_TILE_TIMELINE set by the caller, unset here once it has run).
void run_fused_once(const Problem& problem, const EpWeights& weights, const CaseInputs& inputs) {
  auto backend = make_cuda_backend();
  auto impl = backend->create(ImplKind::kFused, problem, weights);
  impl->prepare(inputs);
  impl->run_iteration();
  backend->synchronize();
  unsetenv("MOEBENCH_TILE_TIMELINE");
}

// Each CTA ran its spans (start, end) of GEMM `gemm` one at a time.
void expect_one_at_a_time(std::map<int, std::vector<std::pair<double, double>>>& per_cta, const std::string& gemm) {
  for (auto& [cta, spans] : per_cta) {
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i)
      EXPECT_GE(spans[i].first, spans[i - 1].second) << gemm << ": CTA " << cta << " ran two spans at once";
  }
}

TEST(GpuProfile, FusedTileTimelineHasEveryTileOnce) {
  if (cuda_device_count() == 0)
    GTEST_SKIP() << "no CUDA device: the gpu tests run on a GPU machine (bench/device_run.sh)";
  const std::string dir = testing::make_temp_dir("moebench-tile-timeline");
  setenv("MOEBENCH_TILE_TIMELINE", (dir + "/timeline").c_str(), 1);
  MoeShape shape;
  shape.num_experts = 16;
  shape.top_k = 2;
  shape.hidden_size = 520;  // 3 output blocks of the down GEMM, the last one partial
  shape.intermediate_size = 300;
  Problem problem;
  problem.shape = shape;
  const EpWeights weights = generate_ep_weights(shape, 9);
  const BenchCase bench_case{Scenario::kRandom, 2200};  // ~275 rows an expert: two or three row blocks, some tails
  const CaseInputs inputs = make_case_inputs(shape, bench_case, 2.0, 9);
  run_fused_once(problem, weights, inputs);

  // The tiles the kernel's scan makes of this routing.
  const Routing routing = route_all(inputs.router_logits, 2200, 16, 2, shape.router);
  std::vector<int> expert_rows(16);
  for (std::int32_t id : routing.expert_ids) ++expert_rows[static_cast<std::size_t>(id)];
  const int block_m = moe_kernels::choose_block_m(2200, 2, 16);
  const moe_kernels::SpillRule rule = moe_kernels::choose_spill_rule(block_m, 300, 2200 * 2 / 16);
  int row_blocks = 0;  // an expert's spill past a multiple of block_m rides on its last full tiles if they hold it
  int tails = 0;
  for (int r : expert_rows) {
    const int full = r / block_m, spill = r % block_m, carriers = std::min(full, rule.carriers);
    const bool carried = carriers > 0 && spill > 0 && spill <= rule.tail_rows * carriers;
    row_blocks += full + (spill > 0 && !carried ? 1 : 0);
    tails += carried ? 1 : 0;
  }
  EXPECT_GT(tails, 0) << "the routing no longer gives any expert a tail to carry";
  const std::map<std::string, int> expected{
      {"gate_up", row_blocks * moe_kernels::ceil_div(300, moe_kernels::kGateUpBlock)},
      {"down", row_blocks * moe_kernels::ceil_div(520, moe_kernels::kBlockNB)}};

  const std::vector<TimelineRow> rows = read_timeline(dir + "/timeline_T2200.csv");
  for (const auto& [gemm, tiles] : expected) {
    std::vector<int> seen(static_cast<std::size_t>(tiles), 0);
    std::map<int, std::vector<std::pair<double, double>>> per_cta;
    std::map<std::pair<int, int>, int> rows_covered;  // (expert, output block) -> rows of its tiles
    for (const auto& r : rows) {
      if (r.gemm != gemm) continue;
      ASSERT_GE(r.tile, 0);
      ASSERT_LT(r.tile, tiles) << gemm;
      ++seen[static_cast<std::size_t>(r.tile)];
      EXPECT_LT(r.start_us, r.mainloop_end_us) << gemm << " tile " << r.tile;
      EXPECT_LE(r.mainloop_end_us, r.end_us) << gemm << " tile " << r.tile;
      EXPECT_GE(r.rows, 1);
      EXPECT_LE(r.rows, block_m + rule.tail_rows);
      EXPECT_LT(r.expert, 16);
      EXPECT_EQ(r.k_steps, moe_kernels::ceil_div(gemm == "gate_up" ? 520 : 300, moe_kernels::kBlockK)) << gemm;
      per_cta[r.cta].push_back({r.start_us, r.end_us});
      rows_covered[{r.expert, r.n_block}] += r.rows;
    }
    // Each output block of an expert covers its rows once: no row in two tiles, tails included.
    for (const auto& [key, covered] : rows_covered)
      EXPECT_EQ(covered, expert_rows[static_cast<std::size_t>(key.first)]) << gemm << " expert " << key.first;
    for (std::size_t t = 0; t < seen.size(); ++t) EXPECT_EQ(seen[t], 1) << gemm << " tile " << t;
    expect_one_at_a_time(per_cta, gemm);
  }
  std::filesystem::remove_all(dir);
}

// The decode kernels' timeline (a span per unit: a CTA's K steps within one output tile), bf16
// and FP8: the units of each GEMM cover every K step of every active expert's tiles once, each
// expert's rows as routed, and each CTA runs its units one at a time.
void check_decode_timeline(WeightDtype dtype) {
  const std::string dir = testing::make_temp_dir("moebench-decode-timeline");
  setenv("MOEBENCH_TILE_TIMELINE", (dir + "/timeline").c_str(), 1);
  MoeShape shape;
  shape.num_experts = 16;
  shape.top_k = 4;
  shape.hidden_size = 520;        // K steps of gate/up: 9 of 64 columns, 5 of 128; 3 down blocks, the last partial
  shape.intermediate_size = 300;  // 3 gate/up tiles, the last partial; K steps of down: 5 of 64, 3 of 128
  Problem problem;
  problem.shape = shape;
  problem.dtype = dtype;
  const int tokens = 12;
  ASSERT_LE(tokens, moe_kernels::kFusedDecodeMaxTokens) << "fused no longer takes the decode kernel here";
  const EpWeights weights = generate_ep_weights(shape, 11);
  const BenchCase bench_case{Scenario::kRandom, tokens};
  const CaseInputs inputs = make_case_inputs(shape, bench_case, 2.0, 11);
  run_fused_once(problem, weights, inputs);

  const Routing routing = route_all(inputs.router_logits, tokens, 16, 4, shape.router);
  std::vector<int> expert_rows(16);
  for (std::int32_t id : routing.expert_ids) ++expert_rows[static_cast<std::size_t>(id)];
  const int active =
      static_cast<int>(std::count_if(expert_rows.begin(), expert_rows.end(), [](int r) { return r > 0; }));
  const int k_columns = dtype == WeightDtype::kFp8Block128 ? moe_kernels::kFp8BlockK : moe_kernels::kBlockK;
  struct Gemm {
    std::string name;
    int tiles, k_steps;
  };
  const Gemm gemms[] = {
      {"gate_up", moe_kernels::ceil_div(300, moe_kernels::kGateUpBlock), moe_kernels::ceil_div(520, k_columns)},
      {"down", moe_kernels::ceil_div(520, moe_kernels::kBlockNB), moe_kernels::ceil_div(300, k_columns)}};
  const std::vector<TimelineRow> rows = read_timeline(dir + "/timeline_T12.csv");
  for (const Gemm& gemm : gemms) {
    std::map<std::pair<int, int>, int> steps;  // (expert, tile) -> K steps its units covered
    std::map<int, std::vector<std::pair<double, double>>> per_cta;
    for (const auto& r : rows) {
      if (r.gemm != gemm.name) continue;
      ASSERT_GE(r.expert, 0);
      ASSERT_LT(r.expert, 16);
      EXPECT_EQ(r.rows, expert_rows[static_cast<std::size_t>(r.expert)]) << gemm.name << " expert " << r.expert;
      EXPECT_GE(r.k_steps, 1);
      EXPECT_LT(r.n_block, gemm.tiles);
      EXPECT_LE(r.start_us, r.mainloop_end_us);
      EXPECT_LE(r.mainloop_end_us, r.end_us);
      // The finishers take a unit only once it is posted, after its mainloop.
      EXPECT_LE(r.mainloop_end_us, r.finished_us);
      steps[{r.expert, r.n_block}] += r.k_steps;
      per_cta[r.cta].push_back({r.start_us, r.end_us});
    }
    EXPECT_EQ(static_cast<int>(steps.size()), active * gemm.tiles) << gemm.name;
    for (const auto& [key, covered] : steps)
      EXPECT_EQ(covered, gemm.k_steps) << gemm.name << " expert " << key.first << " tile " << key.second;
    expect_one_at_a_time(per_cta, gemm.name);
  }
  std::filesystem::remove_all(dir);
}

TEST(GpuProfile, FusedDecodeTimelineCoversEveryStepOnce) {
  if (cuda_device_count() == 0)
    GTEST_SKIP() << "no CUDA device: the gpu tests run on a GPU machine (bench/device_run.sh)";
  check_decode_timeline(WeightDtype::kBf16);
}

TEST(GpuProfile, FusedFp8DecodeTimelineCoversEveryStepOnce) {
  if (cuda_device_count() == 0)
    GTEST_SKIP() << "no CUDA device: the gpu tests run on a GPU machine (bench/device_run.sh)";
  check_decode_timeline(WeightDtype::kFp8Block128);
}

// With the units finished by the finisher warps (MOEBENCH_DECODE_HANDOFF=on) the consumers
// record the same spans.
TEST(GpuProfile, FusedDecodeTimelineWithHandoff) {
  if (cuda_device_count() == 0)
    GTEST_SKIP() << "no CUDA device: the gpu tests run on a GPU machine (bench/device_run.sh)";
  setenv("MOEBENCH_DECODE_HANDOFF", "on", 1);
  check_decode_timeline(WeightDtype::kBf16);
  check_decode_timeline(WeightDtype::kFp8Block128);
  unsetenv("MOEBENCH_DECODE_HANDOFF");
}

}  // namespace
}  // namespace moebench
