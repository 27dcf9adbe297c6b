// A strict safetensors reader: what Hugging Face's loader requires, checked.
#include "support/safetensors_reader.hpp"

#include <algorithm>
#include <stdexcept>

#include "support/process.hpp"

namespace moebench::testing {

namespace {

std::uint64_t element_bytes(const std::string& dtype) {
  if (dtype == "BF16" || dtype == "F16") return 2;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "F8_E4M3" || dtype == "U8" || dtype == "I8") return 1;
  throw std::runtime_error("unknown dtype " + dtype);
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  const std::string file = read_file(path);
  if (file.size() < 8) throw std::runtime_error(path + ": shorter than the header length");
  SafetensorsFile out;
  for (int i = 7; i >= 0; --i) out.header_length = (out.header_length << 8) | static_cast<unsigned char>(file[i]);
  if (out.header_length % 8 != 0) throw std::runtime_error(path + ": header length not a multiple of 8");
  if (8 + out.header_length > file.size()) throw std::runtime_error(path + ": header runs past the file");
  out.header = nlohmann::json::parse(file.substr(8, out.header_length));
  const std::string data = file.substr(8 + out.header_length);
  std::vector<std::pair<std::uint64_t, std::string>> by_offset;
  for (const auto& [name, entry] : out.header.items()) {
    if (name == "__metadata__") {
      for (const auto& [key, value] : entry.items()) out.metadata[key] = value.get<std::string>();
      continue;
    }
    StoredTensor t{entry.at("dtype").get<std::string>(), entry.at("shape").get<std::vector<std::int64_t>>(), ""};
    const auto offsets = entry.at("data_offsets").get<std::vector<std::uint64_t>>();
    std::uint64_t count = element_bytes(t.dtype);
    for (std::int64_t extent : t.shape) count *= static_cast<std::uint64_t>(extent);
    if (offsets.size() != 2 || offsets[1] - offsets[0] != count || offsets[1] > data.size())
      throw std::runtime_error(path + ": tensor " + name + " has offsets that do not fit its shape or the file");
    t.bytes = data.substr(offsets[0], count);
    by_offset.emplace_back(offsets[0], name);
    out.tensors[name] = std::move(t);
  }
  std::sort(by_offset.begin(), by_offset.end());
  std::uint64_t expected = 0;
  for (const auto& [offset, name] : by_offset) {
    if (offset != expected) throw std::runtime_error(path + ": a gap or overlap before tensor " + name);
    expected += out.tensors[name].bytes.size();
    out.order.push_back(name);
  }
  if (expected != data.size()) throw std::runtime_error(path + ": bytes after the last tensor");
  return out;
}

}  // namespace moebench::testing
