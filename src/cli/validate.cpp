// Validation of what the flags say together, and of the model, before any work or output starts.
#include "cli/validate.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/dtype_choice.hpp"
#include "cli/saved_config.hpp"
#include "core/errors.hpp"
#include "core/log.hpp"
#include "model/model_resolver.hpp"
#include "platform/file_output.hpp"

namespace moebench {

namespace {

std::vector<std::int64_t> divisors(std::int64_t n) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 1; d <= n; ++d)
    if (n % d == 0) out.push_back(d);
  return out;
}

// The multi-node values, each named in errors by the flag or the variable it came from.
void validate_launch(const CliOptions& o, const LaunchSettings& launch) {
  const Sourced<std::int64_t>& nnodes = launch.nnodes;
  const Sourced<std::int64_t>& rank = launch.node_rank;
  const Sourced<std::string>& address = launch.dist_init_addr;
  if (rank.value < 0 || rank.value >= nnodes.value) {
    throw UsageError(fmt::format("{} must be in [0, {}) for {} {} (got {})", rank.name, nnodes.value, nnodes.name,
                                 nnodes.value, rank.value));
  }
  if (nnodes.value > 1 && address.value.empty()) {
    throw UsageError(fmt::format("{} {} needs --dist-init-addr host:port (node 0's address), or MOEBENCH_DIST_ADDR",
                                 nnodes.name, nnodes.value));
  }
  if (!address.value.empty()) {
    const auto colon = address.value.rfind(':');
    const std::string port = colon == std::string::npos ? "" : address.value.substr(colon + 1);
    // isdigit() of a negative char (a byte >= 0x80) is undefined: compare the characters instead.
    const bool numeric = !port.empty() && port.size() <= 5 &&
                         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (colon == 0 || !numeric || std::stol(port) < 1 || std::stol(port) > 65535) {
      throw UsageError(
          fmt::format("{} must be host:port with a port in 1..65535 (got '{}')", address.name, address.value));
    }
  }
  if (o.tp_size % nnodes.value != 0) {
    throw UsageError(
        fmt::format("tp_size must be divisible by nnodes: each node runs tp_size / nnodes devices "
                    "(tp_size {}, {} {})",
                    o.tp_size, nnodes.name, nnodes.value));
  }
}

void validate_layout(const CliOptions& o, const MoeShape& shape, const LaunchSettings& launch) {
  if (shape.num_experts % o.ep_size != 0) {
    throw UsageError(
        fmt::format("num_experts must be divisible by ep_size ({} experts, ep_size {}); valid ep_size "
                    "values: {}",
                    shape.num_experts, o.ep_size, fmt::join(divisors(shape.num_experts), ", ")));
  }
  if (o.tp_size % o.ep_size != 0) {
    throw UsageError(
        fmt::format("tp_size must be divisible by ep_size (tp_size {}, ep_size {}): tp_size is the total "
                    "device count and tp_size / ep_size devices share each expert",
                    o.tp_size, o.ep_size));
  }
  if (shape.intermediate_size < o.tp_size / o.ep_size) {
    throw UsageError(fmt::format("intermediate_size {} cannot be split over tp_size / ep_size = {} devices",
                                 shape.intermediate_size, o.tp_size / o.ep_size));
  }
  validate_launch(o, launch);
}

// A list flag's values, each once, in the order first given.
template <typename T>
std::vector<T> without_repeats(const std::vector<T>& values) {
  std::vector<T> out;
  for (const T& value : values)
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(value);
  return out;
}

OutputConfig output_config(const CliOptions& o) {
  OutputConfig out;
  out.base_path = o.output_file;
  if (out.base_path.empty()) throw UsageError("--output-file must not be empty");
  out.csv = out.markdown = false;
  for (OutputFormat format : o.output_format) {
    switch (format) {
      case OutputFormat::kCsv: out.csv = true; break;
      case OutputFormat::kMarkdown: out.markdown = true; break;
      case OutputFormat::kJson: out.json = true; break;
      case OutputFormat::kHtml: out.html = true; break;
      case OutputFormat::kBoth: out.csv = out.markdown = true; break;
    }
  }
  for (const std::string& path : {out.csv ? out.csv_path() : "", out.markdown ? out.markdown_path() : "",
                                  out.json ? out.json_path() : "", out.html ? out.html_path() : ""}) {
    if (path.empty()) continue;
    const std::string reason = unwritable_reason(path);
    if (!reason.empty()) throw UsageError(fmt::format("cannot write output file {}: {}", path, reason));
  }
  return out;
}

