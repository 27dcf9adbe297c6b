// Environment lookups shared by the cache and the Hub settings.
#include "model/hf_environment.hpp"

#include <cstdlib>

namespace moebench {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string trimmed(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  return std::string(text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1));
}

std::filesystem::path hf_home() {
  if (const std::string home = env_or_empty("HF_HOME"); !home.empty()) return home;
  if (const std::string xdg = env_or_empty("XDG_CACHE_HOME"); !xdg.empty())
    return std::filesystem::path(xdg) / "huggingface";
  return std::filesystem::path(env_or_empty("HOME")) / ".cache" / "huggingface";
}

}  // namespace moebench
