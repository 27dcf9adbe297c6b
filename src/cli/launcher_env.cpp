// The flags, else the innermost launcher's variables, else the defaults; and where each came from.
#include "cli/launcher_env.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <utility>

#include "cli/launcher_readers.hpp"
#include "core/errors.hpp"

namespace moebench {

namespace {

template <typename T>
Sourced<T> from_flag(T value, const std::string& flag) {
  return {std::move(value), flag + " flag", flag};
}

template <typename T>
Sourced<T> by_default(T value, const std::string& flag) {
  return {std::move(value), "default", flag};
}

// The innermost launcher whose variables are set, read on first use.
class InnermostLauncher {
 public:
  explicit InnermostLauncher(const EnvironmentLookup& env) : env_(env), present_(launchers_present(env)) {}

  // The launcher's `field`; nullopt without a launcher. A value the launcher cannot give throws
  // the launcher's line for it.
  template <typename T>
  std::optional<Sourced<T>> value(LauncherValue<T> LauncherReading::*field) {
    if (present_.empty()) return std::nullopt;
    const LauncherValue<T>& value = reading().*field;
    if (!value.value && !value.problem.empty()) throw UsageError(value.problem);
    used_ = used_ || value.value.has_value();
    return value.value;
  }

  // Values read from a launcher that started several processes on this node would be every one
  // of those processes' values: node 0 would join as several nodes.
  void check_one_process_per_node() {
    if (used_ && !reading().several_per_node.empty()) throw UsageError(reading().several_per_node);
  }

  std::string used() const { return used_ ? present_.front() : ""; }
  std::vector<std::string> unread() const {
    std::vector<std::string> unread = present_;
    if (used_) unread.erase(unread.begin());
    return unread;
  }

 private:
  const LauncherReading& reading() {
    if (!reading_) reading_ = read_launcher(present_.front(), env_);
    return *reading_;
  }

  const EnvironmentLookup& env_;
  std::vector<std::string> present_;
  std::optional<LauncherReading> reading_;
  bool used_ = false;
};

// One node meets no one: no address unless the flag gives one (validate.cpp checks its form as
// ever). Several: the flag, else MOEBENCH_DIST_ADDR, else the launcher's.
Sourced<std::string> node0_address(const LaunchFlags& flags, std::int64_t nnodes, InnermostLauncher& launcher,
                                   const EnvironmentLookup& env) {
  if (flags.dist_init_addr) return from_flag(*flags.dist_init_addr, "--dist-init-addr");
  const Sourced<std::string> none{"", "none", "--dist-init-addr"};
  if (nnodes == 1) return none;
  if (const std::optional<std::string> address = env("MOEBENCH_DIST_ADDR")) {
    return {*address, "MOEBENCH_DIST_ADDR", "MOEBENCH_DIST_ADDR"};
  }
  return launcher.value(&LauncherReading::address).value_or(none);
}

}  // namespace

EnvironmentLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

EnvironmentLookup environment_from(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end() || found->second.empty()) return std::nullopt;
    return found->second;
  };
}

LaunchSettings resolve_launch(const LaunchFlags& flags, const EnvironmentLookup& env) {
  InnermostLauncher launcher(env);
  LaunchSettings s;
  s.nnodes = flags.nnodes ? from_flag(*flags.nnodes, "--nnodes")
                          : launcher.value(&LauncherReading::nnodes).value_or(by_default<std::int64_t>(1, "--nnodes"));
  if (s.nnodes.value > 1) launcher.check_one_process_per_node();
  if (flags.node_rank) {
    s.node_rank = from_flag(*flags.node_rank, "--node-rank");
  } else if (s.nnodes.value == 1) {
    s.node_rank = by_default<std::int64_t>(0, "--node-rank");  // the only node, whatever a launcher says
  } else {
    s.node_rank = launcher.value(&LauncherReading::node_rank).value_or(by_default<std::int64_t>(0, "--node-rank"));
  }
  s.dist_init_addr = node0_address(flags, s.nnodes.value, launcher, env);
  if (s.nnodes.value > 1) launcher.check_one_process_per_node();
  s.launcher = launcher.used();
  s.ignored = launcher.unread();
  return s;
}

std::vector<std::string> LaunchSettings::describe() const {
  const std::string rendezvous = dist_init_addr.value.empty()
                                     ? fmt::format("none ({})", nnodes.value == 1 ? "one node" : "not given")
                                     : fmt::format("{} ({})", dist_init_addr.value, dist_init_addr.source);
  std::vector<std::string> lines{fmt::format("launch: nnodes {} ({}), node rank {} ({}), rendezvous {}", nnodes.value,
                                             nnodes.source, node_rank.value, node_rank.source, rendezvous)};
  if (!ignored.empty()) {
    lines.push_back(fmt::format(
        "launch: {} variables set too, not read: {}", fmt::join(ignored, " and "),
        launcher.empty() ? "nothing was left for them to give" : launcher + "'s come first (the innermost launcher)"));
  }
  return lines;
}

}  // namespace moebench
