// safetensors files: the header as nlohmann writes JSON (ordered, escaped), then the data streamed.
#include "output/safetensors_writer.hpp"

#include <bit>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "core/name_table.hpp"

namespace moebench {

// The format stores little-endian values; tensors are written as they lie in memory.
static_assert(std::endian::native == std::endian::little, "safetensors_writer assumes a little-endian host");

std::string_view dtype_name(TensorDtype dtype) { return name_in(kTensorDtypeNames, dtype); }

std::size_t dtype_bytes(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::kF8E4M3: return 1;
    case TensorDtype::kBf16: return 2;
    case TensorDtype::kF32:
    case TensorDtype::kI32: return 4;
  }
  return 0;
}

std::uint64_t SafetensorsTensor::bytes() const {
  std::uint64_t count = dtype_bytes(dtype);
  for (std::int64_t extent : shape) count *= static_cast<std::uint64_t>(extent);
  return count;
}

std::uint64_t safetensors_data_bytes(const std::vector<SafetensorsTensor>& tensors) {
  std::uint64_t total = 0;
  for (const SafetensorsTensor& t : tensors) total += t.bytes();
  return total;
}

std::string safetensors_header(const std::vector<SafetensorsTensor>& tensors, const SafetensorsMetadata& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  std::uint64_t offset = 0;
  for (const SafetensorsTensor& t : tensors) {
    if (!names.insert(t.name).second || t.name == "__metadata__")
      throw std::invalid_argument(fmt::format("safetensors: tensor name '{}' used twice", t.name));
    const std::uint64_t end = offset + t.bytes();
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string json = header.dump();
  // The data then starts 8-byte aligned, as the reference writer pads it.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const std::uint64_t length = json.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xffu);
  return out + json;
}

void write_safetensors(const std::string& path, const std::vector<SafetensorsTensor>& tensors,
                       const SafetensorsMetadata& metadata) {
  const std::string header = safetensors_header(tensors, metadata);
  write_stream_atomically(path, [&](const ByteSink& sink) {
    sink(header.data(), header.size());
    for (const SafetensorsTensor& t : tensors) {
      std::uint64_t handed = 0;
      t.write_data([&](const void* data, std::size_t size) {
        handed += size;
        sink(data, size);
      });
      if (handed != t.bytes()) {
        throw std::logic_error(
            fmt::format("safetensors: tensor '{}' gave {} bytes for {} in its shape", t.name, handed, t.bytes()));
      }
    }
  });
}

}  // namespace moebench
