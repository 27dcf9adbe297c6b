// torchrun-style variables: those a script sets for `torchrun --nnodes $NNODES --node-rank
// $NODE_RANK --master-addr $MASTER_ADDR --master-port $MASTER_PORT`, and those torchrun sets for
// the processes it starts (GROUP_RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, WORLD_SIZE), which say
// whether it started more than one per node.
#include <fmt/format.h>

#include "cli/launcher_readers.hpp"

namespace moebench {

namespace {

using namespace launcher_rules;

// torchrun's --nnodes is MIN:MAX for an elastic run; a fixed count is N, or N:N.
LauncherValue<std::int64_t> node_count(const EnvironmentLookup& env) {
  const std::optional<std::string> text = env("NNODES");
  if (!text) return {std::nullopt, half_set("torchrun", first_set(env, {"NODE_RANK", "GROUP_RANK"}), "NNODES")};
  const std::size_t colon = text->find(':');
  if (colon == std::string::npos) return number_in("NNODES", *text, 1);
  const auto low = whole_number(text->substr(0, colon)), high = whole_number(text->substr(colon + 1));
  if (!low || !high) return number_in("NNODES", *text, 1);  // its line for what is no count
  if (*low != *high) {
    return {std::nullopt,
            fmt::format("NNODES {} is an elastic range: moebench needs a fixed node count (NNODES=N)", *text)};
  }
  return number_in("NNODES", text->substr(0, colon), 1);
}

// NODE_RANK (a script's) or GROUP_RANK (torchrun's), which must agree when both are set.
LauncherValue<std::int64_t> node_rank(const EnvironmentLookup& env) {
  const LauncherValue<std::int64_t> node = number_from(env, "NODE_RANK", 0), group = number_from(env, "GROUP_RANK", 0);
  if (node.value && group.value && node.value->value != group.value->value) {
    return {std::nullopt, fmt::format("NODE_RANK {} and GROUP_RANK {} disagree: pass --node-rank, or set one",
                                      node.value->value, group.value->value)};
  }
  if (node.value || !node.problem.empty()) return node;
  if (group.value || !group.problem.empty()) return group;
  return {std::nullopt, half_set("torchrun", "NNODES", "NODE_RANK (or GROUP_RANK)")};
}

std::string several_per_node(const EnvironmentLookup& env) {
  const std::string fix = "moebench runs one process per node (torchrun --nproc-per-node 1)";
  const auto local_size = number_from(env, "LOCAL_WORLD_SIZE", 1), local_rank = number_from(env, "LOCAL_RANK", 0);
  if (local_size.value && local_size.value->value > 1) {
    return fmt::format("torchrun started {} processes on this node (LOCAL_WORLD_SIZE): {}", local_size.value->value,
                       fix);
  }
  if (local_rank.value && local_rank.value->value > 0) {
    return fmt::format("LOCAL_RANK is {}: torchrun started several processes on this node; {}", local_rank.value->value,
                       fix);
  }
  const auto world = number_from(env, "WORLD_SIZE", 1), nodes = node_count(env);
  if (world.value && nodes.value && world.value->value != nodes.value->value) {
    return fmt::format("WORLD_SIZE {} is not NNODES {}: several processes per node; {}", world.value->value,
                       nodes.value->value, fix);
  }
  return "";
}

// MASTER_ADDR, with MOEBENCH_DIST_PORT or MASTER_PORT: both halves or neither.
LauncherValue<std::string> node0_address(const EnvironmentLookup& env) {
  const std::optional<std::string> host = env("MASTER_ADDR");
  if (!host) {
    if (env("MASTER_PORT")) return {std::nullopt, half_set("torchrun", "MASTER_PORT", "MASTER_ADDR")};
    return {std::nullopt,
            "torchrun-style variables without MASTER_ADDR and MASTER_PORT: set them, pass --dist-init-addr host:port, "
            "or set MOEBENCH_DIST_ADDR"};
  }
  const Port port = port_from(env, 0);
  if (!port.problem.empty()) return {std::nullopt, port.problem};
  if (port.number == 0) return {std::nullopt, half_set("torchrun", "MASTER_ADDR", "MASTER_PORT")};
  const std::string source = "MASTER_ADDR:" + port.source;
  return {Sourced<std::string>{host_port(*host, port.number), source, source}, ""};
}

}  // namespace

LauncherReading read_torchrun(const EnvironmentLookup& env) {
  LauncherReading r;
  r.launcher = "torchrun";
  r.nnodes = node_count(env);
  r.node_rank = node_rank(env);
  r.several_per_node = several_per_node(env);
  r.address = node0_address(env);
  return r;
}

}  // namespace moebench
