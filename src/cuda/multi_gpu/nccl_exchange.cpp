// Creation and release of the device communicators and the symmetric windows.
#include "cuda/multi_gpu/nccl_exchange.hpp"

#include "core/log.hpp"
#include "cuda/device/cuda_check.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {

DeviceCommunicators::DeviceCommunicators(const DeviceGroup& group)
    : group_(group),
      comms_(static_cast<std::size_t>(group.local_count())),
      created_(comms_.size(), 0),
      copies_(comms_.size()) {
  group.on_each_thread([&](int local) {
    const auto i = static_cast<std::size_t>(local);
    ncclDevCommRequirements requirements{};
    requirements.lsaBarrierCount = 1;
    MOE_NCCL_CHECK(ncclDevCommCreate(group.comm(local), &requirements, &comms_[i]));
    created_[i] = 1;
  });
  group.for_each([&](int local) {
    const auto i = static_cast<std::size_t>(local);
    copies_[i].resize(1);
    MOE_CUDA_CHECK(cudaMemcpy(copies_[i].data(), &comms_[i], sizeof(ncclDevComm), cudaMemcpyHostToDevice));
  });
}

DeviceCommunicators::~DeviceCommunicators() {
  for (int local = 0; local < group_.local_count(); ++local) {
    const auto i = static_cast<std::size_t>(local);
    if (!created_[i]) continue;
    cudaSetDevice(local);
    ncclDevCommDestroy(group_.comm(local), &comms_[i]);
  }
}

SymmetricWindows::SymmetricWindows(DeviceGroup& group)
    : group_(group), windows_(static_cast<std::size_t>(group.local_count())) {
  group.for_each([&](int local) {
    windows_[static_cast<std::size_t>(local)].peer_bases.resize(static_cast<std::size_t>(group.world_size()));
  });
}

// Collective like the registration: one thread per GPU.
void SymmetricWindows::release() {
  if (windows_.empty() || windows_.front().memory == nullptr) return;
  group_.on_each_thread([&](int local) {
    Window& w = windows_[static_cast<std::size_t>(local)];
    if (w.handle != nullptr) ncclCommWindowDeregister(group_.comm(local), w.handle);
    if (w.memory != nullptr) ncclMemFree(w.memory);
    w.handle = nullptr;
    w.memory = nullptr;
  });
  bytes_ = 0;
}

void SymmetricWindows::grow(std::uint64_t bytes) {
  if (bytes_ >= bytes) return;
  group_.synchronize();
  release();
  group_.on_each_thread([&](int local) {
    Window& w = windows_[static_cast<std::size_t>(local)];
    MOE_NCCL_CHECK(ncclMemAlloc(&w.memory, bytes));
    MOE_CUDA_CHECK(cudaMemset(w.memory, 0, bytes));
    MOE_NCCL_CHECK(ncclCommWindowRegister(group_.comm(local), w.memory, bytes, &w.handle, NCCL_WIN_COLL_SYMMETRIC));
    MOE_CUDA_CHECK(moe_kernels::launch_resolve_peer_windows(w.handle, group_.world_size(), w.peer_bases.data(),
                                                            group_.context(local).stream));
    MOE_CUDA_CHECK(cudaStreamSynchronize(group_.context(local).stream));
  });
  bytes_ = bytes;
  log_verbose("fused: NCCL symmetric window of {:.1f} MiB per GPU", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace moebench::cuda
