// A digest of everything every node must agree on (the command line minus --node-rank), so that
// node 0 can refuse a node started with other sizes, cases or timing.
#pragma once

#include <string>

#include "runner/plan.hpp"

namespace moebench::dist {

std::string config_fingerprint(const BenchmarkPlan& plan);

}  // namespace moebench::dist
