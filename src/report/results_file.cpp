// A results file from disk to a RunRecord, every failure one line that names the file.
#include "report/results_file.hpp"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"
#include "output/results_json.hpp"

namespace moebench {

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] "; the reader needs the rest.
std::string without_exception_tag(const std::string& message) {
  const std::size_t end = message.find("] ");
  return message.rfind("[json.exception", 0) == 0 && end != std::string::npos ? message.substr(end + 2) : message;
}

}  // namespace

RunRecord read_results_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot be read: {}", path, std::strerror(errno)));
  std::stringstream text;
  text << in.rdbuf();
  Json document;
  try {
    document = Json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(fmt::format("{}: not JSON ({})", path, without_exception_tag(e.what())));
  } catch (const nlohmann::json::out_of_range& e) {
    // Valid JSON nlohmann refuses: a number beyond double's range (1e400).
    throw UsageError(fmt::format("{}: not JSON ({})", path, without_exception_tag(e.what())));
  }
  RunRecord run = results_from_json(document, path);
  if (run.cases.empty()) {
    throw UsageError(
        fmt::format("{}: the run finished no case (0 of {} planned): nothing to show", path, run.cases_planned));
  }
  run.label = command_label(run.command_line);
  return run;
}

}  // namespace moebench
