// Backend selection.
#include "runner/backend_factory.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "cpu/cpu_backend.hpp"
#include "multinode/fingerprint.hpp"
#include "platform/host_name.hpp"
#include "platform/version.hpp"
#if defined(MOEBENCH_HAVE_CUDA)
#include "cuda/cuda_backend.hpp"
#endif

namespace moebench {

namespace {

// CUDA devices visible to this process; 0 without a GPU, a driver, or a CUDA build.
int visible_gpus() {
#if defined(MOEBENCH_HAVE_CUDA)
  return cuda_device_count();
#else
  return 0;
#endif
}

void check_device_count(const BenchmarkPlan& plan, const Backend& backend, const char* what) {
  const int wanted = plan.problem.layout.tp_size / plan.problem.layout.nnodes;
  if (wanted > backend.max_devices()) {
    throw UsageError(
        fmt::format("tp_size exceeds device count: this node needs {} {} (tp_size {} / nnodes {}), {} "
                    "available",
                    wanted, what, plan.problem.layout.tp_size, plan.problem.layout.nnodes, backend.max_devices()));
  }
}

// Meets the other nodes at --dist-init-addr: node 0 checks that every node runs the same program
// and plan, and hands them the token `make_start_token` makes (node 0 only; none: empty).
std::unique_ptr<multinode::Rendezvous> meet_other_nodes(const BenchmarkPlan& plan,
                                                        std::function<std::string()> make_start_token) {
  const Layout& l = plan.problem.layout;
  multinode::RendezvousConfig config;
  config.address = plan.dist_init_addr;
  config.nnodes = l.nnodes;
  config.node_rank = l.node_rank;
  config.local_devices = l.tp_size / l.nnodes;
  config.host = host_name();
  config.program_version = moebench_version();
  config.config_fingerprint = multinode::config_fingerprint(plan);
  config.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(plan.dist_timeout_s * 1000));
  config.make_start_token = std::move(make_start_token);
  log_verbose("node {} of {}: meeting the other nodes at {}", l.node_rank, l.nnodes, plan.dist_init_addr);
  std::unique_ptr<multinode::Rendezvous> rendezvous;
  try {
    rendezvous = multinode::Rendezvous::join(config);
  } catch (const multinode::RendezvousError& e) {
    throw RunError(fmt::format("node {}: {}", l.node_rank, e.what()));
  }
  log_verbose("node {} of {}: all {} nodes met at {}", l.node_rank, l.nnodes, l.nnodes, plan.dist_init_addr);
  return rendezvous;
}

// The CPU backend simulates its mesh in one process. Several nodes meet first all the same, so
// that a launcher's setup (README "Launching on a cluster") can be tried on any machine, and then
// every node refuses with the same line.
[[noreturn]] void refuse_several_cpu_nodes(const BenchmarkPlan& plan) {
  const std::unique_ptr<multinode::Rendezvous> met = meet_other_nodes(plan, {});
  throw UsageError(
      fmt::format("multi-node runs ({} nodes) need the CUDA backend; the CPU backend simulates a mesh of devices "
                  "in one process (run one node: --nnodes 1)",
                  plan.problem.layout.nnodes));
}

#if defined(MOEBENCH_HAVE_CUDA)
// From here on a peer that dies, aborts or falls silent ends this process (exit 1): NCCL calls
// waiting on that peer would otherwise never return. Rows written so far stay written.
void watch_other_nodes(multinode::Rendezvous& rendezvous, int node) {
  rendezvous.start_monitor(
      [node](const std::string& reason) {
        std::fflush(stdout);
        std::fprintf(stderr, "bench_fused_vs_epmoe: error: node %d: %s\n", node, reason.c_str());
        std::fflush(stderr);
        std::_Exit(kExitRunFailure);
      },
      std::chrono::milliseconds(1000));
}
#endif

}  // namespace

std::unique_ptr<Backend> select_backend(BenchmarkPlan& plan,
                                        [[maybe_unused]] std::unique_ptr<multinode::Rendezvous>& rendezvous) {
  const int gpus = visible_gpus();
  const bool use_cuda = plan.device == DeviceChoice::kCuda || (plan.device == DeviceChoice::kAuto && gpus > 0);
  if (use_cuda) {
#if defined(MOEBENCH_HAVE_CUDA)
    if (gpus == 0) throw UsageError("--device cuda: no CUDA device found (is this a GPU machine with a driver?)");
    if (plan.problem.layout.tp_size / plan.problem.layout.nnodes > gpus) {
      throw UsageError(
          fmt::format("tp_size exceeds device count: this node needs {} GPUs (tp_size {} / nnodes {}), {} "
                      "available",
                      plan.problem.layout.tp_size / plan.problem.layout.nnodes, plan.problem.layout.tp_size,
                      plan.problem.layout.nnodes, gpus));
    }
    if (plan.problem.layout.nnodes > 1) {
      rendezvous = meet_other_nodes(plan, [] { return make_nccl_start_token(); });
      watch_other_nodes(*rendezvous, plan.problem.layout.node_rank);
    }
    auto backend = make_cuda_backend(plan.problem.layout, rendezvous ? rendezvous->start_token() : std::string(),
                                     plan.max_tokens(), plan.dist_timeout_s);
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
  auto backend = make_cpu_backend(plan.problem.layout.tp_size);
  check_device_count(plan, *backend, "virtual CPU devices");
  if (auto reason = backend->check_fits(plan)) throw UsageError(*reason);
  if (plan.problem.layout.nnodes > 1) refuse_several_cpu_nodes(plan);
  log_verbose("backend: cpu, simulating {} device(s)", plan.problem.layout.tp_size);
  return backend;
}

}  // namespace moebench
