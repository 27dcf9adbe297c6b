#include "kernel_reports/kernel_stage_spans.hpp"

namespace moebench {

KernelStages fused_kernel_stages(const moe_kernels::FusedStageTimes& times, int device, const char* kernel) {
  KernelStages stages;
  stages.kernel = kernel;
  append_stage_spans(stages, device, times.start_ns, times.end_ns, moe_kernels::fused_stage_span_name);
  return stages;
}

}  // namespace moebench
