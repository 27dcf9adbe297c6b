// epmoe on the CPU: route, permute by expert, dispatch to the owning devices, grouped GEMMs
// (BLAS calls per expert and projection, spread over threads), activation, combine back with the
// routing weights. fp8: x quantized by its owner first, the dispatch moving e4m3 rows with their
// scales (what crosses between devices is counted), h quantized after the activation.
#include <algorithm>
#include <fmt/format.h>

#include "core/router.hpp"
#include "cpu/blas.hpp"
#include "cpu/cpu_moe.hpp"
#include "cpu/cpu_moe_base.hpp"
#include "cpu/cpu_weights.hpp"
#include "profile/phase.hpp"

namespace moebench::cpu {
namespace {

class CpuEpMoe final : public CpuMoeBase {
 public:
  CpuEpMoe(const Problem& problem, const ExpertWeights& w) : CpuMoeBase(problem), devices_(mesh_.num_devices()) {
    for (std::int64_t e = 0; e < w.num_experts(); ++e) {
      const ExpertMatrices m = w.expert(e);
      gate_.insert(gate_.end(), m.gate.begin(), m.gate.end());
      up_.insert(up_.end(), m.up.begin(), m.up.end());
      down_.insert(down_.end(), m.down.begin(), m.down.end());
    }
  }

  ImplKind kind() const override { return ImplKind::kEpMoe; }

  void prepare(const CaseInputs& inputs) override {
    CpuMoeBase::prepare(inputs);
    token_owner_.resize(static_cast<std::size_t>(num_tokens_));
    for (int d = 0; d < mesh_.num_devices(); ++d) {
      const Range owned = mesh_.token_range(num_tokens_, d);
      std::fill(token_owner_.begin() + owned.begin, token_owner_.begin() + owned.end, d);
    }
  }

  std::optional<ExchangeBytes> last_exchange_bytes() const override { return exchanged_; }

  void run_iteration() override {
    {
      const ScopedPhase phase("route");
      route();
    }
    if (fp8()) {
      const ScopedPhase phase("quantize");
      quantize_hidden();
    }
    exchanged_ = {};
    {
      const ScopedPhase phase("permute");
      permute();
    }
    for (int d = 0; d < mesh_.num_devices(); ++d) {
      const ScopedPhase device(fmt::format("device {}", d), "device", nlohmann::json{{"device", d}});
      {
        const ScopedPhase phase("dispatch");
        dispatch(d);
      }
      expert_ffn(d);
    }
    const ScopedPhase phase("combine");
    combine();
  }

 private:
  struct DeviceScratch {
    std::vector<float> x, gate, up, act, y;  // rows in expert order
    std::vector<e4m3_bits> x_codes;          // fp8: the rows as received, (rows, H)
    std::vector<float> x_scales;             // and their scales, (rows, ceil(H / 128))
  };

  // Each device routes the tokens it owns.
  void route() {
    const std::size_t pairs = static_cast<std::size_t>(num_tokens_ * k());
    routing_.expert_ids.resize(pairs);
    routing_.weights.resize(pairs);
    for (int d = 0; d < mesh_.num_devices(); ++d) {
      const Range tokens = mesh_.token_range(num_tokens_, d);
      route_tokens(
          std::span(logits_).subspan(static_cast<std::size_t>(tokens.begin * E()),
                                     static_cast<std::size_t>(tokens.size() * E())),
          static_cast<int>(E()), k(), problem_.shape.router,
          std::span(routing_.expert_ids)
              .subspan(static_cast<std::size_t>(tokens.begin * k()), static_cast<std::size_t>(tokens.size() * k())),
          std::span(routing_.weights)
              .subspan(static_cast<std::size_t>(tokens.begin * k()), static_cast<std::size_t>(tokens.size() * k())));
    }
  }

