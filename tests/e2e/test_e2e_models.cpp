// The binary with --model-path end to end: --list-models, the issue's Qwen3-Coder command offline,
// each resolution path as --verbose reports it (the download against a local server), and every
// bad model input as one stderr line with exit code 2 and no output written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/http_server.hpp"
#include "support/process.hpp"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using testing::HttpRequest;
using testing::HttpResponse;
using testing::HttpServer;
using testing::HubTestEnv;
using testing::run_process;

const std::string kBinary = MOEBENCH_BINARY;

// Small enough to run in well under a second on the CPU.
const std::string kTinyConfig = R"({"model_type": "qwen3_moe", "num_experts": 8, "num_experts_per_tok": 2,
  "hidden_size": 64, "moe_intermediate_size": 32, "norm_topk_prob": true, "hidden_act": "silu"})";

HttpResponse hub(const HttpRequest& request) {
  HttpResponse r;
  if (request.path == "/acme/tiny/resolve/main/config.json") {
    r.body = kTinyConfig;
    r.headers = {{"X-Repo-Commit", "0000000000000000000000000000000000000abc"}};
  } else if (request.path.rfind("/acme/cut/", 0) == 0) {
    r.body = kTinyConfig.substr(0, 30);
    r.content_length = kTinyConfig.size();
  } else if (request.path.rfind("/acme/slow/", 0) == 0) {
    r.body = kTinyConfig;
    r.delay = std::chrono::milliseconds(4000);
  } else if (request.path.rfind("/acme/gated/", 0) == 0) {
    r.status = 401;
  } else {
    r.status = 404;
  }
  return r;
}

