// Output files that never look complete when they are not: appends flushed whole lines, rewrites
// go through a temporary file and a rename.
#pragma once

#include <cstdio>
#include <string>

namespace moebench {

// Creates the missing directories above `path` (after validation; never during it).
void create_parent_directories(const std::string& path);

// Where `path` cannot be written (its directory, or the nearest existing one above, not
// writable; or the file itself read-only), a one-line reason; empty when it can be.
std::string unwritable_reason(const std::string& path);

class AppendFile {
 public:
  explicit AppendFile(std::string path);  // truncates
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  // Writes `text` and flushes; throws RunError naming the file on any failure.
  void write(const std::string& text);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

// Writes `content` to `path` by way of `path.tmp` and a rename.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace moebench