  // Stable counting sort of the (token, slot) pairs by expert. Sources own contiguous token
  // ranges, so each expert's rows come source by source: what an all-to-all delivers.
  void permute() {
    const std::size_t pairs = routing_.expert_ids.size();
    expert_offsets_.assign(static_cast<std::size_t>(E() + 1), 0);
    for (std::int32_t e : routing_.expert_ids) ++expert_offsets_[static_cast<std::size_t>(e) + 1];
    for (std::int64_t e = 0; e < E(); ++e) expert_offsets_[e + 1] += expert_offsets_[e];
    sorted_pairs_.resize(pairs);
    row_of_pair_.resize(pairs);
    std::vector<std::int64_t> cursor(expert_offsets_.begin(), expert_offsets_.end() - 1);
    for (std::size_t p = 0; p < pairs; ++p) {
      const std::int64_t row = cursor[static_cast<std::size_t>(routing_.expert_ids[p])]++;
      sorted_pairs_[static_cast<std::size_t>(row)] = static_cast<std::int64_t>(p);
      row_of_pair_[p] = row;
    }
  }

  // Device d receives the rows of every pair routed to its experts (all its TP ranks get them):
  // x's values, or for fp8 its codes and group scales. Rows from other devices are counted.
  void dispatch(int d) {
    const Range rows = device_rows(d);
    DeviceScratch& s = devices_[static_cast<std::size_t>(d)];
    s.x.resize(static_cast<std::size_t>(rows.size() * H()));
    s.x_codes.resize(fp8() ? s.x.size() : 0);
    s.x_scales.resize(fp8() ? static_cast<std::size_t>(rows.size() * x_groups()) : 0);
    const std::int64_t G = x_groups();
    std::int64_t remote = 0;
#pragma omp parallel for schedule(static) reduction(+ : remote)
    for (std::int64_t r = 0; r < rows.size(); ++r) {
      const std::int64_t token = sorted_pairs_[static_cast<std::size_t>(rows.begin + r)] / k();
      remote += token_owner_[static_cast<std::size_t>(token)] != d ? 1 : 0;
      if (!fp8()) {
        std::copy_n(hidden_.data() + token * H(), H(), s.x.data() + r * H());
        continue;
      }
      std::copy_n(x_codes_.data() + token * H(), H(), s.x_codes.data() + r * H());
      std::copy_n(x_scales_.data() + token * G, G, s.x_scales.data() + r * G);
    }
    exchanged_.dispatch += remote * dispatch_row_bytes(problem_.dtype, H());
    exchanged_.combine += remote * combine_row_bytes(H());  // each of these rows' y goes back
  }

  // fp8: the received rows' values, as the gate/up GEMM reads them.
  void dequantize_received(DeviceScratch& s) const {
    const auto rows = static_cast<std::int64_t>(s.x.size()) / H();
    const std::int64_t G = x_groups();
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      dequantize_row(std::span(s.x_codes).subspan(static_cast<std::size_t>(r * H()), static_cast<std::size_t>(H())),
                     std::span(s.x_scales).subspan(static_cast<std::size_t>(r * G), static_cast<std::size_t>(G)),
                     std::span(s.x).subspan(static_cast<std::size_t>(r * H()), static_cast<std::size_t>(H())));
    }
  }

  // Grouped GEMMs over device d's experts and its slice of the intermediate dimension: gate and
  // up (one BLAS call each per expert), the activation, then down.
  void expert_ffn(int d) {
    const DeviceCoord c = mesh_.coord(d);
    const Range experts = mesh_.expert_range(c.ep_rank);
    const Range inter = mesh_.intermediate_range(c.tp_rank);
    const std::int64_t I = problem_.shape.intermediate_size, n_inter = inter.size();
    const Range rows = device_rows(d);
    DeviceScratch& s = devices_[static_cast<std::size_t>(d)];
    s.gate.resize(static_cast<std::size_t>(rows.size() * n_inter));
    s.up.resize(s.gate.size());
    s.act.resize(s.gate.size());
    s.y.resize(static_cast<std::size_t>(rows.size() * H()));
    // Work items of at most kRowsPerItem rows of one expert, spread over the OpenMP threads (BLAS
    // itself runs single-threaded: one thread pool, no contention between two).
    const std::vector<Range> items = work_items(experts, rows.begin);
    const auto num_items = static_cast<std::int64_t>(items.size());
    {
      const ScopedPhase phase("gate_up_gemm");
      if (fp8()) dequantize_received(s);
#pragma omp parallel for schedule(dynamic, 1)
      for (std::int64_t w = 0; w < num_items; ++w) {
        const Range r = items[static_cast<std::size_t>(w)];
        const std::int64_t e = item_expert_[static_cast<std::size_t>(w)];
        const float* x = s.x.data() + r.begin * H();
        gemm(Trans::kNo, Trans::kNo, r.size(), n_inter, H(), 1.0f, x, H(), gate_.data() + e * H() * I + inter.begin, I,
             0.0f, s.gate.data() + r.begin * n_inter, n_inter);
        gemm(Trans::kNo, Trans::kNo, r.size(), n_inter, H(), 1.0f, x, H(), up_.data() + e * H() * I + inter.begin, I,
             0.0f, s.up.data() + r.begin * n_inter, n_inter);
      }
    }
    {
      const ScopedPhase phase("activation");
      const auto n = static_cast<std::int64_t>(s.act.size());
      const Activation act = problem_.shape.activation;
#pragma omp parallel for schedule(static)
      for (std::int64_t i = 0; i < n; ++i) s.act[i] = apply_activation(act, s.gate[i], s.up[i]);
      quantize_activations(s.act, n_inter);
    }
    const ScopedPhase phase("down_gemm");
#pragma omp parallel for schedule(dynamic, 1)
    for (std::int64_t w = 0; w < num_items; ++w) {
      const Range r = items[static_cast<std::size_t>(w)];
      const std::int64_t e = item_expert_[static_cast<std::size_t>(w)];
      gemm(Trans::kNo, Trans::kNo, r.size(), H(), n_inter, 1.0f, s.act.data() + r.begin * n_inter, n_inter,
           down_.data() + (e * I + inter.begin) * H(), H(), 0.0f, s.y.data() + r.begin * H(), H());
    }
  }

