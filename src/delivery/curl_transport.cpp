#include "delivery/curl_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "core/text.hpp"

namespace weft::delivery {

namespace {

void global_init() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(result));
  }
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ShareDeleter {
  void operator()(CURLSH* s) const { curl_share_cleanup(s); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

long millis(std::chrono::milliseconds d) {
  // curl reads 0 as "no timeout": a request always has one.
  return static_cast<long>(std::max<std::chrono::milliseconds::rep>(1, d.count()));
}

// The lock callbacks of the share: one mutex per kind of shared data, so that a DNS lookup
// and a TLS session resumption do not wait for each other.
struct ShareLocks {
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes;

  static void lock(CURL* /*handle*/, curl_lock_data data, curl_lock_access /*access*/,
                   void* self) {
    static_cast<ShareLocks*>(self)->mutexes[static_cast<std::size_t>(data)].lock();
  }
  static void unlock(CURL* /*handle*/, curl_lock_data data, void* self) {
    static_cast<ShareLocks*>(self)->mutexes[static_cast<std::size_t>(data)].unlock();
  }
};

// One easy handle and the state of the exchange running on it. Reused across calls: the
// handle keeps its live connections, the buffers their capacity.
struct Exchange {
  std::unique_ptr<CURL, EasyDeleter> curl;
  char error[CURL_ERROR_SIZE] = {};

  // Per exchange.
  http::Response response;
  std::size_t max_body = 0;
  bool body_too_large = false;
  // Tracking of what went out (see the header): per try of the request, how far the blank
  // line "\r\n\r\n" ending the head has been matched, and body bytes written after it.
  std::size_t body_size = 0;
  int head_end_matched = 0;
  std::size_t body_written = 0;
  bool fully_sent = false;

  void start(std::size_t request_body_size, std::size_t max_response_body) {
    response.status = 0;
    response.headers = http::Headers();
    response.body.clear();
    max_body = max_response_body;
    body_too_large = false;
    body_size = request_body_size;
    head_end_matched = 0;
    body_written = 0;
    fully_sent = false;
    error[0] = '\0';
  }

  void written(const char* data, std::size_t size) {
    static constexpr std::string_view kHeadEnd = "\r\n\r\n";
    std::size_t i = 0;
    for (; i < size && head_end_matched < 4; ++i) {
      const char c = data[i];
      if (c == kHeadEnd[static_cast<std::size_t>(head_end_matched)]) {
        ++head_end_matched;
      } else {
        head_end_matched = c == '\r' ? 1 : 0;
      }
    }
    if (head_end_matched == 4) {
      body_written += size - i;
      if (body_written >= body_size) fully_sent = true;
    }
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self) {
    auto& x = *static_cast<Exchange*>(self);
    const std::size_t n = size * count;
    if (x.response.body.size() + n > x.max_body) {
      x.body_too_large = true;
      return 0;  // makes curl stop with CURLE_WRITE_ERROR
    }
    x.response.body.append(data, n);
    return n;
  }

  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self) {
    auto& x = *static_cast<Exchange*>(self);
    const std::size_t n = size * count;
    const std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
      // A new response (after a 1xx, a followed redirect, or a retry on a fresh connection):
      // only the last one is reported.
      x.response.headers = http::Headers();
      x.response.body.clear();
    } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
      x.response.headers.add(std::string(trim_whitespace(line.substr(0, colon))),
                             std::string(trim_whitespace(line.substr(colon + 1))));
    }
    return n;
  }

  static int on_debug(CURL* /*handle*/, curl_infotype type, char* data, std::size_t size,
                      void* self) {
    auto& x = *static_cast<Exchange*>(self);
    if (type == CURLINFO_HEADER_OUT) {
      // Each try of the request starts with its head (a partly written head continues as
      // DATA_OUT), so a head starts the count afresh.
      x.head_end_matched = 0;
      x.body_written = 0;
      x.written(data, size);
    } else if (type == CURLINFO_DATA_OUT) {
      x.written(data, size);
    }
    return 0;
  }
};

bool uses_request_body(const OutboundRequest& request) {
  if (!request.body.empty()) return true;
  return request.method != "GET" && request.method != "HEAD" && request.method != "DELETE" &&
         request.method != "OPTIONS";
}

}  // namespace

