// RunRecord to JSON. Every number at full precision; what does not apply is null, never a made-up 0.
#include "output/results_json.hpp"

namespace moebench {

namespace {

template <typename T>
Json or_null(bool present, const T& value) {
  return present ? Json(value) : Json(nullptr);
}

Json row_to_json(const ResultRow& r) {
  const LatencyStats& l = r.latency;
  const bool roof = r.roofline.has_value();
  const bool ceiling = roof && r.roofline->roofline_ms > 0;
  const bool comm = r.comm.has_value();
  // The CSV's columns under the CSV's names (README "Output formats"), then what the CSV lacks.
  return Json{{"implementation", impl_name(r.implementation)},
              {"scenario", scenario_name(r.bench_case.scenario)},
              {"num_tokens", r.bench_case.num_tokens},
              {"ep_size", r.ep_size},
              {"tp_size", r.tp_size},
              {"num_experts", r.num_experts},
              {"num_experts_per_tok", r.top_k},
              {"latency_mean_ms", l.mean_ms},
              {"latency_std_ms", l.std_ms},
              {"latency_p50_ms", l.p50_ms},
              {"latency_p95_ms", l.p95_ms},
              {"latency_p99_ms", l.p99_ms},
              {"latency_min_ms", l.min_ms},
              {"latency_max_ms", l.max_ms},
              {"max_load", r.load.max_load},
              {"min_load", r.load.min_load},
              {"avg_load", r.load.avg_load},
              {"max_imbalance", r.load.max_imbalance},
              {"throughput_tok_per_sec", r.throughput_tok_per_sec},
              {"device", r.device},
              {"dtype", r.dtype},
              {"check_rel_err", or_null(r.check_rel_err.has_value(), r.check_rel_err.value_or(0))},
              {"tflops", or_null(roof, roof ? r.roofline->tflops : 0)},
              {"hbm_gbps", or_null(roof, roof ? r.roofline->hbm_gbps : 0)},
              {"roofline_ms", or_null(ceiling, ceiling ? r.roofline->roofline_ms : 0)},
              {"pct_of_roofline", or_null(ceiling, ceiling ? r.roofline->pct_of_roofline : 0)},
              {"comm_bytes", or_null(comm, comm ? r.comm->bytes : 0)},
              {"comm_floor_ms", or_null(comm, comm ? r.comm->floor_ms : 0)},
              {"pct_of_bound", or_null(comm, comm ? r.comm->pct_of_bound : 0)},
              {"latency_count", l.count},
              {"beyond_peak", or_null(roof && r.roofline->beaten != PeaksBeaten::kNone,
                                      roof ? peaks_beaten_name(r.roofline->beaten) : "")}};
}

Json device_to_json(const DeviceInfo& d) {
  return Json{{"backend", d.backend},
              {"name", d.name},
              {"count", d.device_count},
              {"sm_count", or_null(d.sm_count > 0, d.sm_count)},
              {"cpu_threads", or_null(d.cpu_threads > 0, d.cpu_threads)},
              {"memory_bytes", or_null(d.memory_bytes > 0, d.memory_bytes)},
              {"compute_capability", or_null(!d.compute_capability.empty(), d.compute_capability)},
              {"driver_cuda_version", or_null(!d.driver_cuda_version.empty(), d.driver_cuda_version)},
              {"cuda_runtime_version", or_null(!d.cuda_runtime_version.empty(), d.cuda_runtime_version)},
              {"nccl_version", d.nccl_version},
              {"details", d.details}};
}

Json peaks_to_json(const DevicePeaks& p) {
  if (!p.valid()) return nullptr;
  return Json{{"bandwidth_gbps", p.bandwidth_gbps},
              {"bandwidth_method", p.bandwidth_method},
              {"tflops", p.tflops},
              {"compute_method", p.compute_method},
              {"fp8_tflops", or_null(p.fp8_tflops > 0, p.fp8_tflops)},
              {"fp8_compute_method", or_null(p.fp8_tflops > 0, p.fp8_compute_method)},
              {"link_gbps", or_null(p.link_gbps > 0, p.link_gbps)},
              {"link_method", or_null(p.link_gbps > 0, p.link_method)}};
}

Json case_to_json(const CaseRecord& c) {
  Json rows = Json::array();
  for (const ResultRow& r : c.rows) rows.push_back(row_to_json(r));
  return Json{{"scenario", scenario_name(c.bench_case.scenario)},
              {"num_tokens", c.bench_case.num_tokens},
              {"expert_loads", c.expert_loads()},
              {"rows", std::move(rows)}};
}

template <typename T, typename Name>
Json names(const std::vector<T>& values, Name name) {
  Json out = Json::array();
  for (const T& v : values) out.push_back(name(v));
  return out;
}

}  // namespace

Json results_to_json(const RunRecord& run) {
  const ModelSummary& m = run.model;
  const Layout& l = run.layout;
  Json cases = Json::array();
  for (const CaseRecord& c : run.cases) cases.push_back(case_to_json(c));
  return Json{{"schema", kResultsSchemaName},
              {"schema_version", kResultsSchemaVersion},
              {"program", kResultsProgram},
              {"version", run.version},
              {"command_line", run.command_line},
              {"hosts", run.hosts},
              {"seed", run.seed},
              {"model", Json{{"name", or_null(!m.name.empty(), m.name)},
                             {"num_experts", m.num_experts},
                             {"num_experts_per_tok", m.top_k},
                             {"hidden_size", m.hidden_size},
                             {"intermediate_size", m.intermediate_size},
                             {"activation", m.activation},
                             {"router", m.router},
                             {"description", m.description}}},
              {"layout", Json{{"ep_size", l.ep_size},
                              {"tp_size", l.tp_size},
                              {"tp_per_expert", l.tp_actual()},
                              {"nnodes", l.nnodes},
                              {"node_rank", l.node_rank}}},
              {"devices", Json::array({device_to_json(run.device)})},
              {"peaks", peaks_to_json(run.peaks)},
              {"timing", Json{{"warmup_iters", run.timing.warmup_iters},
                              {"benchmark_iters", run.timing.benchmark_iters},
                              {"cuda_graph", run.timing.cuda_graph},
                              {"cold_l2", run.timing.cold_l2},
                              {"l2_flush", run.timing.cold_l2 ? Json(std::string(l2_flush_name(run.timing.l2_flush)))
                                                              : Json(nullptr)}}},
              {"benchmark", Json{{"scenarios", names(run.scenarios, scenario_name)},
                                 {"num_tokens", run.token_counts},
                                 {"implementations", names(run.implementations, impl_name)},
                                 {"imbalance_factor", run.imbalance_factor},
                                 {"check", run.check}}},
              {"cases_planned", run.cases_planned},
              {"cases", std::move(cases)}};
}

}  // namespace moebench
