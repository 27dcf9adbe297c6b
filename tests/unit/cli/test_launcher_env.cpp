// The launchers' variables in place of --nnodes, --node-rank and --dist-init-addr: each launcher's
// variables give the plan the flags would, each value names its source, flags win, and every
// contradictory or half-set environment is refused with one line.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/launcher_env.hpp"
#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "unit/cli/parse_args.hpp"

namespace moebench {
namespace {

using Variables = std::map<std::string, std::string>;

LaunchSettings from_env(const Variables& variables, const LaunchFlags& flags = {}) {
  return resolve_launch(flags, environment_from(variables));
}

// The line resolve_launch refuses `variables` with.
std::string refusal(const Variables& variables, const LaunchFlags& flags = {}) {
  try {
    resolve_launch(flags, environment_from(variables));
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

// The quick-start layer on 8 devices, with `flags`, planned in `variables`.
BenchmarkPlan plan_in(const Variables& variables, std::vector<std::string> flags = {}) {
  std::vector<std::string> args{"--num-experts",
                                "8",
                                "--num-experts-per-tok",
                                "2",
                                "--hidden-size",
                                "64",
                                "--intermediate-size",
                                "96",
                                "--tp-size",
                                "8",
                                "--device",
                                "cpu"};
  args.insert(args.end(), flags.begin(), flags.end());
  const ParsedCommandLine parsed = testing::parse_args(std::move(args));
  EXPECT_FALSE(parsed.exit_now) << parsed.message;
  return build_plan(parsed.options, environment_from(variables));
}

std::string plan_refusal(const Variables& variables, std::vector<std::string> flags = {}) {
  try {
    plan_in(variables, std::move(flags));
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

// Each launcher's variables plan what the flags plan: node count, rank and address.
TEST(LauncherEnv, EachLaunchersVariablesPlanWhatTheFlagsPlan) {
  struct Case {
    Variables variables;
    std::vector<std::string> flags;
  };
  const std::vector<Case> cases{
      {{{"SLURM_NNODES", "4"}, {"SLURM_NODEID", "2"}, {"SLURM_JOB_NODELIST", "gpu[07-10]"}},
       {"--nnodes", "4", "--node-rank", "2", "--dist-init-addr", "gpu07:29500"}},
      {{{"SLURM_STEP_NUM_NODES", "2"},
        {"SLURM_PROCID", "1"},
        {"SLURM_STEP_NUM_TASKS", "2"},
        {"SLURM_STEP_NODELIST", "rack[3-4]-n1"},
        {"SLURM_NNODES", "4"},
        {"SLURM_JOB_NODELIST", "rack[1-4]-n1"},
        {"MASTER_PORT", "12345"}},
       {"--nnodes", "2", "--node-rank", "1", "--dist-init-addr", "rack3-n1:12345"}},
      {{{"OMPI_COMM_WORLD_SIZE", "8"},
        {"OMPI_COMM_WORLD_RANK", "7"},
        {"OMPI_COMM_WORLD_LOCAL_SIZE", "1"},
        {"MOEBENCH_DIST_ADDR", "10.0.0.1:12345"}},
       {"--nnodes", "8", "--node-rank", "7", "--dist-init-addr", "10.0.0.1:12345"}},
      {{{"NNODES", "2"}, {"NODE_RANK", "1"}, {"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "29400"}},
       {"--nnodes", "2", "--node-rank", "1", "--dist-init-addr", "10.0.0.1:29400"}},
      {{{"NNODES", "2:2"},
        {"GROUP_RANK", "1"},
        {"LOCAL_RANK", "0"},
        {"LOCAL_WORLD_SIZE", "1"},
        {"WORLD_SIZE", "2"},
        {"MASTER_ADDR", "fd00::1"},
        {"MASTER_PORT", "29400"},
        {"MOEBENCH_DIST_PORT", "29401"}},
       {"--nnodes", "2", "--node-rank", "1", "--dist-init-addr", "[fd00::1]:29401"}},
  };
  for (const Case& c : cases) {
    const BenchmarkPlan by_env = plan_in(c.variables), by_flags = plan_in({}, c.flags);
    EXPECT_EQ(by_env.problem.layout.nnodes, by_flags.problem.layout.nnodes) << c.flags[5];
    EXPECT_EQ(by_env.problem.layout.node_rank, by_flags.problem.layout.node_rank) << c.flags[5];
    EXPECT_EQ(by_env.dist_init_addr, by_flags.dist_init_addr) << c.flags[5];
    EXPECT_GT(by_env.problem.layout.nnodes, 1);
  }
}

TEST(LauncherEnv, NothingSetMeansOneNode) {
  const LaunchSettings s = from_env({{"MASTER_ADDR", "10.0.0.1"}, {"MASTER_PORT", "1"}, {"SLURM_NNODES", ""}});
  EXPECT_EQ(s.nnodes.value, 1);
  EXPECT_EQ(s.node_rank.value, 0);
  EXPECT_EQ(s.dist_init_addr.value, "");
  EXPECT_EQ(s.launcher, "");
  EXPECT_EQ(
      s.describe(),
      (std::vector<std::string>{"launch: nnodes 1 (default), node rank 0 (default), rendezvous none (one node)"}));
}

TEST(LauncherEnv, EachValueSaysWhereItCameFrom) {
  const LaunchSettings slurm =
      from_env({{"SLURM_NNODES", "4"}, {"SLURM_NODEID", "2"}, {"SLURM_JOB_NODELIST", "gpu[07-10]"}});
  EXPECT_EQ(slurm.describe(),
            (std::vector<std::string>{"launch: nnodes 4 (SLURM_NNODES), node rank 2 (SLURM_NODEID), rendezvous "
                                      "gpu07:29500 (first host of SLURM_JOB_NODELIST, default port 29500)"}));
  EXPECT_EQ(slurm.launcher, "Slurm");
  const LaunchSettings flags = from_env({}, {2, 1, "h:1"});
  EXPECT_EQ(flags.describe(), (std::vector<std::string>{"launch: nnodes 2 (--nnodes flag), node rank 1 (--node-rank "
                                                        "flag), rendezvous h:1 (--dist-init-addr flag)"}));
}

TEST(LauncherEnv, FlagsWinAndTheVariablesLeftUnreadAreSaid) {
  const Variables slurm{{"SLURM_NNODES", "4"}, {"SLURM_NODEID", "2"}, {"SLURM_JOB_NODELIST", "gpu[07-10]"}};
  const LaunchSettings all = from_env(slurm, {2, 1, "h:1"});
  EXPECT_EQ(all.nnodes.value, 2);
  EXPECT_EQ(all.node_rank.value, 1);
  EXPECT_EQ(all.dist_init_addr.value, "h:1");
  EXPECT_EQ(all.describe().at(1), "launch: Slurm variables set too, not read: nothing was left for them to give");
  // Some flags: the launcher gives the rest.
  const LaunchSettings some = from_env(slurm, {std::nullopt, std::nullopt, "h:1"});
  EXPECT_EQ(some.nnodes.source, "SLURM_NNODES");
  EXPECT_EQ(some.node_rank.source, "SLURM_NODEID");
  EXPECT_EQ(some.dist_init_addr.source, "--dist-init-addr flag");
  const LaunchSettings rank_only = from_env(slurm, {2, std::nullopt, std::nullopt});
  EXPECT_EQ(rank_only.node_rank.value, 2);
  EXPECT_EQ(rank_only.dist_init_addr.value, "gpu07:29500");
  // The flag's node count against the launcher's rank is checked as the flags are.
  EXPECT_EQ(plan_refusal(slurm, {"--nnodes", "2"}), "SLURM_NODEID must be in [0, 2) for --nnodes 2 (got 2)");
}

TEST(LauncherEnv, OneNodeByFlagReadsNoLauncher) {
  // An allocation of several tasks, half set: --nnodes 1 needs nothing from it.
  const LaunchSettings s = from_env({{"SLURM_NNODES", "2"}, {"SLURM_NTASKS", "16"}}, {1, std::nullopt, std::nullopt});
  EXPECT_EQ(s.node_rank.value, 0);
  EXPECT_EQ(s.dist_init_addr.value, "");
  EXPECT_EQ(s.launcher, "");
  // One node from Slurm, several tasks on it: each task is a one-node run, as without Slurm.
  EXPECT_EQ(from_env({{"SLURM_NNODES", "1"}, {"SLURM_NODEID", "0"}, {"SLURM_NTASKS", "8"}}).nnodes.value, 1);
}

TEST(LauncherEnv, TheInnermostLaunchersVariablesAreRead) {
  // mpirun inside a Slurm job; torchrun under srun, its group rank not Slurm's node id.
  const LaunchSettings mpi = from_env({{"OMPI_COMM_WORLD_SIZE", "2"},
                                       {"OMPI_COMM_WORLD_RANK", "1"},
                                       {"MOEBENCH_DIST_ADDR", "n1:5000"},
                                       {"SLURM_NNODES", "8"},
                                       {"SLURM_NODEID", "0"}});
  EXPECT_EQ(mpi.nnodes.value, 2);
  EXPECT_EQ(mpi.launcher, "Open MPI");
  EXPECT_EQ(mpi.describe().at(1),
            "launch: Slurm variables set too, not read: Open MPI's come first (the innermost "
            "launcher)");
  const LaunchSettings torchrun = from_env({{"NNODES", "2"},
                                            {"GROUP_RANK", "0"},
                                            {"MASTER_ADDR", "n2"},
                                            {"MASTER_PORT", "5000"},
                                            {"SLURM_NNODES", "2"},
                                            {"SLURM_NODEID", "1"},
                                            {"SLURM_JOB_NODELIST", "n[1-2]"}});
  EXPECT_EQ(torchrun.node_rank.value, 0);
  EXPECT_EQ(torchrun.dist_init_addr.value, "n2:5000");
  EXPECT_EQ(torchrun.ignored, (std::vector<std::string>{"Slurm"}));
}

TEST(LauncherEnv, MoebenchDistAddrAndPortChooseTheAddress) {
  const Variables slurm{{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "0"}, {"SLURM_JOB_NODELIST", "a,b"}};
  Variables with_addr = slurm;
  with_addr["MOEBENCH_DIST_ADDR"] = "10.1.1.1:7000";
  EXPECT_EQ(from_env(with_addr).dist_init_addr.value, "10.1.1.1:7000");
  Variables with_ports = slurm;
  with_ports["MASTER_PORT"] = "6000";
  EXPECT_EQ(from_env(with_ports).dist_init_addr.value, "a:6000");
  with_ports["MOEBENCH_DIST_PORT"] = "7000";
  EXPECT_EQ(from_env(with_ports).dist_init_addr.source,
            "first host of SLURM_JOB_NODELIST, port from MOEBENCH_DIST_PORT");
  EXPECT_EQ(from_env(with_ports).dist_init_addr.value, "a:7000");
  Variables bad_addr = slurm;
  bad_addr["MOEBENCH_DIST_ADDR"] = "10.1.1.1";
  EXPECT_EQ(plan_refusal(bad_addr), "MOEBENCH_DIST_ADDR must be host:port with a port in 1..65535 (got '10.1.1.1')");
}

TEST(LauncherEnv, HalfSetEnvironmentsAreOneLine) {
  EXPECT_EQ(refusal({{"SLURM_NNODES", "2"}}),
            "Slurm variables are half set: SLURM_NNODES is set but not SLURM_NODEID (or SLURM_PROCID)");
  EXPECT_EQ(refusal({{"SLURM_NODEID", "1"}}), "Slurm variables are half set: SLURM_NODEID is set but not SLURM_NNODES");
  EXPECT_EQ(refusal({{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "1"}}),
            "Slurm gives no node list (SLURM_JOB_NODELIST) to find node 0 in: pass --dist-init-addr host:port or set "
            "MOEBENCH_DIST_ADDR");
  EXPECT_EQ(refusal({{"OMPI_COMM_WORLD_RANK", "1"}}),
            "Open MPI variables are half set: OMPI_COMM_WORLD_RANK is set but not OMPI_COMM_WORLD_SIZE");
  EXPECT_EQ(refusal({{"OMPI_COMM_WORLD_SIZE", "2"}}),
            "Open MPI variables are half set: OMPI_COMM_WORLD_SIZE is set but not OMPI_COMM_WORLD_RANK");
  EXPECT_EQ(refusal({{"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_RANK", "1"}}),
            "mpirun gives no address for node 0: pass --dist-init-addr host:port, or set MOEBENCH_DIST_ADDR=host:port "
            "for every process (mpirun -x MOEBENCH_DIST_ADDR)");
  EXPECT_EQ(refusal({{"GROUP_RANK", "1"}}), "torchrun variables are half set: GROUP_RANK is set but not NNODES");
  EXPECT_EQ(refusal({{"NNODES", "2"}}),
            "torchrun variables are half set: NNODES is set but not NODE_RANK (or GROUP_RANK)");
  EXPECT_EQ(refusal({{"NNODES", "2"}, {"NODE_RANK", "1"}, {"MASTER_ADDR", "h"}}),
            "torchrun variables are half set: MASTER_ADDR is set but not MASTER_PORT");
  EXPECT_EQ(refusal({{"NNODES", "2"}, {"NODE_RANK", "1"}, {"MASTER_PORT", "1"}}),
            "torchrun variables are half set: MASTER_PORT is set but not MASTER_ADDR");
  EXPECT_EQ(refusal({{"NNODES", "2"}, {"NODE_RANK", "1"}}),
            "torchrun-style variables without MASTER_ADDR and MASTER_PORT: set them, pass --dist-init-addr host:port, "
            "or set MOEBENCH_DIST_ADDR");
}

TEST(LauncherEnv, ContradictoryEnvironmentsAreOneLine) {
  EXPECT_EQ(plan_refusal({{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "5"}, {"SLURM_JOB_NODELIST", "n[1-2]"}}),
            "SLURM_NODEID must be in [0, 2) for SLURM_NNODES 2 (got 5)");
  EXPECT_EQ(refusal({{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "1"}, {"SLURM_JOB_NODELIST", "n[1-3]"}}),
            "SLURM_JOB_NODELIST names 3 host(s) but SLURM_NNODES is 2");
  EXPECT_EQ(refusal({{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "1"}, {"SLURM_JOB_NODELIST", "n[1-"}}),
            "SLURM_JOB_NODELIST 'n[1-' is not a Slurm host list: a '[' without its ']'");
  EXPECT_EQ(refusal({{"SLURM_NNODES", "two"}, {"SLURM_NODEID", "1"}}),
            "SLURM_NNODES must be a whole number in [1, 65536] (got 'two')");
  EXPECT_EQ(refusal({{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "-1"}}),
            "SLURM_NODEID must be a whole number in [0, 65536] (got '-1')");
  EXPECT_EQ(
      refusal(
          {{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "1"}, {"SLURM_JOB_NODELIST", "n[1-2]"}, {"MASTER_PORT", "70000"}}),
      "MASTER_PORT must be a port in 1..65535 (got '70000')");
  EXPECT_EQ(refusal({{"NNODES", "1:4"}, {"NODE_RANK", "0"}}),
            "NNODES 1:4 is an elastic range: moebench needs a fixed node count (NNODES=N)");
  EXPECT_EQ(refusal({{"NNODES", "2"}, {"NODE_RANK", "1"}, {"GROUP_RANK", "0"}}),
            "NODE_RANK 1 and GROUP_RANK 0 disagree: pass --node-rank, or set one");
}

TEST(LauncherEnv, SeveralProcessesPerNodeAreRefused) {
  const Variables slurm{{"SLURM_NNODES", "2"}, {"SLURM_NODEID", "1"}, {"SLURM_JOB_NODELIST", "n[1-2]"}};
  Variables tasks = slurm;
  tasks["SLURM_NTASKS"] = "16";
  EXPECT_EQ(refusal(tasks),
            "Slurm started 16 tasks on 2 nodes (SLURM_NTASKS, SLURM_NNODES): moebench runs one process per node (srun "
            "--ntasks-per-node=1)");
  Variables proc_id = slurm;
  proc_id["SLURM_PROCID"] = "9";
  EXPECT_EQ(refusal(proc_id),
            "SLURM_PROCID 9 is not SLURM_NODEID 1: Slurm started several tasks on a node; moebench runs one process "
            "per node (srun --ntasks-per-node=1)");
  EXPECT_EQ(refusal({{"OMPI_COMM_WORLD_SIZE", "16"},
                     {"OMPI_COMM_WORLD_RANK", "3"},
                     {"OMPI_COMM_WORLD_LOCAL_SIZE", "8"},
                     {"MOEBENCH_DIST_ADDR", "h:1"}}),
            "mpirun started 8 processes on this node (OMPI_COMM_WORLD_LOCAL_SIZE): moebench runs one process per node "
            "(mpirun --map-by ppr:1:node)");
  const Variables torchrun{{"NNODES", "2"}, {"NODE_RANK", "1"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}};
  for (const auto& [name, value, line] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"LOCAL_WORLD_SIZE", "8", "torchrun started 8 processes on this node (LOCAL_WORLD_SIZE): "},
           {"LOCAL_RANK", "3", "LOCAL_RANK is 3: torchrun started several processes on this node; "},
           {"WORLD_SIZE", "16", "WORLD_SIZE 16 is not NNODES 2: several processes per node; "}}) {
    Variables several = torchrun;
    several[name] = value;
    EXPECT_EQ(refusal(several), line + "moebench runs one process per node (torchrun --nproc-per-node 1)");
  }
}

}  // namespace
}  // namespace moebench
