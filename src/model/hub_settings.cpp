// Environment variables of the Hub client. Names and meanings follow huggingface_hub's, so a
// machine set up for `hf download` works unchanged.
#include "model/hub_settings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"
#include "model/hf_environment.hpp"

namespace moebench {

namespace {

namespace fs = std::filesystem;

// huggingface_hub's truthy values for boolean variables.
bool truthy(std::string value) {
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value == "1" || value == "true" || value == "yes" || value == "on";
}

// The token `hf auth login` saved, when HF_TOKEN is not set.
std::string token_from_file() {
  fs::path path = env_or_empty("HF_TOKEN_PATH");
  if (path.empty()) {
    path = hf_home() / "token";
  }
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  return trimmed(text.str());
}

double timeout_from_env() {
  const std::string text = env_or_empty("MOEBENCH_HUB_TIMEOUT_S");
  if (text.empty()) return HubSettings{}.timeout_s;
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw UsageError(fmt::format("MOEBENCH_HUB_TIMEOUT_S must be a number of seconds in (0, 3600] (got '{}')", text));
  }
  return seconds;
}

}  // namespace

HubSettings HubSettings::from_environment() {
  HubSettings s;
  if (std::string endpoint = trimmed(env_or_empty("HF_ENDPOINT")); !endpoint.empty()) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    if (endpoint.rfind("https://", 0) != 0 && endpoint.rfind("http://", 0) != 0) {
      throw UsageError(fmt::format("HF_ENDPOINT must be an http:// or https:// URL (got '{}')", endpoint));
    }
    s.endpoint = endpoint;
  }
  s.token = trimmed(env_or_empty("HF_TOKEN"));
  if (s.token.empty()) s.token = token_from_file();
  // It goes into an HTTP header: a line break would end the header early. (Never show the token.)
  if (std::any_of(s.token.begin(), s.token.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    throw UsageError("HF_TOKEN (or the saved login token) contains control characters");
  }
  s.offline = truthy(env_or_empty("HF_HUB_OFFLINE"));
  s.timeout_s = timeout_from_env();
  return s;
}

}  // namespace moebench
