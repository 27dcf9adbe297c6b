// NCCL start-up for the local GPUs, and the few collectives the backend itself needs.
#include "cuda/device/device_group.hpp"

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fmt/format.h>
#include <thread>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/device/cuda_handles.hpp"

namespace moebench::cuda {

namespace {

ncclUniqueId parse_start_token(const std::string& hex) {
  ncclUniqueId id{};
  if (hex.size() != 2 * sizeof(id.internal)) throw RunError("the start token from node 0 is not an NCCL unique id");
  for (std::size_t i = 0; i < sizeof(id.internal); ++i)
    id.internal[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return id;
}

}  // namespace

std::string make_nccl_start_token() {
  // NVLink multicast (NVLS) is never used: on shared hosts it can take the GPUs out of service.
  setenv("NCCL_NVLS_ENABLE", "0", 1);
  ncclUniqueId id{};
  MOE_NCCL_CHECK(ncclGetUniqueId(&id));
  std::string hex;
  for (char c : id.internal) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return hex;
}

DeviceGroup::DeviceGroup(const Layout& layout, const std::string& start_token)
    : world_size_(layout.tp_size), first_rank_(layout.node_rank * (layout.tp_size / layout.nnodes)) {
  const int local = layout.tp_size / layout.nnodes;
  contexts_.resize(static_cast<std::size_t>(local));
  for (int i = 0; i < local; ++i) {
    CudaContext& c = contexts_[static_cast<std::size_t>(i)];
    c.device = i;
    MOE_CUDA_CHECK(cudaSetDevice(i));
    MOE_CUDA_CHECK(cudaGetDeviceProperties(&c.properties, i));
    MOE_CUDA_CHECK(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking));
  }
  if (world_size_ == 1) return;
  setenv("NCCL_NVLS_ENABLE", "0", 1);
  const ncclUniqueId id =
      start_token.empty() ? parse_start_token(make_nccl_start_token()) : parse_start_token(start_token);
  comms_.resize(static_cast<std::size_t>(local));
  MOE_NCCL_CHECK(ncclGroupStart());
  for (int i = 0; i < local; ++i) {
    MOE_CUDA_CHECK(cudaSetDevice(i));
    MOE_NCCL_CHECK(ncclCommInitRank(&comms_[static_cast<std::size_t>(i)], world_size_, id, rank(i)));
  }
  MOE_NCCL_CHECK(ncclGroupEnd());
  for (int i = 0; i < local; ++i) {
    MOE_CUDA_CHECK(cudaSetDevice(i));
    int* word = nullptr;
    MOE_CUDA_CHECK(cudaMalloc(&word, sizeof(int)));
    barrier_words_.push_back(word);
  }
  log_verbose("NCCL: {} ranks, this node's GPUs are ranks {}..{}", world_size_, first_rank_, first_rank_ + local - 1);
}

DeviceGroup::~DeviceGroup() {
  for (std::size_t i = 0; i < comms_.size(); ++i) {
    cudaSetDevice(static_cast<int>(i));
    ncclCommDestroy(comms_[i]);
    cudaFree(barrier_words_[i]);
  }
  for (CudaContext& c : contexts_)
    if (c.stream) cudaStreamDestroy(c.stream);
}

void DeviceGroup::on_each_thread(const std::function<void(int)>& fn) const {
  std::vector<std::exception_ptr> errors(contexts_.size());
  std::vector<std::thread> threads;
  for (int i = 0; i < local_count(); ++i) {
    threads.emplace_back([&, i] {
      try {
        MOE_CUDA_CHECK(cudaSetDevice(i));
        fn(i);
      } catch (...) {
        errors[static_cast<std::size_t>(i)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void DeviceGroup::for_each(const std::function<void(int)>& fn) const {
  for (int i = 0; i < local_count(); ++i) {
    MOE_CUDA_CHECK(cudaSetDevice(i));
    fn(i);
  }
}

void DeviceGroup::barrier() {
  if (comms_.empty()) return;
  MOE_NCCL_CHECK(ncclGroupStart());
  for (int i = 0; i < local_count(); ++i) {
    MOE_NCCL_CHECK(ncclAllReduce(barrier_words_[static_cast<std::size_t>(i)],
                                 barrier_words_[static_cast<std::size_t>(i)], 1, ncclInt32, ncclMax, comm(i),
                                 context(i).stream));
  }
  MOE_NCCL_CHECK(ncclGroupEnd());
}

void DeviceGroup::max_over_ranks(std::vector<double>& values) {
  if (comms_.empty() || values.empty()) return;
  std::vector<double*> buffers(contexts_.size(), nullptr);
  for_each([&](int i) {
    MOE_CUDA_CHECK(cudaMalloc(&buffers[static_cast<std::size_t>(i)], values.size() * sizeof(double)));
    MOE_CUDA_CHECK(cudaMemcpy(buffers[static_cast<std::size_t>(i)], values.data(), values.size() * sizeof(double),
                              cudaMemcpyHostToDevice));
  });
  MOE_NCCL_CHECK(ncclGroupStart());
  for (int i = 0; i < local_count(); ++i) {
    MOE_NCCL_CHECK(ncclAllReduce(buffers[static_cast<std::size_t>(i)], buffers[static_cast<std::size_t>(i)],
                                 values.size(), ncclFloat64, ncclMax, comm(i), context(i).stream));
  }
  MOE_NCCL_CHECK(ncclGroupEnd());
  synchronize();
  MOE_CUDA_CHECK(cudaSetDevice(0));
  MOE_CUDA_CHECK(cudaMemcpy(values.data(), buffers[0], values.size() * sizeof(double), cudaMemcpyDeviceToHost));
  for_each([&](int i) { MOE_CUDA_CHECK(cudaFree(buffers[static_cast<std::size_t>(i)])); });
}

// Several GPUs: polled against the stuck timeout, since a GPU spinning on a peer never returns.
void DeviceGroup::synchronize() const {
  if (world_size_ == 1) {
    MOE_CUDA_CHECK(cudaSetDevice(0));
    MOE_CUDA_CHECK(cudaStreamSynchronize(context(0).stream));
    return;
  }
  for_each([&](int i) {
    const Event done(cudaEventDisableTiming);
    done.record(context(i).stream);
    wait(i, done.get(), "the work queued so far");
  });
}

// While one GPU is waited for, the others are checked every 100 ms: a GPU whose kernel faulted
// leaves its peers spinning in the exchange, and its error is the one worth reporting.
void DeviceGroup::wait(int local, cudaEvent_t event, const std::string& what) const {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration<double>(stuck_timeout_s_);
  auto next_check = Clock::now() + std::chrono::milliseconds(100);
  auto stop = [&](const std::string& message) {
    const std::string progress = progress_reporter_ ? progress_reporter_() : std::string();
    throw DeviceStuckError(progress.empty() ? message : fmt::format("{}. {}", message, progress));
  };
  auto failed_message = [&](int gpu, cudaError_t failed) {
    return fmt::format(
        "GPU rank {} failed with CUDA error {} ({}) while GPU rank {} was running {}; the finished "
        "cases are written",
        rank(gpu), cudaGetErrorName(failed), cudaGetErrorString(failed), rank(local), what);
  };
  for (;;) {
    MOE_CUDA_CHECK(cudaSetDevice(local));
    const cudaError_t status = cudaEventQuery(event);
    if (status == cudaSuccess) return;
    if (status != cudaErrorNotReady) stop(failed_message(local, status));
    if (Clock::now() >= next_check) {
      for (int other = 0; other < local_count(); ++other) {
        MOE_CUDA_CHECK(cudaSetDevice(other));
        const cudaError_t failed = cudaStreamQuery(context(other).stream);
        if (failed != cudaSuccess && failed != cudaErrorNotReady) stop(failed_message(other, failed));
      }
      next_check = Clock::now() + std::chrono::milliseconds(100);
    }
    if (Clock::now() > deadline) {
      stop(
          fmt::format("GPU rank {} did not finish {} within {:g} s (--dist-timeout): a GPU is waiting in a "
                      "cross-GPU exchange for a peer that never arrives; the finished cases are written",
                      rank(local), what, stuck_timeout_s_));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

}  // namespace moebench::cuda
