#include "support/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/text.hpp"
#include "weft/http.hpp"

namespace weft::test {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

const char* to_string(HttpErrc code) {
  switch (code) {
    case HttpErrc::not_sent:
      return "not_sent";
    case HttpErrc::no_response:
      return "no_response";
    case HttpErrc::timeout:
      return "timeout";
    case HttpErrc::other:
      return "other";
  }
  return "unknown";
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (http::iequals(k, name)) return v;
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  std::string base_url;
  Options options;
  std::unique_ptr<CURL, CurlDeleter> curl;
  std::int64_t connections = 0;

  // Per request.
  HttpResponse response;
  std::size_t bytes_written = 0;  // request bytes the socket accepted
  std::string method;
  int attempts = 0;  // request heads written
  char error_buffer[CURL_ERROR_SIZE] = {};

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
    static_cast<Impl*>(self)->response.body.append(data, size * count);
    return size * count;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) {
    auto& r = static_cast<Impl*>(self)->response;
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
      // A new response (after a 1xx, or curl retrying on a fresh connection): start over.
      r.headers.clear();
      r.body.clear();
    } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      r.headers.emplace_back(std::string(trim_whitespace(line.substr(0, colon))),
                             std::string(trim_whitespace(line.substr(colon + 1))));
    }
    return size * count;
  }

  // Counts what actually went out on the socket: curl reports request bytes here only after
  // they were written, which is what tells "not sent" from "sent, answer lost", even when curl
  // retries a dead kept connection on a fresh one inside one request.
  static int on_debug(CURL*, curl_infotype type, char* data, std::size_t size, void* self) {
    auto& s = *static_cast<Impl*>(self);
    if (type == CURLINFO_HEADER_OUT || type == CURLINFO_DATA_OUT) s.bytes_written += size;
    if (type == CURLINFO_HEADER_OUT) {
      const std::string_view head(data, size);
      if (head.size() > s.method.size() && head.starts_with(s.method) &&
          head[s.method.size()] == ' ') {
        ++s.attempts;
      }
    }
    return 0;
  }
};

HttpClient::HttpClient(std::string base_url) : HttpClient(std::move(base_url), Options{}) {}

HttpClient::HttpClient(std::string base_url, Options options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->base_url = std::move(base_url);
  impl_->options = options;
  impl_->curl.reset(curl_easy_init());
  if (!impl_->curl) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

HttpResult HttpClient::request(std::string_view method, std::string_view path,
                               const HeaderList& headers, std::string_view body) {
  Impl& s = *impl_;
  CURL* c = s.curl.get();
  // Reset forgets the previous request's options but keeps the connection cache.
  curl_easy_reset(c);
  s.response = HttpResponse{};
  s.bytes_written = 0;
  s.attempts = 0;
  s.method = std::string(method);
  s.error_buffer[0] = '\0';

  const std::string url = s.base_url + std::string(path);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(s.options.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(s.options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s.error_buffer);
  if (!s.options.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s.options.ca_file.c_str());
  if (!s.options.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, s.options.cert_file.c_str());
  if (!s.options.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, s.options.key_file.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Impl::on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Impl::on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
  curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &Impl::on_debug);
  curl_easy_setopt(c, CURLOPT_DEBUGDATA, &s);
  curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // feeds on_debug; nothing is printed

  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    if (method != "POST") {
      const std::string m(method);
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());  // copied by curl
    }
  }

  std::unique_ptr<curl_slist, SlistDeleter> list;
  auto add = [&list](const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) throw std::runtime_error("curl_slist_append failed");
    (void)list.release();
    list.reset(next);
  };
  // No "Expect: 100-continue" wait for bodies over 1 KiB: the server never asks for it.
  add("Expect:");
  for (const auto& [name, value] : headers) add(name + ": " + value);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());

  const CURLcode rc = curl_easy_perform(c);
  long connects = 0;
  if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) s.connections += connects;
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    s.response.status = static_cast<int>(status);
    s.response.attempts = std::max(1, s.attempts);
    return std::move(s.response);
  }

  HttpError error;
  error.attempts = s.attempts;
  error.message = std::string(curl_easy_strerror(rc)) +
                  (s.error_buffer[0] != '\0' ? std::string(": ") + s.error_buffer : std::string());
  if (s.bytes_written == 0 && (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                               rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SEND_ERROR ||
                               rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING)) {
    error.code = HttpErrc::not_sent;
  } else if (rc == CURLE_OPERATION_TIMEDOUT) {
    error.code = HttpErrc::timeout;
  } else if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
             rc == CURLE_PARTIAL_FILE || rc == CURLE_WEIRD_SERVER_REPLY ||
             rc == CURLE_HTTP2_STREAM || rc == CURLE_COULDNT_CONNECT) {
    // COULDNT_CONNECT after bytes went out: curl retried a dead kept connection after
    // writing the request on it, and the retry found nobody listening.
    error.code = HttpErrc::no_response;
  } else {
    error.code = s.bytes_written > 0 ? HttpErrc::no_response : HttpErrc::other;
  }
  return fail(std::move(error));
}

HttpResult HttpClient::get(std::string_view path, const HeaderList& headers) {
  return request("GET", path, headers);
}

HttpResult HttpClient::post(std::string_view path, std::string_view body,
                            const HeaderList& headers) {
  bool has_type = false;
  for (const auto& [name, value] : headers) has_type = has_type || http::iequals(name, "Content-Type");
  if (has_type) return request("POST", path, headers, body);
  HeaderList with_type = headers;
  with_type.emplace_back("Content-Type", "application/json");
  return request("POST", path, with_type, body);
}

void HttpClient::disconnect() {
  // A new easy handle has an empty connection cache; the old one closes its connections.
  impl_->curl.reset(curl_easy_init());
  if (!impl_->curl) throw std::runtime_error("curl_easy_init failed");
}

std::int64_t HttpClient::connections_opened() const { return impl_->connections; }

const std::string& HttpClient::base_url() const { return impl_->base_url; }

bool wait_for_status(const std::string& base_url, std::string_view path, int status,
                     std::chrono::milliseconds timeout, const HttpClient::Options& tls) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  HttpClient::Options options = tls;
  options.timeout = std::chrono::milliseconds(1000);
  options.connect_timeout = std::chrono::milliseconds(500);
  for (;;) {
    HttpClient client(base_url, options);
    auto r = client.get(path);
    if (r && r->status == status) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Polling a condition with a deadline: the server gives no other signal that it is up.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace weft::test
