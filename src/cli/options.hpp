// Command-line options, as parsed, before validation. Names, defaults and meanings follow the
// seed's README; docs/cli.md is the reference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moebench {

struct CliOptions {
  // Model: --model-path, or a manual config (the four sizes, with or without --manual-config).
  std::string model_path;
  bool manual_config = false;
  std::optional<std::int64_t> num_experts, num_experts_per_tok, hidden_size, intermediate_size;
  std::optional<std::string> activation;
  bool list_models = false;

  // Distribution.
  std::int64_t ep_size = 1;
  std::int64_t tp_size = 1;
  std::string dist_init_addr;
  std::int64_t nnodes = 1;
  std::int64_t node_rank = 0;
  double dist_timeout_s = 300.0;

  // Benchmark.
  std::vector<std::int64_t> num_tokens{512, 1024, 2048};
  std::vector<std::string> scenarios{"random", "balanced", "imbalanced"};
  double imbalance_factor = 3.0;
  std::int64_t warmup_iters = 1;
  std::int64_t benchmark_iters = 10;
  std::vector<std::string> implementations{"fused", "epmoe"};
  std::string device = "auto";
  std::uint64_t seed = 42;
  bool check = false;
  bool cuda_graph = true;  // CUDA backend: time replays of one captured iteration
  bool cold_l2 = false;    // CUDA backend: flush L2 before each timed iteration

  // Profiling and output.
  bool profile = false;
  std::string profile_dir = "./profiles";
  std::vector<std::string> output_format{"both"};
  std::string output_file = "./benchmark_results";
  bool verbose = false;

  std::string command_line;  // as typed, for the outputs
};

struct ParsedCommandLine {
  CliOptions options;
  bool exit_now = false;  // --help or a parse error: print `message`, exit with `exit_code`
  int exit_code = 0;
  std::string message;
};

ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// The --help text (also the source of docs/cli.md's flag table).
std::string help_text();

}  // namespace moebench
