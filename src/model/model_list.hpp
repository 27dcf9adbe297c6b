// The --list-models table: every built-in preset with the shape the benchmark runs for it.
#pragma once

#include <string>

namespace moebench {

std::string format_model_list();

}  // namespace moebench
