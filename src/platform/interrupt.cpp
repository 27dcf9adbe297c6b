// Signal handlers, the stop flag and the watchdog that ends a run the loop cannot stop in time.
#include "platform/interrupt.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <optional>
#include <poll.h>
#include <unistd.h>

#include "core/errors.hpp"

namespace moebench {

namespace {

// What the handler may touch: lock-free atomics and the write end of the watchdog's pipe.
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
std::atomic<int> g_wake_fd{-1};

constexpr char kSignalled = 's';
constexpr char kDisarm = 'q';

extern "C" void on_stop_signal(int signal) {
  const int saved_errno = errno;
  g_signal = signal;
  g_stop = true;
  const int fd = g_wake_fd;
  if (fd >= 0 && write(fd, &kSignalled, 1) < 0) {
    // A full pipe already holds a wake-up for the watchdog.
  }
  errno = saved_errno;
}

void set_handler(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, nullptr);
}

using Clock = std::chrono::steady_clock;

// The next byte from the pipe, waiting until `deadline` (forever without one); 0 when none came.
char next_byte(int fd, std::optional<Clock::time_point> deadline) {
  pollfd p{fd, POLLIN, 0};
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      wait_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count());
      if (wait_ms <= 0) return 0;
    }
    const int ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return 0;
    char byte = 0;
    if (read(fd, &byte, 1) == 1) return byte;
  }
}

}  // namespace

std::string interrupted_message(int signal, int cases_done, int cases_planned) {
  return fmt::format("interrupted by signal {} after {} of {} case(s); finished cases are written", signal, cases_done,
                     cases_planned);
}

InterruptGuard::InterruptGuard(int cases_planned, std::chrono::milliseconds grace)
    : grace_(grace), cases_planned_(cases_planned) {
  g_stop = false;
  g_signal = 0;
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw RunError(fmt::format("pipe() failed: {}", std::strerror(errno)));
  }
  g_wake_fd = wake_pipe_[1];
  watchdog_ = std::thread([this] { watch(); });
  set_handler(SIGINT, on_stop_signal);
  set_handler(SIGTERM, on_stop_signal);
  set_handler(SIGXFSZ, SIG_IGN);
}

InterruptGuard::~InterruptGuard() {
  disarm();
  watchdog_.join();
  set_handler(SIGINT, SIG_DFL);
  set_handler(SIGTERM, SIG_DFL);
  g_wake_fd = -1;
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
}

const std::atomic<bool>& InterruptGuard::stop_flag() const { return g_stop; }

int InterruptGuard::signal_number() const { return g_signal; }

void InterruptGuard::disarm() {
  const std::lock_guard lock(output_mutex_);
  if (disarmed_) return;
  disarmed_ = true;
  if (write(wake_pipe_[1], &kDisarm, 1) < 0) {
    // A pipe full of signals' wake-ups: the watchdog finds disarmed_ set when its wait ends.
  }
}

void InterruptGuard::watch() {
  char byte = 0;
  while ((byte = next_byte(wake_pipe_[0], std::nullopt)) != kSignalled)
    if (byte == kDisarm) return;
  // The loop had its chance: it checks the flag between iterations, and most finish in time. A
  // second signal does not shorten or lengthen the wait.
  const Clock::time_point deadline = Clock::now() + grace_;
  while ((byte = next_byte(wake_pipe_[0], deadline)) != 0)
    if (byte == kDisarm) return;
  const std::lock_guard lock(output_mutex_);  // no printer is writing now, and none will
  if (disarmed_) return;
  std::fflush(stdout);
  const std::string line = fmt::format("{}bench_fused_vs_epmoe: {}\n", isatty(STDERR_FILENO) ? "\r\033[K" : "",
                                       interrupted_message(g_signal, cases_done_, cases_planned_));
  if (write(STDERR_FILENO, line.data(), line.size()) < 0) {
    // Nowhere to say it: the exit code still tells.
  }
  _exit(128 + g_signal);
}

}  // namespace moebench
