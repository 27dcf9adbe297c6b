// JSON back to a RunRecord, refusing anything that is not this program's schema version, with one
// line that names the file and the field.
#include <fmt/format.h>

#include "core/errors.hpp"
#include "output/results_json.hpp"

namespace moebench {

namespace {

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
  double number(const std::string& key) const { return get(key, &Json::is_number, "a number").get<double>(); }
  std::int64_t integer(const std::string& key) const {
    return get(key, &Json::is_number_integer, "an integer").get<std::int64_t>();
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
  std::optional<double> optional_number(const std::string& key) const {
    return is_null(key) ? std::nullopt : std::optional<double>(number(key));
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
  std::vector<std::int64_t> integers(const std::string& key) const {
    return list<std::int64_t>(key, &Json::is_number_integer, "integers");
  }
  std::vector<std::string> strings(const std::string& key) const {
    return list<std::string>(key, &Json::is_string, "strings");
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
  r.bench_case = {parse_name<Scenario>(f, "scenario", parse_scenario), f.integer("num_tokens")};
  r.ep_size = static_cast<int>(f.integer("ep_size"));
  r.tp_size = static_cast<int>(f.integer("tp_size"));
  r.num_experts = f.integer("num_experts");
  r.top_k = f.integer("num_experts_per_tok");
  r.latency = {static_cast<int>(f.integer("latency_count")),
               f.number("latency_mean_ms"),
               f.number("latency_std_ms"),
               f.number("latency_p50_ms"),
               f.number("latency_p95_ms"),
               f.number("latency_p99_ms"),
               f.number("latency_min_ms"),
               f.number("latency_max_ms")};
  r.load = {f.integer("max_load"), f.integer("min_load"), f.number("avg_load"), f.number("max_imbalance")};
  r.throughput_tok_per_sec = f.number("throughput_tok_per_sec");
  r.device = f.text("device");
  r.dtype = f.text("dtype");
  r.check_rel_err = f.optional_number("check_rel_err");
  if (!f.is_null("tflops")) {
    r.roofline = RooflineMetrics{f.number("tflops"), f.number("hbm_gbps"), f.optional_number("roofline_ms").value_or(0),
                                 f.optional_number("pct_of_roofline").value_or(0)};
  }
  return r;
}

CaseRecord read_case(const Fields& f) {
  CaseRecord c;
  c.bench_case = {parse_name<Scenario>(f, "scenario", parse_scenario), f.integer("num_tokens")};
  const std::vector<std::int64_t> loads = f.integers("expert_loads");
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
  d.device_count = static_cast<int>(f.integer("count"));
  d.details = f.text("details");
  d.sm_count = f.is_null("sm_count") ? 0 : static_cast<int>(f.integer("sm_count"));
  d.cpu_threads = f.is_null("cpu_threads") ? 0 : static_cast<int>(f.integer("cpu_threads"));
  d.memory_bytes = f.is_null("memory_bytes") ? 0 : static_cast<std::uint64_t>(f.integer("memory_bytes"));
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
  if (version != kResultsSchemaVersion) {
    throw UsageError(fmt::format("{}: schema_version {} cannot be read: this {} reads schema_version {}", source,
                                 version.dump(), kResultsProgram, kResultsSchemaVersion));
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
  run.seed = static_cast<std::uint64_t>(f.integer("seed"));

  const Fields m = f.object("model");
  run.model = ModelSummary{m.optional_text("name"),  m.integer("num_experts"),       m.integer("num_experts_per_tok"),
                           m.integer("hidden_size"), m.integer("intermediate_size"), m.text("activation"),
                           m.text("router"),         m.text("description")};
  const Fields l = f.object("layout");
  run.layout = Layout{static_cast<int>(l.integer("tp_size")), static_cast<int>(l.integer("ep_size")),
                      static_cast<int>(l.integer("nnodes")), static_cast<int>(l.integer("node_rank"))};
  if (f.array("devices").empty()) f.fail("devices", "is empty");
  run.device = read_device(f.element("devices", 0));
  if (!f.is_null("peaks")) {
    const Fields p = f.object("peaks");
    run.peaks = DevicePeaks{p.number("bandwidth_gbps"), p.number("tflops"), p.text("bandwidth_method"),
                            p.text("compute_method")};
  }
  const Fields t = f.object("timing");
  run.timing = TimingConfig{static_cast<int>(t.integer("warmup_iters")), static_cast<int>(t.integer("benchmark_iters")),
                            t.boolean("cuda_graph"), t.boolean("cold_l2")};
  const Fields b = f.object("benchmark");
  run.scenarios = parse_names<Scenario>(b, "scenarios", parse_scenario);
  run.token_counts = b.integers("num_tokens");
  run.implementations = parse_names<ImplKind>(b, "implementations", parse_impl);
  run.imbalance_factor = b.number("imbalance_factor");
  run.check = b.boolean("check");
  run.cases_planned = static_cast<int>(f.integer("cases_planned"));
  for (std::size_t i = 0; i < f.array("cases").size(); ++i) run.cases.push_back(read_case(f.element("cases", i)));
  return run;
}

}  // namespace moebench
