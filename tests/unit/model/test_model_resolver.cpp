// --model-path resolution without a network: folder, .json file, the Hugging Face cache (every
// way its root is found, refs and pinned revisions, damaged entries), presets, and the order.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "model/hf_cache.hpp"
#include "model/hub_id.hpp"
#include "model/model_resolver.hpp"
#include "support/http_server.hpp"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using testing::HubTestEnv;

const char* kSmallConfig = R"({"model_type": "qwen3_moe", "num_experts": 16, "num_experts_per_tok": 2,
  "hidden_size": 64, "moe_intermediate_size": 32, "norm_topk_prob": true})";

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A cache entry laid out as huggingface_hub writes it: the file in blobs/, a symlink in snapshots/.
void cache_entry(const std::string& root, const std::string& repo_folder, const std::string& commit,
                 const std::string& config, const std::string& ref = "main") {
  const fs::path entry = fs::path(root) / repo_folder;
  write_file(entry / "blobs" / ("blob-" + commit), config);
  fs::create_directories(entry / "snapshots" / commit);
  fs::create_symlink(fs::path("..") / ".." / "blobs" / ("blob-" + commit),
                     entry / "snapshots" / commit / "config.json");
  if (!ref.empty()) write_file(entry / "refs" / ref, commit);
}

std::string error_of(const std::string& model_path) {
  try {
    resolve_model(model_path);
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "accepted " << model_path;
  return "";
}

class ModelResolver : public ::testing::Test {
 protected:
  HubTestEnv hub_;  // a private cache; HF_ENDPOINT at a closed port
};

TEST_F(ModelResolver, FolderWithConfigJson) {
  const fs::path folder = fs::path(hub_.dir()) / "my-moe";
  write_file(folder / "config.json", kSmallConfig);
  const ResolvedModel m = resolve_model(folder.string());
  EXPECT_EQ(m.shape.num_experts, 16);
  EXPECT_EQ(m.shape.model_name, "my-moe");
  EXPECT_EQ(m.source, "folder " + folder.string());
  EXPECT_EQ(resolve_model(folder.string() + "/").shape.model_name, "my-moe");
}

TEST_F(ModelResolver, FolderWithoutConfigJsonIsAnError) {
  fs::create_directories(fs::path(hub_.dir()) / "empty");
  EXPECT_NE(error_of(hub_.dir() + "/empty").find("holds no config.json"), std::string::npos);
}

TEST_F(ModelResolver, JsonFile) {
  const fs::path file = fs::path(hub_.dir()) / "grok.json";
  write_file(file, kSmallConfig);
  const ResolvedModel m = resolve_model(file.string());
  EXPECT_EQ(m.shape.model_name, "grok");
  EXPECT_EQ(m.source, "file " + file.string());
  EXPECT_NE(error_of(hub_.dir() + "/missing.json").find("does not exist"), std::string::npos);
}

TEST_F(ModelResolver, CacheViaRefsMain) {
  cache_entry(hub_.cache(), "models--acme--tiny-moe", "abc123", kSmallConfig);
  const ResolvedModel m = resolve_model("acme/tiny-moe");
  EXPECT_EQ(m.shape.num_experts, 16);
  EXPECT_EQ(m.shape.model_name, "acme/tiny-moe");
  EXPECT_EQ(m.source, "Hugging Face cache " + hub_.cache() + "/models--acme--tiny-moe/snapshots/abc123/config.json");
}

TEST_F(ModelResolver, CacheRootFromHfHomeThenHome) {
  hub_.env().unset("HF_HUB_CACHE");
  cache_entry(hub_.dir() + "/home/hub", "models--acme--tiny-moe", "c1", kSmallConfig);
  EXPECT_EQ(hf_cache_root(), hub_.dir() + "/home/hub");
  EXPECT_EQ(resolve_model("acme/tiny-moe").shape.num_experts, 16);
  hub_.env().unset("HF_HOME");
  hub_.env().set("HOME", hub_.dir() + "/user");
  EXPECT_EQ(hf_cache_root(), hub_.dir() + "/user/.cache/huggingface/hub");
  hub_.env().set("HF_HUB_CACHE", hub_.dir() + "/explicit");
  EXPECT_EQ(hf_cache_root(), hub_.dir() + "/explicit");
}

TEST_F(ModelResolver, PinnedRevisions) {
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  nlohmann::json other = nlohmann::json::parse(kSmallConfig);
  other["num_experts"] = 32;
  cache_entry(hub_.cache(), "models--acme--tiny-moe", "c-main", kSmallConfig);
  cache_entry(hub_.cache(), "models--acme--tiny-moe", commit, other.dump(), "");
  cache_entry(hub_.cache(), "models--acme--tiny-moe", "c-v2", other.dump(), "v2");
  EXPECT_EQ(resolve_model("acme/tiny-moe").shape.num_experts, 16);
  EXPECT_EQ(resolve_model("acme/tiny-moe@" + commit).shape.num_experts, 32);  // a commit needs no refs
  EXPECT_EQ(resolve_model("acme/tiny-moe@v2").shape.num_experts, 32);
  EXPECT_EQ(resolve_model("acme/tiny-moe@v2").shape.model_name, "acme/tiny-moe@v2");
}

TEST_F(ModelResolver, CacheWinsOverPreset) {
  nlohmann::json mine = nlohmann::json::parse(kSmallConfig);
  cache_entry(hub_.cache(), "models--Qwen--Qwen3-30B-A3B", "c1", mine.dump());
  EXPECT_EQ(resolve_model("Qwen/Qwen3-30B-A3B").shape.num_experts, 16);
}

TEST_F(ModelResolver, PresetWhenNotCached) {
  const ResolvedModel m = resolve_model("Qwen/Qwen3-Coder-30B-A3B-Instruct");
  EXPECT_EQ(m.shape.num_experts, 128);
  EXPECT_EQ(m.shape.top_k, 8);
  EXPECT_EQ(m.source, "built-in preset Qwen/Qwen3-Coder-30B-A3B-Instruct (models/presets)");
  EXPECT_EQ(resolve_model("qwen/qwen3-30b-a3b").shape.model_name, "Qwen/Qwen3-30B-A3B");
  EXPECT_EQ(resolve_model("Qwen/Qwen3-30B-A3B@main").shape.num_experts, 128);
}

TEST_F(ModelResolver, SnapshotWithoutConfigJsonFallsThrough) {
  // hf download of only the tokenizer leaves a snapshot without config.json: not an error.
  write_file(fs::path(hub_.cache()) / "models--xai-org--grok-2" / "refs" / "main", "c1");
  write_file(fs::path(hub_.cache()) / "models--xai-org--grok-2" / "snapshots" / "c1" / "tokenizer.json", "{}");
  EXPECT_EQ(resolve_model("xai-org/grok-2").source, "built-in preset xai-org/grok-2 (models/presets)");
}

TEST_F(ModelResolver, PartlyWrittenCacheEntriesAreErrors) {
  cache_entry(hub_.cache(), "models--acme--cut", "c1", R"({"num_experts": 16, "hidden_)");
  std::string message = error_of("acme/cut");
  EXPECT_NE(message.find("snapshots/c1/config.json:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
  EXPECT_NE(message.find("delete " + hub_.cache() + "/models--acme--cut"), std::string::npos) << message;

  cache_entry(hub_.cache(), "models--acme--empty", "c1", "");
  EXPECT_NE(error_of("acme/empty").find("empty file"), std::string::npos);

  cache_entry(hub_.cache(), "models--acme--noblob", "c1", kSmallConfig);
  fs::remove(fs::path(hub_.cache()) / "models--acme--noblob" / "blobs" / "blob-c1");
  EXPECT_NE(error_of("acme/noblob").find("dangling symlink"), std::string::npos);

  write_file(fs::path(hub_.cache()) / "models--acme--noref" / "refs" / "main", "");
  EXPECT_NE(error_of("acme/noref").find("does not name a commit"), std::string::npos);
}

TEST_F(ModelResolver, UnknownIdOfflineListsClosestPresets) {
  hub_.env().set("HF_HUB_OFFLINE", "1");
  const std::string message = error_of("Qwen/Qwen2.5-MoE-A2.7B");
  EXPECT_NE(message.find("HF_HUB_OFFLINE=1"), std::string::npos) << message;
  EXPECT_NE(message.find("closest presets: Qwen/Qwen1.5-MoE-A2.7B, "), std::string::npos) << message;
}

TEST_F(ModelResolver, NeitherPathNorHubId) {
  const std::string message = error_of(hub_.dir() + "/no/such/model");
  EXPECT_NE(message.find("no such folder or .json file, and not a Hub id"), std::string::npos) << message;
  EXPECT_EQ(message.find("closest presets"), std::string::npos) << message;  // a path, not a name
  EXPECT_NE(error_of("qwen3-coder").find("closest presets: Qwen/Qwen3-Coder-30B-A3B-Instruct"), std::string::npos);
  EXPECT_NE(error_of("").find("must not be empty"), std::string::npos);
}

TEST(HubId, Syntax) {
  const auto id = parse_hub_id("Qwen/Qwen3-30B-A3B@refs/pr/1");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->repo(), "Qwen/Qwen3-30B-A3B");
  EXPECT_EQ(id->revision, "refs/pr/1");
  EXPECT_EQ(id->cache_folder(), "models--Qwen--Qwen3-30B-A3B");
  EXPECT_EQ(parse_hub_id("org/name")->revision, "main");
  for (const char* bad : {"name", "/abs/path", "a/b/c", "org/", "/name", "org/na me", "org/../x", "org/name@",
                          "org/name@../../x", "org--x/name", "./local"}) {
    EXPECT_FALSE(parse_hub_id(bad)) << bad;
  }
  EXPECT_TRUE(is_commit_hash("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(is_commit_hash("main"));
}

}  // namespace
}  // namespace moebench
