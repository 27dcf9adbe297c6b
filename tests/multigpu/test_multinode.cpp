// Two nodes of two GPUs each, as two commands on 127.0.0.1 restricted to their GPUs with
// CUDA_VISIBLE_DEVICES, against one node of four; and the multi-node faults: a node that never
// comes, a node started with other flags, a node killed mid-run. Every process must end within
// the timeout with one line naming the node and the cause. Needs 4 GPUs; skipped otherwise.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <random>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cuda/cuda_backend.hpp"
#include "support/process.hpp"

namespace moebench {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ProcessResult;

std::string binary() {
  const char* path = std::getenv("MOEBENCH_BINARY");
  return path != nullptr ? path : MOEBENCH_BINARY;
}

// A port below Linux's ephemeral range (32768 up, where NCCL's own sockets land) that nothing
// listens on now.
int free_port() {
  std::random_device seed;
  for (;;) {
    const int port = 20000 + static_cast<int>(seed() % 12000);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (free) return port;
  }
}

// The seed's quick-start shape, small enough to check against its reference quickly.
std::vector<std::string> bench_args(const std::string& out, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--device",
                                "cuda",
                                "--num-experts",
                                "16",
                                "--num-experts-per-tok",
                                "4",
                                "--hidden-size",
                                "512",
                                "--intermediate-size",
                                "256",
                                "--num-tokens",
                                "64",
                                "1024",
                                "--scenarios",
                                "random",
                                "imbalanced",
                                "--benchmark-iters",
                                "5",
                                "--check",
                                "--output-format",
                                "csv",
                                "--output-file",
                                out};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// `env CUDA_VISIBLE_DEVICES=... binary args`: one node's command.
std::vector<std::string> node_command(const std::string& gpus, std::vector<std::string> args) {
  args.insert(args.begin(), {"CUDA_VISIBLE_DEVICES=" + gpus, "NCCL_NVLS_ENABLE=0", binary()});
  return args;
}

std::vector<std::string> node_flags(int rank, int port, const std::string& timeout = "60") {
  return {"--tp-size",        "4",
          "--ep-size",        "4",
          "--nnodes",         "2",
          "--node-rank",      std::to_string(rank),
          "--dist-init-addr", fmt::format("127.0.0.1:{}", port),
          "--dist-timeout",   timeout};
}

// CSV rows without the columns that differ from run to run (latencies, throughput, roofline).
std::vector<std::string> stable_columns(const std::string& csv_path) {
  std::vector<std::string> rows;
  for (const std::string& line : testing::read_lines(csv_path)) {
    std::vector<std::string> cells;
    std::size_t at = 0;
    for (std::size_t next; (next = line.find(',', at)) != std::string::npos; at = next + 1)
      cells.push_back(line.substr(at, next - at));
    cells.push_back(line.substr(at));
    // implementation..num_experts_per_tok (0-6), loads (14-17).
    rows.push_back(fmt::format("{},{},{},{},{},{},{},{},{},{},{}", cells[0], cells[1], cells[2], cells[3], cells[4],
                               cells[5], cells[6], cells[14], cells[15], cells[16], cells[17]));
  }
  return rows;
}

double column(const std::string& csv_path, std::size_t row, const std::string& name) {
  const std::vector<std::string> lines = testing::read_lines(csv_path);
  std::vector<std::string> header;
  std::size_t at = 0;
  for (std::size_t next; (next = lines[0].find(',', at)) != std::string::npos; at = next + 1)
    header.push_back(lines[0].substr(at, next - at));
  header.push_back(lines[0].substr(at));
  const auto index = static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  std::vector<std::string> cells;
  at = 0;
  const std::string& line = lines[row];
  for (std::size_t next; (next = line.find(',', at)) != std::string::npos; at = next + 1)
    cells.push_back(line.substr(at, next - at));
  cells.push_back(line.substr(at));
  return std::stod(cells.at(index));
}

class MultiNode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() < 4) GTEST_SKIP() << fmt::format("needs 4 GPUs, this machine has {}", cuda_device_count());
    dir_ = testing::make_temp_dir("moebench-multinode");
  }
  std::string dir_;
};

