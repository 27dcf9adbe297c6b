// Console printer: a commented header and one aligned line per result on stdout, nccl-tests style.
#include <fmt/format.h>

#include "output/printer.hpp"

namespace moebench {
namespace {

class ConsolePrinter final : public ResultPrinter {
 public:
  explicit ConsolePrinter(std::FILE* stream) : stream_(stream) {}

  void begin(const RunInfo& info) override {
    const BenchmarkPlan& plan = *info.plan;
    const MoeShape& s = plan.problem.shape;
    const Layout& l = plan.problem.layout;
    fmt::print(stream_, "# moebench {}: fused vs epmoe MoE layer\n", info.version);
    fmt::print(stream_, "# model: {}{}\n", s.model_name.empty() ? "manual config: " : s.model_name + ": ", s.describe());
    fmt::print(stream_, "# router: {}\n", s.router.describe());
    fmt::print(stream_, "# layout: EP={} x TP={} on {} device(s)\n", l.ep_size, l.tp_actual(), l.tp_size);
    fmt::print(stream_, "# device: {} ({}), {}\n", info.device.backend, info.device.name, info.device.details);
    if (info.peaks.valid()) {
      fmt::print(stream_, "# peaks: {:.1f} GB/s ({}), {:.2f} TFLOP/s ({})\n", info.peaks.bandwidth_gbps,
                 info.peaks.bandwidth_method, info.peaks.tflops, info.peaks.compute_method);
    }
    fmt::print(stream_, "# timing: {} warm-up + {} timed iteration(s){}{}, seed {}\n", plan.timing.warmup_iters,
               plan.timing.benchmark_iters, plan.timing.cuda_graph ? ", CUDA graph" : "",
               plan.timing.cold_l2 ? ", cold L2" : "", plan.seed);
    fmt::print(stream_, "#\n# {:>10} {:>7} {:>6} {:>10} {:>10} {:>10} {:>12} {:>7} {:>9} {:>7}\n", "scenario", "tokens",
               "impl", "mean_ms", "p50_ms", "p95_ms", "tok/s", "imbal", "check", "%roof");
    std::fflush(stream_);
  }

  void add_case(std::span<const ResultRow> rows) override {
    for (const ResultRow& r : rows) {
      const std::string check = r.check_rel_err ? fmt::format("{:.2e}", *r.check_rel_err) : "-";
      const std::string roof = r.roofline && r.roofline->roofline_ms > 0
                                   ? fmt::format("{:.1f}", r.roofline->pct_of_roofline)
                                   : "-";
      fmt::print(stream_, "  {:>10} {:>7} {:>6} {:>10.4f} {:>10.4f} {:>10.4f} {:>12.1f} {:>6.2f}x {:>9} {:>7}\n",
                 scenario_name(r.bench_case.scenario), r.bench_case.num_tokens, impl_name(r.implementation),
                 r.latency.mean_ms, r.latency.p50_ms, r.latency.p95_ms, r.throughput_tok_per_sec,
                 r.load.max_imbalance, check, roof);
    }
    std::fflush(stream_);
  }

 private:
  std::FILE* stream_;
};

}  // namespace

std::unique_ptr<ResultPrinter> make_console_printer(std::FILE* stream) { return std::make_unique<ConsolePrinter>(stream); }

}  // namespace moebench
