// Backend selection.
#include "runner/backend_factory.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/log.hpp"

namespace moebench {

#if !defined(MOEBENCH_HAVE_CUDA)
int cuda_device_count() { return 0; }
#endif

namespace {

void check_device_count(const BenchmarkPlan& plan, const Backend& backend, const char* what) {
  const int wanted = plan.problem.layout.tp_size / plan.problem.layout.nnodes;
  if (wanted > backend.max_devices()) {
    throw UsageError(fmt::format("tp_size exceeds device count: this node needs {} {} (tp_size {} / nnodes {}), {} "
                                 "available",
                                 wanted, what, plan.problem.layout.tp_size, plan.problem.layout.nnodes,
                                 backend.max_devices()));
  }
}

}  // namespace

std::unique_ptr<Backend> select_backend(BenchmarkPlan& plan) {
  const int gpus = cuda_device_count();
  const bool use_cuda = plan.device == DeviceChoice::kCuda || (plan.device == DeviceChoice::kAuto && gpus > 0);
  if (use_cuda) {
#if defined(MOEBENCH_HAVE_CUDA)
    if (gpus == 0) throw UsageError("--device cuda: no CUDA device found (is this a GPU machine with a driver?)");
    if (plan.problem.layout.tp_size / plan.problem.layout.nnodes > gpus) {
      throw UsageError(fmt::format("tp_size exceeds device count: this node needs {} GPUs (tp_size {} / nnodes {}), {} "
                                   "available",
                                   plan.problem.layout.tp_size / plan.problem.layout.nnodes, plan.problem.layout.tp_size,
                                   plan.problem.layout.nnodes, gpus));
    }
    if (plan.problem.layout.tp_size > 1) {
      throw UsageError("the CUDA backend runs on one GPU so far (--tp-size 1); multi-GPU EP x TP is not implemented "
                       "yet: use --device cpu to simulate the mesh");
    }
    auto backend = make_cuda_backend();
    if (auto reason = backend->check_fits(plan)) throw UsageError(*reason);
    log_verbose("backend: cuda, {}", backend->device_info().name);
    return backend;
#else
    if (plan.device == DeviceChoice::kCuda) {
      throw UsageError("--device cuda: this build has no CUDA backend (nvcc was not found at configure time)");
    }
#endif
  }
  if (plan.timing.cuda_graph || plan.timing.cold_l2) {
    log_verbose("CUDA graphs and L2 flushing do not apply to the CPU backend; timing plain iterations");
    plan.timing.cuda_graph = false;
    plan.timing.cold_l2 = false;
  }
  if (plan.problem.layout.nnodes > 1) {
    throw UsageError("multi-node runs (--nnodes > 1) need the CUDA backend; the CPU backend simulates a mesh of "
                     "devices in one process (drop --nnodes)");
  }
  auto backend = make_cpu_backend(plan.problem.layout.tp_size);
  check_device_count(plan, *backend, "virtual CPU devices");
  if (auto reason = backend->check_fits(plan)) throw UsageError(*reason);
  log_verbose("backend: cpu, simulating {} device(s)", plan.problem.layout.tp_size);
  return backend;
}

}  // namespace moebench
