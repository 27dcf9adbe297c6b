// A digest of everything every node must agree on (the command line minus --node-rank), so that
// node 0 can refuse a node started with other sizes, cases or timing.
#pragma once

#include <string>

#include "core/plan.hpp"

namespace moebench::multinode {

std::string config_fingerprint(const BenchmarkPlan& plan);

}  // namespace moebench::multinode
