// Small named wrappers over the Hopper PTX this library uses: mbarriers, bulk tensor copies,
// cp.async with zero fill, fences. Nothing else in the library writes inline PTX for these.
#pragma once

#include <cstdint>
#include <cuda.h>

namespace moe_kernels::ptx {

__device__ __forceinline__ std::uint32_t smem_addr(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

// ---- mbarrier -------------------------------------------------------------------------------

__device__ __forceinline__ void mbarrier_init(std::uint64_t* bar, std::uint32_t arrivals) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(smem_addr(bar)), "r"(arrivals) : "memory");
}

// Makes initialised barriers visible to the async proxy (TMA) before first use.
__device__ __forceinline__ void fence_barrier_init() {
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
}

__device__ __forceinline__ void mbarrier_arrive(std::uint64_t* bar) {
  asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}" ::"r"(smem_addr(bar)) : "memory");
}

// One arrival that also announces `bytes` of transactions (TMA bytes) still to land.
__device__ __forceinline__ void mbarrier_arrive_expect_tx(std::uint64_t* bar, std::uint32_t bytes) {
  asm volatile(
      "{\n.reg .b64 state;\nmbarrier.arrive.expect_tx.shared::cta.b64 state, [%0], %1;\n}" ::"r"(smem_addr(bar)),
      "r"(bytes)
      : "memory");
}

__device__ __forceinline__ bool mbarrier_try_wait(std::uint64_t* bar, std::uint32_t parity) {
  std::uint32_t done;
  asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}"
               : "=r"(done)
               : "r"(smem_addr(bar)), "r"(parity)
               : "memory");
  return done != 0;
}

// Blocks until the barrier's phase with the given parity has completed.
__device__ __forceinline__ void mbarrier_wait(std::uint64_t* bar, std::uint32_t parity) {
  while (!mbarrier_try_wait(bar, parity)) {
  }
}

// The executing thread's earlier cp.async copies count as one arrival when they complete.
__device__ __forceinline__ void cp_async_arrive_noinc(std::uint64_t* bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];" ::"r"(smem_addr(bar)) : "memory");
}

// ---- copies ---------------------------------------------------------------------------------

// 2D/3D bulk tensor copy global -> shared, completing on `bar` (coordinates innermost first).
__device__ __forceinline__ void tma_load_2d(void* dst, const CUtensorMap* map, std::uint64_t* bar, int c0, int c1) {
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4}], [%2];" ::"r"(
          smem_addr(dst)),
      "l"(map), "r"(smem_addr(bar)), "r"(c0), "r"(c1)
      : "memory");
}

__device__ __forceinline__ void tma_load_3d(void* dst, const CUtensorMap* map, std::uint64_t* bar, int c0, int c1,
                                            int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], [%2];" ::
          "r"(smem_addr(dst)),
      "l"(map), "r"(smem_addr(bar)), "r"(c0), "r"(c1), "r"(c2)
      : "memory");
}

// 1D bulk copy global -> shared of `bytes` (a multiple of 16; both addresses 16-byte aligned),
// completing on `bar`.
__device__ __forceinline__ void bulk_load(void* dst, const void* src, std::uint32_t bytes, std::uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(smem_addr(dst)),
      "l"(src), "r"(bytes), "r"(smem_addr(bar))
      : "memory");
}

// The box of a 3D tensor map at (c0, c1, c2) into L2 only: no shared memory, no barrier.
__device__ __forceinline__ void tma_prefetch_l2_3d(const CUtensorMap* map, int c0, int c1, int c2) {
  asm volatile("cp.async.bulk.prefetch.tensor.3d.L2.global.tile [%0, {%1, %2, %3}];" ::"l"(map), "r"(c0), "r"(c1),
               "r"(c2)
               : "memory");
}

__device__ __forceinline__ void prefetch_tensor_map(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];" ::"l"(map) : "memory");
}

