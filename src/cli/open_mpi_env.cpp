// Open MPI's variables, as mpirun sets them for each process: the world's size and this process's
// rank, one process per node. mpirun names no address for node 0: --dist-init-addr or
// MOEBENCH_DIST_ADDR gives it.
#include <fmt/format.h>

#include "cli/launcher_readers.hpp"

namespace moebench {

LauncherReading read_open_mpi(const EnvironmentLookup& env) {
  using namespace launcher_rules;
  LauncherReading r;
  r.launcher = "Open MPI";
  r.nnodes = number_from(env, "OMPI_COMM_WORLD_SIZE", 1);
  if (!env("OMPI_COMM_WORLD_SIZE"))
    r.nnodes.problem = half_set("Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE");
  r.node_rank = number_from(env, "OMPI_COMM_WORLD_RANK", 0);
  if (!env("OMPI_COMM_WORLD_RANK"))
    r.node_rank.problem = half_set("Open MPI", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK");
  const LauncherValue<std::int64_t> local = number_from(env, "OMPI_COMM_WORLD_LOCAL_SIZE", 1);
  if (local.value && local.value->value > 1) {
    r.several_per_node = fmt::format(
        "mpirun started {} processes on this node (OMPI_COMM_WORLD_LOCAL_SIZE): moebench runs one process per node "
        "(mpirun --map-by ppr:1:node)",
        local.value->value);
  }
  r.address.problem =
      "mpirun gives no address for node 0: pass --dist-init-addr host:port, or set MOEBENCH_DIST_ADDR=host:port for "
      "every process (mpirun -x MOEBENCH_DIST_ADDR)";
  return r;
}

}  // namespace moebench
