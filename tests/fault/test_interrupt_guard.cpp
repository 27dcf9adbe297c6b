// The watchdog of src/platform/interrupt.hpp in-process: a signal the loop never notices ends the
// process after the grace period, under the output lock, with the cases finished so far; a loop
// that notices in time (disarm) keeps the exit for itself.
#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "platform/interrupt.hpp"
#include "runner/guarded_printer.hpp"

namespace moebench {
namespace {

using namespace std::chrono_literals;

class CountingPrinter final : public ResultPrinter {
 public:
  void begin(const RunInfo&) override {}
  void add_case(std::span<const ResultRow>) override {}
};

TEST(InterruptGuardDeathTest, WatchdogEndsALoopThatNeverLooksAfterTheGrace) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        InterruptGuard guard(5, 200ms);
        const auto printer = guard_printer(guard, std::make_unique<CountingPrinter>());
        printer->add_case({});
        printer->add_case({});
        std::raise(SIGINT);
        std::this_thread::sleep_for(10s);  // an iteration that does not check the flag
      },
      ::testing::ExitedWithCode(130), "bench_fused_vs_epmoe: interrupted by signal 2 after 2 of 5 case\\(s\\)");
}

TEST(InterruptGuardDeathTest, WatchdogWaitsForAWriteInProgress) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  class SlowPrinter final : public ResultPrinter {
   public:
    void begin(const RunInfo&) override {}
    void add_case(std::span<const ResultRow>) override { std::this_thread::sleep_for(700ms); }
  };
  EXPECT_EXIT(
      {
        InterruptGuard guard(3, 100ms);
        const auto printer = guard_printer(guard, std::make_unique<SlowPrinter>());
        std::thread signaller([] {
          std::this_thread::sleep_for(50ms);
          std::raise(SIGTERM);
        });
        printer->add_case({});  // still writing when the grace ends: the case completes first
        signaller.join();
        std::this_thread::sleep_for(10s);
      },
      ::testing::ExitedWithCode(143), "after 1 of 3 case\\(s\\)");
}

TEST(InterruptGuard, ALoopThatStopsInTimeKeepsTheExit) {
  InterruptGuard guard(1, 300ms);
  std::raise(SIGINT);
  EXPECT_TRUE(guard.stop_flag());
  EXPECT_EQ(guard.signal_number(), SIGINT);
  guard.disarm();
  std::this_thread::sleep_for(500ms);  // past the grace: still alive
  SUCCEED();
}

TEST(InterruptGuard, MessageNamesTheSignalAndTheCases) {
  EXPECT_EQ(interrupted_message(15, 3, 9), "interrupted by signal 15 after 3 of 9 case(s); finished cases are written");
}

}  // namespace
}  // namespace moebench
