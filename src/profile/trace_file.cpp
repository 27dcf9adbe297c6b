// Trace paths and gzip output.
#include "profile/trace_file.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <zlib.h>

#include "core/errors.hpp"
#include "platform/file_output.hpp"

namespace moebench {

std::string trace_run_id() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y_%m_%d_%H_%M_%S", &local);
  return text;
}

std::string trace_path(const std::string& profile_dir, const std::string& scenario, std::int64_t tokens,
                       const std::string& implementation, const std::string& run_id, const std::string& host) {
  return fmt::format("{}/{}_tokens{}_{}/plugins/profile/{}/{}.trace.json.gz", profile_dir, scenario, tokens,
                     implementation, run_id, host);
}

void write_gzip_atomically(const std::string& path, const std::string& content) {
  create_parent_directories(path);
  const std::string temporary = path + ".tmp";
  gzFile file = gzopen(temporary.c_str(), "wb6");
  if (file == nullptr) throw RunError(fmt::format("cannot open {}: {}", temporary, std::strerror(errno)));
  std::size_t written = 0;
  while (written < content.size()) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(content.size() - written, 1u << 30));
    const int n = gzwrite(file, content.data() + written, chunk);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  const bool ok = gzclose(file) == Z_OK && written == content.size();
  if (!ok || std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw RunError(fmt::format("writing trace {} failed", path));
  }
}

}  // namespace moebench