// --save-tensors: the folder must take files (it is created when the run starts, not here).
TensorSaving tensor_saving(const CliOptions& o, const BenchmarkPlan& plan, const nlohmann::json& model_config) {
  TensorSaving saving;
  if (o.save_tensors.empty()) return saving;
  saving.dir = o.save_tensors;
  saving.max_weight_bytes = o.save_tensors_max_bytes;
  const std::string reason = unwritable_reason(saving.dir + "/config.json");
  if (!reason.empty())
    throw UsageError(fmt::format("cannot save tensors in --save-tensors {}: {}", saving.dir, reason));
  saving.config_json = saved_config_json(plan, model_config);
  return saving;
}

// The model of the options, with its config.json as read (null for a manual configuration).
ResolvedModel model_from_options(const CliOptions& o) {
  const bool any_size = o.num_experts || o.num_experts_per_tok || o.hidden_size || o.intermediate_size || o.activation;
  if (!o.model_path.empty()) {
    if (o.manual_config || any_size) {
      throw UsageError(
          "--model-path and a manual configuration (--manual-config, --num-experts, ...) exclude each "
          "other: use one");
    }
    ResolvedModel model = resolve_model(o.model_path);
    log_verbose("model {} from {}", o.model_path, model.source);
    // The same limits as the manual flags: a config asking for an absurd layer stops here, by name.
    validate_shape(model.shape, model.source);
    return model;
  }
  if (!o.manual_config && !any_size) {
    throw UsageError(
        "no model given: use --model-path, or --num-experts, --num-experts-per-tok, --hidden-size and "
        "--intermediate-size");
  }
  std::vector<std::string> missing;
  if (!o.num_experts) missing.emplace_back("--num-experts");
  if (!o.num_experts_per_tok) missing.emplace_back("--num-experts-per-tok");
  if (!o.hidden_size) missing.emplace_back("--hidden-size");
  if (!o.intermediate_size) missing.emplace_back("--intermediate-size");
  if (!missing.empty()) throw UsageError(fmt::format("manual configuration is missing {}", fmt::join(missing, ", ")));
  ResolvedModel model{{}, "manual flags", nullptr};
  MoeShape& shape = model.shape;
  shape.num_experts = *o.num_experts;
  shape.top_k = *o.num_experts_per_tok;
  shape.hidden_size = *o.hidden_size;
  shape.intermediate_size = *o.intermediate_size;
  if (o.activation) shape.activation = *o.activation;
  validate_shape(shape, "");
  return model;
}

}  // namespace

std::string out_of_range_message(std::string_view what, std::int64_t value, std::int64_t low, std::int64_t high) {
  if (value < low) {
    return low == 1 ? fmt::format("{} must be positive (got {})", what, value)
                    : fmt::format("{} must be at least {} (got {})", what, low, value);
  }
  if (value > high) return fmt::format("{} must be at most {} (got {})", what, high, value);
  return "";
}

void validate_shape(const MoeShape& s, const std::string& origin) {
  const std::string prefix = origin.empty() ? "" : origin + ": ";
  auto check = [&](const char* what, std::int64_t value, std::int64_t high) {
    const std::string message = out_of_range_message(what, value, 1, high);
    if (!message.empty()) throw UsageError(prefix + message);
  };
  check("num_experts", s.num_experts, Limits::kMaxExperts);
  check("num_experts_per_tok", s.top_k, Limits::kMaxTopK);
  check("hidden_size", s.hidden_size, Limits::kMaxHidden);
  check("intermediate_size", s.intermediate_size, Limits::kMaxIntermediate);
  if (s.top_k > s.num_experts) {
    throw UsageError(
        fmt::format("{}num_experts_per_tok ({}) exceeds num_experts ({})", prefix, s.top_k, s.num_experts));
  }
  const RouterConfig& r = s.router;
  if (r.grouped()) {
    if (s.num_experts % r.num_groups != 0) {
      throw UsageError(fmt::format("{}n_group {} does not divide num_experts {}", prefix, r.num_groups, s.num_experts));
    }
    if (r.topk_groups < 1 || r.topk_groups > r.num_groups) {
      throw UsageError(
          fmt::format("{}topk_group must be in [1, n_group = {}] (got {})", prefix, r.num_groups, r.topk_groups));
    }
    if (r.topk_groups * (s.num_experts / r.num_groups) < s.top_k) {
      throw UsageError(fmt::format("{}topk_group {} groups of {} experts cannot hold top-{}", prefix, r.topk_groups,
                                   s.num_experts / r.num_groups, s.top_k));
    }
  }
}

