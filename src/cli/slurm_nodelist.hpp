// Slurm's compressed host lists ("node[01-04,07]", "a1,b[2-3]", "rack[1-2]-n[1-2]") expanded into
// host names, in the order `scontrol show hostnames` prints them: the launchers' environment
// (launcher_env.hpp) takes node 0's host from the first.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace moebench {

// A list that is not in Slurm's syntax; what() says where and why, without the list's name.
class NodelistError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Every host of `list`: comma-separated entries, each a name with zero or more bracket groups of
// comma-separated numbers and ranges ("01-04" keeps the lower bound's zero padding); several
// groups in one name expand as a cartesian product, the first group outermost. Throws
// NodelistError for a malformed list, or one of more than `max_hosts` hosts.
std::vector<std::string> expand_slurm_nodelist(std::string_view list, std::size_t max_hosts = 65536);

}  // namespace moebench
