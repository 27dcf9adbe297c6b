// A GPU that never finishes its work (here: one that spins for 5 s while the deadline is 1 s)
// must end the wait with DeviceStuckError naming it, at the deadline, not hang the run. The
// multi-GPU timing loop waits for every iteration this way.
#include <gtest/gtest.h>

#include <chrono>
#include <cuda_runtime.h>

#include "core/errors.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/device/device_group.hpp"

namespace moebench {
namespace {

__global__ void spin_kernel(unsigned long long nanoseconds) {
  unsigned long long start = 0, now = 0;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now));
  } while (now - start < nanoseconds);
}

TEST(StuckGpu, WaitingForAGpuThatNeverFinishesEndsAtTheDeadline) {
  if (cuda_device_count() < 2) GTEST_SKIP() << "needs 2 GPUs";
  cuda::DeviceGroup group(Layout{2, 2, 1, 0}, "");
  group.set_stuck_timeout(1.0);
  cudaEvent_t done = nullptr;
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&done), cudaSuccess);
  spin_kernel<<<1, 1, 0, group.context(0).stream>>>(5'000'000'000ull);
  ASSERT_EQ(cudaEventRecord(done, group.context(0).stream), cudaSuccess);
  const auto start = std::chrono::steady_clock::now();
  try {
    group.wait(0, done, "the spin");
    FAIL() << "the wait returned although the GPU was still busy";
  } catch (const DeviceStuckError& e) {
    EXPECT_NE(std::string(e.what()).find("GPU rank 0 did not finish the spin within 1 s"), std::string::npos)
        << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  EXPECT_EQ(cudaEventSynchronize(done), cudaSuccess);  // the spin ends by itself
  cudaEventDestroy(done);
}

}  // namespace
}  // namespace moebench
