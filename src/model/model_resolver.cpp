// --model-path resolution: each source is one function returning a model or nothing; the first
// that answers wins. Errors stop the search: a damaged file found on the way is never skipped.
#include "model/model_resolver.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <optional>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "model/hf_cache.hpp"
#include "model/hub_download.hpp"
#include "model/hub_id.hpp"
#include "model/json_file.hpp"
#include "model/model_config.hpp"
#include "model/presets.hpp"

namespace moebench {

namespace {

namespace fs = std::filesystem;

std::optional<ResolvedModel> from_local_path(const std::string& model_path) {
  std::error_code ec;
  const fs::path path(model_path);
  if (fs::is_directory(path, ec)) {
    const fs::path config = path / "config.json";
    if (!fs::exists(fs::symlink_status(config, ec)))
      throw UsageError(fmt::format("folder {} holds no config.json", model_path));
    const nlohmann::json content = read_json_file(config.string());
    ResolvedModel m{shape_from_config(content, config.string()), "folder " + model_path, content};
    const fs::path name = path.filename().empty() ? path.parent_path().filename() : path.filename();
    m.shape.model_name = name.string();
    return m;
  }
  if (fs::is_regular_file(path, ec) || path.extension() == ".json") {
    const nlohmann::json content = read_json_file(model_path);
    ResolvedModel m{shape_from_config(content, model_path), "file " + model_path, content};
    m.shape.model_name = path.stem().string();
    return m;
  }
  return std::nullopt;
}

std::string damaged_hint(const std::string& entry) {
  return fmt::format("; the Hugging Face cache entry looks partly written: delete {} to download it again", entry);
}

std::optional<ResolvedModel> from_cache(const HubId& id, const std::string& root) {
  const std::optional<CachedConfig> cached = find_cached_config(root, id);
  if (!cached) return std::nullopt;
  const nlohmann::json config = read_json_file(cached->path, damaged_hint(cached->entry));
  ResolvedModel m{shape_from_config(config, cached->path), "Hugging Face cache " + cached->path, config};
  m.shape.model_name = id.display();
  return m;
}

std::optional<ResolvedModel> from_preset(const HubId& id) {
  // A preset is the main branch's config; a pinned revision must come from the cache or the Hub.
  if (id.revision_given && id.revision != "main") return std::nullopt;
  const PresetSource* preset = find_preset(id.repo());
  if (preset == nullptr) return std::nullopt;
  return ResolvedModel{preset_shape(*preset), fmt::format("built-in preset {} (models/presets)", preset->name),
                       nlohmann::json::parse(preset->json)};
}

// The folder name for the snapshot when the server named no commit (a plain mirror): the revision,
// with '/' made flat so that it stays one folder.
std::string snapshot_name(const HubFile& file, const HubId& id) {
  const std::string& commit = file.commit;
  const bool usable = !commit.empty() && commit.size() <= 128 && commit.find("..") == std::string::npos &&
                      commit.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                          std::string::npos;
  if (usable) return commit;
  std::string name = id.revision;
  for (char& c : name)
    if (c == '/') c = '_';
  log_verbose("{} named no commit (X-Repo-Commit); caching it as snapshot {}", file.url, name);
  return name;
}

std::string closest_presets(const std::string& name) {
  return fmt::format("closest presets: {} (--list-models shows all)", fmt::join(closest_preset_names(name), ", "));
}

std::string not_found(const HubId& id, const std::string& root, const std::string& why) {
  return fmt::format("model {} is not in the Hugging Face cache ({}) nor a preset, and {}; {}", id.display(), root, why,
                     closest_presets(id.repo()));
}

ResolvedModel from_hub(const HubId& id, const HubSettings& settings, const std::string& root) {
  HubFile file;
  try {
    file = download_config(id, settings);
  } catch (const UsageError& e) {
    throw UsageError(not_found(id, root, e.what()));
  }
  // Parse before saving: a body that is not JSON never reaches the cache.
  const nlohmann::json config = parse_json_text(file.body, file.url);
  std::string saved = "not saved";
  try {
    saved = "saved to " + store_cached_config(root, id, snapshot_name(file, id), file.body);
  } catch (const UsageError& e) {
    // The download is good; only the next run loses its offline copy.
    log_warning("{} (the model is used, but the next run downloads it again)", e.what());
  }
  ResolvedModel m{shape_from_config(config, file.url), fmt::format("Hub download {} ({})", file.url, saved), config};
  m.shape.model_name = id.display();
  return m;
}

ResolvedModel resolve_hub_id(const HubId& id) {
  const std::string root = hf_cache_root();
  if (auto m = from_cache(id, root)) return *m;
  if (auto m = from_preset(id)) return *m;
  const HubSettings settings = HubSettings::from_environment();
  if (settings.offline) throw UsageError(not_found(id, root, "HF_HUB_OFFLINE=1 forbids a download"));
  return from_hub(id, settings, root);
}

}  // namespace

ResolvedModel resolve_model(const std::string& model_path) {
  if (model_path.empty()) throw UsageError("--model-path must not be empty");
  std::optional<ResolvedModel> model = from_local_path(model_path);
  if (!model) {
    const std::optional<HubId> id = parse_hub_id(model_path);
    if (!id) {
      // Suggest presets only for what looks like a name; a mistyped path gets no model names.
      const bool path_like = model_path.find_first_of("/.~") == 0 || fs::path(model_path).extension() == ".json";
      throw UsageError(
          fmt::format("model '{}' not found: no such folder or .json file, and not a Hub id "
                      "(org/name[@revision]){}",
                      model_path, path_like ? "" : "; " + closest_presets(model_path)));
    }
    model = resolve_hub_id(*id);
  }
  return *model;
}

}  // namespace moebench
