// The progress line on stderr: rewritten in place on a terminal, one line per step with
// --verbose, silent otherwise.
#pragma once

#include <cstdio>
#include <string>

namespace moebench {

class ProgressLine {
 public:
  ProgressLine(std::FILE* stream, bool verbose);
  void update(const std::string& text);
  void clear();

 private:
  std::FILE* stream_;
  bool terminal_;
  bool verbose_;
  bool dirty_ = false;
};

}  // namespace moebench
