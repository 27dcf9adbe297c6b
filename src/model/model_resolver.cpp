// --model-path resolution: a folder holding config.json, or a .json file.
#include "model/model_resolver.hpp"

#include <filesystem>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "model/model_config.hpp"

namespace moebench {

namespace fs = std::filesystem;

ResolvedModel resolve_model(const std::string& model_path) {
  std::error_code ec;
  const fs::path path(model_path);
  if (fs::is_directory(path, ec)) {
    const fs::path config = path / "config.json";
    if (!fs::exists(config, ec)) throw UsageError(fmt::format("{} holds no config.json", model_path));
    ResolvedModel m{shape_from_config_file(config.string()), "folder " + model_path};
    m.shape.model_name = path.filename().empty() ? path.parent_path().filename().string() : path.filename().string();
    return m;
  }
  if (path.extension() == ".json") {
    if (!fs::exists(path, ec)) throw UsageError(fmt::format("model config {} does not exist", model_path));
    ResolvedModel m{shape_from_config_file(model_path), "file " + model_path};
    m.shape.model_name = path.stem().string();
    return m;
  }
  throw UsageError(fmt::format("model '{}' not found: not a folder with config.json nor a .json file", model_path));
}

}  // namespace moebench
