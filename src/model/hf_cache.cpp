// Reading and writing the Hugging Face cache layout (hf_cache.hpp).
#include "model/hf_cache.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "model/hf_environment.hpp"

namespace moebench {

namespace {

namespace fs = std::filesystem;

std::string read_small_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `path` through a temporary sibling and a rename: readers see the old file or the
// whole new one, never a part.
void write_atomically(const fs::path& path, const std::string& text) {
  static std::atomic<int> counter{0};
  const fs::path temp = path.string() + fmt::format(".{}.{}.incomplete", getpid(), counter++);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      const std::string reason = std::strerror(errno);
      std::error_code ec;
      fs::remove(temp, ec);
      throw UsageError(fmt::format("cannot write {}: {}", temp.string(), reason));
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw UsageError(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
}

}  // namespace

std::string hf_cache_root() {
  if (const std::string cache = env_or_empty("HF_HUB_CACHE"); !cache.empty()) return cache;
  return (hf_home() / "hub").string();
}

std::optional<CachedConfig> find_cached_config(const std::string& root, const HubId& id) {
  std::error_code ec;
  const fs::path entry = fs::path(root) / id.cache_folder();
  if (!fs::is_directory(entry, ec)) return std::nullopt;
  std::string commit = id.revision;
  if (!is_commit_hash(id.revision)) {
    const fs::path ref = entry / "refs" / id.revision;
    if (!fs::exists(ref, ec)) {
      log_verbose("Hugging Face cache {} has no refs/{}", entry.string(), id.revision);
      return std::nullopt;
    }
    commit = trimmed(read_small_file(ref));
    if (commit.empty() || commit.find('/') != std::string::npos || commit.find("..") != std::string::npos) {
      throw UsageError(
          fmt::format("damaged Hugging Face cache entry: {} does not name a commit; delete {} to download "
                      "it again",
                      ref.string(), entry.string()));
    }
  }
  const fs::path config = entry / "snapshots" / commit / "config.json";
  // symlink_status: a dangling symlink still counts as present, and is reported when read.
  if (!fs::exists(fs::symlink_status(config, ec))) {
    log_verbose("Hugging Face cache {} has no {}", entry.string(),
                (fs::path("snapshots") / commit / "config.json").string());
    return std::nullopt;
  }
  return CachedConfig{config.string(), commit, entry.string()};
}

std::string store_cached_config(const std::string& root, const HubId& id, const std::string& commit,
                                const std::string& body) {
  const fs::path entry = fs::path(root) / id.cache_folder();
  const fs::path snapshot = entry / "snapshots" / commit;
  std::error_code ec;
  fs::create_directories(snapshot, ec);
  if (ec) throw UsageError(fmt::format("cannot create {}: {}", snapshot.string(), ec.message()));
  const fs::path config = snapshot / "config.json";
  write_atomically(config, body);
  // Like huggingface_hub: a branch or tag gets refs/<revision> -> commit; a commit needs none.
  if (!is_commit_hash(id.revision)) {
    const fs::path ref = entry / "refs" / id.revision;
    fs::create_directories(ref.parent_path(), ec);
    if (ec) throw UsageError(fmt::format("cannot create {}: {}", ref.parent_path().string(), ec.message()));
    write_atomically(ref, commit);
  }
  return config.string();
}

}  // namespace moebench
