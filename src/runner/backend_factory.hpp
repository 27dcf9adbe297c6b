// Picks the backend for a plan (--device) and runs the checks that need it: device count and
// memory. Throws UsageError when the plan cannot run there.
#pragma once

#include <memory>

#include "backend/backend.hpp"
#include "core/plan.hpp"
#include "multinode/rendezvous.hpp"

namespace moebench {

// May adjust the plan's timing settings to what the chosen backend honours (CUDA graphs and L2
// flushes exist only on CUDA). With --nnodes > 1 it first meets the other nodes (`rendezvous`,
// which then watches them for the rest of the run: a node that fails ends this process with one
// line naming it; call finish() on it after a clean run). The CPU backend meets them too, then
// refuses the run.
std::unique_ptr<Backend> select_backend(BenchmarkPlan& plan, std::unique_ptr<multinode::Rendezvous>& rendezvous);

}  // namespace moebench
