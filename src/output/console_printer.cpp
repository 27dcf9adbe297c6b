// Console printer: a commented header and one aligned line per result on stdout, nccl-tests style.
#include <fmt/format.h>

#include "output/printer.hpp"
#include "output/result_columns.hpp"

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
    fmt::print(stream_, "# model: {}{}\n", s.model_name.empty() ? "manual config: " : s.model_name + ": ",
               s.describe());
    fmt::print(stream_, "# router: {}\n", s.router.describe());
    if (plan.problem.dtype != WeightDtype::kBf16)
      fmt::print(stream_, "# dtype: {} ({})\n", dtype_name(plan.problem.dtype), dtype_description(plan.problem.dtype));
    fmt::print(stream_, "# layout: EP={} x TP={} on {} device(s)\n", l.ep_size, l.tp_actual(), l.tp_size);
    fmt::print(stream_, "# device: {} ({}), {}\n", info.device.backend, info.device.name, info.device.details);
    if (info.peaks.valid()) fmt::print(stream_, "# peaks: {}\n", describe_peaks(info.peaks));
    fmt::print(stream_, "# timing: {} warm-up + {} timed iteration(s){}{}, seed {}\n", plan.timing.warmup_iters,
               plan.timing.benchmark_iters, plan.timing.cuda_graph ? ", CUDA graph" : "",
               plan.timing.cold_l2 ? fmt::format(", cold L2 ({} flush)", l2_flush_name(plan.timing.l2_flush)) : "",
               plan.seed);
    std::string titles = "#";
    for (const ViewPlace& place : places_) titles += fmt::format(" {}", place_title(place, &ResultColumn::console));
    fmt::print(stream_, "#\n{}\n", titles);
    std::fflush(stream_);
  }

  void add_case(std::span<const ResultRow> rows) override {
    for (const ResultRow& row : rows) {
      std::string line = " ";  // under the header's '#'
      for (const ViewPlace& place : places_) line += fmt::format(" {}", place_text(place, &ResultColumn::console, row));
      fmt::print(stream_, "{}\n", line);
    }
    std::fflush(stream_);
  }

 private:
  std::FILE* stream_;
  const std::vector<ViewPlace> places_ = view_places(&ResultColumn::console);
};

}  // namespace

std::unique_ptr<ResultPrinter> make_console_printer(std::FILE* stream) {
  return std::make_unique<ConsolePrinter>(stream);
}

}  // namespace moebench