// A kernel's first load through a tensor map otherwise waits for the TMA unit to fetch the map;
// prefetched while the kernel does other work first, that fetch is off the path.
template <typename... Maps>
__device__ __forceinline__ void prefetch_tensor_maps(const Maps*... maps) {
  (prefetch_tensor_map(maps), ...);
}

// 16-byte cp.async; `valid` false writes zeros and reads nothing.
__device__ __forceinline__ void cp_async_16_zfill(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(smem_addr(dst)), "l"(src), "r"(valid ? 16 : 0)
               : "memory");
}

// 4-byte cp.async (through L1: the FP8 tiles' scales, a word per row or weight block and stage);
// `valid` false writes zero and reads nothing.
__device__ __forceinline__ void cp_async_4_zfill(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" ::"r"(smem_addr(dst)), "l"(src), "r"(valid ? 4 : 0)
               : "memory");
}

// ---- thread block clusters (the clustered FP8 GEMMs: fp8_pipeline.cuh) ------------------------

// This CTA's rank in its cluster.
__device__ __forceinline__ std::uint32_t cluster_cta_rank() {
  std::uint32_t rank;
  asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(rank));
  return rank;
}

// Every thread of every CTA of the cluster: what each wrote before (its barriers' inits
// included) is visible to the others after. Also keeps a CTA resident until its peers no longer
// reach into its shared memory.
__device__ __forceinline__ void cluster_sync() {
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;" ::: "memory");
}

// One arrival on the barrier at `bar`'s offset in the shared memory of cluster CTA `cta` (this
// CTA's own included). By default with a CTA-scope release: enough where what the arrival
// announces is that this thread's (wgmma's, completed) reads of a stage are over; a cluster-scope
// release would also wait for this thread's pending global stores, the previous tile's epilogue:
// the fourth session's clusters ran 1.7x slower with it (bench/notes.md). kClusterRelease: what
// this thread stored before (into the peer's shared memory: store_shared_cluster) is visible to
// the peer's mbarrier_wait_cluster.
template <bool kClusterRelease = false>
__device__ __forceinline__ void mbarrier_arrive_cluster(std::uint64_t* bar, std::uint32_t cta) {
  if constexpr (kClusterRelease) {
    asm volatile(
        "{\n.reg .b32 remote;\nmapa.shared::cluster.u32 remote, %0, %1;\n"
        "mbarrier.arrive.release.cluster.shared::cluster.b64 _, [remote];\n}" ::"r"(smem_addr(bar)),
        "r"(cta)
        : "memory");
  } else {
    asm volatile(
        "{\n.reg .b32 remote;\nmapa.shared::cluster.u32 remote, %0, %1;\n"
        "mbarrier.arrive.shared::cluster.b64 _, [remote];\n}" ::"r"(smem_addr(bar)),
        "r"(cta)
        : "memory");
  }
}

// Waits for the phase of `bar` (this CTA's) with the given parity, acquiring at cluster scope what
// the peers that arrived on it (mbarrier_arrive_cluster) wrote before their arrival.
__device__ __forceinline__ void mbarrier_wait_cluster(std::uint64_t* bar, std::uint32_t parity) {
  std::uint32_t done = 0;
  while (done == 0) {
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.acquire.cluster.shared::cta.b64 p, [%1], %2;\n"
        "selp.u32 %0, 1, 0, p;\n}"
        : "=r"(done)
        : "r"(smem_addr(bar)), "r"(parity)
        : "memory");
  }
}

// Stores `value` at `word`'s offset in the shared memory of cluster CTA `cta`.
__device__ __forceinline__ void store_shared_cluster(std::int32_t* word, std::uint32_t cta, std::int32_t value) {
  asm volatile(
      "{\n.reg .b32 remote;\nmapa.shared::cluster.u32 remote, %0, %1;\nst.shared::cluster.u32 [remote], %2;\n}" ::"r"(
          smem_addr(word)),
      "r"(cta), "r"(value)
      : "memory");
}

