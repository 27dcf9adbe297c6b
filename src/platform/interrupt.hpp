// SIGINT and SIGTERM during a run: stop within a second and keep every finished case. The
// benchmark loop checks stop_flag() between iterations and cases, which is enough while an
// iteration is short; a watchdog thread keeps the promise when one is not (a large layer on a
// few CPU cores, or the weight generation before the first case): kStopGrace after the signal it
// takes the output lock, so that no file is half-written, and ends the process with what is on
// disk. Output is written only under that lock (write_output; runner/guarded_printer.hpp wraps
// the printers in it).
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

namespace moebench {

// How long the loop has to notice a signal before the watchdog ends the process.
inline constexpr std::chrono::milliseconds kStopGrace{500};

// "interrupted by signal 2 after 3 of 9 case(s); finished cases are written"
std::string interrupted_message(int signal, int cases_done, int cases_planned);

// One per process: installs the SIGINT/SIGTERM handlers (and ignores SIGXFSZ, so that a file-size
// limit makes a write fail with an error instead of killing the process) and starts the watchdog.
class InterruptGuard {
 public:
  explicit InterruptGuard(int cases_planned, std::chrono::milliseconds grace = kStopGrace);
  ~InterruptGuard();  // disarm()s and joins the watchdog
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  const std::atomic<bool>& stop_flag() const;
  int signal_number() const;  // 0 while no signal came
  // From here on the caller reports the interruption itself; waits for a watchdog already ending
  // the process (which then never returns).
  void disarm();

  // Runs `write` under the output lock, so that the watchdog never ends the process halfway
  // through it; `finishes_case`: it writes a finished case (counted for the watchdog's message).
  template <typename Write>
  void write_output(Write&& write, bool finishes_case = false) {
    const std::lock_guard lock(output_mutex_);
    write();
    if (finishes_case) ++cases_done_;
  }

 private:
  void watch();

  std::chrono::milliseconds grace_;
  std::mutex output_mutex_;
  bool disarmed_ = false;  // under output_mutex_
  std::atomic<int> cases_done_{0};
  int cases_planned_;
  int wake_pipe_[2] = {-1, -1};
  std::thread watchdog_;
};

}  // namespace moebench
