// What the fault tests share: the binary, tiny and slow command lines, waiting on a file, and the
// checks that an output file holds whole rows only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/tiny_run.hpp"

namespace moebench::fault {

inline const std::string kBinary = MOEBENCH_BINARY;

// A tiny layer: each case takes milliseconds.
inline std::vector<std::string> tiny(const std::vector<std::string>& extra) { return testing::tiny_cpu_run(2, extra); }

// `count` token counts 1, 2, ...: that many cases per scenario.
inline std::vector<std::string> token_counts(int count) {
  std::vector<std::string> out{"--num-tokens"};
  for (int t = 1; t <= count; ++t) out.push_back(std::to_string(t));
  return out;
}

// Polls `done` every few milliseconds; false when `timeout` passes first.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

inline std::size_t line_count(const std::string& path) { return testing::read_lines(path).size(); }

// A CSV of whole rows: ends with a newline, every line with the header's number of columns.
inline void expect_whole_csv_rows(const std::string& path) {
  const std::string text = testing::read_file(path);
  ASSERT_FALSE(text.empty()) << path;
  EXPECT_EQ(text.back(), '\n') << path << " ends inside a row";
  const std::vector<std::string> lines = testing::read_lines(path);
  const auto columns = std::count(lines[0].begin(), lines[0].end(), ',');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    EXPECT_EQ(std::count(lines[i].begin(), lines[i].end(), ','), columns)
        << path << " line " << i + 1 << ": " << lines[i];
  }
}

// The Markdown's per-case tables ("## Scenario: ...").
inline int markdown_tables(const std::string& path) {
  const std::string text = testing::read_file(path);
  int count = 0;
  for (std::size_t at = 0; (at = text.find("\n## Scenario: ", at)) != std::string::npos; ++at) ++count;
  return count;
}

// No temporary of an atomic rewrite is left beside the outputs.
inline void expect_no_temporaries(const std::string& dir) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-fault"); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(dir_, ec);
  }
  std::string base() const { return dir_ + "/results"; }
  std::string dir_;
};

}  // namespace moebench::fault
