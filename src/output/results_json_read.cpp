// JSON back to a RunRecord, refusing anything that is not this program's schema version, with one
// line that names the file and the field.
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "core/errors.hpp"
#include "output/results_json.hpp"

namespace moebench {

namespace {

// Bounds of every number read: integers as JSON writers of int64 give them, reals finite and far
// from overflow when multiplied by the few factors the report applies.
constexpr std::int64_t kMaxInteger = std::numeric_limits<std::int64_t>::max();
constexpr double kHuge = 1e300;

// A JSON object and where it sits in the document, for error messages ("cases[2].rows[0]").
class Fields {
 public:
  Fields(const Json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {
    if (!object_.is_object()) fail(path_, "must be an object");
  }

  const Json& get(const std::string& key, bool (Json::*is_type)() const noexcept, const char* type) const {
    const auto it = object_.find(key);
    if (it == object_.end()) fail(where(key), "is missing");
    if (!((*it).*is_type)()) fail(where(key), fmt::format("must be {}", type));
    return *it;
  }
  // Numbers within the schema's bounds (docs/results_schema.json): the report and compare divide
  // by counts and take logarithms of latencies, so a file outside them is refused here, by name.
  double number(const std::string& key, double low = -kHuge) const {
    const double value = get(key, &Json::is_number, "a number").get<double>();
    if (!(value >= low) || std::fabs(value) > kHuge) {
      fail(where(key), low > -kHuge ? fmt::format("must be a number from {} to {:g} (got {})", low, kHuge, value)
                                    : fmt::format("must be a number of magnitude at most {:g} (got {})", kHuge, value));
    }
    return value;
  }
  std::int64_t integer(const std::string& key, std::int64_t low, std::int64_t high = kMaxInteger) const {
    const Json& v = get(key, &Json::is_number_integer, "an integer");
    const bool too_big = v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(high);
    const std::int64_t value = too_big ? high : v.get<std::int64_t>();
    if (too_big || value < low || value > high) {
      fail(where(key), fmt::format("must be an integer in [{}, {}] (got {})", low, high, v.dump()));
    }
    return value;
  }
  int small_integer(const std::string& key, int low) const {
    return static_cast<int>(integer(key, low, std::numeric_limits<int>::max()));
  }
  std::string text(const std::string& key) const { return get(key, &Json::is_string, "a string").get<std::string>(); }
  bool boolean(const std::string& key) const { return get(key, &Json::is_boolean, "true or false").get<bool>(); }
  const Json& array(const std::string& key) const { return get(key, &Json::is_array, "an array"); }
  Fields object(const std::string& key) const {
    return Fields(get(key, &Json::is_object, "an object"), where(key), source_);
  }
  Fields element(const std::string& key, std::size_t i) const {
    return Fields(array(key).at(i), fmt::format("{}[{}]", where(key), i), source_);
  }
  bool is_null(const std::string& key) const {
    const auto it = object_.find(key);
    return it == object_.end() || it->is_null();
  }
  std::optional<double> optional_number(const std::string& key, double low = -kHuge) const {
    return is_null(key) ? std::nullopt : std::optional<double>(number(key, low));
  }
  std::string optional_text(const std::string& key) const { return is_null(key) ? "" : text(key); }
  template <typename T>
  std::vector<T> list(const std::string& key, bool (Json::*is_type)() const noexcept, const char* type) const {
    std::vector<T> out;
    for (const Json& value : array(key)) {
      if (!(value.*is_type)()) fail(where(key), fmt::format("must hold only {}", type));
      out.push_back(value.get<T>());
    }
    return out;
  }
  // A non-empty list of integers in [low, kMaxInteger].
  std::vector<std::int64_t> integers(const std::string& key, std::int64_t low) const {
    std::vector<std::int64_t> out = list<std::int64_t>(key, &Json::is_number_integer, "integers");
    if (out.empty()) fail(where(key), "is empty");
    for (std::size_t i = 0; i < out.size(); ++i) {
      const Json& v = array(key)[i];
      if (out[i] < low ||
          (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxInteger))) {
        fail(fmt::format("{}[{}]", where(key), i),
             fmt::format("must be an integer in [{}, {}] (got {})", low, kMaxInteger, v.dump()));
      }
    }
    return out;
  }
  std::vector<std::string> strings(const std::string& key) const {
    std::vector<std::string> out = list<std::string>(key, &Json::is_string, "strings");
    if (out.empty()) fail(where(key), "is empty");
    return out;
  }

