// A local stand-in for the Hugging Face Hub in tests: an HTTP/1.1 server on 127.0.0.1 whose
// answers a test scripts (200, 404, 401, a cut-off body, a slow reply), and the environment that
// points moebench at it with a throw-away cache, so that no test touches ~/.cache or the network.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace moebench::testing {

struct HttpRequest {
  std::string method, path;
  std::map<std::string, std::string> headers;  // names in lower case
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::size_t> content_length;  // declared length; more than body.size() = cut off
  std::chrono::milliseconds delay{0};         // wait before answering (a slow server)
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::string url() const;                    // "http://127.0.0.1:<port>"
  std::vector<HttpRequest> requests() const;  // every request so far, in order

 private:
  void serve();
  void answer(int connection);

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::condition_variable stopped_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

// Sets environment variables for the lifetime of the object and restores them after.
class ScopedEnv {
 public:
  ScopedEnv() = default;
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  void set(const std::string& name, const std::string& value);
  void unset(const std::string& name);

 private:
  void remember(const std::string& name);
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// The Hub environment of one test: HF_HUB_CACHE and HF_HOME in a fresh temporary folder (removed
// at the end), no token, not offline, and HF_ENDPOINT at `endpoint` (default: a closed local port,
// so that a test that forgot its server fails fast instead of reaching the internet).
class HubTestEnv {
 public:
  explicit HubTestEnv(const std::string& endpoint = "http://127.0.0.1:9");
  ~HubTestEnv();

  std::string cache() const { return dir_ + "/hub"; }  // HF_HUB_CACHE
  std::string dir() const { return dir_; }
  ScopedEnv& env() { return env_; }

 private:
  std::string dir_;
  ScopedEnv env_;
};

}  // namespace moebench::testing
