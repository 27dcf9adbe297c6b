// Progress line output.
#include "runner/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace moebench {

ProgressLine::ProgressLine(std::FILE* stream, bool verbose)
    : stream_(stream), terminal_(isatty(fileno(stream)) != 0), verbose_(verbose) {}

void ProgressLine::update(const std::string& text) {
  if (terminal_) {
    fmt::print(stream_, "\r\033[K{}", text);
    dirty_ = true;
  } else if (verbose_) {
    fmt::print(stream_, "{}\n", text);
  }
  std::fflush(stream_);
}

void ProgressLine::clear() {
  if (terminal_ && dirty_) {
    fmt::print(stream_, "\r\033[K");
    std::fflush(stream_);
  }
  dirty_ = false;
}

}  // namespace moebench
