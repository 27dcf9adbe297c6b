// --nnodes, --node-rank and --dist-init-addr from a launcher's environment where the flags are
// absent, one process per node: Slurm (srun), Open MPI (mpirun) or torchrun-style variables.
// Pure: the environment comes in as a lookup, so tests pass a map. docs/cli.md ("Launchers") has
// the rules; each value keeps where it came from, for --verbose and for the errors about it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace moebench {

// One environment variable's value; nullopt when it is unset or empty.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

// This process's environment (getenv).
EnvironmentLookup process_environment();
// A fixed set of variables, for tests and for callers that must not read the real environment.
EnvironmentLookup environment_from(std::map<std::string, std::string> variables);

// The port node 0 listens on when a launcher names its host and nothing names a port (Slurm):
// torchrun's default. MOEBENCH_DIST_PORT or MASTER_PORT choose another.
inline constexpr int kDefaultDistPort = 29500;

// The three flags as given; nullopt when absent.
struct LaunchFlags {
  std::optional<std::int64_t> nnodes, node_rank;
  std::optional<std::string> dist_init_addr;
};

// A value and where it came from.
template <typename T>
struct Sourced {
  T value{};
  std::string source;  // for --verbose: "--nnodes flag", "SLURM_NNODES", "default", ...
  std::string name;    // for errors: the flag ("--nnodes", also for a default) or the variable(s)
};

struct LaunchSettings {
  Sourced<std::int64_t> nnodes, node_rank;
  Sourced<std::string> dist_init_addr;  // value empty: no rendezvous (one node, or none given)
  std::string launcher;                 // whose variables gave a value ("Slurm", ...); empty: none
  std::vector<std::string> ignored;     // launchers whose variables are set too, outranked

  // The --verbose lines: each value and its source, and which launcher's variables were read.
  std::vector<std::string> describe() const;
};

// The flags where given; where not, the launcher's values, else the defaults (1 node, rank 0, no
// rendezvous). Of several launchers' variables, the innermost launcher's are read: Open MPI's,
// then torchrun's, then Slurm's. A launcher's variables are read only for a value the flags leave
// open, and only as far as it needs them. Throws UsageError with one line for an environment that
// contradicts itself, is half set, or starts several processes per node. The node rank's range
// and the address's form are checked with the flags (validate.cpp), by the names kept here.
LaunchSettings resolve_launch(const LaunchFlags& flags, const EnvironmentLookup& environment);

}  // namespace moebench
