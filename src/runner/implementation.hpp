// The plug-in interface both MoE paths implement on every backend: prepare (untimed), run one
// iteration (timed), read the output back (for checks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bf16.hpp"
#include "core/problem.hpp"

namespace moebench {

// One case's inputs, global and in token order: x (T, H) bf16 and router logits (T, E) f32.
struct CaseInputs {
  BenchCase bench_case;
  std::vector<bf16_bits> hidden_states;
  std::vector<float> router_logits;
};

CaseInputs make_case_inputs(const MoeShape& shape, const BenchCase& bench_case, double imbalance_factor,
                            std::uint64_t seed);

// Where a kernel spent its time, as the kernel timed itself (for --profile): per device, named
// spans on that device's own clock. The profiler shifts them onto the kernel's start in the trace.
struct KernelStages {
  std::string kernel;  // part of the kernel's name
  struct Span {
    int device;  // the CUDA device of this process
    std::string name;
    std::uint64_t begin_ns, end_ns;
  };
  std::vector<Span> spans;
};

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
};

}  // namespace moebench
