// Owners of the CUDA runtime handles the host code creates: events, graph instances and pinned
// host memory. Each is released on the device it was made on, also when an error is thrown
// between its creation and its last use.
#pragma once

#include <cstddef>
#include <cuda_runtime.h>
#include <utility>

#include "cuda/device/cuda_check.hpp"

namespace moebench::cuda {

// `device` current for the scope; the device current before comes back at its end.
class ScopedDevice {
 public:
  explicit ScopedDevice(int device) {
    cudaGetDevice(&previous_);
    cudaSetDevice(device);
  }
  ~ScopedDevice() { cudaSetDevice(previous_); }
  ScopedDevice(const ScopedDevice&) = delete;
  ScopedDevice& operator=(const ScopedDevice&) = delete;

 private:
  int previous_ = 0;
};

// A CUDA event of the current device.
class Event {
 public:
  explicit Event(unsigned int flags = cudaEventDefault) {
    MOE_CUDA_CHECK(cudaGetDevice(&device_));
    MOE_CUDA_CHECK(cudaEventCreateWithFlags(&event_, flags));
  }
  ~Event() {
    if (event_ == nullptr) return;
    const ScopedDevice on(device_);
    cudaEventDestroy(event_);
  }
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)), device_(other.device_) {}
  Event& operator=(Event&&) = delete;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream) const { MOE_CUDA_CHECK(cudaEventRecord(event_, stream)); }
  // Milliseconds on the GPU from `start` to this event; both must have completed.
  float ms_since(const Event& start) const {
    float ms = 0;
    MOE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
    return ms;
  }

 private:
  cudaEvent_t event_ = nullptr;
  int device_ = 0;
};

// An instantiated CUDA graph (launchable), of the device current at instantiation.
class GraphExec {
 public:
  explicit GraphExec(cudaGraphExec_t exec) : exec_(exec) { cudaGetDevice(&device_); }
  ~GraphExec() {
    if (exec_ == nullptr) return;
    const ScopedDevice on(device_);
    cudaGraphExecDestroy(exec_);
  }
  GraphExec(GraphExec&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)), device_(other.device_) {}
  GraphExec& operator=(GraphExec&&) = delete;
  GraphExec(const GraphExec&) = delete;
  GraphExec& operator=(const GraphExec&) = delete;

  void launch(cudaStream_t stream) const { MOE_CUDA_CHECK(cudaGraphLaunch(exec_, stream)); }

 private:
  cudaGraphExec_t exec_ = nullptr;
  int device_ = 0;
};

// `count` T of pinned host memory (cudaHostAlloc with `flags`; cudaHostAllocMapped: the kernels
// write it directly), value-initialised.
template <typename T>
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  PinnedBuffer(std::size_t count, unsigned int flags) : count_(count) {
    MOE_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&data_), count * sizeof(T), flags));
    for (std::size_t i = 0; i < count; ++i) data_[i] = T{};
  }
  ~PinnedBuffer() {
    if (data_ != nullptr) cudaFreeHost(data_);
  }
  PinnedBuffer(PinnedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(count_, other.count_);
    return *this;
  }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  T* data() const { return data_; }
  std::size_t size() const { return count_; }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace moebench::cuda
