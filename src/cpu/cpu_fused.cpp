// fused on the CPU: one pass per block of tokens does routing, the gather of each expert's rows
// into a cache-sized tile, gate+up as one GEMM on the fused weights, the activation, the down
// GEMM and the weighted combine; the permuted copy of the batch never exists. fp8: x quantized by
// its owner first, each tile reading e4m3 rows times their scales, h quantized after the activation.
#include <algorithm>

#include <fmt/format.h>
#include <omp.h>

#include "core/router.hpp"
#include "cpu/blas.hpp"
#include "cpu/cpu_moe.hpp"
#include "cpu/cpu_moe_base.hpp"
#include "cpu/cpu_weights.hpp"
#include "profile/phase.hpp"

namespace moebench::cpu {
namespace {

constexpr std::int64_t kMaxBlockTokens = 256;
constexpr std::int64_t kMinBlockTokens = 16;

// One device's shard of the weights in the fused format, expanded to f32.
struct DeviceWeights {
  Range experts, inter;
  std::vector<float> w13, w2;
  std::vector<std::int64_t> gate_column, up_column;  // where gate/up column i sits in a w13 row
};

// Per-thread tiles, sized for the largest block.
struct ThreadScratch {
  std::vector<std::int32_t> ids;
  std::vector<float> weights;
  std::vector<std::int64_t> expert_offsets, order;
  std::vector<float> x, h13, act, y;
};

// Appends expert e's shard (the slice `inter` of its intermediate dimension) to w13 and w2 in the
// fused format (to_fused_format's layout, FusedWeights' index functions), from its f32 values.
void append_fused(const ExpertMatrices& m, std::int64_t hidden, Range inter, DeviceWeights& dw) {
  const FusedWeights f = fused_geometry(hidden, {0, 1}, inter, FusedLayout{kCpuFusedInterleave, 1, 1});
  const std::int64_t H = hidden, I = inter.size(), I_all = static_cast<std::int64_t>(m.gate.size()) / H;
  const std::size_t w13_at = dw.w13.size(), w2_at = dw.w2.size();
  dw.w13.resize(w13_at + static_cast<std::size_t>(2 * f.intermediate_rows * f.hidden_stride));
  dw.w2.resize(w2_at + static_cast<std::size_t>(H * f.intermediate_stride));
  const auto ep_index = [&](std::int64_t h, std::int64_t i) {
    return static_cast<std::size_t>(h * I_all + inter.begin + i);
  };
  place_fused(
      f, dw.w13.data() + w13_at, dw.w2.data() + w2_at,
      [&](std::int64_t, std::int64_t h, std::int64_t i) { return m.gate[ep_index(h, i)]; },
      [&](std::int64_t, std::int64_t h, std::int64_t i) { return m.up[ep_index(h, i)]; },
      [&](std::int64_t, std::int64_t i, std::int64_t h) {
        return m.down[static_cast<std::size_t>((inter.begin + i) * H + h)];
      });
  if (dw.gate_column.empty()) {
    for (std::int64_t i = 0; i < I; ++i) {
      dw.gate_column.push_back(f.w13_row(i, false));
      dw.up_column.push_back(f.w13_row(i, true));
    }
  }
}

class CpuFused final : public CpuMoeBase {
 public:
  CpuFused(const Problem& problem, const ExpertWeights& w) : CpuMoeBase(problem) {
    for (int d = 0; d < mesh_.num_devices(); ++d) {
      const DeviceCoord c = mesh_.coord(d);
      DeviceWeights dw;
      dw.experts = mesh_.expert_range(c.ep_rank);
      dw.inter = mesh_.intermediate_range(c.tp_rank);
      // One expert at a time, so that the f32 values beside the fused copy are one expert's.
      for (std::int64_t e = dw.experts.begin; e < dw.experts.end; ++e) append_fused(w.expert(e), H(), dw.inter, dw);
      device_weights_.push_back(std::move(dw));
    }
  }

  ImplKind kind() const override { return ImplKind::kFused; }

  void prepare(const CaseInputs& inputs) override {
    CpuMoeBase::prepare(inputs);
    const int threads = omp_get_max_threads();
    block_tokens_ = std::clamp<std::int64_t>((num_tokens_ + threads - 1) / threads, kMinBlockTokens, kMaxBlockTokens);
    scratch_.resize(static_cast<std::size_t>(threads));
  }

