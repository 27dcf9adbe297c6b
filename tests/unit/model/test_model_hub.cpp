// Hub downloads against a local HTTP server: a good download and the cache it leaves (then used
// offline), a pinned revision, 404, 401 without a token and with one, a cut-off body, a slow
// server past the client's timeout, and a body that is not JSON; failures leave no file behind.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/errors.hpp"
#include "model/model_resolver.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using testing::HttpRequest;
using testing::HttpResponse;
using testing::HttpServer;
using testing::HubTestEnv;

const std::string kCommit = "feedc0de00000000000000000000000000000001";
const std::string kConfig = R"({"model_type": "qwen3_moe", "num_experts": 32, "num_experts_per_tok": 4,
  "hidden_size": 128, "moe_intermediate_size": 64, "norm_topk_prob": true})";
const std::string kToken = "hf_secret_test_token_42";

// One scripted answer; headers default to none.
HttpResponse reply(int status, std::string body, std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The Hub's answers, by repository: /<org>/<name>/resolve/<revision>/config.json.
HttpResponse hub(const HttpRequest& request) {
  const std::string& path = request.path;
  auto is = [&](const std::string& repo) { return path.rfind("/" + repo + "/resolve/", 0) == 0; };
  const auto auth = request.headers.find("authorization");
  if (is("acme/moe")) return reply(200, kConfig, {{"X-Repo-Commit", kCommit}, {"ETag", "\"e1\""}});
  if (is("acme/pinned") && path.find("/resolve/v1.0/") != std::string::npos)
    return reply(200, kConfig, {{"X-Repo-Commit", kCommit}});
  if (is("acme/gated")) {
    if (auth == request.headers.end()) return reply(401, R"({"error":"Access to model acme/gated is restricted."})");
    if (auth->second != "Bearer " + kToken) return reply(401, R"({"error":"Invalid credentials"})");
    return reply(200, kConfig, {{"X-Repo-Commit", kCommit}});
  }
  if (is("acme/cut")) {
    HttpResponse r = reply(200, kConfig.substr(0, 20), {{"X-Repo-Commit", kCommit}});
    r.content_length = kConfig.size();
    return r;
  }
  if (is("acme/slow")) {
    HttpResponse r = reply(200, kConfig, {{"X-Repo-Commit", kCommit}});
    r.delay = std::chrono::milliseconds(4000);
    return r;
  }
  if (is("acme/html")) return reply(200, "<html>rate limited</html>", {{"X-Repo-Commit", kCommit}});
  if (is("acme/mirror")) return reply(200, kConfig);  // a mirror that names no commit
  return reply(404, R"({"error":"Repository not found"})");
}

std::string error_of(const std::string& model_path) {
  try {
    resolve_model(model_path);
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find(kToken), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "accepted " << model_path;
  return "";
}

// Every file under `dir`, relative to it.
std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> files;
  if (!fs::exists(dir)) return files;
  for (const auto& item : fs::recursive_directory_iterator(dir))
    if (!item.is_directory()) files.push_back(fs::relative(item.path(), dir).string());
  std::sort(files.begin(), files.end());
  return files;
}

class ModelHub : public ::testing::Test {
 protected:
  HttpServer server_{hub};
  HubTestEnv env_{server_.url()};
};

TEST_F(ModelHub, DownloadsIntoTheCacheLayoutThenWorksOffline) {
  const ResolvedModel m = resolve_model("acme/moe");
  EXPECT_EQ(m.shape.num_experts, 32);
  EXPECT_EQ(m.shape.model_name, "acme/moe");
  EXPECT_EQ(m.source.rfind("Hub download " + server_.url() + "/acme/moe/resolve/main/config.json (saved to ", 0), 0u)
      << m.source;
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].path, "/acme/moe/resolve/main/config.json");
  EXPECT_EQ(server_.requests()[0].headers.count("authorization"), 0u);
  EXPECT_EQ(files_under(env_.cache()),
            (std::vector<std::string>{"models--acme--moe/refs/main",
                                      "models--acme--moe/snapshots/" + kCommit + "/config.json"}));
  EXPECT_EQ(testing::read_file(env_.cache() + "/models--acme--moe/refs/main"), kCommit);
  EXPECT_EQ(testing::read_file(env_.cache() + "/models--acme--moe/snapshots/" + kCommit + "/config.json"), kConfig);

  env_.env().set("HF_HUB_OFFLINE", "1");
  const ResolvedModel again = resolve_model("acme/moe");
  EXPECT_EQ(again.shape.num_experts, 32);
  EXPECT_EQ(again.source.rfind("Hugging Face cache ", 0), 0u) << again.source;
  EXPECT_EQ(server_.requests().size(), 1u);  // nothing asked of the network
}

