// An owning device allocation: cudaMalloc on construction, cudaFree on destruction.
#pragma once

#include <cstddef>
#include <cuda_runtime.h>
#include <utility>

#include "cuda/device/cuda_check.hpp"

namespace moebench::cuda {

template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { resize(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    release();
    data_ = std::exchange(other.data_, nullptr);
    count_ = std::exchange(other.count_, 0);
    return *this;
  }

  // Reallocates (contents lost) only when `count` exceeds the current size; zero-filled.
  void resize(std::size_t count) {
    if (count <= count_ && data_ != nullptr) return;
    release();
    MOE_CUDA_CHECK(cudaMalloc(&data_, std::max<std::size_t>(count, 1) * sizeof(T)));
    MOE_CUDA_CHECK(cudaMemset(data_, 0, std::max<std::size_t>(count, 1) * sizeof(T)));
    count_ = count;
  }
  void upload(const T* host, std::size_t count) {
    resize(count);
    MOE_CUDA_CHECK(cudaMemcpy(data_, host, count * sizeof(T), cudaMemcpyHostToDevice));
  }

  T* data() const { return data_; }
  std::size_t size() const { return count_; }
  std::size_t bytes() const { return count_ * sizeof(T); }

 private:
  void release() {
    if (data_ != nullptr) cudaFree(data_);
    data_ = nullptr;
    count_ = 0;
  }
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace moebench::cuda
