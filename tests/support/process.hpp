// Runs the benchmark binary as a child process for end-to-end tests.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace moebench::testing {

struct ProcessResult {
  int exit_code = -1;    // exit status, or 128 + signal
  std::string out, err;  // captured stdout and stderr
};

// Runs `program args...` in `working_dir` (empty: the current one), killing it after `timeout`.
// A sanitizer report on the child's stderr (AddressSanitizer, LeakSanitizer, UBSan's "runtime
// error:") throws std::runtime_error, failing the test whatever exit code it expected.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          std::chrono::seconds timeout = std::chrono::seconds(120),
                          const std::string& working_dir = "");

// A child started in the background, for tests that signal it or watch its files while it runs.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args, const std::string& working_dir = "");
  ~ChildProcess();  // kills and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void send_signal(int signal) const;
  bool running();
  std::string stderr_so_far() const;
  // Waits for the exit (killing the child after `timeout`); throws as run_process does.
  ProcessResult wait(std::chrono::seconds timeout = std::chrono::seconds(120));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string dir_;
};

// A fresh, empty directory under the system's temporary directory.
std::string make_temp_dir(const std::string& prefix);

std::string read_file(const std::string& path);
std::vector<std::string> read_lines(const std::string& path);

}  // namespace moebench::testing
