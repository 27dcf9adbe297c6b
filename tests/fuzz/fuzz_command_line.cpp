// libFuzzer target: a command line (one argument per line of the input) through the flag parser
// (src/cli/options.cpp) and the validation that builds the plan (src/cli/validate.cpp), then the
// memory estimate a plan is checked against. Bad input may only throw UsageError or RunError,
// which main() turns into one line and exit code 2 or 1.
//
// Hermetic: each input runs in a temporary directory, every argument is made relative to it (no
// leading '/' or '~', no '..'), the Hugging Face cache and token paths point into it, and the Hub
// is offline, so no input reads or writes outside it or reaches the network.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "cpu/cpu_memory.hpp"

namespace {

std::string g_sandbox;  // the temporary directory every input runs in
int g_start_dir = -1;   // where the fuzzer started: its corpus and artifact paths are relative to it

// Keeps an argument inside the sandbox: a path can only name something below it.
std::string confined(std::string arg) {
  for (std::size_t at; (at = arg.find("..")) != std::string::npos;) arg.replace(at, 2, "__");
  if (!arg.empty() && (arg[0] == '/' || arg[0] == '~')) arg.insert(0, "./");
  return arg;
}

std::vector<std::string> split_lines(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"bench_fused_vs_epmoe"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\n') {
      args.push_back(confined(current));
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  if (!current.empty()) args.push_back(confined(current));
  return args;
}

void parse_and_plan(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  const moebench::ParsedCommandLine parsed = moebench::parse_command_line(static_cast<int>(argv.size()), argv.data());
  if (parsed.exit_now) {
    // --help (exit 0) or a parse error (exit 2), always with something to print.
    if (parsed.exit_code != 0 && parsed.exit_code != moebench::kExitUsage) __builtin_trap();
    if (parsed.message.empty()) __builtin_trap();
    return;
  }
  try {
    const moebench::BenchmarkPlan plan = moebench::build_plan(parsed.options, moebench::environment_from({}));
    const moebench::MemoryEstimate memory = moebench::estimate_cpu_memory(plan);
    if (!(memory.total() > 0)) __builtin_trap();
    if (plan.cases().empty()) __builtin_trap();
  } catch (const moebench::UsageError&) {
  } catch (const moebench::RunError&) {
  }
}

void remove_sandbox() {
  std::error_code ec;
  std::filesystem::remove_all(g_sandbox, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char pattern[] = "/tmp/moebench-fuzz-cli-XXXXXX";
  if (mkdtemp(pattern) == nullptr) std::abort();
  g_sandbox = pattern;
  std::atexit(remove_sandbox);
  g_start_dir = open(".", O_RDONLY | O_DIRECTORY);
  const std::string home = g_sandbox + "/hf";
  setenv("HF_HOME", home.c_str(), 1);
  setenv("HF_HUB_CACHE", (home + "/hub").c_str(), 1);
  setenv("HF_TOKEN_PATH", (home + "/token").c_str(), 1);
  setenv("HF_HUB_OFFLINE", "1", 1);
  unsetenv("HF_TOKEN");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::string> args = split_lines(data, size);
  if (chdir(g_sandbox.c_str()) != 0) std::abort();
  parse_and_plan(args);
  if (fchdir(g_start_dir) != 0) std::abort();
  return 0;
}
