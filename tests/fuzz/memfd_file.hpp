// An in-memory file with a path, for fuzz targets whose code under test reads a path: each input
// goes through the same file-reading code a user's file does, without touching the disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace moebench::fuzz {

class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("moebench-fuzz", 0)) {
    if (fd_ < 0) std::abort();
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  // Replaces the content with `data` and returns the path that reads it.
  const std::string& hold(const std::uint8_t* data, std::size_t size) {
    if (ftruncate(fd_, 0) != 0) std::abort();
    if (size > 0 && pwrite(fd_, data, size, 0) != static_cast<ssize_t>(size)) std::abort();
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace moebench::fuzz
