// The printers under the interrupt guard's output lock: a signal's watchdog never ends the process
// halfway through a file, and knows how many cases are on disk.
#pragma once

#include <memory>

#include "output/printer.hpp"
#include "platform/interrupt.hpp"

namespace moebench {

// Each call of the returned printer runs `inner`'s under guard's output lock; add_case counts a case.
std::unique_ptr<ResultPrinter> guard_printer(InterruptGuard& guard, std::unique_ptr<ResultPrinter> inner);

}  // namespace moebench
