// The plug-in interface both MoE paths implement on every backend: prepare (untimed), run one
// iteration (timed), read the output back (for checks).
#pragma once

#include <optional>
#include <vector>

#include "core/case_inputs.hpp"
#include "core/expert_exchange.hpp"
#include "core/kernel_stages.hpp"
#include "core/problem.hpp"

namespace moebench {

class MoeImplementation {
 public:
  virtual ~MoeImplementation() = default;
  virtual ImplKind kind() const = 0;
  // Distributes the case's inputs to the devices that own them. Not timed.
  virtual void prepare(const CaseInputs& inputs) = 0;
  // Routing plus the whole layer, on every device, communication included.
  virtual void run_iteration() = 0;
  // The layer output of the last iteration, (T, H) f32 in global token order.
  virtual std::vector<float> output() = 0;
  // Fills the output with NaN, so that a check after the next iteration sees any element it
  // failed to write.
  virtual void poison_output() = 0;
  // False where an iteration needs the host in the middle (epmoe over several GPUs reads the
  // all-to-all sizes back): the backend then times eager launches instead of a graph replay.
  virtual bool graph_capturable() const { return true; }
  // The last iteration's kernel stages (read after it completed); empty where the kernels do not
  // time themselves (all but fused over several GPUs).
  virtual KernelStages last_kernel_stages() const { return {}; }
  // What the last iteration's dispatch and combine moved between devices; none where the path does
  // not count it (so far: only the CPU backend's epmoe does).
  virtual std::optional<ExchangeBytes> last_exchange_bytes() const { return std::nullopt; }
};

}  // namespace moebench
