// Each naming scheme's tensors, from the EP format: wi_0 (E, H, I) gate, wi_1 (E, H, I) up,
// wo (E, I, H) down. torch's Linear stores (out_features, in_features), hence the transposes.
#include "runner/checkpoint_layout.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <span>

namespace moebench {

namespace {

using Matrix = std::span<const bf16_bits>;  // row-major, rows x cols

// Expert e's (rows x cols) matrix of a stacked (E, rows, cols) tensor.
Matrix expert_matrix(const std::vector<bf16_bits>& stacked, std::int64_t e, std::int64_t rows, std::int64_t cols) {
  return Matrix(stacked).subspan(static_cast<std::size_t>(e * rows * cols), static_cast<std::size_t>(rows * cols));
}

// Hands the transpose of `m` (rows x cols) to the sink, kBlock of its rows at a time: each block
// reads the source rows in order, so a large matrix streams through the cache once.
void write_transposed(Matrix m, std::int64_t rows, std::int64_t cols, const ByteSink& sink) {
  constexpr std::int64_t kBlock = 64;
  std::vector<bf16_bits> block(static_cast<std::size_t>(kBlock * rows));
  for (std::int64_t c0 = 0; c0 < cols; c0 += kBlock) {
    const std::int64_t width = std::min(kBlock, cols - c0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < width; ++c)
        block[static_cast<std::size_t>(c * rows + r)] = m[static_cast<std::size_t>(r * cols + c0 + c)];
    sink(block.data(), static_cast<std::size_t>(width * rows) * sizeof(bf16_bits));
  }
}

SafetensorsTensor transposed_tensor(std::string name, Matrix m, std::int64_t rows, std::int64_t cols) {
  return SafetensorsTensor{std::move(name), TensorDtype::kBf16, {cols, rows}, [m, rows, cols](const ByteSink& sink) {
                             write_transposed(m, rows, cols, sink);
                           }};
}

SafetensorsTensor whole_tensor(std::string name, const std::vector<bf16_bits>& values,
                               std::vector<std::int64_t> shape) {
  return tensor_of(std::move(name), TensorDtype::kBf16, std::move(shape), std::span<const bf16_bits>(values));
}

SafetensorsTensor zeros_tensor(std::string name, std::vector<std::int64_t> shape) {
  SafetensorsTensor t{std::move(name), TensorDtype::kBf16, std::move(shape), {}};
  t.write_data = [count = t.bytes() / sizeof(bf16_bits)](const ByteSink& sink) {
    const std::vector<bf16_bits> zeros(static_cast<std::size_t>(count), 0);
    sink(zeros.data(), zeros.size() * sizeof(bf16_bits));
  };
  return t;
}

// One torch Linear weight per expert and projection: per_expert_proj and mixtral.
std::vector<SafetensorsTensor> per_expert_tensors(const EpWeights& w, const char* gate, const char* up,
                                                  const char* down) {
  const std::int64_t H = w.hidden, I = w.intermediate;
  std::vector<SafetensorsTensor> out;
  for (std::int64_t e = 0; e < w.num_experts; ++e) {
    out.push_back(
        transposed_tensor(fmt::format("experts.{}.{}.weight", e, gate), expert_matrix(w.wi_0, e, H, I), H, I));
    out.push_back(transposed_tensor(fmt::format("experts.{}.{}.weight", e, up), expert_matrix(w.wi_1, e, H, I), H, I));
    out.push_back(transposed_tensor(fmt::format("experts.{}.{}.weight", e, down), expert_matrix(w.wo, e, I, H), I, H));
  }
  return out;
}

// experts.gate_up_proj (E, H, 2I): each (e, h) row holds gate and up, interleaved (gpt-oss: gate at
// even columns, as GptOssExperts slices [..., ::2]) or gate then up (llama4: chunk(2, dim=-1)).
SafetensorsTensor gate_up_columns(const EpWeights& w, bool interleaved) {
  const std::int64_t E = w.num_experts, H = w.hidden, I = w.intermediate;
  return SafetensorsTensor{
      "experts.gate_up_proj", TensorDtype::kBf16, {E, H, 2 * I}, [&w, E, H, I, interleaved](const ByteSink& sink) {
        std::vector<bf16_bits> row(static_cast<std::size_t>(2 * I));
        for (std::int64_t eh = 0; eh < E * H; ++eh) {
          const bf16_bits* gate = w.wi_0.data() + eh * I;
          const bf16_bits* up = w.wi_1.data() + eh * I;
          for (std::int64_t i = 0; i < I; ++i) {
            row[static_cast<std::size_t>(interleaved ? 2 * i : i)] = gate[i];
            row[static_cast<std::size_t>(interleaved ? 2 * i + 1 : I + i)] = up[i];
          }
          sink(row.data(), row.size() * sizeof(bf16_bits));
        }
      }};
}

// input_linear.weight (E, 2I, H): per expert, gate's I rows then up's (GraniteMoeMoE chunk(2)).
SafetensorsTensor granite_input_linear(const EpWeights& w) {
  const std::int64_t E = w.num_experts, H = w.hidden, I = w.intermediate;
  return SafetensorsTensor{
      "input_linear.weight", TensorDtype::kBf16, {E, 2 * I, H}, [&w, E, H, I](const ByteSink& sink) {
        for (std::int64_t e = 0; e < E; ++e) {
          write_transposed(expert_matrix(w.wi_0, e, H, I), H, I, sink);
          write_transposed(expert_matrix(w.wi_1, e, H, I), H, I, sink);
        }
      }};
}

// output_linear.weight (E, H, I): each expert's down matrix transposed.
SafetensorsTensor granite_output_linear(const EpWeights& w) {
  const std::int64_t E = w.num_experts, H = w.hidden, I = w.intermediate;
  return SafetensorsTensor{"output_linear.weight", TensorDtype::kBf16, {E, H, I}, [&w, E, H, I](const ByteSink& sink) {
                             for (std::int64_t e = 0; e < E; ++e)
                               write_transposed(expert_matrix(w.wo, e, I, H), I, H, sink);
                           }};
}

}  // namespace

std::vector<SafetensorsTensor> checkpoint_tensors(const EpWeights& w, WeightNaming naming) {
  const std::int64_t E = w.num_experts, H = w.hidden, I = w.intermediate;
  switch (naming) {
    case WeightNaming::kPerExpertProj: return per_expert_tensors(w, "gate_proj", "up_proj", "down_proj");
    case WeightNaming::kMixtral: return per_expert_tensors(w, "w1", "w3", "w2");
    case WeightNaming::kGptOss:
      return {gate_up_columns(w, /*interleaved=*/true), zeros_tensor("experts.gate_up_proj_bias", {E, 2 * I}),
              whole_tensor("experts.down_proj", w.wo, {E, I, H}), zeros_tensor("experts.down_proj_bias", {E, H})};
    case WeightNaming::kLlama4:
      return {gate_up_columns(w, /*interleaved=*/false), whole_tensor("experts.down_proj", w.wo, {E, I, H})};
    case WeightNaming::kGraniteMoe: return {granite_input_linear(w), granite_output_linear(w)};
  }
  return {};
}

}  // namespace moebench
