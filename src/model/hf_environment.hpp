// What the Hugging Face tools read from the environment, read the same way here: variables, and
// the huggingface home folder that holds both the hub cache and the saved token.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace moebench {

// The variable's value, or empty when unset.
std::string env_or_empty(const char* name);

// Without leading and trailing whitespace.
std::string trimmed(std::string_view text);

// $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.
std::filesystem::path hf_home();

}  // namespace moebench
