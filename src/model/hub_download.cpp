// libcurl transfer of one small file, with the Hub's error cases turned into one-line messages.
#include "model/hub_download.hpp"

#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <memory>
#include <mutex>

#if defined(MOEBENCH_HAVE_CURL)
#include <curl/curl.h>
#endif

#include "core/errors.hpp"
#include "platform/version.hpp"

namespace moebench {

namespace {
std::string percent_encoded(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

std::string config_url(const HubId& id, const HubSettings& settings) {
  return fmt::format("{}/{}/{}/resolve/{}/config.json", settings.endpoint, id.org, id.name,
                     percent_encoded(id.revision));
}

#if !defined(MOEBENCH_HAVE_CURL)

HubFile download_config(const HubId& id, const HubSettings& settings) {
  throw UsageError(
      fmt::format("cannot download {}: this build has no Hub download (configured with "
                  "MOEBENCH_WITH_CURL=OFF); pass a folder or a .json file, or fill the Hugging Face cache",
                  config_url(id, settings)));
}

#else

namespace {

// config.json files are a few KiB; anything past this is not one.
constexpr std::size_t kMaxBody = 16u << 20;

struct Transfer {
  std::string body;
  std::string commit;
  bool too_large = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->body.size() + size * count > kMaxBody) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->body.append(data, size * count);
  return size * count;
}

// The Hub names the commit it served in X-Repo-Commit (on the redirect or on the file itself).
std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * count);
  const std::string name = "x-repo-commit:";
  if (line.size() > name.size()) {
    bool match = true;
    for (std::size_t i = 0; i < name.size() && match; ++i)
      match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
    if (match) {
      std::string value = line.substr(name.size());
      const auto begin = value.find_first_not_of(" \t");
      const auto end = value.find_last_not_of(" \t\r\n");
      t->commit = begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
    }
  }
  return size * count;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string http_error(long status, const std::string& url, const HubSettings& settings) {
  switch (status) {
    case 401:
      return settings.token.empty()
                 ? fmt::format(
                       "HTTP 401 from {}: the model may be gated or private; set HF_TOKEN to a token with "
                       "access",
                       url)
                 : fmt::format("HTTP 401 from {}: the Hub did not accept the token (HF_TOKEN or the saved login)", url);
    case 403:
      return fmt::format(
          "HTTP 403 from {}: no access with this token; a gated model needs its terms accepted on the Hub", url);
    case 404: return fmt::format("HTTP 404 from {}: no such model, revision or file on the Hub", url);
    default: return fmt::format("HTTP {} from {}", status, url);
  }
}

std::string transfer_error(CURLcode code, const char* detail, const Transfer& t, const std::string& url,
                           const HubSettings& settings) {
  const std::string why = detail[0] ? detail : curl_easy_strerror(code);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return fmt::format("download of {} timed out after {} s ({}; MOEBENCH_HUB_TIMEOUT_S sets the limit)", url,
                         settings.timeout_s, why);
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return fmt::format("download of {} was cut off after {} bytes ({})", url, t.body.size(), why);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return fmt::format("cannot reach {} ({}; when offline, HF_HUB_OFFLINE=1 skips the download)", settings.endpoint,
                         why);
    case CURLE_WRITE_ERROR:
      if (t.too_large)
        return fmt::format("download of {} is larger than {} MiB: not a config.json", url, kMaxBody >> 20);
      [[fallthrough]];
    default: return fmt::format("download of {} failed ({})", url, why);
  }
}

}  // namespace

HubFile download_config(const HubId& id, const HubSettings& settings) {
  global_init();
  HubFile file;
  file.url = config_url(id, settings);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw UsageError("cannot start a download: curl_easy_init failed");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  if (!settings.token.empty()) {
    // curl keeps this header off redirects to other hosts (the Hub redirects large files to a CDN).
    const std::string auth = "Authorization: Bearer " + settings.token;
    headers.reset(curl_slist_append(nullptr, auth.c_str()));
  }
  Transfer t;
  char detail[CURL_ERROR_SIZE] = {0};
  const std::string agent = "moebench/" + moebench_version();
  const long timeout_ms = std::lround(settings.timeout_s * 1000);
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, file.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  // Only HTTP(S), also after redirects: a config URL has no business reaching file:// or others.
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe beside other threads
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
  const CURLcode code = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  // An error status first: a 404 page cut short is still a 404.
  if (status >= 400) throw UsageError(http_error(status, file.url, settings));
  if (code != CURLE_OK) throw UsageError(transfer_error(code, detail, t, file.url, settings));
  if (status != 200) throw UsageError(fmt::format("HTTP {} from {}: expected 200 with the file", status, file.url));
  file.body = std::move(t.body);
  file.commit = std::move(t.commit);
  return file;
}

#endif  // MOEBENCH_HAVE_CURL

}  // namespace moebench
