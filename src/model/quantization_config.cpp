// quantization_config to CheckpointQuantization: what it says, and why it is not --dtype fp8's
// format when it is not.
#include "model/quantization_config.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace moebench {

namespace {

using nlohmann::json;

const json* quantization_object(const json& section, const json& root) {
  for (const json* object : {&root, &section}) {
    auto it = object->find("quantization_config");
    if (it != object->end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

// A field as messages quote it: strings bare, anything else as compact JSON, cut short.
std::string quoted(const json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  return text.size() <= 40 ? text : text.substr(0, 37) + "...";
}

std::string describe(const json& q) {
  std::string text;
  for (const char* key : {"quant_method", "fmt", "activation_scheme", "weight_block_size"}) {
    auto it = q.find(key);
    if (it != q.end()) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", key, quoted(*it));
  }
  return text.empty() ? "no quant_method" : text;
}

// Why `q` is not quant_method fp8, e4m3, 128 x 128 weight blocks, dynamic activation scales.
std::string mismatch(const json& q, const std::string& method) {
  if (method != "fp8") {
    return method.empty() ? "it names no quant_method" : fmt::format("quant_method '{}' is not implemented", method);
  }
  if (auto fmt_it = q.find("fmt"); fmt_it != q.end() && *fmt_it != "e4m3")
    return fmt::format("fmt {} is not implemented (e4m3 is)", quoted(*fmt_it));
  auto block = q.find("weight_block_size");
  if (block == q.end() || block->is_null())
    return "fp8 without weight_block_size (one scale per tensor or channel) is not implemented";
  if (*block != json::array({128, 128}))
    return fmt::format("weight_block_size {} is not implemented ([128, 128] is)", quoted(*block));
  if (auto scheme = q.find("activation_scheme"); scheme != q.end() && *scheme != "dynamic")
    return fmt::format("activation_scheme {} is not implemented (dynamic, per token and 128 channels, is)",
                       quoted(*scheme));
  return "";
}

}  // namespace

CheckpointQuantization quantization_from_config(const json& section, const json& root) {
  CheckpointQuantization q;
  const json* config = quantization_object(section, root);
  if (config == nullptr) return q;
  if (!config->is_object()) {
    q.description = fmt::format("quantization_config {}", quoted(*config));
    q.mismatch = "quantization_config is not an object";
    return q;
  }
  auto method = config->find("quant_method");
  if (method != config->end()) q.method = method->is_string() ? method->get<std::string>() : quoted(*method);
  q.description = describe(*config);
  q.mismatch = mismatch(*config, q.method);
  return q;
}

}  // namespace moebench
