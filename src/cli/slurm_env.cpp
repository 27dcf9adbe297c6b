// Slurm's variables, as srun sets them for each task (and sbatch for the batch script): the node
// count, this node's id, and node 0's host, the first of the node list.
#include <fmt/format.h>

#include "cli/launcher_readers.hpp"
#include "cli/slurm_nodelist.hpp"

namespace moebench {

namespace {

using namespace launcher_rules;

// More tasks than nodes, or a task that is not its node's only one.
std::string several_tasks_per_node(const EnvironmentLookup& env, const std::string& nodes_var) {
  const std::string fix = "moebench runs one process per node (srun --ntasks-per-node=1)";
  const std::string tasks_var = first_set(env, {"SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"});
  if (!tasks_var.empty() && !nodes_var.empty()) {
    const auto tasks = whole_number(*env(tasks_var)), nodes = whole_number(*env(nodes_var));
    if (tasks && nodes && *tasks > *nodes) {
      return fmt::format("Slurm started {} tasks on {} nodes ({}, {}): {}", *tasks, *nodes, tasks_var, nodes_var, fix);
    }
    return "";
  }
  // Without a task count: one task per node numbers its tasks as its nodes.
  const auto node_id = number_from(env, "SLURM_NODEID", 0), proc_id = number_from(env, "SLURM_PROCID", 0);
  if (node_id.value && proc_id.value && node_id.value->value != proc_id.value->value) {
    return fmt::format("SLURM_PROCID {} is not SLURM_NODEID {}: Slurm started several tasks on a node; {}",
                       proc_id.value->value, node_id.value->value, fix);
  }
  return "";
}

// The first host of the step's node list (srun numbers the step's nodes from it), else of the
// job's; the port from port_from, else the default.
LauncherValue<std::string> node0_address(const EnvironmentLookup& env, const std::string& nodes_var) {
  const std::string list_var = first_set(env, {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST"});
  if (list_var.empty()) {
    return {std::nullopt,
            "Slurm gives no node list (SLURM_JOB_NODELIST) to find node 0 in: pass --dist-init-addr host:port or set "
            "MOEBENCH_DIST_ADDR"};
  }
  const std::string list = *env(list_var);
  std::vector<std::string> hosts;
  try {
    hosts = expand_slurm_nodelist(list);
  } catch (const NodelistError& e) {
    return {std::nullopt, fmt::format("{} '{}' is not a Slurm host list: {}", list_var, list, e.what())};
  }
  // A node count and a node list of the same scope (the step's, or the job's) must agree.
  const bool same_scope = (list_var == "SLURM_STEP_NODELIST") == (nodes_var == "SLURM_STEP_NUM_NODES");
  const auto nodes = nodes_var.empty() ? std::nullopt : whole_number(*env(nodes_var));
  if (same_scope && nodes && static_cast<std::size_t>(*nodes) != hosts.size()) {
    return {std::nullopt, fmt::format("{} names {} host(s) but {} is {}", list_var, hosts.size(), nodes_var, *nodes)};
  }
  const Port port = port_from(env, kDefaultDistPort);
  if (!port.problem.empty()) return {std::nullopt, port.problem};
  const std::string port_source =
      port.source == "default" ? fmt::format("default port {}", port.number) : "port from " + port.source;
  return {Sourced<std::string>{host_port(hosts.front(), port.number),
                               fmt::format("first host of {}, {}", list_var, port_source), list_var},
          ""};
}

}  // namespace

LauncherReading read_slurm(const EnvironmentLookup& env) {
  LauncherReading r;
  r.launcher = "Slurm";
  // Under srun the step's variables describe the tasks it started; the job's, the allocation.
  const std::string nodes_var = first_set(env, {"SLURM_STEP_NUM_NODES", "SLURM_NNODES"});
  const std::string rank_var = first_set(env, {"SLURM_NODEID", "SLURM_PROCID"});
  if (!nodes_var.empty()) r.nnodes = number_from(env, nodes_var, 1);
  else r.nnodes.problem = half_set("Slurm", rank_var, "SLURM_NNODES");
  if (!rank_var.empty()) r.node_rank = number_from(env, rank_var, 0);
  else r.node_rank.problem = half_set("Slurm", nodes_var, "SLURM_NODEID (or SLURM_PROCID)");
  r.several_per_node = several_tasks_per_node(env, nodes_var);
  r.address = node0_address(env, nodes_var);
  return r;
}

}  // namespace moebench
