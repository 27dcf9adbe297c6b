// Named phases of an iteration (route, permute, gate_up_gemm, ...): each ScopedPhase is an NVTX
// range (visible to Nsight Systems whenever it is attached) and, while a PhaseRecorder is active,
// a host event in the moebench trace. Cheap when neither is on.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "profile/trace.hpp"

namespace moebench {

// Collects the host phases of one profiled pass, from any thread.
class PhaseRecorder {
 public:
  explicit PhaseRecorder(std::function<std::uint64_t()> clock) : clock_(std::move(clock)) {}
  std::uint64_t now() const { return clock_(); }
  void add(TraceEvent event);
  std::vector<TraceEvent> take();

 private:
  std::function<std::uint64_t()> clock_;
  std::mutex mutex_;
  std::vector<TraceEvent> events_;
};

// The recorder phases go to; null when not profiling.
void set_active_phase_recorder(PhaseRecorder* recorder);
PhaseRecorder* active_phase_recorder();

class ScopedPhase {
 public:
  explicit ScopedPhase(const char* name, const char* category = "phase");
  ScopedPhase(std::string name, const char* category, nlohmann::json args);
  ~ScopedPhase();
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  void begin();
  PhaseRecorder* recorder_;
  std::string name_;
  const char* category_;
  nlohmann::json args_;
  std::uint64_t start_ns_ = 0;
};

// The host clock of traces without GPU activity: CLOCK_MONOTONIC in nanoseconds.
std::uint64_t monotonic_ns();

}  // namespace moebench
