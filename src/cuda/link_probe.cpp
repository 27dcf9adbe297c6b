// The peer-copy probe. Every CUDA call is checked by hand rather than by MOE_CUDA_CHECK: a probe
// that fails costs the run its communication columns, never the run.
#include "cuda/link_probe.hpp"

#include <algorithm>
#include <cuda_runtime.h>
#include <fmt/format.h>
#include <string>

#include "core/log.hpp"

namespace moebench::cuda {
namespace {

constexpr std::size_t kLinkProbeBytes = std::size_t{256} << 20;
constexpr int kLinkRounds = 5;

// The probe's buffers, stream and events, released whatever happened.
struct ProbeResources {
  int from = 0, to = 0;
  void* source = nullptr;
  void* target = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t start = nullptr, stop = nullptr;
  ~ProbeResources() {
    cudaSetDevice(from);
    if (stop != nullptr) cudaEventDestroy(stop);
    if (start != nullptr) cudaEventDestroy(start);
    if (stream != nullptr) cudaStreamDestroy(stream);
    if (source != nullptr) cudaFree(source);
    cudaSetDevice(to);
    if (target != nullptr) cudaFree(target);
    cudaSetDevice(from);
  }
};

// The first failed call, as the warning names it.
class FirstError {
 public:
  bool ok(cudaError_t status, const char* call) {
    if (status != cudaSuccess && failed_.empty()) failed_ = fmt::format("{}: {}", call, cudaGetErrorString(status));
    return failed_.empty();
  }
  const std::string& text() const { return failed_; }

 private:
  std::string failed_;
};

// Peer access lets the copy go over NVLink or PCIe peer-to-peer instead of through the host. NCCL
// has usually enabled it already, which is no error here.
bool enable_peer_access(int from, int to, FirstError& error, bool& direct) {
  int can = 0;
  if (!error.ok(cudaDeviceCanAccessPeer(&can, from, to), "cudaDeviceCanAccessPeer")) return false;
  direct = can != 0;
  if (!direct) return true;
  const cudaError_t status = cudaDeviceEnablePeerAccess(to, 0);
  if (status == cudaErrorPeerAccessAlreadyEnabled) {
    cudaGetLastError();  // clears the non-sticky error the call left
    return true;
  }
  return error.ok(status, "cudaDeviceEnablePeerAccess");
}

// Best of kLinkRounds timed copies after an untimed one, in ms; 0 on an error.
float best_copy_ms(ProbeResources& r, FirstError& error) {
  auto copy = [&] {
    return error.ok(cudaMemcpyPeerAsync(r.target, r.to, r.source, r.from, kLinkProbeBytes, r.stream),
                    "cudaMemcpyPeerAsync");
  };
  if (!copy() || !error.ok(cudaStreamSynchronize(r.stream), "cudaStreamSynchronize")) return 0;
  float best = 0;
  for (int round = 0; round < kLinkRounds; ++round) {
    float ms = 0;
    if (!error.ok(cudaEventRecord(r.start, r.stream), "cudaEventRecord") || !copy() ||
        !error.ok(cudaEventRecord(r.stop, r.stream), "cudaEventRecord") ||
        !error.ok(cudaEventSynchronize(r.stop), "cudaEventSynchronize") ||
        !error.ok(cudaEventElapsedTime(&ms, r.start, r.stop), "cudaEventElapsedTime")) {
      return 0;
    }
    best = round == 0 ? ms : std::min(best, ms);
  }
  return best;
}

// The probe proper; the error text says what failed, if anything did.
double link_gbps(int from, int to, FirstError& error, bool& direct) {
  ProbeResources r;
  r.from = from;
  r.to = to;
  if (!error.ok(cudaSetDevice(to), "cudaSetDevice") ||
      !error.ok(cudaMalloc(&r.target, kLinkProbeBytes), "cudaMalloc (target)") ||
      !error.ok(cudaSetDevice(from), "cudaSetDevice") || !enable_peer_access(from, to, error, direct) ||
      !error.ok(cudaMalloc(&r.source, kLinkProbeBytes), "cudaMalloc (source)") ||
      !error.ok(cudaMemset(r.source, 0x5a, kLinkProbeBytes), "cudaMemset") ||
      !error.ok(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags") ||
      !error.ok(cudaEventCreate(&r.start), "cudaEventCreate") ||
      !error.ok(cudaEventCreate(&r.stop), "cudaEventCreate")) {
    return 0;
  }
  const float ms = best_copy_ms(r, error);
  return ms > 0 ? static_cast<double>(kLinkProbeBytes) / (static_cast<double>(ms) * 1e-3) / 1e9 : 0.0;
}

}  // namespace

void measure_link(int from, int to, DevicePeaks& peaks) {
  int previous = 0;
  cudaGetDevice(&previous);
  FirstError error;
  bool direct = false;
  const double gbps = link_gbps(from, to, error, direct);
  cudaSetDevice(previous);
  if (!error.text().empty() || gbps <= 0) {
    cudaGetLastError();
    log_warning("link probe GPU {} -> {} failed ({}): no communication bound in this run", from, to,
                error.text().empty() ? "no time measured" : error.text());
    return;
  }
  peaks.link_gbps = gbps;
  peaks.link_method = fmt::format("cudaMemcpyPeerAsync of 256 MiB, GPU {} to {}{}, best of {}", from, to,
                                  direct ? "" : " (no peer access: through the host)", kLinkRounds);
  log_verbose("link GPU {} -> {}: {:.1f} GB/s one way", from, to, gbps);
}

}  // namespace moebench::cuda