TEST_F(MultiNode, TwoNodesOfTwoGpusMatchOneNodeOfFour) {
  const ProcessResult one = testing::run_process(
      "/usr/bin/env", node_command("0,1,2,3", bench_args(dir_ + "/one", {"--tp-size", "4", "--ep-size", "4"})), 300s);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const int port = free_port();
  ChildProcess node1("/usr/bin/env", node_command("2,3", bench_args(dir_ + "/node1", node_flags(1, port))));
  const ProcessResult node0 =
      testing::run_process("/usr/bin/env", node_command("0,1", bench_args(dir_ + "/two", node_flags(0, port))), 300s);
  const ProcessResult second = node1.wait(60s);
  ASSERT_EQ(node0.exit_code, 0) << node0.err;
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(stable_columns(dir_ + "/one.csv"), stable_columns(dir_ + "/two.csv"));
  const std::size_t rows = testing::read_lines(dir_ + "/two.csv").size();
  ASSERT_EQ(rows, 1u + 2 * 2 * 2);  // header + (2 scenarios x 2 token counts) x 2 implementations
  for (std::size_t row = 1; row < rows; ++row) {
    EXPECT_LT(column(dir_ + "/two.csv", row, "check_rel_err"), 1e-2) << "row " << row;
    EXPECT_NEAR(column(dir_ + "/two.csv", row, "check_rel_err"), column(dir_ + "/one.csv", row, "check_rel_err"), 1e-3);
  }
  // Only node 0 writes files.
  EXPECT_FALSE(std::ifstream(dir_ + "/node1.csv").good());
}

TEST_F(MultiNode, ANodeThatNeverComesEndsTheRunWithinTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult node0 = testing::run_process(
      "/usr/bin/env", node_command("0,1", bench_args(dir_ + "/alone", node_flags(0, free_port(), "5"))), 60s);
  EXPECT_EQ(node0.exit_code, 1) << node0.err;
  EXPECT_NE(node0.err.find("node(s) 1 did not join within 5 s"), std::string::npos) << node0.err;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

TEST_F(MultiNode, ANodeWithOtherFlagsIsRefusedByName) {
  const int port = free_port();
  std::vector<std::string> other = bench_args(dir_ + "/node1", node_flags(1, port, "20"));
  other.insert(other.end(), {"--warmup-iters", "3"});
  ChildProcess node1("/usr/bin/env", node_command("2,3", other));
  const ProcessResult node0 = testing::run_process(
      "/usr/bin/env", node_command("0,1", bench_args(dir_ + "/two", node_flags(0, port, "20"))), 60s);
  const ProcessResult second = node1.wait(60s);
  EXPECT_EQ(node0.exit_code, 1) << node0.err;
  EXPECT_NE(node0.err.find("node 1"), std::string::npos) << node0.err;
  EXPECT_NE(node0.err.find("does not match node 0"), std::string::npos) << node0.err;
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("node 0 stopped the run"), std::string::npos) << second.err;
}

TEST_F(MultiNode, ANodeKilledMidRunEndsTheOtherWithinTheTimeout) {
  const int port = free_port();
  const std::vector<std::string> longer = {"--benchmark-iters", "200000"};
  std::vector<std::string> args1 = bench_args(dir_ + "/node1", node_flags(1, port, "10"));
  args1.insert(args1.end(), longer.begin(), longer.end());
  std::vector<std::string> args0 = bench_args(dir_ + "/two", node_flags(0, port, "10"));
  args0.insert(args0.end(), longer.begin(), longer.end());
  ChildProcess node1("/usr/bin/env", node_command("2,3", args1));
  ChildProcess node0("/usr/bin/env", node_command("0,1", args0));
  std::this_thread::sleep_for(20s);  // both started, NCCL up, timing
  ASSERT_TRUE(node0.running()) << node0.stderr_so_far();
  node1.send_signal(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  const ProcessResult result = node0.wait(60s);
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 25s);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("node 1"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace moebench
