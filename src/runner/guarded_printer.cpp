// A printer that forwards to another under the interrupt guard's output lock.
#include "runner/guarded_printer.hpp"

namespace moebench {
namespace {

class GuardedPrinter final : public ResultPrinter {
 public:
  GuardedPrinter(InterruptGuard& guard, std::unique_ptr<ResultPrinter> inner)
      : guard_(guard), inner_(std::move(inner)) {}
  void begin(const RunInfo& info) override {
    guard_.write_output([&] { inner_->begin(info); });
  }
  void add_case(std::span<const ResultRow> rows) override {
    guard_.write_output([&] { inner_->add_case(rows); }, /*finishes_case=*/true);
  }
  void end() override {
    guard_.write_output([&] { inner_->end(); });
  }

 private:
  InterruptGuard& guard_;
  std::unique_ptr<ResultPrinter> inner_;
};

}  // namespace

std::unique_ptr<ResultPrinter> guard_printer(InterruptGuard& guard, std::unique_ptr<ResultPrinter> inner) {
  return std::make_unique<GuardedPrinter>(guard, std::move(inner));
}

}  // namespace moebench
