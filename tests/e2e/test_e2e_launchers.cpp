// Two processes of the binary on 127.0.0.1, started as a launcher starts them: with Slurm's,
// torchrun's or Open MPI's variables in place of --nnodes, --node-rank and --dist-init-addr. Both
// meet at the rendezvous (node 0 checks that the other runs the same plan), then the CPU backend
// refuses the multi-node run on both with the same line and exit code 2, writing nothing. And an
// environment that is half set stops the program at once with one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/free_port.hpp"
#include "support/process.hpp"

namespace moebench {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ProcessResult;
using Variables = std::map<std::string, std::string>;

const std::string kBinary = MOEBENCH_BINARY;

// Every variable the launchers' environment reads: unset in the children, whatever the test's own
// environment holds (a CI job under Slurm, say), before each test sets its own.
const std::vector<std::string> kLauncherVariables{"SLURM_NNODES",
                                                  "SLURM_STEP_NUM_NODES",
                                                  "SLURM_NODEID",
                                                  "SLURM_PROCID",
                                                  "SLURM_NTASKS",
                                                  "SLURM_STEP_NUM_TASKS",
                                                  "SLURM_JOB_NODELIST",
                                                  "SLURM_STEP_NODELIST",
                                                  "OMPI_COMM_WORLD_SIZE",
                                                  "OMPI_COMM_WORLD_RANK",
                                                  "OMPI_COMM_WORLD_LOCAL_SIZE",
                                                  "NNODES",
                                                  "NODE_RANK",
                                                  "GROUP_RANK",
                                                  "LOCAL_RANK",
                                                  "LOCAL_WORLD_SIZE",
                                                  "WORLD_SIZE",
                                                  "MASTER_ADDR",
                                                  "MASTER_PORT",
                                                  "MOEBENCH_DIST_ADDR",
                                                  "MOEBENCH_DIST_PORT"};

using moebench::testing::free_port;

// `env -u ... NAME=VALUE ... binary ARGS`: a tiny CPU run, verbose, with a short --dist-timeout
// so that a failure cannot hang the test.
std::vector<std::string> node_command(const Variables& variables, const std::string& output,
                                      const std::vector<std::string>& flags = {}) {
  std::vector<std::string> args;
  for (const std::string& name : kLauncherVariables) args.insert(args.end(), {"-u", name});
  for (const auto& variable : variables) args.push_back(variable.first + "=" + variable.second);
  args.insert(args.end(), {kBinary,
                           "--num-experts",
                           "8",
                           "--num-experts-per-tok",
                           "2",
                           "--hidden-size",
                           "64",
                           "--intermediate-size",
                           "96",
                           "--tp-size",
                           "2",
                           "--num-tokens",
                           "16",
                           "--device",
                           "cpu",
                           "--dist-timeout",
                           "20",
                           "--verbose",
                           "--output-file",
                           output});
  args.insert(args.end(), flags.begin(), flags.end());
  return args;
}

class Launchers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::make_temp_dir("moebench-launchers");
    port_ = std::to_string(free_port());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Starts node 1, runs node 0, and checks what both said: where the values came from (node 0's
  // `launch_line`, node 1's the same with its rank), the meeting, and the one refusal.
  void expect_both_meet_then_refuse(const Variables& node0_env, const Variables& node1_env,
                                    const std::string& launch_line, const std::vector<std::string>& node0_flags = {}) {
    ChildProcess node1("/usr/bin/env", node_command(node1_env, dir_ + "/node1"));
    const ProcessResult node0 =
        testing::run_process("/usr/bin/env", node_command(node0_env, dir_ + "/node0", node0_flags), 60s);
    const ProcessResult other = node1.wait(60s);
    const std::string refusal =
        "bench_fused_vs_epmoe: error: multi-node runs (2 nodes) need the CUDA backend; the CPU backend simulates a "
        "mesh of devices in one process (run one node: --nnodes 1)\n";
    for (const ProcessResult* r : {&node0, &other}) {
      EXPECT_EQ(r->exit_code, 2) << r->err;
      ASSERT_GE(r->err.size(), refusal.size()) << r->err;
      EXPECT_EQ(r->err.substr(r->err.size() - refusal.size()), refusal) << r->err;
      EXPECT_TRUE(r->out.empty()) << r->out;
    }
    EXPECT_NE(node0.err.find(launch_line), std::string::npos) << node0.err;
    EXPECT_NE(node0.err.find("node 0 of 2: all 2 nodes met at 127.0.0.1:" + port_), std::string::npos) << node0.err;
    EXPECT_NE(other.err.find("node 1 of 2: all 2 nodes met at 127.0.0.1:" + port_), std::string::npos) << other.err;
    EXPECT_TRUE(std::filesystem::is_empty(dir_));
  }

  std::string dir_, port_;
};

TEST_F(Launchers, SlurmVariablesMeetThenTheCpuBackendRefuses) {
  auto slurm = [this](const std::string& node_id) {
    return Variables{{"SLURM_NNODES", "2"},
                     {"SLURM_NODEID", node_id},
                     {"SLURM_PROCID", node_id},
                     {"SLURM_NTASKS", "2"},
                     {"SLURM_JOB_NODELIST", "127.0.0.[1-2]"},
                     {"MOEBENCH_DIST_PORT", port_}};
  };
  expect_both_meet_then_refuse(slurm("0"), slurm("1"),
                               "launch: nnodes 2 (SLURM_NNODES), node rank 0 (SLURM_NODEID), rendezvous 127.0.0.1:" +
                                   port_ + " (first host of SLURM_JOB_NODELIST, port from MOEBENCH_DIST_PORT)");
}

TEST_F(Launchers, TorchrunVariablesMeetThenTheCpuBackendRefuses) {
  auto torchrun = [this](const std::string& rank) {
    return Variables{{"NNODES", "2"}, {"NODE_RANK", rank}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", port_}};
  };
  expect_both_meet_then_refuse(torchrun("0"), torchrun("1"),
                               "launch: nnodes 2 (NNODES), node rank 0 (NODE_RANK), rendezvous 127.0.0.1:" + port_ +
                                   " (MASTER_ADDR:MASTER_PORT)");
}

TEST_F(Launchers, OpenMpiVariablesMeetThenTheCpuBackendRefuses) {
  auto open_mpi = [this](const std::string& rank) {
    return Variables{{"OMPI_COMM_WORLD_SIZE", "2"},
                     {"OMPI_COMM_WORLD_RANK", rank},
                     {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
                     {"MOEBENCH_DIST_ADDR", "127.0.0.1:" + port_}};
  };
  expect_both_meet_then_refuse(open_mpi("0"), open_mpi("1"),
                               "launch: nnodes 2 (OMPI_COMM_WORLD_SIZE), node rank 0 (OMPI_COMM_WORLD_RANK), "
                               "rendezvous 127.0.0.1:" +
                                   port_ + " (MOEBENCH_DIST_ADDR)");
}

// Node 0 with the flags, node 1 with Slurm's variables: the same plan, so they meet.
TEST_F(Launchers, FlagsOnOneNodeAndSlurmVariablesOnTheOtherMeet) {
  const Variables slurm{
      {"SLURM_NNODES", "2"}, {"SLURM_NODEID", "1"}, {"SLURM_JOB_NODELIST", "127.0.0.[1-2]"}, {"MASTER_PORT", port_}};
  expect_both_meet_then_refuse(
      {}, slurm,
      "launch: nnodes 2 (--nnodes flag), node rank 0 (--node-rank flag), rendezvous 127.0.0.1:" + port_ +
          " (--dist-init-addr flag)",
      {"--nnodes", "2", "--node-rank", "0", "--dist-init-addr", "127.0.0.1:" + port_});
}

TEST_F(Launchers, AHalfSetEnvironmentIsOneLineExitTwo) {
  const ProcessResult r = testing::run_process(
      "/usr/bin/env", node_command({{"SLURM_NNODES", "2"}, {"SLURM_JOB_NODELIST", "n[1-2]"}}, dir_ + "/out"), 60s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err,
            "bench_fused_vs_epmoe: error: Slurm variables are half set: SLURM_NNODES is set but not SLURM_NODEID (or "
            "SLURM_PROCID)\n");
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

}  // namespace
}  // namespace moebench
