// A bar per expert of the tokens routed to it, with the average load marked: what "imbalanced
// 3.0x" looks like.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moebench {

struct LoadHistogram {
  std::string description;          // aria-label
  std::vector<std::int64_t> loads;  // tokens per expert, expert 0 first; not empty
  double average_load = 0;
  std::string color;
};

// The <svg class="chart" data-chart="loads"> element.
std::string render_load_histogram(const LoadHistogram& histogram);

}  // namespace moebench
