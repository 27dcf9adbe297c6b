// CLI11 definitions of every flag, and the parse of a command line with them.
#include "cli/options.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <fmt/format.h>
#include <string>
#include <vector>

#include "cli/option_definitions.hpp"
#include "core/errors.hpp"
#include "core/limits.hpp"

namespace moebench {

namespace {

std::string quote_if_needed(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\"'$\\") == std::string::npos) return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

constexpr int kMaxDistTimeoutS = 86400;  // a day: the longest --dist-timeout

// A list flag: one value or more, every occurrence kept.
CLI::Option* takes_list(CLI::Option* option) {
  return option->expected(1, -1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

// "{random,balanced,imbalanced}": a flag's names in its --help description.
template <typename Table>
std::string braced_names(const Table& table) {
  return "{" + joined_names(table, ",") + "}";
}

// Enum values as --help shows a list's default: "[random,balanced]".
template <typename Table, typename Enum>
std::string default_names(const Table& table, const std::vector<Enum>& values) {
  std::string names;
  for (Enum value : values) names += (names.empty() ? "" : ",") + std::string(name_in(table, value));
  return "[" + names + "]";
}

void add_model_flags(CLI::App& app, CliOptions& o, FlagChecks& checks) {
  auto* model = app.add_option_group("Model configuration", "Choose --model-path or a manual configuration");
  model->add_option("--model-path", o.model_path,
                    "Model config: a folder with config.json, a .json file, a Hub id (org/name[@rev]) "
                    "or a built-in preset");
  model->add_flag("--manual-config", o.manual_config, "Use the manual sizes below");
  model->add_option("--num-experts", o.num_experts, "Number of experts (manual)");
  model->add_option("--num-experts-per-tok", o.num_experts_per_tok, "Top-k experts per token (manual)");
  model->add_option("--hidden-size", o.hidden_size, "Hidden dimension (manual)");
  model->add_option("--intermediate-size", o.intermediate_size, "Intermediate dimension per expert (manual)");
  auto* activation = model->add_option("--activation", o.activation,
                                       fmt::format("Activation {} (manual; default {})", braced_names(kActivationNames),
                                                   activation_name(MoeShape{}.activation)));
  checks.names(activation, kActivationNames);
  model->add_flag("--list-models", o.list_models, "List the built-in model presets and exit");
}

void add_distribution_flags(CLI::App& app, CliOptions& o, FlagChecks& checks) {
  auto* dist = app.add_option_group(
      "Distributed configuration",
      "Where --nnodes, --node-rank or --dist-init-addr is absent, the launcher's variables give it: Slurm's (srun), "
      "Open MPI's (mpirun) or torchrun's (docs/cli.md, \"Launchers\")");
  auto* ep_size = dist->add_option("--ep-size", o.ep_size, "Expert parallel size");
  checks.integer_in(ep_size, 1, Limits::kMaxDevices)->capture_default_str();
  auto* tp_size =
      dist->add_option("--tp-size", o.tp_size, "Total number of devices; TP per expert = tp_size / ep_size");
  checks.integer_in(tp_size, 1, Limits::kMaxDevices)->capture_default_str();
  dist->add_option("--dist-init-addr", o.dist_init_addr,
                   "Rendezvous address host:port of node 0 (multi-node); else MOEBENCH_DIST_ADDR or the launcher's");
  auto* nnodes = dist->add_option("--nnodes", o.nnodes, "Number of nodes; else the launcher's");
  checks.integer_in(nnodes, 1, Limits::kMaxDevices)->default_str("1");
  dist->add_option("--node-rank", o.node_rank, "This node's rank; else the launcher's")->default_str("0");
  auto* timeout = dist->add_option("--dist-timeout", o.dist_timeout_s,
                                   "Seconds to wait for every node to join, and for a silent node before giving up");
  checks
      .number(timeout, fmt::format("in (0, {}] seconds", kMaxDistTimeoutS),
              [](double seconds) { return seconds > 0 && seconds <= kMaxDistTimeoutS; })
      ->capture_default_str();
}

void add_benchmark_flags(CLI::App& app, CliOptions& o, FlagChecks& checks) {
  auto* bench = app.add_option_group("Benchmark parameters");
  auto* tokens = bench->add_option("--num-tokens", o.num_tokens, "Token counts to test");
  checks.integer_in(takes_list(tokens), 1, Limits::kMaxTokens)->capture_default_str();
  auto* scenarios =
      bench->add_option("--scenarios", o.scenarios, fmt::format("Scenarios {}", braced_names(kScenarioNames)));
  checks.names(takes_list(scenarios), kScenarioNames)->default_str(default_names(kScenarioNames, o.scenarios));
  auto* imbalance =
      bench->add_option("--imbalance-factor", o.imbalance_factor, "Target max_load / avg_load for 'imbalanced'");
  checks.number(imbalance, "a positive number", [](double factor) { return std::isfinite(factor) && factor > 0; })
      ->capture_default_str();
  auto* warmup = bench->add_option("--warmup-iters", o.warmup_iters, "Warm-up iterations (not recorded)");
  checks.integer_in(warmup, 0, Limits::kMaxIterations)->capture_default_str();
  auto* iters = bench->add_option("--benchmark-iters", o.benchmark_iters, "Timed iterations");
  checks.integer_in(iters, 1, Limits::kMaxIterations)->capture_default_str();
  auto* impls = bench->add_option("--implementations", o.implementations,
                                  fmt::format("Implementations {}", braced_names(kImplNames)));
  checks.names(takes_list(impls), kImplNames)->default_str(default_names(kImplNames, o.implementations));
  auto* device =
      bench->add_option("--device", o.device,
                        fmt::format("Backend {}; auto = cuda when a GPU is present", braced_names(kDeviceChoiceNames)));
  checks.names(device, kDeviceChoiceNames)->default_str(std::string(name_in(kDeviceChoiceNames, o.device)));
  bench->add_option("--seed", o.seed, "Seed for weights, inputs and router logits")->capture_default_str();
  auto* dtype = bench->add_option("--dtype", o.dtype,
                                  fmt::format("Weights and GEMM inputs {}: fp8 = e4m3 in 128x128 weight blocks and "
                                              "1x128 activation groups; model = as --model-path's quantization_config",
                                              braced_names(kDtypeChoiceNames)));
  checks.names(dtype, kDtypeChoiceNames)->default_str(std::string(name_in(kDtypeChoiceNames, o.dtype)));
  bench->add_flag("--check", o.check, "Compare the two implementations' outputs (check_rel_err column)");
  bench->add_flag("--cuda-graph,!--no-cuda-graph", o.cuda_graph,
                  "CUDA: time replays of one captured iteration (default on; --no-cuda-graph times launches)");
  bench->add_flag("--cold-l2", o.cold_l2,
                  "CUDA: flush L2 before each timed iteration, by a read (MOEBENCH_L2_FLUSH=write: by a write)");
}

void add_profiling_and_output_flags(CLI::App& app, CliOptions& o, FlagChecks& checks) {
  auto* prof = app.add_option_group("Profiling");
  prof->add_flag("--profile", o.profile, "Write a trace per scenario, token count and implementation");
  prof->add_option("--profile-dir", o.profile_dir, "Trace output directory")->capture_default_str();

  auto* out = app.add_option_group("Output");
  auto* formats = out->add_option("--output-format", o.output_format,
                                  fmt::format("Output formats {}, several allowed", braced_names(kOutputFormatNames)));
  checks.names(takes_list(formats), kOutputFormatNames, kOutputFormatAliases)
      ->default_str(default_names(kOutputFormatNames, o.output_format));
  out->add_option("--output-file", o.output_file, "Output base path (.csv .md .json .html appended)")
      ->capture_default_str();
  out->add_flag("--verbose", o.verbose, "Verbose logging on stderr");
  out->add_option("--save-tensors", o.save_tensors,
                  "Save each case's inputs, routing and outputs, the weights and the config as safetensors files "
                  "in this folder (docs/saved_tensors.md)");
  auto* max_bytes =
      out->add_option("--save-tensors-max-bytes", o.save_tensors_max_bytes,
                      "Save the expert weights (weights.safetensors) only up to this many bytes; 0 leaves them out");
  checks.number(max_bytes, "a byte count, 0 or more", [](double bytes) { return bytes >= 0; })->capture_default_str();
}

// No flag takes an empty value, and CLI11 2.1 mishandles empty arguments: it drops an empty
// positional silently, and an empty argument before an unknown flag sends it into an endless
// loop (found by tests/fuzz/fuzz_command_line). They are refused before it sees them.
std::string empty_argument(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '\0') continue;
    const std::string previous = argv[i - 1];
    if (i > 1 && previous.size() > 1 && previous[0] == '-') return fmt::format("{} got an empty value", previous);
    return fmt::format("argument {} is empty", i);
  }
  return "";
}

}  // namespace

