// Runs the benchmark binary as a child process for end-to-end tests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace moebench::testing {

struct ProcessResult {
  int exit_code = -1;    // exit status, or 128 + signal
  std::string out, err;  // captured stdout and stderr
};

// Runs `program args...` in `working_dir` (empty: the current one), killing it after `timeout`.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          std::chrono::seconds timeout = std::chrono::seconds(120), const std::string& working_dir = "");

// A fresh, empty directory under the system's temporary directory.
std::string make_temp_dir(const std::string& prefix);

std::string read_file(const std::string& path);
std::vector<std::string> read_lines(const std::string& path);

}  // namespace moebench::testing
