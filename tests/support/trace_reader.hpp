// Reading back a gzip'd Chrome trace in tests.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moebench::testing {

// The whole file, gunzipped; throws std::runtime_error when it is not gzip.
std::string read_gzip(const std::string& path);

// Files under `dir` (recursively) whose name ends with `suffix`.
std::vector<std::string> find_files(const std::string& dir, const std::string& suffix);

// The complete ("X") events of a parsed trace, optionally of one category.
std::vector<nlohmann::json> complete_events(const nlohmann::json& trace, const std::string& category = "");

}  // namespace moebench::testing
