#pragma once
// A small blocking HTTP/1.1 client for whole-process tests: one keep-alive connection per
// client (libcurl easy handle), status + headers + body back, and an error that says whether
// the request may have reached the server — what a crash test needs to tell "rejected" from
// "never sent" from "sent, but the answer was lost".
//
// Threads: one HttpClient per thread; several clients in parallel are fine.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/result.hpp"

namespace weft::test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // as received, in order (of the final response)
  std::string body;
  // How many times the request went out. More than 1 when curl found the kept connection
  // dead after writing the request on it and re-sent it on a fresh one (as it does for
  // every method): the server may then have received it twice.
  int attempts = 1;
  // Case-insensitive; the first match.
  std::optional<std::string> header(std::string_view name) const;
};

enum class HttpErrc {
  // Not one byte of the request was written: the server cannot have acted on it
  // (connection refused, or a kept connection found dead before use).
  not_sent,
  // The request was written, at least in part, but no complete response came back (the
  // server died, reset or closed the connection): it may or may not have been acted on.
  no_response,
  // Written, and no complete response within the timeout: may or may not have been acted on.
  timeout,
  // Anything else (bad URL, out of memory…).
  other,
};
const char* to_string(HttpErrc code);

struct HttpError {
  HttpErrc code = HttpErrc::other;
  std::string message;
  int attempts = 0;  // as in HttpResponse: how many times the request was written
  // True when the server may have received the whole request.
  bool maybe_delivered() const {
    return code == HttpErrc::no_response || code == HttpErrc::timeout;
  }
};

using HttpResult = Result<HttpResponse, HttpError>;

class HttpClient {
 public:
  struct Options {
    std::chrono::milliseconds timeout{10000};  // whole request
    std::chrono::milliseconds connect_timeout{2000};
    // For an https:// base_url: the CA (PEM) to trust instead of the system's, and a client
    // certificate and key (PEM) for mutual TLS. Empty: the system's CAs, no client cert.
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
  };

  // base_url: "http://127.0.0.1:PORT" or "https://…" (no trailing '/'); paths are appended to it.
  explicit HttpClient(std::string base_url);
  HttpClient(std::string base_url, Options options);
  ~HttpClient();
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request on the kept connection (opening one when there is none or it died).
  HttpResult request(std::string_view method, std::string_view path, const HeaderList& headers = {},
                     std::string_view body = {});
  HttpResult get(std::string_view path, const HeaderList& headers = {});
  // Content-Type defaults to application/json when `headers` has none.
  HttpResult post(std::string_view path, std::string_view body, const HeaderList& headers = {});

  // Closes the kept connection; the next request opens a new one.
  void disconnect();
  // TCP connections this client has opened so far (to check that keep-alive works).
  std::int64_t connections_opened() const;
  const std::string& base_url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Polls GET `path` until it answers `status` or `timeout` passes; true when it did. Each try
// uses a fresh connection, so a server that restarted is found. `tls` gives the TLS files of
// Options (its timeouts are the poll's own).
bool wait_for_status(const std::string& base_url, std::string_view path, int status,
                     std::chrono::milliseconds timeout, const HttpClient::Options& tls = {});

}  // namespace weft::test