class E2EModels : public ::testing::Test {
 protected:
  std::vector<std::string> args(const std::string& model, std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{"--model-path",      model,
                               "--num-tokens",      "16",
                               "--scenarios",       "random",
                               "--benchmark-iters", "1",
                               "--warmup-iters",    "0",
                               "--device",          "cpu",
                               "--output-file",     out_dir_ + "/results"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string write(const std::string& relative, const std::string& text) const {
    const fs::path path = fs::path(env_.dir()) / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }
  bool nothing_written() const { return fs::is_empty(out_dir_); }

  HttpServer server_{hub};
  HubTestEnv env_{server_.url()};
  std::string out_dir_ = [this] {
    fs::create_directories(env_.dir() + "/out");
    return env_.dir() + "/out";
  }();
};

TEST_F(E2EModels, ListModelsNeedsNoOtherFlag) {
  const auto r = run_process(kBinary, {"--list-models"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char* name : {"Qwen/Qwen1.5-MoE-A2.7B", "Qwen/Qwen3-Coder-30B-A3B-Instruct", "deepseek-ai/DeepSeek-V3",
                           "openai/gpt-oss-120b", "xai-org/grok-2", "mistralai/Mixtral-8x22B-v0.1"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
  EXPECT_NE(r.out.find("sigmoid, grouped top-k (8 groups, best 4)"), std::string::npos) << r.out;
}

// The issue's "done" command, offline and from an empty cache: the preset answers.
TEST_F(E2EModels, Qwen3CoderPresetRunsOfflineOnTheCpu) {
  env_.env().set("HF_HUB_OFFLINE", "1");
  const auto r =
      run_process(kBinary, {"--model-path", "Qwen/Qwen3-Coder-30B-A3B-Instruct", "--num-tokens", "64", "--scenarios",
                            "random", "--benchmark-iters", "2", "--output-file", out_dir_ + "/results", "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# model: Qwen/Qwen3-Coder-30B-A3B-Instruct: 128 experts, top-8, hidden 2048, intermediate 768"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("from built-in preset Qwen/Qwen3-Coder-30B-A3B-Instruct"), std::string::npos) << r.err;
  const auto csv = testing::read_lines(out_dir_ + "/results.csv");
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(csv[1].rfind("fused,random,64,1,1,128,8,", 0), 0u) << csv[1];
}

TEST_F(E2EModels, FolderAndCacheGiveTheConfigsShape) {
  write("folder/config.json", kTinyConfig);
  auto r = run_process(kBinary, args(env_.dir() + "/folder", {"--verbose"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# model: folder: 8 experts, top-2, hidden 64, intermediate 32"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("from folder " + env_.dir() + "/folder"), std::string::npos) << r.err;

  write("hub/models--acme--cached/refs/main", "c1");
  write("hub/models--acme--cached/snapshots/c1/config.json", kTinyConfig);
  r = run_process(kBinary, args("acme/cached", {"--verbose"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# model: acme/cached: 8 experts, top-2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("from Hugging Face cache "), std::string::npos) << r.err;
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(E2EModels, DownloadThenOffline) {
  auto r = run_process(kBinary, args("acme/tiny", {"--verbose"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("# model: acme/tiny: 8 experts, top-2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("from Hub download " + server_.url() + "/acme/tiny/resolve/main/config.json"), std::string::npos)
      << r.err;
  EXPECT_TRUE(
      fs::exists(env_.cache() + "/models--acme--tiny/snapshots/0000000000000000000000000000000000000abc/config.json"));
  env_.env().set("HF_HUB_OFFLINE", "1");
  r = run_process(kBinary, args("acme/tiny", {"--verbose"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("from Hugging Face cache "), std::string::npos) << r.err;
  EXPECT_EQ(server_.requests().size(), 1u);
}

// Each bad model input: exit code 2, one line on stderr naming the problem, nothing written.
TEST_F(E2EModels, BadModelInputIsOneLineExitTwo) {
  env_.env().set("MOEBENCH_HUB_TIMEOUT_S", "1");
  write("hub/models--acme--partial/refs/main", "c1");
  write("hub/models--acme--partial/snapshots/c1/config.json", kTinyConfig.substr(0, 40));
  write("isdir/config.json/x", "");
  auto config_with = [&](const std::string& name, const std::string& key, const std::string& value) {
    std::string text = kTinyConfig;
    const auto at = text.find("\"" + key + "\": ");
    const auto end = text.find_first_of(",}", at);
    text.replace(at, end - at, "\"" + key + "\": " + value);
    return write(name + ".json", text);
  };
  const std::vector<std::pair<std::string, std::string>> cases{
      {env_.dir() + "/missing.json", "does not exist"},
      {env_.dir() + "/isdir", "is not a regular file"},
      {write("broken.json", "{\"num_experts\": 8,\n \"hidden_size\": }"), "broken.json:2:17: invalid JSON"},
      {config_with("string", "num_experts", "\"8\""), "num_experts must be an integer (got \"8\")"},
      {config_with("negative", "hidden_size", "-64"), "hidden_size must be positive (got -64)"},
      {config_with("zero", "num_experts_per_tok", "0"), "num_experts_per_tok must be positive (got 0)"},
      {write("huge.json", R"({"num_experts": 4096, "num_experts_per_tok": 8, "hidden_size": 65536,
                              "moe_intermediate_size": 65536})"),
       "GiB of host memory"},
      {config_with("wide", "moe_intermediate_size", "9999999"),
       "intermediate_size must be at most 262144 (got 9999999)"},
      {write("dense.json", R"({"hidden_size": 64, "intermediate_size": 128})"), "not a MoE config"},
      {config_with("routing", "hidden_act", "\"silu\", \"scoring_func\": \"sparsemixer\""),
       "scoring_func 'sparsemixer' is not implemented"},
      {"acme/partial", "looks partly written"},
      {"Qwen/Qwen2.5-MoE-A2.7B", "closest presets: Qwen/Qwen1.5-MoE-A2.7B"},
      {"acme/gated", "HTTP 401"},
      {"acme/cut", "was cut off"},
      {"acme/slow", "timed out after 1 s"},
  };
  for (const auto& [model, text] : cases) {
    const auto r = run_process(kBinary, args(model));
    EXPECT_EQ(r.exit_code, 2) << model << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("bench_fused_vs_epmoe: error: ", 0), 0u) << model << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << model << "\n" << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << model << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << model << "\n" << r.out;
    EXPECT_TRUE(nothing_written()) << model;
  }
  // No failed download left a file in the cache.
  for (const auto& item : fs::recursive_directory_iterator(env_.cache())) {
    const std::string path = item.path().string();
    EXPECT_TRUE(path.find("models--acme--partial") != std::string::npos || item.is_directory()) << path;
  }
}

}  // namespace
}  // namespace moebench
