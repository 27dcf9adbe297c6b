// The peer (link) bandwidth of a multi-GPU run (docs/metrics.md, "Communication bound"): one-way
// copies from one GPU into another, the figure a row's comm_floor_ms divides its bytes by.
#pragma once

#include "core/metrics.hpp"

namespace moebench::cuda {

// cudaMemcpyPeerAsync of 256 MiB from CUDA device `from` to `to`, best of 5 after one untimed copy,
// into peaks.link_gbps and peaks.link_method. Never throws: on any CUDA error, one warning line
// and link_gbps 0 (the rows then have no communication bound).
void measure_link(int from, int to, DevicePeaks& peaks);

}  // namespace moebench::cuda
