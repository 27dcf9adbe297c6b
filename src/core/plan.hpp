// The validated benchmark plan: one value that flows from the CLI through the runner to the printers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/problem.hpp"

namespace moebench {

enum class DeviceChoice { kAuto, kCpu, kCuda };
// Each choice's one name, as --device spells it.
inline constexpr std::array<std::pair<DeviceChoice, std::string_view>, 3> kDeviceChoiceNames{
    {{DeviceChoice::kAuto, "auto"}, {DeviceChoice::kCpu, "cpu"}, {DeviceChoice::kCuda, "cuda"}}};

// How --cold-l2 empties L2 (docs/metrics.md): a read of a buffer twice its size, leaving clean
// lines as a decode step finds them (the default), or a write of it (MOEBENCH_L2_FLUSH=write, the
// flush before 2026-12-07), leaving dirty lines that the timed layer writes back.
enum class L2Flush { kRead, kWrite };
inline constexpr std::array<std::pair<L2Flush, std::string_view>, 2> kL2FlushNames{
    {{L2Flush::kRead, "read"}, {L2Flush::kWrite, "write"}}};
std::string_view l2_flush_name(L2Flush flush);
std::optional<L2Flush> parse_l2_flush(std::string_view name);

struct TimingConfig {
  int warmup_iters = 1;
  int benchmark_iters = 10;
  bool cuda_graph = false;            // time replays of a captured iteration (CUDA backend)
  bool cold_l2 = false;               // flush L2 before each timed iteration (CUDA backend)
  L2Flush l2_flush = L2Flush::kRead;  // how, where cold_l2
};
// The settings as the Markdown and HTML headers state them: "3 warm-up + 20 timed iteration(s),
// CUDA graph replays, L2 flushed (by a read) before each".
std::string describe_timing(const TimingConfig& timing);

struct OutputConfig {
  std::string base_path = "./benchmark_results";
  bool csv = true;
  bool markdown = true;
  bool json = false;
  bool html = false;
  std::string csv_path() const { return base_path + ".csv"; }
  std::string markdown_path() const { return base_path + ".md"; }
  std::string json_path() const { return base_path + ".json"; }
  std::string html_path() const { return base_path + ".html"; }
};

// --save-tensors: each case's inputs, routing and outputs, the weights and the config, as files any
// framework reads (docs/saved_tensors.md).
struct TensorSaving {
  static constexpr std::int64_t kDefaultMaxWeightBytes = std::int64_t{2} << 30;  // 2 GiB
  std::string dir;                                                               // empty: nothing is saved
  std::int64_t max_weight_bytes = kDefaultMaxWeightBytes;  // weights.safetensors only up to this size
  std::string config_json;  // config.json: the model's config, and what the run computed (_moebench)
  bool enabled() const { return !dir.empty(); }
};

struct BenchmarkPlan {
  Problem problem;
  std::vector<Scenario> scenarios;
  std::vector<std::int64_t> token_counts;
  double imbalance_factor = 3.0;
  std::vector<ImplKind> implementations;
  TimingConfig timing;
  std::uint64_t seed = 42;
  bool check = false;
  bool verbose = false;
  bool profile = false;
  std::string profile_dir = "./profiles";
  DeviceChoice device = DeviceChoice::kAuto;
  std::string dist_init_addr;
  double dist_timeout_s = 300.0;
  OutputConfig output;
  TensorSaving save_tensors;
  std::string command_line;

  // Scenario-major, tokens in the order given: the order rows are produced.
  std::vector<BenchCase> cases() const;
  std::int64_t max_tokens() const;
};

}  // namespace moebench