  std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    throw UsageError(fmt::format("{}: {} {}", source_, field, problem));
  }

 private:
  const Json& object_;
  std::string path_;
  const std::string& source_;
};

template <typename T, typename Parse>
std::vector<T> parse_names(const Fields& f, const std::string& key, Parse parse) {
  std::vector<T> out;
  for (const std::string& name : f.strings(key)) {
    const auto value = parse(name);
    if (!value) f.fail(f.where(key), fmt::format("holds an unknown name '{}'", name));
    out.push_back(*value);
  }
  return out;
}

template <typename T, typename Parse>
T parse_name(const Fields& f, const std::string& key, Parse parse) {
  const auto value = parse(f.text(key));
  if (!value) f.fail(f.where(key), fmt::format("is an unknown name '{}'", f.text(key)));
  return *value;
}

ResultRow read_row(const Fields& f) {
  ResultRow r;
  r.implementation = parse_name<ImplKind>(f, "implementation", parse_impl);
  r.bench_case = {parse_name<Scenario>(f, "scenario", parse_scenario), f.integer("num_tokens", 1)};
  r.ep_size = f.small_integer("ep_size", 1);
  r.tp_size = f.small_integer("tp_size", 1);
  r.num_experts = f.integer("num_experts", 1);
  r.top_k = f.integer("num_experts_per_tok", 1);
  r.latency = {f.small_integer("latency_count", 1), f.number("latency_mean_ms", 0), f.number("latency_std_ms", 0),
               f.number("latency_p50_ms", 0),       f.number("latency_p95_ms", 0),  f.number("latency_p99_ms", 0),
               f.number("latency_min_ms", 0),       f.number("latency_max_ms", 0)};
  r.load = {f.integer("max_load", 0), f.integer("min_load", 0), f.number("avg_load", 0), f.number("max_imbalance", 0)};
  r.throughput_tok_per_sec = f.number("throughput_tok_per_sec", 0);
  r.device = f.text("device");
  r.dtype = f.text("dtype");
  r.check_rel_err = f.optional_number("check_rel_err");
  if (!f.is_null("tflops")) {
    r.roofline = RooflineMetrics{f.number("tflops"), f.number("hbm_gbps"), f.optional_number("roofline_ms").value_or(0),
                                 f.optional_number("pct_of_roofline").value_or(0)};
    if (!f.is_null("beyond_peak")) r.roofline->beaten = parse_name<PeaksBeaten>(f, "beyond_peak", parse_peaks_beaten);
  }
  // Version 4 on: the communication bound, null (or, before 4, absent) where the row has none.
  if (!f.is_null("comm_bytes")) {
    r.comm = CommBound{f.integer("comm_bytes", 0), f.number("comm_floor_ms", 0), f.number("pct_of_bound", 0)};
  }
  return r;
}

CaseRecord read_case(const Fields& f) {
  CaseRecord c;
  c.bench_case = {parse_name<Scenario>(f, "scenario", parse_scenario), f.integer("num_tokens", 1)};
  const std::vector<std::int64_t> loads = f.integers("expert_loads", 0);
  const std::size_t count = f.array("rows").size();
  if (count == 0) f.fail(f.where("rows"), "is empty");
  for (std::size_t i = 0; i < count; ++i) {
    ResultRow row = read_row(f.element("rows", i));
    if (row.bench_case.scenario != c.bench_case.scenario || row.bench_case.num_tokens != c.bench_case.num_tokens) {
      f.fail(fmt::format("{}[{}]", f.where("rows"), i), "belongs to another case");
    }
    row.expert_loads = loads;
    c.rows.push_back(std::move(row));
  }
  return c;
}

DeviceInfo read_device(const Fields& f) {
  DeviceInfo d;
  d.backend = f.text("backend");
  d.name = f.text("name");
  d.device_count = f.small_integer("count", 1);
  d.details = f.text("details");
  d.sm_count = f.is_null("sm_count") ? 0 : f.small_integer("sm_count", 1);
  d.cpu_threads = f.is_null("cpu_threads") ? 0 : f.small_integer("cpu_threads", 1);
  d.memory_bytes = f.is_null("memory_bytes") ? 0 : static_cast<std::uint64_t>(f.integer("memory_bytes", 1));
  d.compute_capability = f.optional_text("compute_capability");
  d.driver_cuda_version = f.optional_text("driver_cuda_version");
  d.cuda_runtime_version = f.optional_text("cuda_runtime_version");
  d.nccl_version = f.text("nccl_version");
  return d;
}

// Another program's file or another version of ours: refused before any field is read.
void check_identity(const Json& document, const std::string& source) {
  if (!document.is_object() || !document.contains("schema")) {
    throw UsageError(
        fmt::format("{}: not a moebench results file (no \"schema\": \"{}\"; write one with "
                    "--output-format json)",
                    source, kResultsSchemaName));
  }
  if (document["schema"] != kResultsSchemaName) {
    throw UsageError(fmt::format("{}: schema {} is not {}", source, document["schema"].dump(), kResultsSchemaName));
  }
  const Json& version = document.value("schema_version", Json());
  if (!version.is_number_integer() || version < kOldestReadableSchemaVersion || version > kResultsSchemaVersion) {
    throw UsageError(fmt::format("{}: schema_version {} cannot be read: this {} reads schema_version {} to {}", source,
                                 version.dump(), kResultsProgram, kOldestReadableSchemaVersion, kResultsSchemaVersion));
  }
}

}  // namespace

