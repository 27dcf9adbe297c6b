// How moebench talks to the Hugging Face Hub, from the environment variables huggingface_hub reads.
#pragma once

#include <string>

namespace moebench {

struct HubSettings {
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT, without a trailing '/'
  std::string token;                                // HF_TOKEN or the login token file; never printed
  bool offline = false;                             // HF_HUB_OFFLINE=1: no network at all
  double timeout_s = 30;                            // MOEBENCH_HUB_TIMEOUT_S: connect + transfer limit

  // Reads HF_ENDPOINT, HF_TOKEN (else $HF_TOKEN_PATH, $HF_HOME/token, ~/.cache/huggingface/token),
  // HF_HUB_OFFLINE and MOEBENCH_HUB_TIMEOUT_S; UsageError for malformed values.
  static HubSettings from_environment();
};

}  // namespace moebench
