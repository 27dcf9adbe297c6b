// Each naming scheme's tensors, from the EP format: wi_0 (E, H, I) gate, wi_1 (E, H, I) up,
// wo (E, I, H) down, bf16 values or e4m3 codes. torch's Linear stores (out_features, in_features),
// hence the transposes; scales are (out blocks, in blocks) whatever the values' orientation.
#include "runner/checkpoint_layout.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <span>
#include <string>

namespace moebench {

namespace {

// One dtype's three projections in the EP format, and their block scales for e4m3 codes.
template <typename T>
struct Projections {
  std::int64_t E, H, I;
  TensorDtype dtype;
  const std::vector<T>& gate;  // (E, H, I)
  const std::vector<T>& up;    // (E, H, I)
  const std::vector<T>& down;  // (E, I, H)
  const Fp8EpWeights* fp8;     // the scales; null for bf16
};

Projections<bf16_bits> projections_of(const EpWeights& w) {
  return {w.num_experts, w.hidden, w.intermediate, TensorDtype::kBf16, w.wi_0, w.wi_1, w.wo, nullptr};
}

Projections<e4m3_bits> projections_of(const Fp8EpWeights& w) {
  return {w.num_experts, w.hidden, w.intermediate, TensorDtype::kF8E4M3, w.gate.codes, w.up.codes, w.down.codes, &w};
}

// Expert e's (rows x cols) matrix of a stacked (E, rows, cols) tensor.
template <typename T>
std::span<const T> expert_matrix(const std::vector<T>& stacked, std::int64_t e, std::int64_t rows, std::int64_t cols) {
  return std::span<const T>(stacked).subspan(static_cast<std::size_t>(e * rows * cols),
                                             static_cast<std::size_t>(rows * cols));
}

// Hands the transpose of `m` (rows x cols) to the sink, kBlock of its rows at a time: each block
// reads the source rows in order, so a large matrix streams through the cache once.
template <typename T>
void write_transposed(std::span<const T> m, std::int64_t rows, std::int64_t cols, const ByteSink& sink) {
  constexpr std::int64_t kBlock = 64;
  std::vector<T> block(static_cast<std::size_t>(kBlock * rows));
  for (std::int64_t c0 = 0; c0 < cols; c0 += kBlock) {
    const std::int64_t width = std::min(kBlock, cols - c0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < width; ++c)
        block[static_cast<std::size_t>(c * rows + r)] = m[static_cast<std::size_t>(r * cols + c0 + c)];
    sink(block.data(), static_cast<std::size_t>(width * rows) * sizeof(T));
  }
}

template <typename T>
SafetensorsTensor transposed_tensor(std::string name, TensorDtype dtype, std::span<const T> m, std::int64_t rows,
                                    std::int64_t cols) {
  return SafetensorsTensor{std::move(name), dtype, {cols, rows}, [m, rows, cols](const ByteSink& sink) {
                             write_transposed(m, rows, cols, sink);
                           }};
}

SafetensorsTensor zeros_tensor(std::string name, std::vector<std::int64_t> shape) {
  SafetensorsTensor t{std::move(name), TensorDtype::kBf16, std::move(shape), {}};
  t.write_data = [count = t.bytes() / sizeof(bf16_bits)](const ByteSink& sink) {
    const std::vector<bf16_bits> zeros(static_cast<std::size_t>(count), 0);
    sink(zeros.data(), zeros.size() * sizeof(bf16_bits));
  };
  return t;
}

// `<weight>_scale_inv` of expert e's projection p: (ceil(out / 128), ceil(in / 128)) f32, as
// Fp8Projection holds them (out = N, in = K).
SafetensorsTensor expert_scales(const std::string& weight, const Fp8Projection& p, std::int64_t e) {
  const std::int64_t count = p.col_blocks() * p.row_blocks();
  return tensor_of(
      weight + "_scale_inv", TensorDtype::kF32, {p.col_blocks(), p.row_blocks()},
      std::span<const float>(p.scales).subspan(static_cast<std::size_t>(e * count), static_cast<std::size_t>(count)));
}

// `<weight>_scale_inv` of a fused gate-and-up tensor: (E, 2 ceil(I / 128), ceil(H / 128)) f32,
// each expert's gate blocks then its up blocks (each matrix has its own blocks: docs/fp8.md).
SafetensorsTensor gate_up_scales(const std::string& weight, const Fp8EpWeights& w) {
  const std::int64_t rows = w.gate.col_blocks(), cols = w.gate.row_blocks(), count = rows * cols;
  return SafetensorsTensor{
      weight + "_scale_inv", TensorDtype::kF32, {w.num_experts, 2 * rows, cols}, [&w, count](const ByteSink& sink) {
        for (std::int64_t e = 0; e < w.num_experts; ++e) {
          sink(w.gate.scales.data() + e * count, static_cast<std::size_t>(count) * sizeof(float));
          sink(w.up.scales.data() + e * count, static_cast<std::size_t>(count) * sizeof(float));
        }
      }};
}

// `<weight>_scale_inv` of a stacked down tensor: (E, ceil(H / 128), ceil(I / 128)) f32.
SafetensorsTensor down_scales(const std::string& weight, const Fp8EpWeights& w) {
  return tensor_of(weight + "_scale_inv", TensorDtype::kF32, {w.num_experts, w.down.col_blocks(), w.down.row_blocks()},
                   std::span<const float>(w.down.scales));
}

// One torch Linear weight per expert and projection: per_expert_proj and mixtral.
template <typename T>
std::vector<SafetensorsTensor> per_expert_tensors(const Projections<T>& p, const char* gate, const char* up,
                                                  const char* down) {
  std::vector<SafetensorsTensor> out;
  for (std::int64_t e = 0; e < p.E; ++e) {
    const std::string g = fmt::format("experts.{}.{}.weight", e, gate), u = fmt::format("experts.{}.{}.weight", e, up),
                      d = fmt::format("experts.{}.{}.weight", e, down);
    out.push_back(transposed_tensor(g, p.dtype, expert_matrix(p.gate, e, p.H, p.I), p.H, p.I));
    if (p.fp8) out.push_back(expert_scales(g, p.fp8->gate, e));
    out.push_back(transposed_tensor(u, p.dtype, expert_matrix(p.up, e, p.H, p.I), p.H, p.I));
    if (p.fp8) out.push_back(expert_scales(u, p.fp8->up, e));
    out.push_back(transposed_tensor(d, p.dtype, expert_matrix(p.down, e, p.I, p.H), p.I, p.H));
    if (p.fp8) out.push_back(expert_scales(d, p.fp8->down, e));
  }
  return out;
}

// experts.gate_up_proj (E, H, 2I): each (e, h) row holds gate and up, interleaved (gpt-oss: gate at
// even columns, as GptOssExperts slices [..., ::2]) or gate then up (llama4: chunk(2, dim=-1)).
template <typename T>
SafetensorsTensor gate_up_columns(const Projections<T>& p, bool interleaved) {
  return SafetensorsTensor{
      "experts.gate_up_proj", p.dtype, {p.E, p.H, 2 * p.I}, [p, interleaved](const ByteSink& sink) {
        const std::int64_t I = p.I;
        std::vector<T> row(static_cast<std::size_t>(2 * I));
        for (std::int64_t eh = 0; eh < p.E * p.H; ++eh) {
          const T* gate = p.gate.data() + eh * I;
          const T* up = p.up.data() + eh * I;
          for (std::int64_t i = 0; i < I; ++i) {
            row[static_cast<std::size_t>(interleaved ? 2 * i : i)] = gate[i];
            row[static_cast<std::size_t>(interleaved ? 2 * i + 1 : I + i)] = up[i];
          }
          sink(row.data(), row.size() * sizeof(T));
        }
      }};
}

// experts.gate_up_proj and experts.down_proj (E, I, H), untransposed: gpt_oss and llama4.
template <typename T>
std::vector<SafetensorsTensor> stacked_tensors(const Projections<T>& p, bool interleaved) {
  std::vector<SafetensorsTensor> out{gate_up_columns(p, interleaved)};
  if (p.fp8) out.push_back(gate_up_scales("experts.gate_up_proj", *p.fp8));
  if (interleaved) out.push_back(zeros_tensor("experts.gate_up_proj_bias", {p.E, 2 * p.I}));
  out.push_back(tensor_of("experts.down_proj", p.dtype, {p.E, p.I, p.H}, std::span<const T>(p.down)));
  if (p.fp8) out.push_back(down_scales("experts.down_proj", *p.fp8));
  if (interleaved) out.push_back(zeros_tensor("experts.down_proj_bias", {p.E, p.H}));
  return out;
}

// input_linear.weight (E, 2I, H): per expert, gate's I rows then up's (GraniteMoeMoE chunk(2));
// output_linear.weight (E, H, I): each expert's down matrix transposed.
template <typename T>
std::vector<SafetensorsTensor> granite_tensors(const Projections<T>& p) {
  std::vector<SafetensorsTensor> out{{"input_linear.weight", p.dtype, {p.E, 2 * p.I, p.H}, [p](const ByteSink& sink) {
                                        for (std::int64_t e = 0; e < p.E; ++e) {
                                          write_transposed(expert_matrix(p.gate, e, p.H, p.I), p.H, p.I, sink);
                                          write_transposed(expert_matrix(p.up, e, p.H, p.I), p.H, p.I, sink);
                                        }
                                      }}};
  if (p.fp8) out.push_back(gate_up_scales("input_linear.weight", *p.fp8));
  out.push_back({"output_linear.weight", p.dtype, {p.E, p.H, p.I}, [p](const ByteSink& sink) {
                   for (std::int64_t e = 0; e < p.E; ++e)
                     write_transposed(expert_matrix(p.down, e, p.I, p.H), p.I, p.H, sink);
                 }});
  if (p.fp8) out.push_back(down_scales("output_linear.weight", *p.fp8));
  return out;
}

template <typename T>
std::vector<SafetensorsTensor> tensors_of(const Projections<T>& p, WeightNaming naming) {
  switch (naming) {
    case WeightNaming::kPerExpertProj: return per_expert_tensors(p, "gate_proj", "up_proj", "down_proj");
    case WeightNaming::kMixtral: return per_expert_tensors(p, "w1", "w3", "w2");
    case WeightNaming::kGptOss: return stacked_tensors(p, /*interleaved=*/true);
    case WeightNaming::kLlama4: return stacked_tensors(p, /*interleaved=*/false);
    case WeightNaming::kGraniteMoe: return granite_tensors(p);
  }
  return {};
}

}  // namespace

std::vector<SafetensorsTensor> checkpoint_tensors(const EpWeights& weights, WeightNaming naming) {
  return tensors_of(projections_of(weights), naming);
}

std::vector<SafetensorsTensor> checkpoint_tensors(const Fp8EpWeights& weights, WeightNaming naming) {
  return tensors_of(projections_of(weights), naming);
}

std::uint64_t checkpoint_bytes(std::int64_t num_experts, std::int64_t hidden, std::int64_t intermediate,
                               WeightNaming naming, WeightDtype dtype) {
  const auto E = static_cast<std::uint64_t>(num_experts), H = static_cast<std::uint64_t>(hidden),
             I = static_cast<std::uint64_t>(intermediate);
  const bool fp8 = dtype == WeightDtype::kFp8Block128;
  // Three (H x I) matrices per expert, and for e4m3 one f32 scale per 128 x 128 block of each.
  std::uint64_t bytes = 3 * E * H * I * (fp8 ? 1 : 2);
  if (fp8) bytes += 3 * E * static_cast<std::uint64_t>(fp8_blocks(hidden) * fp8_blocks(intermediate)) * sizeof(float);
  if (naming == WeightNaming::kGptOss) bytes += (E * 2 * I + E * H) * sizeof(bf16_bits);  // the zero biases
  return bytes;
}

}  // namespace moebench
