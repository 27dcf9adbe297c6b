// Downloading a model's config.json from the Hugging Face Hub with libcurl.
#pragma once

#include <string>

#include "model/hub_id.hpp"
#include "model/hub_settings.hpp"

namespace moebench {

struct HubFile {
  std::string url;     // where it came from (no credentials in it)
  std::string body;    // the file, complete
  std::string commit;  // the commit the Hub served (X-Repo-Commit), else empty
};

// {endpoint}/{org}/{name}/resolve/{revision}/config.json, the revision percent-encoded.
std::string config_url(const HubId& id, const HubSettings& settings);

// Fetches id's config.json. UsageError, naming the URL and the HTTP status or transfer error,
// when it cannot be had whole: not found, gated (401/403), cut off, timed out, unreachable.
// The token goes only into the Authorization header, never into a message.
HubFile download_config(const HubId& id, const HubSettings& settings);

}  // namespace moebench
