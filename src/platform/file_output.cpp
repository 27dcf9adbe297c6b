// File output with errors that name the file and the reason.
#include "platform/file_output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

#include "core/errors.hpp"

namespace moebench {

namespace fs = std::filesystem;

namespace {
fs::path parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}
}  // namespace

void create_parent_directories(const std::string& path) {
  std::error_code ec;
  fs::create_directories(parent_of(path), ec);
  if (ec) throw RunError(fmt::format("cannot create directory {}: {}", parent_of(path).string(), ec.message()));
}

std::string unwritable_reason(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return fmt::format("{} is a directory", path);
  if (fs::exists(path, ec)) {
    return access(path.c_str(), W_OK) == 0 ? "" : fmt::format("{} is not writable: {}", path, std::strerror(errno));
  }
  fs::path dir = parent_of(path);
  while (!fs::exists(dir, ec)) {
    // A relative path's first missing folder would be made in the current one.
    if (!dir.has_parent_path()) dir = ".";
    else if (dir.parent_path() == dir) return fmt::format("no directory above {} exists", path);
    else dir = dir.parent_path();
  }
  if (!fs::is_directory(dir, ec)) return fmt::format("{} is not a directory", dir.string());
  // access() says yes to root even on read-only file systems: create and remove a probe instead.
  std::string probe = (dir / ".moebench-probe-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) return fmt::format("directory {} is not writable: {}", dir.string(), std::strerror(errno));
  close(fd);
  unlink(probe.c_str());
  return "";
}

namespace {

// A failed write inside a producer's sink: unwinds the producer, caught below.
struct SinkWriteFailed {
  int error_number;
};

// Writes what `produce` hands the sink into `temporary`; "" on success, else why not.
std::string write_temporary(const std::string& temporary, const std::function<void(const ByteSink&)>& produce) {
  std::FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) throw RunError(fmt::format("cannot open {}: {}", temporary, std::strerror(errno)));
  const ByteSink sink = [file](const void* data, std::size_t size) {
    errno = 0;
    if (std::fwrite(data, 1, size, file) != size) throw SinkWriteFailed{errno};
  };
  int saved_errno = 0;
  bool ok = true;
  try {
    produce(sink);
    errno = 0;
    ok = std::fflush(file) == 0;
    saved_errno = errno;
  } catch (const SinkWriteFailed& failed) {
    ok = false;
    saved_errno = failed.error_number;
  } catch (...) {
    std::fclose(file);
    std::remove(temporary.c_str());
    throw;
  }
  ok = (std::fclose(file) == 0) && ok;
  if (ok) return "";
  std::remove(temporary.c_str());
  return saved_errno ? std::strerror(saved_errno) : "short write";
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& content) {
  write_stream_atomically(path, [&content](const ByteSink& sink) { sink(content.data(), content.size()); });
}

void write_stream_atomically(const std::string& path, const std::function<void(const ByteSink&)>& produce) {
  // A folder removed during the run is created again; removed between the temporary's creation
  // and the rename (the rename then fails with ENOENT), the whole write is done once more.
  for (int attempt = 0;; ++attempt) {
    create_parent_directories(path);
    const std::string temporary = path + ".tmp";
    const std::string failure = write_temporary(temporary, produce);
    if (!failure.empty()) throw RunError(fmt::format("writing {} failed: {}", path, failure));
    if (std::rename(temporary.c_str(), path.c_str()) == 0) return;
    const int rename_errno = errno;
    std::remove(temporary.c_str());
    if (rename_errno == ENOENT && attempt == 0) continue;
    throw RunError(fmt::format("cannot replace {}: {}", path, std::strerror(rename_errno)));
  }
}

}  // namespace moebench