TEST_F(ModelHub, PinnedRevisionIsInTheUrlAndTheRefs) {
  EXPECT_EQ(resolve_model("acme/pinned@v1.0").shape.num_experts, 32);
  EXPECT_EQ(server_.requests().back().path, "/acme/pinned/resolve/v1.0/config.json");
  EXPECT_EQ(testing::read_file(env_.cache() + "/models--acme--pinned/refs/v1.0"), kCommit);
  EXPECT_EQ(resolve_model("acme/pinned@v1.0").source.rfind("Hugging Face cache ", 0), 0u);
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(ModelHub, MirrorWithoutCommitHeaderCachesUnderTheRevision) {
  EXPECT_EQ(resolve_model("acme/mirror").shape.num_experts, 32);
  EXPECT_EQ(testing::read_file(env_.cache() + "/models--acme--mirror/refs/main"), "main");
  env_.env().set("HF_HUB_OFFLINE", "1");
  EXPECT_EQ(resolve_model("acme/mirror").shape.num_experts, 32);
}

TEST_F(ModelHub, NotFoundNamesUrlStatusAndClosestPresets) {
  const std::string message = error_of("Qwen/Qwen2.5-MoE-A2.7B");
  EXPECT_NE(message.find("HTTP 404 from " + server_.url() + "/Qwen/Qwen2.5-MoE-A2.7B/resolve/main/config.json"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("closest presets: Qwen/Qwen1.5-MoE-A2.7B"), std::string::npos) << message;
  EXPECT_TRUE(files_under(env_.cache()).empty());
}

TEST_F(ModelHub, GatedModelNeedsAToken) {
  std::string message = error_of("acme/gated");
  EXPECT_NE(message.find("HTTP 401"), std::string::npos) << message;
  EXPECT_NE(message.find("gated"), std::string::npos) << message;
  EXPECT_NE(message.find("set HF_TOKEN"), std::string::npos) << message;

  env_.env().set("HF_TOKEN", "hf_wrong");
  message = error_of("acme/gated");
  EXPECT_NE(message.find("did not accept the token"), std::string::npos) << message;
  EXPECT_EQ(message.find("hf_wrong"), std::string::npos) << message;

  env_.env().set("HF_TOKEN", kToken);
  EXPECT_EQ(resolve_model("acme/gated").shape.num_experts, 32);
  EXPECT_EQ(server_.requests().back().headers.at("authorization"), "Bearer " + kToken);
  // The token is in no file of the cache.
  for (const std::string& file : files_under(env_.dir())) {
    EXPECT_EQ(testing::read_file(env_.dir() + "/" + file).find(kToken), std::string::npos) << file;
  }
}

TEST_F(ModelHub, TokenFromTheSavedLogin) {
  fs::create_directories(env_.dir() + "/home");
  std::ofstream(env_.dir() + "/home/token") << kToken << "\n";
  EXPECT_EQ(resolve_model("acme/gated").shape.num_experts, 32);
}

TEST_F(ModelHub, CutOffBodyLeavesNothingInTheCache) {
  const std::string message = error_of("acme/cut");
  EXPECT_NE(message.find("was cut off after 20 bytes"), std::string::npos) << message;
  EXPECT_TRUE(files_under(env_.cache()).empty()) << files_under(env_.cache())[0];
}

TEST_F(ModelHub, SlowServerHitsTheTimeout) {
  env_.env().set("MOEBENCH_HUB_TIMEOUT_S", "1");
  const auto start = std::chrono::steady_clock::now();
  const std::string message = error_of("acme/slow");
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(message.find("timed out after 1 s"), std::string::npos) << message;
  EXPECT_LT(seconds, 3.0);
  EXPECT_TRUE(files_under(env_.cache()).empty());
}

TEST_F(ModelHub, BodyThatIsNotJsonIsNotCached) {
  const std::string message = error_of("acme/html");
  EXPECT_NE(message.find("acme/html/resolve/main/config.json:1:1: invalid JSON"), std::string::npos) << message;
  EXPECT_TRUE(files_under(env_.cache()).empty());
}

TEST_F(ModelHub, OfflineMeansNoRequest) {
  env_.env().set("HF_HUB_OFFLINE", "true");
  EXPECT_NE(error_of("acme/moe").find("HF_HUB_OFFLINE=1 forbids a download"), std::string::npos);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(ModelHub, BadSettingsAreUsageErrors) {
  env_.env().set("MOEBENCH_HUB_TIMEOUT_S", "soon");
  EXPECT_NE(error_of("acme/moe").find("MOEBENCH_HUB_TIMEOUT_S must be a number"), std::string::npos);
  env_.env().set("MOEBENCH_HUB_TIMEOUT_S", "5");
  env_.env().set("HF_ENDPOINT", "ftp://example.org");
  EXPECT_NE(error_of("acme/moe").find("HF_ENDPOINT must be an http:// or https:// URL"), std::string::npos);
  env_.env().set("HF_ENDPOINT", server_.url() + "/");  // a trailing slash is fine
  EXPECT_EQ(resolve_model("acme/moe").shape.num_experts, 32);
}

TEST_F(ModelHub, UnreachableEndpoint) {
  env_.env().set("HF_ENDPOINT", "http://127.0.0.1:9");
  const std::string message = error_of("acme/moe");
  EXPECT_NE(message.find("cannot reach http://127.0.0.1:9"), std::string::npos) << message;
}

}  // namespace
}  // namespace moebench