struct CurlTransport::Impl {
  CurlTransportOptions options;
  ShareLocks locks;
  std::unique_ptr<CURLSH, ShareDeleter> share;

  mutable std::mutex pool_mutex;
  std::vector<std::unique_ptr<Exchange>> idle;  // most recently returned last
  std::size_t handles = 0;

  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> connections{0};

  ~Impl() {
    // Easy handles detach from the share before it is cleaned up.
    idle.clear();
  }

  std::unique_ptr<Exchange> take() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        std::unique_ptr<Exchange> x = std::move(idle.back());
        idle.pop_back();
        return x;
      }
    }
    auto x = std::make_unique<Exchange>();
    x->curl.reset(curl_easy_init());
    if (!x->curl) return nullptr;
    if (curl_easy_setopt(x->curl.get(), CURLOPT_SHARE, share.get()) != CURLE_OK) return nullptr;
    std::lock_guard lock(pool_mutex);
    ++handles;
    return x;
  }

  void give_back(std::unique_ptr<Exchange> x) {
    std::unique_lock lock(pool_mutex);
    if (idle.size() < options.max_idle_handles) {
      idle.push_back(std::move(x));
      return;
    }
    --handles;
    lock.unlock();
    x.reset();  // closes its connections, outside the lock
  }

  // Sets every option of one exchange; curl_easy_reset before it keeps the connections, the
  // share and the buffers, and forgets the previous request.
  CURLcode configure(Exchange& x, const OutboundRequest& request, const curl_slist* headers) {
    CURL* c = x.curl.get();
    CURLcode rc = CURLE_OK;
    const auto check = [&rc](CURLcode r) {
      if (rc == CURLE_OK) rc = r;
    };
    const auto timeout = request.timeout;
    const auto connect =
        std::min(timeout, request.connect_timeout.count() > 0 ? request.connect_timeout
                                                              : options.connect_timeout);
    check(curl_easy_setopt(c, CURLOPT_URL, request.url.c_str()));
    check(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));
    check(curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L));
    check(curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L));
    check(curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, static_cast<long>(options.keepalive_idle.count())));
    check(curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, static_cast<long>(options.keepalive_idle.count())));
    check(curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
    check(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, millis(timeout)));
    check(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, millis(connect)));
    check(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x.error));
    check(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Exchange::on_body));
    check(curl_easy_setopt(c, CURLOPT_WRITEDATA, &x));
    check(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Exchange::on_header));
    check(curl_easy_setopt(c, CURLOPT_HEADERDATA, &x));
    // The debug stream is how we learn what was written (see the header); nothing is printed.
    check(curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &Exchange::on_debug));
    check(curl_easy_setopt(c, CURLOPT_DEBUGDATA, &x));
    check(curl_easy_setopt(c, CURLOPT_VERBOSE, 1L));
    check(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, options.max_redirects > 0 ? 1L : 0L));
    check(curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects)));
    check(curl_easy_setopt(c, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL)));
    check(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str()));
    if (!options.ca_file.empty()) check(curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str()));
    if (!options.client_cert_file.empty()) check(curl_easy_setopt(c, CURLOPT_SSLCERT, options.client_cert_file.c_str()));
    if (!options.client_key_file.empty()) check(curl_easy_setopt(c, CURLOPT_SSLKEY, options.client_key_file.c_str()));

    if (request.method == "HEAD") {
      check(curl_easy_setopt(c, CURLOPT_NOBODY, 1L));
    } else if (!uses_request_body(request)) {
      if (request.method == "GET") {
        check(curl_easy_setopt(c, CURLOPT_HTTPGET, 1L));
      } else {
        check(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
      }
    } else {
      // Not copied by curl: the request outlives the exchange.
      check(curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size())));
      check(curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data()));
      if (request.method != "POST") {
        check(curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str()));
      }
    }
    check(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers));
    return rc;
  }
};

CurlTransport::CurlTransport(CurlTransportOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->options = std::move(options);
  impl_->share.reset(curl_share_init());
  if (!impl_->share) throw std::runtime_error("curl_share_init failed");
  CURLSH* s = impl_->share.get();
  CURLSHcode rc = curl_share_setopt(s, CURLSHOPT_LOCKFUNC, &ShareLocks::lock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_UNLOCKFUNC, &ShareLocks::unlock);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_USERDATA, &impl_->locks);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  if (rc == CURLSHE_OK) rc = curl_share_setopt(s, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  if (rc != CURLSHE_OK) {
    throw std::runtime_error(std::string("curl_share_setopt failed: ") + curl_share_strerror(rc));
  }
}