// tma_load_3d into the same offset of the shared memory of every cluster CTA in `cta_mask`, each
// completing on its own barrier at `bar`'s offset.
__device__ __forceinline__ void tma_load_3d_multicast(void* dst, const CUtensorMap* map, std::uint64_t* bar, int c0,
                                                      int c1, int c2, std::uint16_t cta_mask) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes.multicast::cluster"
      " [%0], [%1, {%3, %4, %5}], [%2], %6;" ::"r"(smem_addr(dst)),
      "l"(map), "r"(smem_addr(bar)), "r"(c0), "r"(c1), "r"(c2), "h"(cta_mask)
      : "memory");
}

// ---- fences ---------------------------------------------------------------------------------

// Orders this thread's generic-proxy shared-memory writes before later async-proxy reads.
__device__ __forceinline__ void fence_proxy_async_shared() {
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
}

// Orders this thread's generic-proxy global writes before async-proxy (TMA) reads of them
// elsewhere, once a barrier has published them.
__device__ __forceinline__ void fence_proxy_async_global() { asm volatile("fence.proxy.async.global;" ::: "memory"); }

// ---- programmatic dependent launch ------------------------------------------------------------

// Waits until the grids this one depends on (the previous kernel of a stream, when this one was
// launched with programmatic stream serialisation) have completed and their writes are visible.
// Without that launch attribute it returns at once.
__device__ __forceinline__ void wait_prior_grids() { asm volatile("griddepcontrol.wait;" ::: "memory"); }

// Lets the next kernel of the stream (launched with programmatic stream serialisation) start its
// prologue now: once every CTA of this grid has called this or exited.
__device__ __forceinline__ void launch_dependent_grids() { asm volatile("griddepcontrol.launch_dependents;" :::); }

// ---- progress words ----------------------------------------------------------------------------

// A store the compiler neither drops nor merges: progress words the host (host-mapped memory) or a
// later debugging read looks at while the kernel runs.
template <typename T>
__device__ __forceinline__ void store_volatile(T* word, T value) {
  *reinterpret_cast<volatile T*>(word) = value;
}

// ---- clocks ----------------------------------------------------------------------------------

// The GPU's nanosecond timer, common to its SMs (what stage timestamps are taken with).
__device__ __forceinline__ std::uint64_t globaltimer_ns() {
  std::uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// ---- warp specialisation ------------------------------------------------------------------------

// Moves registers from the producer warpgroup to the consumers (sm_90a); the kernel must start
// with a register cap (__launch_bounds__(threads, 1)).
template <int kRegisters>
__device__ __forceinline__ void release_registers() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;" ::"n"(kRegisters));
}
template <int kRegisters>
__device__ __forceinline__ void claim_registers() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;" ::"n"(kRegisters));
}

// CTA-wide barrier 0 reached from different branches (the warp-specialised roles): the
// non-.aligned form, which does not require a warp's threads to arrive together.
__device__ __forceinline__ void cta_sync_all() { asm volatile("barrier.sync 0;" ::: "memory"); }

// A GPU-scope acquire load: what the releasing writer wrote before its release is visible after.
__device__ __forceinline__ int load_acquire_gpu(const int* word) {
  int value;
  asm volatile("ld.acquire.gpu.global.b32 %0, [%1];" : "=r"(value) : "l"(word) : "memory");
  return value;
}

// A GPU-scope release store: what this thread (and, through the fence's cumulativity, what it has
// synchronised with) wrote before is visible to an acquire load that reads this value.
__device__ __forceinline__ void store_release_gpu(int* word, int value) {
  asm volatile("st.release.gpu.global.b32 [%0], %1;" ::"l"(word), "r"(value) : "memory");
}

// Barrier `id` (1..15) among `threads` threads, e.g. one warpgroup.
__device__ __forceinline__ void named_sync(int id, int threads) {
  asm volatile("barrier.sync %0, %1;" ::"r"(id), "r"(threads) : "memory");
}

}  // namespace moe_kernels::ptx
