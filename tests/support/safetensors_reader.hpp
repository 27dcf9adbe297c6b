// Reading a safetensors file back in tests, independently of the writer: the header as JSON, each
// tensor's bytes, and the checks of the format (padding, offsets contiguous and covering the data).
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moebench::testing {

struct StoredTensor {
  std::string dtype;
  std::vector<std::int64_t> shape;
  std::string bytes;

  // The bytes as values of T (the caller knows the dtype).
  template <typename T>
  std::vector<T> values() const {
    std::vector<T> out(bytes.size() / sizeof(T));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
    return out;
  }
};

struct SafetensorsFile {
  std::uint64_t header_length = 0;
  nlohmann::json header;           // as stored, __metadata__ included
  std::vector<std::string> order;  // tensor names in data order
  std::map<std::string, StoredTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Throws std::runtime_error naming what breaks the format.
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace moebench::testing