AllowedValues define_options(CLI::App& app, CliOptions& o) {
  app.name("bench_fused_vs_epmoe");
  app.description("Benchmark a fused MoE kernel against an expert-parallel grouped-GEMM MoE layer.");
  app.footer(
      "Saved runs (--output-format json) have their own commands, each with --help:\n"
      "  bench_fused_vs_epmoe report RUN.json... -o REPORT.html\n"
      "  bench_fused_vs_epmoe compare A.json B.json [--fail-on-regression PCT]");
  app.get_formatter()->column_width(40);
  // As with argparse, a flag given twice keeps its last value (list flags keep all of them).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  FlagChecks checks;
  add_model_flags(app, o, checks);
  add_distribution_flags(app, o, checks);
  add_benchmark_flags(app, o, checks);
  add_profiling_and_output_flags(app, o, checks);
  return checks.allowed();
}

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine parsed;
  CLI::App app;
  define_options(app, parsed.options);
  for (int i = 0; i < argc; ++i) parsed.options.command_line += (i ? " " : "") + quote_if_needed(argv[i]);
  auto exit_now = [&parsed](int code, std::string message) {
    parsed.exit_now = true;
    parsed.exit_code = code;
    parsed.message = std::move(message);
  };
  if (const std::string empty = empty_argument(argc, argv); !empty.empty()) {
    exit_now(kExitUsage, empty + " (see --help)");
    return parsed;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    exit_now(0, app.help());
  } catch (const CLI::ParseError& e) {
    exit_now(kExitUsage, fmt::format("{} (see --help)", e.what()));
  } catch (const UsageError& e) {
    // A value refused by its flag's check (flag_checks.hpp). A check returning its message would
    // have CLI11 wrap it as "--flag: message" in a ValidationError, which the branch above ends with
    // "(see --help)"; any other exception CLI11 lets through, so the checks throw UsageError and the
    // line stays the one build_plan gave when the checks were its own. --help still wins over a bad
    // value, as it did then (CLI11 runs the checks before it looks at --help).
    if (app.get_help_ptr()->count() > 0) exit_now(0, app.help());
    else exit_now(kExitUsage, e.what());
  }
  return parsed;
}

std::string help_text() {
  CliOptions options;
  CLI::App app;
  define_options(app, options);
  return app.help();
}

}  // namespace moebench
