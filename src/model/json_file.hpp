// Reading a JSON file with errors a user can act on: which file, and where in it the JSON breaks.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace moebench {

// Parses the file at `path`. UsageError (one line) when it is missing, not a regular file,
// unreadable, empty or invalid ("path:line:column: invalid JSON (...)"); `hint` is appended to
// each message (e.g. how to repair a damaged cache entry).
nlohmann::json read_json_file(const std::string& path, const std::string& hint = "");

// Parses `text`, which came from `origin` (a URL, a preset); UsageError with line:column.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin, const std::string& hint = "");

}  // namespace moebench
