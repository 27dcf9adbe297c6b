// CLI11 definitions of every flag.
#include "cli/options.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "core/errors.hpp"

namespace moebench {

namespace {

std::string quote_if_needed(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\"'$\\") == std::string::npos) return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void define_options(CLI::App& app, CliOptions& o) {
  app.description("Benchmark a fused MoE kernel against an expert-parallel grouped-GEMM MoE layer.");
  app.footer("Saved runs (--output-format json) have their own commands, each with --help:\n"
             "  bench_fused_vs_epmoe report RUN.json... -o REPORT.html\n"
             "  bench_fused_vs_epmoe compare A.json B.json [--fail-on-regression PCT]");
  app.get_formatter()->column_width(40);
  // As with argparse, a flag given twice keeps its last value (list flags keep all of them).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  auto* model = app.add_option_group("Model configuration", "Choose --model-path or a manual configuration");
  model->add_option("--model-path", o.model_path,
                    "Model config: a folder with config.json, a .json file, a Hub id (org/name[@rev]) "
                    "or a built-in preset");
  model->add_flag("--manual-config", o.manual_config, "Use the manual sizes below");
  model->add_option("--num-experts", o.num_experts, "Number of experts (manual)");
  model->add_option("--num-experts-per-tok", o.num_experts_per_tok, "Top-k experts per token (manual)");
  model->add_option("--hidden-size", o.hidden_size, "Hidden dimension (manual)");
  model->add_option("--intermediate-size", o.intermediate_size, "Intermediate dimension per expert (manual)");
  model->add_option("--activation", o.activation, "Activation {silu,gelu,swigluoai} (manual; default silu)");
  model->add_flag("--list-models", o.list_models, "List the built-in model presets and exit");

  auto* dist = app.add_option_group("Distributed configuration");
  dist->add_option("--ep-size", o.ep_size, "Expert parallel size")->capture_default_str();
  dist->add_option("--tp-size", o.tp_size, "Total number of devices; TP per expert = tp_size / ep_size")
      ->capture_default_str();
  dist->add_option("--dist-init-addr", o.dist_init_addr, "Rendezvous address host:port of node 0 (multi-node)");
  dist->add_option("--nnodes", o.nnodes, "Number of nodes")->capture_default_str();
  dist->add_option("--node-rank", o.node_rank, "This node's rank")->capture_default_str();
  dist->add_option("--dist-timeout", o.dist_timeout_s,
                   "Seconds to wait for every node to join, and for a silent node before giving up")
      ->capture_default_str();

  auto* bench = app.add_option_group("Benchmark parameters");
  bench->add_option("--num-tokens", o.num_tokens, "Token counts to test")->expected(1, -1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->capture_default_str();
  bench->add_option("--scenarios", o.scenarios, "Scenarios {random,balanced,imbalanced}")
      ->expected(1, -1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->capture_default_str();
  bench->add_option("--imbalance-factor", o.imbalance_factor, "Target max_load / avg_load for 'imbalanced'")
      ->capture_default_str();
  bench->add_option("--warmup-iters", o.warmup_iters, "Warm-up iterations (not recorded)")->capture_default_str();
  bench->add_option("--benchmark-iters", o.benchmark_iters, "Timed iterations")->capture_default_str();
  bench->add_option("--implementations", o.implementations, "Implementations {fused,epmoe}")
      ->expected(1, -1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->capture_default_str();
  bench->add_option("--device", o.device, "Backend {auto,cpu,cuda}; auto = cuda when a GPU is present")
      ->capture_default_str();
  bench->add_option("--seed", o.seed, "Seed for weights, inputs and router logits")->capture_default_str();
  bench->add_flag("--check", o.check, "Compare the two implementations' outputs (check_rel_err column)");
  bench->add_flag("--cuda-graph,!--no-cuda-graph", o.cuda_graph,
                  "CUDA: time replays of one captured iteration (default on; --no-cuda-graph times launches)");
  bench->add_flag("--cold-l2", o.cold_l2, "CUDA: flush L2 before each timed iteration");

  auto* prof = app.add_option_group("Profiling");
  prof->add_flag("--profile", o.profile, "Write a trace per scenario, token count and implementation");
  prof->add_option("--profile-dir", o.profile_dir, "Trace output directory")->capture_default_str();

  auto* out = app.add_option_group("Output");
  out->add_option("--output-format", o.output_format, "Output formats {csv,markdown,json,html,both}, several allowed")
      ->expected(1, -1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->capture_default_str();
  out->add_option("--output-file", o.output_file, "Output base path (.csv .md .json .html appended)")
      ->capture_default_str();
  out->add_flag("--verbose", o.verbose, "Verbose logging on stderr");
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

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine parsed;
  CLI::App app("bench_fused_vs_epmoe", "bench_fused_vs_epmoe");
  define_options(app, parsed.options);
  for (int i = 0; i < argc; ++i) parsed.options.command_line += (i ? " " : "") + quote_if_needed(argv[i]);
  if (const std::string empty = empty_argument(argc, argv); !empty.empty()) {
    parsed.exit_now = true;
    parsed.exit_code = kExitUsage;
    parsed.message = empty + " (see --help)";
    return parsed;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.exit_now = true;
    parsed.exit_code = 0;
    parsed.message = app.help();
  } catch (const CLI::ParseError& e) {
    parsed.exit_now = true;
    parsed.exit_code = kExitUsage;
    parsed.message = fmt::format("{} (see --help)", e.what());
  }
  return parsed;
}

std::string help_text() {
  CliOptions options;
  CLI::App app("bench_fused_vs_epmoe", "bench_fused_vs_epmoe");
  define_options(app, options);
  return app.help();
}

}  // namespace moebench