MoeShape shape_from_options(const CliOptions& o) { return model_from_options(o).shape; }

BenchmarkPlan build_plan(const CliOptions& o, const EnvironmentLookup& environment) {
  BenchmarkPlan plan;
  plan.command_line = o.command_line;
  plan.verbose = o.verbose;
  const ResolvedModel model = model_from_options(o);
  plan.problem.shape = model.shape;
  const MoeShape& shape = plan.problem.shape;
  const LaunchSettings launch = resolve_launch({o.nnodes, o.node_rank, o.dist_init_addr}, environment);
  for (const std::string& line : launch.describe()) log_verbose("{}", line);
  validate_layout(o, shape, launch);
  plan.problem.layout = Layout{static_cast<int>(o.tp_size), static_cast<int>(o.ep_size),
                               static_cast<int>(launch.nnodes.value), static_cast<int>(launch.node_rank.value)};
  plan.problem.dtype = resolve_dtype(o.dtype, shape, o.model_path);
  if (const std::string why = dtype_layout_problem(plan.problem); !why.empty()) throw UsageError(why);
  plan.dist_init_addr = launch.dist_init_addr.value;
  plan.dist_timeout_s = o.dist_timeout_s;

  if (o.num_tokens.empty()) throw UsageError("--num-tokens needs at least one value");
  plan.token_counts = o.num_tokens;
  plan.scenarios = without_repeats(o.scenarios);

  if (std::find(plan.scenarios.begin(), plan.scenarios.end(), Scenario::kImbalanced) != plan.scenarios.end()) {
    const FactorRange range =
        imbalanced_factor_range(static_cast<int>(shape.num_experts), static_cast<int>(shape.top_k), shape.router);
    if (o.imbalance_factor < range.min || o.imbalance_factor > range.max) {
      throw UsageError(
          fmt::format("--imbalance-factor {} cannot be reached with {} experts and top-{}: max_load / "
                      "avg_load lies in [{:.2f}, {:.2f}] (E / k at most)",
                      o.imbalance_factor, shape.num_experts, shape.top_k, range.min, range.max));
    }
  }
  plan.imbalance_factor = o.imbalance_factor;

  plan.timing.warmup_iters = static_cast<int>(o.warmup_iters);
  plan.timing.cuda_graph = o.cuda_graph;
  plan.timing.cold_l2 = o.cold_l2;
  if (const std::optional<std::string> flush = environment("MOEBENCH_L2_FLUSH")) {
    const std::optional<L2Flush> parsed = parse_l2_flush(*flush);
    if (!parsed)
      throw UsageError(
          fmt::format("MOEBENCH_L2_FLUSH={} is not a flush of --cold-l2: read (the default) or write", *flush));
    plan.timing.l2_flush = *parsed;
  }
  plan.timing.benchmark_iters = static_cast<int>(o.benchmark_iters);

  plan.implementations = without_repeats(o.implementations);
  plan.check = o.check;
  if (plan.check && plan.implementations.size() != 2) {
    throw UsageError("--check compares the two implementations: run both (--implementations fused epmoe)");
  }
  plan.device = o.device;
  plan.seed = o.seed;

  plan.profile = o.profile;
  plan.profile_dir = o.profile_dir;
  if (plan.profile) {
    // Traces are an extra: the benchmark still runs and writes its results without them.
    const std::string reason = unwritable_reason(plan.profile_dir + "/probe");
    if (!reason.empty()) {
      log_warning("cannot write traces under --profile-dir {} ({}); running without --profile", plan.profile_dir,
                  reason);
      plan.profile = false;
    }
  }
  plan.output = output_config(o);
  plan.save_tensors = tensor_saving(o, plan, model.config);
  return plan;
}

}  // namespace moebench
