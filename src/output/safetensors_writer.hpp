// The safetensors format (https://huggingface.co/docs/safetensors), written without a dependency: an
// 8-byte little-endian header length, a JSON header padded with spaces to a multiple of 8, then each
// tensor's bytes, row-major and little-endian, in header order. Knows tensors, not the MoE layer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/file_output.hpp"

namespace moebench {

// The element types written: F8_E4M3 is OCP e4m3fn (torch.float8_e4m3fn), the bytes of
// core/fp8.hpp's e4m3_bits.
enum class TensorDtype { kBf16, kF32, kI32, kF8E4M3 };

// Each type's name in the header, as safetensors spells it.
inline constexpr std::array<std::pair<TensorDtype, std::string_view>, 4> kTensorDtypeNames{
    {{TensorDtype::kBf16, "BF16"},
     {TensorDtype::kF32, "F32"},
     {TensorDtype::kI32, "I32"},
     {TensorDtype::kF8E4M3, "F8_E4M3"}}};

std::string_view dtype_name(TensorDtype dtype);
std::size_t dtype_bytes(TensorDtype dtype);

// One tensor: its header entry, and how its bytes are produced (write_data hands exactly
// bytes() of them to the sink, in pieces if it likes, so that a large tensor need never be held
// whole in its file layout).
struct SafetensorsTensor {
  std::string name;
  TensorDtype dtype = TensorDtype::kF32;
  std::vector<std::int64_t> shape;
  std::function<void(const ByteSink&)> write_data;

  std::uint64_t bytes() const;
};

// A tensor whose bytes are `values` as they lie in memory (they must outlive the write).
template <typename T>
SafetensorsTensor tensor_of(std::string name, TensorDtype dtype, std::vector<std::int64_t> shape,
                            std::span<const T> values) {
  return SafetensorsTensor{std::move(name), dtype, std::move(shape),
                           [values](const ByteSink& sink) { sink(values.data(), values.size_bytes()); }};
}

// String to string, as safetensors' __metadata__ allows.
using SafetensorsMetadata = std::map<std::string, std::string>;

// The bytes before the data: the length, then the JSON header with `__metadata__` first and the
// tensors in order, their data_offsets contiguous from 0, padded with spaces to a multiple of 8.
// std::invalid_argument for two tensors of one name.
std::string safetensors_header(const std::vector<SafetensorsTensor>& tensors, const SafetensorsMetadata& metadata);

// Writes the file whole or not at all (a temporary and a rename); RunError naming the file when it
// cannot, std::logic_error when a tensor hands over another number of bytes than its shape holds.
void write_safetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                       const SafetensorsMetadata& metadata);

// The sum of the tensors' bytes: the file's size less its header.
std::uint64_t safetensors_data_bytes(const std::vector<SafetensorsTensor>& tensors);

}  // namespace moebench
