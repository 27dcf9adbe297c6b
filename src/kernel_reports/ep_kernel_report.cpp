#include "kernel_reports/ep_kernel_report.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <span>

#include "kernel_reports/kernel_stage_spans.hpp"

namespace moebench {

std::string describe_ep_progress(const std::vector<GpuProgress>& gpus) {
  std::string report = "Where each GPU's fused kernel is:";
  for (const GpuProgress& g : gpus) {
    report += fmt::format(" GPU rank {} launch {} {};", g.rank, g.progress.launches,
                          moe_kernels::ep_stage_name(g.progress.stage));
    if (g.progress.fault != 0)
      report += fmt::format(" GPU rank {} stopped itself: {};", g.rank, moe_kernels::ep_fault_name(g.progress.fault));
  }
  report.pop_back();
  return report;
}

std::string describe_cta_traces(int rank, const std::vector<moe_kernels::EpCtaTrace>& ctas, int consumers) {
  unsigned taken = 0, in_barrier = 0, in_phase = 0, min_left = ~0u, max_left = 0;
  std::string odd;
  int shown = 0;
  for (std::size_t cta = 0; cta < ctas.size(); ++cta) {
    const moe_kernels::EpCtaTrace& c = ctas[cta];
    const moe_kernels::TileTrace& tiles = c.tiles;
    taken += tiles.taken;
    min_left = std::min(min_left, c.grid_left);
    max_left = std::max(max_left, c.grid_left);
    const bool waiting = c.grid_arrived != c.grid_left;
    const bool working = tiles.left[0] == 0 || tiles.left[1] == 0 || (consumers > 1 && tiles.left[2] == 0);
    in_barrier += waiting ? 1 : 0;
    in_phase += working ? 1 : 0;
    if ((working || !waiting) && shown++ < 4) {
      odd += fmt::format(
          " [CTA {}: {}, grid barriers {}/{}, took {} tiles (last {}), consumers finished {}/{} (last "
          "{}/{}), roles left the phase {}{}{}]",
          cta, moe_kernels::ep_stage_name(c.stage), c.grid_arrived, c.grid_left, tiles.taken, tiles.last_taken,
          tiles.finished[0], tiles.finished[1], tiles.last_finished[0], tiles.last_finished[1], tiles.left[0],
          tiles.left[1], consumers > 1 ? tiles.left[2] : 1u);
    }
  }
  return fmt::format(
      "GPU rank {}: {} CTAs, {} in a grid barrier, {} with a role in a GEMM phase, grid barriers left "
      "{}..{}, tiles taken {} of {}{}",
      rank, ctas.size(), in_barrier, in_phase, ctas.empty() ? 0u : min_left, max_left, taken,
      ctas.empty() ? 0u : ctas.front().tiles.num_tiles, odd);
}

KernelStages ep_kernel_stages(const std::vector<moe_kernels::EpKernelProgress>& by_device) {
  KernelStages stages;
  stages.kernel = "fused_moe_ep_kernel";
  for (std::size_t device = 0; device < by_device.size(); ++device) {
    const moe_kernels::EpKernelProgress& p = by_device[device];
    // Stage 0 is "not started": no span.
    const std::span<const unsigned long long> starts(p.stage_start_ns);
    append_stage_spans(stages, static_cast<int>(device), starts.subspan(1), p.end_ns,
                       [](int s) { return moe_kernels::ep_stage_span_name(s + 1); });
  }
  return stages;
}

}  // namespace moebench
