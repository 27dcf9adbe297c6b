// The floor under a decode layer (issue 20): how long one kernel launch takes to stream a given
// number of weight bytes from HBM into every SM's shared memory after a cold-L2 read flush, timed
// as the benchmark times a layer (CUDA events around a graph launch). No MoE work at all: if this
// is already above a cell's target, no kernel reaches it; what it leaves is the budget for
// routing, dependencies and the tail.
//
// Cases: an empty kernel of the decode kernels' shape (launch cost, normal and cooperative; and
// whether a cooperative launch may come in clusters of two), and
// regions of an expert-like bf16 matrix [rows, hidden] streamed two ways with a ring of 32 KiB
// stages, one issuing thread per CTA and every CTA an equal run of the region (stream-K):
//   box:  2D TMA boxes of 256 rows x 64 columns (128 bytes of each of 256 rows, 128B-swizzled),
//         tile by tile along K, as the decode kernels load weights;
//   bulk: 1D bulk copies of 32 KiB contiguous chunks, as the bandwidth probe reads.
// Built and run on the GPU machine by bench/device_run.sh's `floor` stage:
//   nvcc -O3 -std=c++20 -gencode=arch=compute_90a,code=sm_90a -Ikernels/include
//        bench/stream_floor.cu kernels/src/tensor_maps.cpp -o stream_floor
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/launch.hpp"

