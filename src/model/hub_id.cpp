// Hub id syntax, strict enough that an id can become cache folder names without escaping.
#include "model/hub_id.hpp"

#include <algorithm>
#include <cctype>

namespace moebench {

namespace {

bool id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

bool valid_part(const std::string& part) {
  if (part.empty() || part.size() > 96) return false;
  if (!std::all_of(part.begin(), part.end(), id_char)) return false;
  if (part.find("--") != std::string::npos || part.find("..") != std::string::npos) return false;
  return part.front() != '-' && part.front() != '.' && part.back() != '-' && part.back() != '.';
}

bool valid_revision(const std::string& revision) {
  if (revision.empty() || revision.size() > 256) return false;
  const bool chars = std::all_of(revision.begin(), revision.end(), [](char c) { return id_char(c) || c == '/'; });
  // refs/<revision> becomes a path in the cache: keep it inside the refs folder.
  return chars && revision.find("..") == std::string::npos && revision.front() != '/' && revision.back() != '/' &&
         revision.find("//") == std::string::npos;
}

}  // namespace

std::optional<HubId> parse_hub_id(const std::string& text) {
  HubId id;
  std::string repo = text;
  if (const auto at = text.find('@'); at != std::string::npos) {
    id.revision = text.substr(at + 1);
    id.revision_given = true;
    repo = text.substr(0, at);
    if (!valid_revision(id.revision)) return std::nullopt;
  }
  const auto slash = repo.find('/');
  if (slash == std::string::npos || repo.find('/', slash + 1) != std::string::npos) return std::nullopt;
  id.org = repo.substr(0, slash);
  id.name = repo.substr(slash + 1);
  if (!valid_part(id.org) || !valid_part(id.name)) return std::nullopt;
  return id;
}

bool is_commit_hash(const std::string& revision) {
  return revision.size() == 40 && std::all_of(revision.begin(), revision.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
         });
}

}  // namespace moebench
