// The benchmark loop: weights once, then per case the inputs, each implementation timed, the
// statistics, and the rows handed to the printers as soon as the case is done.
#pragma once

#include <atomic>

#include "backend/backend.hpp"
#include "core/plan.hpp"
#include "output/printer.hpp"
#include "runner/progress.hpp"
#include "runner/tensor_saver.hpp"

namespace moebench {

struct RunOutcome {
  int cases_done = 0;
  int cases_planned = 0;
  bool interrupted = false;
};

// Throws RunError on a failure; rows already handed to `printer` stay written. `saver` (--save-tensors,
// node 0; else nullptr) gets the config, the weights and each finished case.
RunOutcome run_benchmark(const BenchmarkPlan& plan, Backend& backend, ResultPrinter& printer, ProgressLine& progress,
                         const std::atomic<bool>& stop, TensorSaver* saver = nullptr);

}  // namespace moebench
