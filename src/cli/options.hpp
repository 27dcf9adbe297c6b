// Command-line options, as parsed: each value already within its flag's names or range, the checks
// that involve several flags or the model still to come (validate.hpp). Names, defaults and
// meanings follow the seed's README; docs/cli.md, generated from the same definitions as --help,
// is the reference.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/activation.hpp"
#include "core/plan.hpp"

namespace moebench {

enum class OutputFormat { kCsv, kMarkdown, kJson, kHtml, kBoth };
// Each format's one name, as --output-format lists it; `md` is accepted for markdown as well.
inline constexpr std::array<std::pair<OutputFormat, std::string_view>, 5> kOutputFormatNames{
    {{OutputFormat::kCsv, "csv"},
     {OutputFormat::kMarkdown, "markdown"},
     {OutputFormat::kJson, "json"},
     {OutputFormat::kHtml, "html"},
     {OutputFormat::kBoth, "both"}}};
inline constexpr std::array<std::pair<OutputFormat, std::string_view>, 1> kOutputFormatAliases{
    {{OutputFormat::kMarkdown, "md"}}};

struct CliOptions {
  // Model: --model-path, or a manual config (the four sizes, with or without --manual-config).
  std::string model_path;
  bool manual_config = false;
  std::optional<std::int64_t> num_experts, num_experts_per_tok, hidden_size, intermediate_size;
  std::optional<Activation> activation;
  bool list_models = false;

  // Distribution.
  std::int64_t ep_size = 1;
  std::int64_t tp_size = 1;
  // Absent: from a launcher's environment, else none, 1 and 0 (launcher_env.hpp).
  std::optional<std::string> dist_init_addr;
  std::optional<std::int64_t> nnodes;
  std::optional<std::int64_t> node_rank;
  double dist_timeout_s = 300.0;

  // Benchmark.
  std::vector<std::int64_t> num_tokens{512, 1024, 2048};
  std::vector<Scenario> scenarios{Scenario::kRandom, Scenario::kBalanced, Scenario::kImbalanced};
  double imbalance_factor = 3.0;
  std::int64_t warmup_iters = 1;
  std::int64_t benchmark_iters = 10;
  std::vector<ImplKind> implementations{ImplKind::kFused, ImplKind::kEpMoe};
  DeviceChoice device = DeviceChoice::kAuto;
  std::uint64_t seed = 42;
  DtypeChoice dtype = DtypeChoice::kBf16;  // weights and GEMM inputs (docs/fp8.md)
  bool check = false;
  bool cuda_graph = true;  // CUDA backend: time replays of one captured iteration
  bool cold_l2 = false;    // CUDA backend: flush L2 before each timed iteration

  // Profiling and output.
  bool profile = false;
  std::string profile_dir = "./profiles";
  std::vector<OutputFormat> output_format{OutputFormat::kBoth};
  std::string output_file = "./benchmark_results";
  bool verbose = false;
  std::string save_tensors;  // a folder; empty: nothing saved
  std::int64_t save_tensors_max_bytes = TensorSaving::kDefaultMaxWeightBytes;

  std::string command_line;  // as typed, for the outputs
};

struct ParsedCommandLine {
  CliOptions options;
  bool exit_now = false;  // --help or a parse error: print `message`, exit with `exit_code`
  int exit_code = 0;
  std::string message;
};

ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// The --help text.
std::string help_text();

// The Markdown reference of every flag, from the same definitions as --help: docs/cli.md holds it
// between its markers (tests/unit/cli/test_cli_reference.cpp keeps the two equal).
std::string cli_reference_markdown();

}  // namespace moebench