  // The rows of `experts` cut into items of at most kRowsPerItem, relative to `first_row`; the
  // expert of each item goes to item_expert_.
  std::vector<Range> work_items(Range experts, std::int64_t first_row) {
    constexpr std::int64_t kRowsPerItem = 128;
    std::vector<Range> items;
    item_expert_.clear();
    for (std::int64_t e = experts.begin; e < experts.end; ++e) {
      for (std::int64_t r = expert_offsets_[e]; r < expert_offsets_[e + 1]; r += kRowsPerItem) {
        items.push_back({r - first_row, std::min(r + kRowsPerItem, expert_offsets_[e + 1]) - first_row});
        item_expert_.push_back(e);
      }
    }
    return items;
  }

  // Each token's owner gathers its k rows back from the devices that computed them, summing the
  // TP ranks' partial products, weighted by the routing weights.
  void combine() {
    const std::int64_t tp = mesh_.tp_actual();
#pragma omp parallel for schedule(static)
    for (std::int64_t t = 0; t < num_tokens_; ++t) {
      float* out = output_.data() + t * H();
      std::fill_n(out, H(), 0.0f);
      for (int j = 0; j < k(); ++j) {
        const auto p = static_cast<std::size_t>(t * k() + j);
        const int ep_rank = mesh_.expert_owner(routing_.expert_ids[p]);
        const float weight = routing_.weights[p];
        for (int tp_rank = 0; tp_rank < tp; ++tp_rank) {
          const int d = mesh_.device({ep_rank, tp_rank});
          const float* y =
              devices_[static_cast<std::size_t>(d)].y.data() + (row_of_pair_[p] - device_rows(d).begin) * H();
          for (std::int64_t h = 0; h < H(); ++h) out[h] += weight * y[h];
        }
      }
    }
  }

  // The rows of the expert-sorted pair list that device d computes: those of its experts.
  Range device_rows(int d) const {
    const Range experts = mesh_.expert_range(mesh_.coord(d).ep_rank);
    return {expert_offsets_[static_cast<std::size_t>(experts.begin)],
            expert_offsets_[static_cast<std::size_t>(experts.end)]};
  }

  std::vector<float> gate_, up_, down_;  // EP format, f32: bf16 values, or fp8 ones dequantized
  Routing routing_;
  std::vector<int> token_owner_;  // the device that owns each token
  ExchangeBytes exchanged_;       // by the last iteration
  std::vector<std::int64_t> expert_offsets_, sorted_pairs_, row_of_pair_, item_expert_;
  std::vector<DeviceScratch> devices_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_cpu_epmoe(const Problem& problem, const EpWeights& weights) {
  return std::make_unique<CpuEpMoe>(problem, ExpertWeights(weights, problem.dtype));
}

}  // namespace moebench::cpu
