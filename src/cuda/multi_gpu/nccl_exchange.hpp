// The NCCL resources of the fused kernel's exchange over several GPUs, each with its owner:
// a device communicator per GPU (for its LSA barrier), and a symmetric window per GPU that every
// peer maps over NVLink (NCCL's load/store-accessible team), with each peer's address of it.
#pragma once

#include <cstdint>
#include <nccl.h>
#include <nccl_device.h>
#include <vector>

#include "cuda/device/device_buffer.hpp"
#include "cuda/device/device_group.hpp"

namespace moebench::cuda {

class DeviceCommunicators {
 public:
  // Collective over the world (one thread per local GPU): one communicator per GPU with one LSA
  // barrier, and a copy of it in that GPU's memory for the kernel.
  explicit DeviceCommunicators(const DeviceGroup& group);
  ~DeviceCommunicators();
  DeviceCommunicators(const DeviceCommunicators&) = delete;
  DeviceCommunicators& operator=(const DeviceCommunicators&) = delete;

  // GPUs load/store-reachable from the first local GPU (the kernel needs the whole world).
  int lsa_size() const { return comms_.front().lsaSize; }
  const ncclDevComm* device_copy(int local) const { return copies_[static_cast<std::size_t>(local)].data(); }

 private:
  const DeviceGroup& group_;
  std::vector<ncclDevComm> comms_;
  std::vector<char> created_;  // per GPU: comms_[i] needs ncclDevCommDestroy
  std::vector<DeviceBuffer<ncclDevComm>> copies_;
};

class SymmetricWindows {
 public:
  explicit SymmetricWindows(DeviceGroup& group);
  ~SymmetricWindows() { release(); }
  SymmetricWindows(const SymmetricWindows&) = delete;
  SymmetricWindows& operator=(const SymmetricWindows&) = delete;

  // Collective over the world: once the GPUs are idle, every GPU of every node registers a new,
  // zeroed window of `bytes` (the same size everywhere). Nothing when the windows are that large.
  void grow(std::uint64_t bytes);
  std::uint64_t bytes() const { return bytes_; }
  std::uint8_t* memory(int local) const { return static_cast<std::uint8_t*>(window(local).memory); }
  // (world size): every GPU's window as local GPU `local` addresses it; device memory.
  std::uint8_t* const* peer_bases(int local) const { return window(local).peer_bases.data(); }

 private:
  struct Window {
    void* memory = nullptr;
    ncclWindow_t handle = nullptr;
    DeviceBuffer<std::uint8_t*> peer_bases;
  };
  const Window& window(int local) const { return windows_[static_cast<std::size_t>(local)]; }
  void release();

  DeviceGroup& group_;
  std::vector<Window> windows_;
  std::uint64_t bytes_ = 0;
};

}  // namespace moebench::cuda
