// What each launcher's variables say about this process's place in a multi-node run: Slurm's
// (slurm_env.cpp), Open MPI's (open_mpi_env.cpp) and torchrun's (torchrun_env.cpp), one launcher
// at a time, and the rules for numbers, ports and addresses they share. resolve_launch
// (launcher_env.hpp) chooses the launcher and takes from it only the values the flags leave open.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "cli/launcher_env.hpp"

namespace moebench {

// One value as a launcher gives it: present, or absent with the one line to give when it is
// needed (half-set, malformed or contradictory variables, or a value the launcher never gives, as
// Open MPI gives no address).
template <typename T>
struct LauncherValue {
  std::optional<Sourced<T>> value;
  std::string problem;  // why it is absent
};

struct LauncherReading {
  std::string launcher;  // "Open MPI", "torchrun" or "Slurm"
  LauncherValue<std::int64_t> nnodes, node_rank;
  LauncherValue<std::string> address;  // node 0's host:port
  std::string several_per_node;        // non-empty: the launcher started more than one process here
};

// The launchers whose variables are set, innermost first: Open MPI (OMPI_COMM_WORLD_SIZE or
// _RANK), torchrun (NNODES, NODE_RANK or GROUP_RANK), Slurm (SLURM_NNODES, SLURM_STEP_NUM_NODES,
// SLURM_NODEID or SLURM_PROCID). MASTER_ADDR and MASTER_PORT alone name no launcher: scripts
// export them for other programs too.
std::vector<std::string> launchers_present(const EnvironmentLookup& environment);

// `launcher`'s reading of the environment; one of the names launchers_present gives.
LauncherReading read_launcher(const std::string& launcher, const EnvironmentLookup& environment);

LauncherReading read_slurm(const EnvironmentLookup& environment);
LauncherReading read_open_mpi(const EnvironmentLookup& environment);
LauncherReading read_torchrun(const EnvironmentLookup& environment);

// The rules the readers share.
namespace launcher_rules {

// A whole number as launchers write them: digits only, at most 9 of them.
std::optional<std::int64_t> whole_number(const std::string& text);

// `text`, the value of variable `name`, as a node count (`low` 1) or a node rank (`low` 0).
LauncherValue<std::int64_t> number_in(const std::string& name, const std::string& text, std::int64_t low);
// The same for the variable's value; neither value nor problem when it is unset.
LauncherValue<std::int64_t> number_from(const EnvironmentLookup& environment, const std::string& name,
                                        std::int64_t low);

// The first of `names` that is set; empty when none is.
std::string first_set(const EnvironmentLookup& environment, std::initializer_list<const char*> names);

// The line for a launcher's variables of which `set` is set and `missing` is not.
std::string half_set(const std::string& launcher, const std::string& set, const std::string& missing);

// Node 0's port where a launcher names only its host: MOEBENCH_DIST_PORT, else MASTER_PORT, else
// `fallback` (0: none).
struct Port {
  int number = 0;
  std::string source;   // the variable, or "default"
  std::string problem;  // a variable set to something that is no port
};
Port port_from(const EnvironmentLookup& environment, int fallback);

// host:port, an IPv6 host in brackets.
std::string host_port(const std::string& host, int port);

}  // namespace launcher_rules

}  // namespace moebench
