// docs/cli.md against the flags: the block between its markers must be what cli_reference_markdown()
// generates now. With MOEBENCH_UPDATE_CLI_DOCS=1 in the environment, the test rewrites the block
// instead of failing (docs/cli.md says so).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>

#include "cli/options.hpp"

namespace moebench {
namespace {

const std::string kDocsPath = std::string(MOEBENCH_SOURCE_DIR) + "/docs/cli.md";
constexpr std::string_view kBegin = "<!-- BEGIN cli_reference_markdown(): generated, do not edit by hand -->\n";
constexpr std::string_view kEnd = "<!-- END cli_reference_markdown() -->\n";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CliReference, DocsMatchTheFlags) {
  const std::string docs = read_file(kDocsPath);
  const std::size_t begin = docs.find(kBegin);
  const std::size_t end = docs.find(kEnd);
  ASSERT_TRUE(begin != std::string::npos && end != std::string::npos && begin < end)
      << kDocsPath << " lacks the marker lines:\n"
      << kBegin << kEnd;
  const std::size_t block_start = begin + kBegin.size();
  const std::string expected = cli_reference_markdown();
  if (docs.compare(block_start, end - block_start, expected) == 0) return;
  if (std::getenv("MOEBENCH_UPDATE_CLI_DOCS") != nullptr) {
    std::ofstream(kDocsPath) << docs.substr(0, block_start) << expected << docs.substr(end);
    return;
  }
  ADD_FAILURE() << kDocsPath << " differs from the flags. Regenerate it with\n"
                << "  MOEBENCH_UPDATE_CLI_DOCS=1 ctest --test-dir BUILD_DIR -R CliReference.DocsMatchTheFlags\n"
                << "The block between its markers should read:\n"
                << expected;
}

TEST(CliReference, NamesEveryFlagOfHelp) {
  const std::string help = help_text();
  const std::string reference = cli_reference_markdown();
  const std::regex flag("--[a-z0-9-]+");
  for (auto match = std::sregex_iterator(help.begin(), help.end(), flag); match != std::sregex_iterator(); ++match) {
    EXPECT_NE(reference.find(match->str()), std::string::npos) << match->str();
  }
  for (const char* command : {"bench_fused_vs_epmoe report", "bench_fused_vs_epmoe compare"}) {
    EXPECT_NE(reference.find(command), std::string::npos) << command;
  }
}

TEST(CliReference, ShowsDefaultsAndAllowedValues) {
  const std::string reference = cli_reference_markdown();
  const std::string scenarios =
      "| `--scenarios` | TEXT ... | `[random,balanced,imbalanced]` | random, balanced, imbalanced |";
  EXPECT_NE(reference.find(scenarios), std::string::npos) << reference;
  EXPECT_NE(reference.find("| `--ep-size` | INT | `1` | 1 to 65536 |"), std::string::npos) << reference;
  EXPECT_NE(reference.find("csv, markdown, json, html, both; md = markdown"), std::string::npos) << reference;
}

}  // namespace
}  // namespace moebench
