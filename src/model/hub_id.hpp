// Hugging Face Hub model ids as --model-path takes them: "org/name" or "org/name@revision".
#pragma once

#include <optional>
#include <string>

namespace moebench {

struct HubId {
  std::string org, name;
  std::string revision = "main";  // a branch, tag or commit hash
  bool revision_given = false;    // "@revision" was written

  std::string repo() const { return org + "/" + name; }  // "org/name"
  std::string display() const { return revision_given ? repo() + "@" + revision : repo(); }
  // The cache's folder for the repository: "models--org--name".
  std::string cache_folder() const { return "models--" + org + "--" + name; }
};

// Parses `text` when it has the shape of a Hub id; nullopt otherwise (a path, say). The rules are
// the Hub's: letters, digits, '-', '_', '.'; no "--" or ".." (which would break the cache's
// folder names); a revision of the same characters and '/', without "..".
std::optional<HubId> parse_hub_id(const std::string& text);

// A full commit hash (40 hex digits): such a revision needs no refs/ lookup.
bool is_commit_hash(const std::string& revision);

}  // namespace moebench