namespace {

using namespace moe_kernels;

constexpr int kStageBytes = 32 * 1024;
constexpr int kBoxRows = 256;
constexpr int kBoxCols = 64;  // bf16: 128 bytes
constexpr int kMaxStages = 6;
constexpr int kThreads = 384;  // the decode kernels' block

#define CHECK(call)                                                                              \
  do {                                                                                           \
    const cudaError_t status_ = (call);                                                          \
    if (status_ != cudaSuccess) {                                                                \
      std::fprintf(stderr, "stream_floor: %s failed: %s\n", #call, cudaGetErrorString(status_)); \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)

struct Region {
  const std::uint8_t* base;  // bulk: contiguous bytes
  int hidden;                // box: columns of the matrix (its K)
  long long steps;           // 32 KiB steps in all
  int stages;
};

__global__ void __launch_bounds__(kThreads, 1) empty_kernel(int* sink) {
  extern __shared__ std::uint8_t smem[];
  if (threadIdx.x == 0 && blockIdx.x == 1 << 30) sink[0] = smem[0];
}

// Thread 0 of each CTA keeps `stages` copies in flight over its run [begin, end) of the region's
// steps; the other threads only wait at the end, as a decode kernel's consumers would.
template <bool kBox>
__global__ void __launch_bounds__(kThreads, 1)
    stream_kernel(const __grid_constant__ CUtensorMap map, const Region region) {
  extern __shared__ __align__(1024) std::uint8_t smem_raw[];
  std::uint8_t* ring = reinterpret_cast<std::uint8_t*>((reinterpret_cast<std::uintptr_t>(smem_raw) + 1023) & ~1023ull);
  __shared__ std::uint64_t landed[kMaxStages];
  const long long begin = region.steps * blockIdx.x / gridDim.x, end = region.steps * (blockIdx.x + 1) / gridDim.x;
  if (threadIdx.x == 0) {
    for (int s = 0; s < region.stages; ++s) ptx::mbarrier_init(&landed[s], 1);
    ptx::fence_barrier_init();
    const long long k_steps = region.hidden / kBoxCols;
    auto issue = [&](int stage, long long step) {
      ptx::mbarrier_arrive_expect_tx(&landed[stage], kStageBytes);
      if constexpr (kBox) {
        ptx::tma_load_2d(ring + stage * kStageBytes, &map, &landed[stage], static_cast<int>(step % k_steps) * kBoxCols,
                         static_cast<int>(step / k_steps) * kBoxRows);
      } else {
        ptx::bulk_load(ring + stage * kStageBytes, region.base + step * kStageBytes, kStageBytes, &landed[stage]);
      }
    };
    for (int s = 0; s < region.stages && begin + s < end; ++s) issue(s, begin + s);
    for (long long step = begin; step < end; ++step) {
      const long long round = step - begin;
      const int stage = static_cast<int>(round % region.stages);
      ptx::mbarrier_wait(&landed[stage], static_cast<std::uint32_t>(round / region.stages) & 1);
      if (step + region.stages < end) issue(stage, step + region.stages);
    }
  }
  __syncthreads();
}

// Reads twice the L2 through L2, as the benchmark's cold-L2 read flush does.
__global__ void flush_kernel(const uint4* data, std::size_t vectors, unsigned* sink) {
  unsigned folded = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < vectors;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint4 v = __ldcg(data + i);
    folded ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (folded == 0x9e3779b9u) sink[0] = folded;
}

struct Timer {
  cudaStream_t stream;
  const uint4* flush_buffer;
  std::size_t flush_vectors;
  unsigned* sink;
  int sms;

  // Mean microseconds of `iters` graph launches of `launch`, each after a flush.
  template <typename Launch>
  double time_us(Launch launch, int iters = 40) {
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    launch();
    CHECK(cudaStreamEndCapture(stream, &graph));
    CHECK(cudaGraphInstantiate(&exec, graph, 0));
    cudaEvent_t start, stop;
    CHECK(cudaEventCreate(&start));
    CHECK(cudaEventCreate(&stop));
    double total = 0;
    for (int i = -3; i < iters; ++i) {
      flush_kernel<<<sms * 4, 512, 0, stream>>>(flush_buffer, flush_vectors, sink);
      CHECK(cudaEventRecord(start, stream));
      CHECK(cudaGraphLaunch(exec, stream));
      CHECK(cudaEventRecord(stop, stream));
      CHECK(cudaEventSynchronize(stop));
      float ms = 0;
      CHECK(cudaEventElapsedTime(&ms, start, stop));
      if (i >= 0) total += ms * 1e3;
    }
    CHECK(cudaGraphExecDestroy(exec));
    CHECK(cudaGraphDestroy(graph));
    CHECK(cudaEventDestroy(start));
    CHECK(cudaEventDestroy(stop));
    return total / iters;
  }
};

// A launch of `ctas` CTAs of kThreads threads, cooperative or not, as the decode kernels launch;
// cluster_ctas > 1 adds clusters of that many CTAs (what a fused kernel on the clustered engine
// would need: whether the runtime takes both attributes at once is the question).
template <typename... Params, typename... Args>
cudaError_t try_launch(void (*kernel)(Params...), cudaStream_t stream, int ctas, int smem, bool cooperative,
                       int cluster_ctas, Args... args) {
  CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(ctas);
  config.blockDim = dim3(kThreads);
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute attributes[2]{};
  int count = 0;
  if (cooperative) {
    attributes[count].id = cudaLaunchAttributeCooperative;
    attributes[count++].val.cooperative = 1;
  }
  if (cluster_ctas > 1) {
    attributes[count].id = cudaLaunchAttributeClusterDimension;
    attributes[count++].val.clusterDim = {static_cast<unsigned>(cluster_ctas), 1, 1};
  }
  config.attrs = attributes;
  config.numAttrs = count;
  return cudaLaunchKernelEx(&config, kernel, args...);
}
template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), cudaStream_t stream, int sms, int smem, bool cooperative, Args... args) {
  CHECK(try_launch(kernel, stream, sms, smem, cooperative, 1, args...));
}

}  // namespace

int main() {
  int device = 0, sms = 0;
  CHECK(cudaSetDevice(device));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  cudaDeviceProp properties{};
  CHECK(cudaGetDeviceProperties(&properties, device));
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

  const std::size_t flush_bytes = 2ull * properties.l2CacheSize;
  const std::size_t matrix_bytes = 1536ull << 20;  // past any region below, so no two cases share lines
  std::uint8_t *flush_buffer, *matrix;
  unsigned* sink;
  CHECK(cudaMalloc(&flush_buffer, flush_bytes));
  CHECK(cudaMalloc(&matrix, matrix_bytes));
  CHECK(cudaMalloc(&sink, 64));
  CHECK(cudaMemset(flush_buffer, 1, flush_bytes));
  CHECK(cudaMemset(matrix, 2, matrix_bytes));
  Timer timer{stream, reinterpret_cast<const uint4*>(flush_buffer), flush_bytes / 16, sink, sms};
  std::printf("# %s, %d SMs, L2 %d MB; event-timed graph launches after a %zu MB read flush, mean of 40\n",
              properties.name, sms, properties.l2CacheSize >> 20, flush_bytes >> 20);

  int* int_sink = reinterpret_cast<int*>(sink);
  const int decode_smem = 5 * (kStageBytes + 8192) + 8192;
  for (bool cooperative : {false, true}) {
    const double us = timer.time_us([&] { launch(empty_kernel, stream, sms, decode_smem, cooperative, int_sink); });
    std::printf("empty %-11s %4d CTAs x %d threads, %d KiB smem: %7.2f us\n", cooperative ? "cooperative" : "normal",
                sms, kThreads, decode_smem >> 10, us);
  }

  // A cooperative launch in clusters of two, as many CTAs as fit in whole clusters: taken, or why not.
  {
    CHECK(cudaFuncSetAttribute(empty_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, decode_smem));
    cudaLaunchConfig_t query{};
    query.gridDim = dim3(sms);
    query.blockDim = dim3(kThreads);
    query.dynamicSmemBytes = decode_smem;
    cudaLaunchAttribute cluster{};
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim = {2, 1, 1};
    query.attrs = &cluster;
    query.numAttrs = 1;
    int clusters = 0;
    CHECK(cudaOccupancyMaxActiveClusters(&clusters, empty_kernel, &query));
    const cudaError_t status = try_launch(empty_kernel, stream, 2 * clusters, decode_smem, true, 2, int_sink);
    const cudaError_t done = status == cudaSuccess ? cudaStreamSynchronize(stream) : status;
    cudaGetLastError();
    std::printf("empty cooperative in clusters of 2, %d clusters: %s\n", clusters,
                done == cudaSuccess ? "launched" : cudaGetErrorString(done));
  }

  struct Case {
    const char* what;
    int hidden;
    double megabytes;
  };
  // Qwen3-30B-A3B T=1: 8 experts' gate/up (50 MB) and all three matrices (75 MB); T=8: ~52
  // experts (490 MB); Mixtral-8x7B T=1: 2 experts (705 MB); DeepSeek-V3 rows (H 7168) T=1 (264 MB).
  const Case cases[] = {{"qwen3 T=1 gate/up", 2048, 50.3},   {"qwen3 T=1 layer", 2048, 75.5},
                        {"qwen3 T=8 layer", 2048, 490.0},    {"mixtral T=1 layer", 4096, 704.6},
                        {"deepseek T=1 layer", 7168, 264.2}, {"4 MB", 2048, 4.0}};
  std::printf("%-20s %6s %9s %6s %10s %8s %10s %8s\n", "region", "hidden", "MB", "stages", "box us", "box GB/s",
              "bulk us", "bulk GB/s");
  for (const Case& c : cases) {
    for (int stages : {4, 5, 6}) {
      const long long steps = static_cast<long long>(c.megabytes * 1e6 / kStageBytes);
      const long long rows = (steps * kStageBytes / (c.hidden * 2) + kBoxRows - 1) / kBoxRows * kBoxRows;
      CUtensorMap map;
      CHECK(make_tensor_map_2d(&map, matrix, rows, c.hidden, c.hidden, kBoxRows));
      const Region region{matrix, c.hidden, steps, stages};
      const double bytes = static_cast<double>(steps) * kStageBytes;
      const int smem = stages * kStageBytes + 1024;
      const double box = timer.time_us([&] { launch(stream_kernel<true>, stream, sms, smem, true, map, region); });
      const double bulk = timer.time_us([&] { launch(stream_kernel<false>, stream, sms, smem, true, map, region); });
      std::printf("%-20s %6d %9.1f %6d %10.2f %8.0f %10.2f %8.0f\n", c.what, c.hidden, bytes / 1e6, stages, box,
                  bytes / box / 1e3, bulk, bytes / bulk / 1e3);
    }
  }
  CHECK(cudaFree(flush_buffer));
  CHECK(cudaFree(matrix));
  CHECK(cudaFree(sink));
  return 0;
}
