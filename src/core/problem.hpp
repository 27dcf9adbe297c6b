// What one run benchmarks: the layer shape on a device layout, and the cases it sweeps.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/dtype.hpp"
#include "core/mesh.hpp"
#include "core/moe_shape.hpp"
#include "core/scenario.hpp"

namespace moebench {

enum class ImplKind { kFused, kEpMoe };
// Each implementation's one name: impl_name, parse_impl, --implementations and the outputs spell it so.
inline constexpr std::array<std::pair<ImplKind, std::string_view>, 2> kImplNames{
    {{ImplKind::kFused, "fused"}, {ImplKind::kEpMoe, "epmoe"}}};
std::string_view impl_name(ImplKind kind);
std::optional<ImplKind> parse_impl(std::string_view name);  // impl_name's inverse

struct Layout {
  int tp_size = 1;  // all devices, the seed's meaning
  int ep_size = 1;
  int nnodes = 1;
  int node_rank = 0;
  int tp_actual() const { return tp_size / ep_size; }
};

struct Problem {
  MoeShape shape;
  Layout layout;
  WeightDtype dtype = WeightDtype::kBf16;  // the same layer in bf16, or quantized to fp8 (docs/fp8.md)
  DeviceMesh mesh() const {
    return DeviceMesh(layout.tp_size, layout.ep_size, shape.num_experts, shape.intermediate_size);
  }
};

// Why the problem's dtype cannot run on its layout, in one line; empty when it can. fp8 quantizes h
// in 128-channel groups of the whole intermediate dimension, so under TP each device's slice must
// be whole groups: a group split over two devices would need its amax from both.
std::string dtype_layout_problem(const Problem& problem);

struct BenchCase {
  Scenario scenario = Scenario::kRandom;
  std::int64_t num_tokens = 0;
};

}  // namespace moebench