CurlTransport::~CurlTransport() = default;

Attempt CurlTransport::send(const OutboundRequest& request) {
  Impl& impl = *impl_;
  Attempt attempt;
  std::unique_ptr<Exchange> x = impl.take();
  if (!x) {
    attempt.transport = Transport::connect_failed;
    attempt.transport_detail = "could not create a curl handle";
    return attempt;
  }
  CURL* c = x->curl.get();
  curl_easy_reset(c);
  x->start(request.body.size(), impl.options.max_response_bytes);

  std::unique_ptr<curl_slist, SlistDeleter> list;
  bool list_ok = true;
  bool has_content_type = false;
  const auto add = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) {
      list_ok = false;
      return;
    }
    (void)list.release();
    list.reset(next);
  };
  // Platforms do not answer "Expect: 100-continue"; waiting for it would only add latency.
  add("Expect:");
  std::string line;
  for (const auto& [name, value] : request.headers.all()) {
    if (name.find_first_of("\r\n:") != std::string::npos || name.empty() ||
        value.find_first_of("\r\n") != std::string::npos) {
      // Connectors validate headers; a line break here would forge headers, so refuse.
      impl.give_back(std::move(x));
      attempt.transport = Transport::connect_failed;
      attempt.transport_detail = "not sent: header '" + name.substr(0, 64) + "' is malformed";
      return attempt;
    }
    has_content_type = has_content_type || http::iequals(name, "Content-Type");
    line.assign(name);
    // "Name;" is curl's way to send a header with an empty value.
    if (value.empty()) {
      line += ';';
    } else {
      line += ": ";
      line += value;
    }
    add(line);
  }
  // Without this, curl labels every body as a form.
  if (!has_content_type && uses_request_body(request)) add("Content-Type:");

  CURLcode rc = list_ok ? impl.configure(*x, request, list.get()) : CURLE_OUT_OF_MEMORY;
  if (rc == CURLE_OK) rc = curl_easy_perform(c);

  long connects = 0;
  if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    impl.connections.fetch_add(static_cast<std::uint64_t>(connects), std::memory_order_relaxed);
  }
  impl.requests.fetch_add(1, std::memory_order_relaxed);

  const bool answered = rc == CURLE_OK || (rc == CURLE_TOO_MANY_REDIRECTS);
  if (answered) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    attempt.transport = Transport::ok;
    attempt.response = std::move(x->response);
    attempt.response.status = static_cast<int>(status);
    if (rc == CURLE_TOO_MANY_REDIRECTS) attempt.transport_detail = curl_easy_strerror(rc);
  } else {
    attempt.transport_detail = curl_easy_strerror(rc);
    if (x->body_too_large) {
      attempt.transport_detail += ": response body over " +
                                  std::to_string(impl.options.max_response_bytes) + " bytes";
    } else if (x->error[0] != '\0') {
      attempt.transport_detail += std::string(": ") + x->error;
    }
    if (x->fully_sent) {
      attempt.transport = rc == CURLE_OPERATION_TIMEDOUT ? Transport::timeout_after_send
                                                         : Transport::connection_reset_after_send;
    } else {
      // DNS, TCP, TLS, or a connection lost before the whole request was written: the
      // platform cannot have acted on a request it did not receive in full.
      attempt.transport = rc == CURLE_OPERATION_TIMEDOUT ? Transport::timeout_before_send
                                                         : Transport::connect_failed;
    }
  }
  // Drop pointers into this request before the handle idles in the pool.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
  impl.give_back(std::move(x));
  return attempt;
}

CurlTransport::Stats CurlTransport::stats() const {
  Stats s;
  s.requests = impl_->requests.load(std::memory_order_relaxed);
  s.connections_opened = impl_->connections.load(std::memory_order_relaxed);
  std::lock_guard lock(impl_->pool_mutex);
  s.handles = impl_->handles;
  s.idle_handles = impl_->idle.size();
  return s;
}

}  // namespace weft::delivery