  void run_iteration() override {
    std::fill(output_.begin(), output_.end(), 0.0f);
    if (fp8()) {
      const ScopedPhase phase("quantize");
      quantize_hidden();
    }
    for (int d = 0; d < mesh_.num_devices(); ++d) {
      const ScopedPhase device(fmt::format("fused pass, device {}", d), "device", nlohmann::json{{"device", d}});
      // Blocks never straddle two source devices: each block is one owner's tokens.
      std::vector<Range> blocks;
      for (int source = 0; source < mesh_.num_devices(); ++source) {
        const Range owned = mesh_.token_range(num_tokens_, source);
        for (std::int64_t t = owned.begin; t < owned.end; t += block_tokens_)
          blocks.push_back({t, std::min(owned.end, t + block_tokens_)});
      }
      const auto num_blocks = static_cast<std::int64_t>(blocks.size());
#pragma omp parallel for schedule(dynamic, 1)
      for (std::int64_t b = 0; b < num_blocks; ++b) {
        process_block(device_weights_[static_cast<std::size_t>(d)], blocks[static_cast<std::size_t>(b)],
                      scratch_[static_cast<std::size_t>(omp_get_thread_num())]);
      }
    }
  }

 private:
  // Routes the block, then runs each of the device's experts on the block's rows routed to it,
  // accumulating into the owners' output rows (a remote reduction on a real mesh).
  void process_block(const DeviceWeights& dw, Range block, ThreadScratch& s) {
    const ScopedPhase phase("fused_block", "phase",
                            nlohmann::json{{"first_token", block.begin}, {"tokens", block.size()}});
    const std::int64_t n = block.size(), local_experts = dw.experts.size();
    s.ids.resize(static_cast<std::size_t>(n * k()));
    s.weights.resize(s.ids.size());
    route_tokens(
        std::span(logits_).subspan(static_cast<std::size_t>(block.begin * E()), static_cast<std::size_t>(n * E())),
        static_cast<int>(E()), k(), problem_.shape.router, s.ids, s.weights);

    s.expert_offsets.assign(static_cast<std::size_t>(local_experts + 1), 0);
    for (std::int32_t e : s.ids)
      if (dw.experts.contains(e)) ++s.expert_offsets[static_cast<std::size_t>(e - dw.experts.begin + 1)];
    for (std::int64_t e = 0; e < local_experts; ++e) s.expert_offsets[e + 1] += s.expert_offsets[e];
    s.order.resize(static_cast<std::size_t>(s.expert_offsets.back()));
    std::vector<std::int64_t> cursor(s.expert_offsets.begin(), s.expert_offsets.end() - 1);
    for (std::int64_t p = 0; p < n * k(); ++p) {
      const std::int32_t e = s.ids[static_cast<std::size_t>(p)];
      if (dw.experts.contains(e)) s.order[static_cast<std::size_t>(cursor[e - dw.experts.begin]++)] = p;
    }

    const std::int64_t I = dw.inter.size();
    for (std::int64_t e = 0; e < local_experts; ++e) {
      const std::int64_t first = s.expert_offsets[e], rows = s.expert_offsets[e + 1] - first;
      if (rows > 0) expert_tile(dw, e, block, std::span(s.order).subspan(first, rows), s, I);
    }
  }

  void expert_tile(const DeviceWeights& dw, std::int64_t e, Range block, std::span<const std::int64_t> pairs,
                   ThreadScratch& s, std::int64_t I) {
    const auto rows = static_cast<std::int64_t>(pairs.size());
    s.x.resize(static_cast<std::size_t>(rows * H()));
    s.h13.resize(static_cast<std::size_t>(rows * 2 * I));
    s.act.resize(static_cast<std::size_t>(rows * I));
    s.y.resize(static_cast<std::size_t>(rows * H()));
    for (std::int64_t r = 0; r < rows; ++r) read_x(block.begin + pairs[r] / k(), s.x.data() + r * H());
    gemm(Trans::kNo, Trans::kYes, rows, 2 * I, H(), 1.0f, s.x.data(), H(), dw.w13.data() + e * 2 * I * H(), H(), 0.0f,
         s.h13.data(), 2 * I);
    const Activation act = problem_.shape.activation;
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* h = s.h13.data() + r * 2 * I;
      for (std::int64_t i = 0; i < I; ++i)
        s.act[r * I + i] = apply_activation(act, h[dw.gate_column[i]], h[dw.up_column[i]]);
      if (fp8())
        quantize_dequantize_row(std::span(s.act).subspan(static_cast<std::size_t>(r * I), static_cast<std::size_t>(I)));
    }
    gemm(Trans::kNo, Trans::kYes, rows, H(), I, 1.0f, s.act.data(), I, dw.w2.data() + e * H() * I, I, 0.0f, s.y.data(),
         H());
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t pair = pairs[r];
      const float weight = s.weights[static_cast<std::size_t>(pair)];
      float* out = output_.data() + (block.begin + pair / k()) * H();
      const float* y = s.y.data() + r * H();
      for (std::int64_t h = 0; h < H(); ++h) out[h] += weight * y[h];
    }
  }

  std::vector<DeviceWeights> device_weights_;
  std::int64_t block_tokens_ = kMaxBlockTokens;
  std::vector<ThreadScratch> scratch_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_cpu_fused(const Problem& problem, const EpWeights& weights) {
  return std::make_unique<CpuFused>(problem, ExpertWeights(weights, problem.dtype));
}

}  // namespace moebench::cpu
