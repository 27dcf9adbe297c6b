// Which launchers' variables are set, and the rules the launchers' readers share.
#include "cli/launcher_readers.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/limits.hpp"

namespace moebench {

namespace launcher_rules {

std::optional<std::int64_t> whole_number(const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::nullopt;
  return std::stoll(text);
}

LauncherValue<std::int64_t> number_in(const std::string& name, const std::string& text, std::int64_t low) {
  const std::optional<std::int64_t> number = whole_number(text);
  if (!number || *number < low || *number > Limits::kMaxDevices) {
    return {std::nullopt,
            fmt::format("{} must be a whole number in [{}, {}] (got '{}')", name, low, Limits::kMaxDevices, text)};
  }
  return {Sourced<std::int64_t>{*number, name, name}, ""};
}

LauncherValue<std::int64_t> number_from(const EnvironmentLookup& env, const std::string& name, std::int64_t low) {
  const std::optional<std::string> text = env(name);
  return text ? number_in(name, *text, low) : LauncherValue<std::int64_t>{};
}

std::string first_set(const EnvironmentLookup& env, std::initializer_list<const char*> names) {
  for (const char* name : names)
    if (env(name)) return name;
  return "";
}

std::string half_set(const std::string& launcher, const std::string& set, const std::string& missing) {
  return fmt::format("{} variables are half set: {} is set but not {}", launcher, set, missing);
}

Port port_from(const EnvironmentLookup& env, int fallback) {
  for (const char* name : {"MOEBENCH_DIST_PORT", "MASTER_PORT"}) {
    const std::optional<std::string> text = env(name);
    if (!text) continue;
    const std::optional<std::int64_t> port = whole_number(*text);
    if (!port || *port < 1 || *port > 65535) {
      return {0, "", fmt::format("{} must be a port in 1..65535 (got '{}')", name, *text)};
    }
    return {static_cast<int>(*port), name, ""};
  }
  return {fallback, "default", ""};
}

std::string host_port(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return ipv6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

}  // namespace launcher_rules

std::vector<std::string> launchers_present(const EnvironmentLookup& env) {
  using launcher_rules::first_set;
  std::vector<std::string> present;
  if (!first_set(env, {"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"}).empty()) present.emplace_back("Open MPI");
  if (!first_set(env, {"NNODES", "NODE_RANK", "GROUP_RANK"}).empty()) present.emplace_back("torchrun");
  if (!first_set(env, {"SLURM_NNODES", "SLURM_STEP_NUM_NODES", "SLURM_NODEID", "SLURM_PROCID"}).empty()) {
    present.emplace_back("Slurm");
  }
  return present;
}

LauncherReading read_launcher(const std::string& launcher, const EnvironmentLookup& env) {
  if (launcher == "Open MPI") return read_open_mpi(env);
  if (launcher == "torchrun") return read_torchrun(env);
  return read_slurm(env);
}

}  // namespace moebench
