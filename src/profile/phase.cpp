// Phase ranges: NVTX push/pop and, when recording, trace events.
#include "profile/phase.hpp"

#include <atomic>
#include <chrono>

#if __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
#define MOEBENCH_HAVE_NVTX 1
#endif

namespace moebench {

namespace {
std::atomic<PhaseRecorder*> g_recorder{nullptr};

// Threads get small track numbers in order of their first phase: the main thread is 0.
std::atomic<std::int64_t> g_next_track{0};
std::int64_t thread_track() {
  thread_local const std::int64_t track = g_next_track++;
  return track;
}
}  // namespace

void PhaseRecorder::add(TraceEvent event) {
  const std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
}

std::vector<TraceEvent> PhaseRecorder::take() {
  const std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

void set_active_phase_recorder(PhaseRecorder* recorder) { g_recorder = recorder; }
PhaseRecorder* active_phase_recorder() { return g_recorder; }

ScopedPhase::ScopedPhase(const char* name, const char* category)
    : recorder_(g_recorder), name_(name), category_(category) {
  begin();
}

ScopedPhase::ScopedPhase(std::string name, const char* category, nlohmann::json args)
    : recorder_(g_recorder), name_(std::move(name)), category_(category), args_(std::move(args)) {
  begin();
}

void ScopedPhase::begin() {
#if defined(MOEBENCH_HAVE_NVTX)
  nvtxRangePushA(name_.c_str());
#endif
  if (recorder_ != nullptr) start_ns_ = recorder_->now();
}

ScopedPhase::~ScopedPhase() {
  if (recorder_ != nullptr) {
    TraceEvent e;
    e.name = name_;
    e.category = category_;
    e.start_ns = start_ns_;
    e.end_ns = recorder_->now();
    e.process = kHostProcess;
    e.thread = thread_track();
    e.args = std::move(args_);
    recorder_->add(std::move(e));
  }
#if defined(MOEBENCH_HAVE_NVTX)
  nvtxRangePop();
#endif
}

std::uint64_t monotonic_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

}  // namespace moebench
