#include "cuda/single_gpu/tile_timeline.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace moebench::cuda {

TileTimeline::TileTimeline() {
  const char* prefix = std::getenv("MOEBENCH_TILE_TIMELINE");
  if (prefix == nullptr || *prefix == '\0') return;
  // Refused before anything is measured, rather than at the first write.
  const std::filesystem::path folder = std::filesystem::path(prefix).parent_path();
  if (!folder.empty() && !std::filesystem::is_directory(folder))
    throw UsageError(fmt::format("MOEBENCH_TILE_TIMELINE={}: the folder {} does not exist", prefix, folder.string()));
  prefix_ = prefix;
}

void TileTimeline::size(int capacity) {
  capacity_ = std::max(capacity_, capacity);
  spans_.resize(2 * static_cast<std::size_t>(capacity_));
}

void TileTimeline::clear(cudaStream_t stream) const {
  MOE_CUDA_CHECK(cudaMemsetAsync(spans_.data(), 0, spans_.bytes(), stream));
}

void TileTimeline::write(cudaStream_t stream, std::int64_t num_tokens) const {
  cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
  MOE_CUDA_CHECK(cudaStreamIsCapturing(stream, &capture));
  if (capture != cudaStreamCaptureStatusNone) return;
  std::vector<moe_kernels::TileSpan> spans(spans_.size());
  MOE_CUDA_CHECK(cudaMemcpyAsync(spans.data(), spans_.data(), spans_.bytes(), cudaMemcpyDeviceToHost, stream));
  MOE_CUDA_CHECK(cudaStreamSynchronize(stream));
  unsigned long long origin = ~0ull;
  for (const auto& s : spans)
    if (s.end_ns != 0) origin = std::min(origin, s.start_ns);
  const std::string path = fmt::format("{}_T{}.csv", *prefix_, num_tokens);
  std::ofstream file(path);
  if (!file) throw RunError(fmt::format("MOEBENCH_TILE_TIMELINE: cannot write {}", path));
  file << "gemm,tile,cta,start_us,mainloop_end_us,end_us,expert,rows,n_block,k_steps,finished_us\n";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const auto& s = spans[i];
    if (s.end_ns == 0) continue;
    const std::size_t tile = i % static_cast<std::size_t>(capacity_);
    // Without the decode kernels' hand-off a unit is finished when its span ends.
    const unsigned long long finished = s.finished_ns != 0 ? s.finished_ns : s.end_ns;
    file << fmt::format("{},{},{},{:.3f},{:.3f},{:.3f},{},{},{},{},{:.3f}\n",
                        i < static_cast<std::size_t>(capacity_) ? "gate_up" : "down", tile, s.cta,
                        (s.start_ns - origin) / 1e3, (s.mainloop_end_ns - origin) / 1e3, (s.end_ns - origin) / 1e3,
                        s.expert, s.rows, s.n_block, s.k_steps, (finished - origin) / 1e3);
  }
}

}  // namespace moebench::cuda
