// gunzip and trace-event helpers for the profiling tests.
#include "support/trace_reader.hpp"

#include <filesystem>
#include <stdexcept>
#include <zlib.h>

namespace moebench::testing {

std::string read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw std::runtime_error("cannot open " + path);
  std::string text;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<std::size_t>(n));
  const bool ok = n == 0;
  gzclose(file);
  if (!ok) throw std::runtime_error("not a complete gzip file: " + path);
  return text;
}

std::vector<std::string> find_files(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> found;
  if (!std::filesystem::exists(dir)) return found;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && path.size() >= suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
      found.push_back(path);
  }
  return found;
}

std::vector<nlohmann::json> complete_events(const nlohmann::json& trace, const std::string& category) {
  std::vector<nlohmann::json> events;
  for (const auto& e : trace.at("traceEvents"))
    if (e.value("ph", "") == "X" && (category.empty() || e.value("cat", "") == category)) events.push_back(e);
  return events;
}

}  // namespace moebench::testing
