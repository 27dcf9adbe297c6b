// The local Hugging Face cache, in huggingface_hub's layout, so that models downloaded by
// `hf download` (or by moebench) are found offline:
//   <root>/models--<org>--<name>/refs/<revision>                 the commit the revision points at
//   <root>/models--<org>--<name>/snapshots/<commit>/config.json  the file (often a symlink to blobs/)
#pragma once

#include <optional>
#include <string>

#include "model/hub_id.hpp"

namespace moebench {

// $HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
std::string hf_cache_root();

struct CachedConfig {
  std::string path;    // snapshots/<commit>/config.json
  std::string commit;  // the snapshot folder's name
  std::string entry;   // models--<org>--<name>, the folder to delete when the entry is damaged
};

// Where `id`'s config.json is in the cache at `root`; nullopt when the cache has no snapshot of it
// holding a config.json (nothing downloaded, or only other files). UsageError when the entry is
// damaged in a way a retry cannot fix by itself (an empty refs file).
std::optional<CachedConfig> find_cached_config(const std::string& root, const HubId& id);

// Saves `body` as the config.json of `id` at `commit`, writing a temporary file and renaming it
// (so an interrupted run leaves no half-written config.json), then refs/<revision>. Returns the
// path; UsageError when the cache cannot be written.
std::string store_cached_config(const std::string& root, const HubId& id, const std::string& commit,
                                const std::string& body);

}  // namespace moebench
