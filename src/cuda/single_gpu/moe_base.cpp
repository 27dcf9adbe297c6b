// Inputs up, output down, routing buffers.
#include "cuda/single_gpu/moe_base.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "core/log.hpp"
#include "moe_kernels/heuristics.hpp"

namespace moebench::cuda {

SingleGpuMoeBase::SingleGpuMoeBase(const CudaContext& context, const Problem& problem)
    : context_(context), problem_(problem), router_(device_router(problem.shape)) {
  const MoeShape& s = problem.shape;
  geometry_.top_k = static_cast<int>(s.top_k);
  geometry_.num_experts = static_cast<int>(s.num_experts);
  geometry_.expert_begin = 0;
  geometry_.local_experts = static_cast<int>(s.num_experts);
  geometry_.hidden = static_cast<int>(s.hidden_size);
  geometry_.intermediate = static_cast<int>(s.intermediate_size);
}

SingleGpuMoeBase::DecodeSetting SingleGpuMoeBase::decode_setting() {
  const char* setting = std::getenv("MOEBENCH_DECODE");
  if (setting == nullptr) return DecodeSetting::kAuto;
  const std::string_view value(setting);
  if (value == "on") return DecodeSetting::kOn;
  if (value == "off") return DecodeSetting::kOff;
  return DecodeSetting::kAuto;
}

moe_kernels::DecodeFinish SingleGpuMoeBase::decode_finish() {
  const char* setting = std::getenv("MOEBENCH_DECODE_HANDOFF");
  return setting != nullptr && std::string_view(setting) == "on" ? moe_kernels::DecodeFinish::kHandoff
                                                                 : moe_kernels::DecodeFinish::kInline;
}

const char* SingleGpuMoeBase::decode_finish_note() {
  return decode_finish() == moe_kernels::DecodeFinish::kHandoff
             ? "; units finished by the finisher warps (MOEBENCH_DECODE_HANDOFF=on)"
             : "";
}

bool SingleGpuMoeBase::use_decode_kernels() const {
  if (!moe_kernels::use_decode_kernel(geometry_, router_)) return false;
  switch (decode_setting()) {
    case DecodeSetting::kOn: return true;
    case DecodeSetting::kOff: return false;
    case DecodeSetting::kAuto: break;
  }
  return moe_kernels::decode_kernel_is_faster(geometry_, kind() == ImplKind::kFused);
}

bool SingleGpuMoeBase::use_clustered_gemms() const {
  const char* setting = std::getenv("MOEBENCH_GEMM_CLUSTER");
  return setting != nullptr && std::string_view(setting) == "on" &&
         geometry_.block_m == 2 * moe_kernels::kWarpgroupRows && !use_decode_kernels();
}

bool SingleGpuMoeBase::use_route_in_cta() const {
  const char* setting = std::getenv("MOEBENCH_ROUTE_IN_CTA");
  return setting != nullptr && std::string_view(setting) == "on" && use_decode_kernels() &&
         moe_kernels::route_in_cta_fits(geometry_, router_);
}

void SingleGpuMoeBase::prepare(const CaseInputs& inputs) {
  const std::int64_t T = inputs.bench_case.num_tokens;
  geometry_.num_tokens = static_cast<int>(T);
  geometry_.block_m = problem_.dtype == WeightDtype::kFp8Block128
                          ? moe_kernels::kFp8BlockM
                          : moe_kernels::choose_block_m(T, geometry_.top_k, geometry_.local_experts);
  if (!use_decode_kernels()) log_verbose("{} T={}: tiles of {} token rows", impl_name(kind()), T, geometry_.block_m);
  const std::int64_t H = geometry_.hidden, stride = geometry_.hidden_stride();
  upload_padded_rows(inputs, {0, T}, H, stride, x_);
  logits_.upload(inputs.router_logits.data(), inputs.router_logits.size());
  out_.resize(static_cast<std::size_t>(T * H));
  const auto pairs = static_cast<std::size_t>(geometry_.max_pairs());
  routing_.resize(static_cast<std::size_t>(geometry_.local_experts), pairs, pairs);
  size_workspace();
  MOE_CUDA_CHECK(cudaDeviceSynchronize());
}

std::vector<float> SingleGpuMoeBase::output() {
  MOE_CUDA_CHECK(cudaStreamSynchronize(context_.stream));
  const std::size_t count = static_cast<std::size_t>(geometry_.num_tokens) * geometry_.hidden;
  std::vector<bf16_bits> bits(count);
  MOE_CUDA_CHECK(cudaMemcpy(bits.data(), out_.data(), count * sizeof(bf16_bits), cudaMemcpyDeviceToHost));
  std::vector<float> values(count);
  bf16_to_float(bits, values);
  return values;
}

void SingleGpuMoeBase::poison_output() {
  // 0xFFFF is a bf16 NaN: an element the layer forgets to write stays NaN.
  MOE_CUDA_CHECK(cudaMemsetAsync(out_.data(), 0xFF, out_.bytes(), context_.stream));
}

}  // namespace moebench::cuda
