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

std::unique_ptr<Backend> select_backend(const BenchmarkPlan& plan) {
  const int gpus = cuda_device_count();
  const bool use_cuda = plan.device == DeviceChoice::kCuda || (plan.device == DeviceChoice::kAuto && gpus > 0);
  if (use_cuda) {
    if (gpus == 0) throw UsageError("--device cuda: no CUDA device found (is this a GPU machine with a driver?)");
    throw UsageError("--device cuda: this build has no CUDA backend yet; use --device cpu");
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