RunRecord results_from_json(const Json& document, const std::string& source) {
  check_identity(document, source);
  const Fields f(document, "", source);
  RunRecord run;
  if (f.text("program") != kResultsProgram)
    f.fail("program", fmt::format("'{}' is not {}", f.text("program"), kResultsProgram));
  run.version = f.text("version");
  run.command_line = f.text("command_line");
  run.hosts = f.strings("hosts");
  run.seed = static_cast<std::uint64_t>(f.integer("seed", 0));

  const Fields m = f.object("model");
  run.model = ModelSummary{m.optional_text("name"),
                           m.integer("num_experts", 1),
                           m.integer("num_experts_per_tok", 1),
                           m.integer("hidden_size", 1),
                           m.integer("intermediate_size", 1),
                           m.text("activation"),
                           m.text("router"),
                           m.text("description")};
  const Fields l = f.object("layout");
  run.layout = Layout{l.small_integer("tp_size", 1), l.small_integer("ep_size", 1), l.small_integer("nnodes", 1),
                      l.small_integer("node_rank", 0)};
  if (f.array("devices").empty()) f.fail("devices", "is empty");
  run.device = read_device(f.element("devices", 0));
  if (!f.is_null("peaks")) {
    const Fields p = f.object("peaks");
    run.peaks = DevicePeaks{p.number("bandwidth_gbps", 0), p.number("tflops", 0), p.text("bandwidth_method"),
                            p.text("compute_method")};
    // Version 3 on: the fp8 GEMM rate, null where none was measured.
    run.peaks.fp8_tflops = p.optional_number("fp8_tflops", 0).value_or(0);
    run.peaks.fp8_compute_method = p.optional_text("fp8_compute_method");
    // Version 4 on: the link bandwidth, null where none was measured.
    run.peaks.link_gbps = p.optional_number("link_gbps", 0).value_or(0);
    run.peaks.link_method = p.optional_text("link_method");
  }
  const Fields t = f.object("timing");
  run.timing = TimingConfig{t.small_integer("warmup_iters", 0), t.small_integer("benchmark_iters", 1),
                            t.boolean("cuda_graph"), t.boolean("cold_l2")};
  // Version 5 on: how --cold-l2 flushed (null without it). Before, it wrote unless
  // MOEBENCH_L2_FLUSH=read said otherwise, which the file does not record: read as a write.
  run.timing.l2_flush = t.is_null("l2_flush") ? (run.timing.cold_l2 ? L2Flush::kWrite : L2Flush::kRead)
                                              : parse_name<L2Flush>(t, "l2_flush", parse_l2_flush);
  const Fields b = f.object("benchmark");
  run.scenarios = parse_names<Scenario>(b, "scenarios", parse_scenario);
  run.token_counts = b.integers("num_tokens", 1);
  run.implementations = parse_names<ImplKind>(b, "implementations", parse_impl);
  run.imbalance_factor = b.number("imbalance_factor", 0);
  run.check = b.boolean("check");
  run.cases_planned = f.small_integer("cases_planned", 0);
  for (std::size_t i = 0; i < f.array("cases").size(); ++i) run.cases.push_back(read_case(f.element("cases", i)));
  return run;
}

}  // namespace moebench
