// JSON parsing with line:column errors; nlohmann only gives a byte offset.
#include "model/json_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"

namespace moebench {

namespace {

namespace fs = std::filesystem;

// nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1, column 5: ";
// keep only the part after the position, which says what was expected.
std::string parse_error_reason(const std::string& what) {
  const auto colon = what.find(": ");
  std::string reason = colon == std::string::npos ? what : what.substr(colon + 2);
  if (const auto newline = reason.find('\n'); newline != std::string::npos) reason.resize(newline);
  return reason;
}

// "[json.exception.out_of_range.406] number overflow parsing '1e400'" without its tag.
std::string without_exception_tag(const std::string& what) {
  const auto end = what.find("] ");
  return what.rfind("[json.exception", 0) == 0 && end != std::string::npos ? what.substr(end + 2) : what;
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& origin, const std::string& hint) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw UsageError(fmt::format("{}: empty file, not JSON{}", origin, hint));
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is the 1-based offset just past the failure; count lines and columns up to it.
    const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw UsageError(
        fmt::format("{}:{}:{}: invalid JSON ({}){}", origin, line, column, parse_error_reason(e.what()), hint));
  } catch (const nlohmann::json::out_of_range& e) {
    // A number beyond double's range (1e400) is valid JSON that nlohmann refuses: same answer.
    throw UsageError(fmt::format("{}: invalid JSON ({}){}", origin, without_exception_tag(e.what()), hint));
  }
}

nlohmann::json read_json_file(const std::string& path, const std::string& hint) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    // A symlink into a deleted blob (the Hugging Face cache's layout) exists but points nowhere.
    if (fs::is_symlink(fs::symlink_status(path, ec))) {
      throw UsageError(fmt::format("model config {} is a dangling symlink{}", path, hint));
    }
    throw UsageError(fmt::format("model config {} does not exist{}", path, hint));
  }
  if (!fs::is_regular_file(status))
    throw UsageError(fmt::format("model config {} is not a regular file{}", path, hint));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read model config {}: {}{}", path, std::strerror(errno), hint));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw UsageError(fmt::format("cannot read model config {}{}", path, hint));
  return parse_json_text(text.str(), path, hint);
}

}  // namespace moebench
