#include "delivery/curl_exchange.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "core/text.hpp"

namespace weft::delivery::curl_detail {

namespace {

long millis(std::chrono::milliseconds d) {
  // curl reads 0 as "no timeout": a request always has one.
  return static_cast<long>(std::max<std::chrono::milliseconds::rep>(1, d.count()));
}

bool uses_request_body(const OutboundRequest& request) {
  if (!request.body.empty()) return true;
  return request.method != "GET" && request.method != "HEAD" && request.method != "DELETE" &&
         request.method != "OPTIONS";
}

Attempt not_sent(std::string detail) {
  Attempt attempt;
  attempt.transport = Transport::connect_failed;
  attempt.transport_detail = std::move(detail);
  return attempt;
}

}  // namespace

std::unique_ptr<Exchange> Exchange::create(CURLSH* share) {
  std::unique_ptr<Exchange> x(new Exchange());
  x->curl_.reset(curl_easy_init());
  if (!x->curl_) return nullptr;
  if (curl_easy_setopt(x->curl_.get(), CURLOPT_SHARE, share) != CURLE_OK) return nullptr;
  return x;
}

std::optional<Attempt> Exchange::begin(const OutboundRequest& request,
                                       const CurlTransportOptions& options) {
  // Keeps the connections, the share and the buffers; forgets the previous request.
  curl_easy_reset(curl_.get());
  response_.status = 0;
  response_.headers = http::Headers();
  response_.body.clear();
  max_body_ = options.max_response_bytes;
  body_too_large_ = false;
  body_size_ = request.body.size();
  head_end_matched_ = 0;
  body_written_ = 0;
  fully_sent_ = false;
  error_[0] = '\0';

  header_lines_.reset();
  bool list_ok = true;
  bool has_content_type = false;
  const auto add = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(header_lines_.get(), line.c_str());
    if (next == nullptr) {
      list_ok = false;
      return;
    }
    (void)header_lines_.release();
    header_lines_.reset(next);
  };
  // Platforms do not answer "Expect: 100-continue"; waiting for it would only add latency.
  add("Expect:");
  std::string line;
  for (const auto& [name, value] : request.headers.all()) {
    if (name.find_first_of("\r\n:") != std::string::npos || name.empty() ||
        value.find_first_of("\r\n") != std::string::npos) {
      // Connectors validate headers; a line break here would forge headers, so refuse.
      header_lines_.reset();
      return not_sent("not sent: header '" + name.substr(0, 64) + "' is malformed");
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

  const CURLcode rc = list_ok ? configure(request, options) : CURLE_OUT_OF_MEMORY;
  if (rc != CURLE_OK) {
    std::uint64_t ignored = 0;
    return finish(rc, options.max_response_bytes, ignored);
  }
  return std::nullopt;
}

CURLcode Exchange::configure(const OutboundRequest& request, const CurlTransportOptions& options) {
  CURL* c = curl_.get();
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
  check(
      curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, static_cast<long>(options.keepalive_idle.count())));
  check(curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL,
                         static_cast<long>(options.keepalive_idle.count())));
  check(curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
  check(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, millis(timeout)));
  check(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, millis(connect)));
  check(curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_));
  check(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Exchange::on_body));
  check(curl_easy_setopt(c, CURLOPT_WRITEDATA, this));
  check(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Exchange::on_header));
  check(curl_easy_setopt(c, CURLOPT_HEADERDATA, this));
  // The debug stream is how we learn what was written (see the header); nothing is printed.
  check(curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &Exchange::on_debug));
  check(curl_easy_setopt(c, CURLOPT_DEBUGDATA, this));
  check(curl_easy_setopt(c, CURLOPT_VERBOSE, 1L));
  check(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, options.max_redirects > 0 ? 1L : 0L));
  check(curl_easy_setopt(c, CURLOPT_MAXREDIRS, static_cast<long>(options.max_redirects)));
  check(curl_easy_setopt(c, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL)));
  check(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str()));
  if (!options.ca_file.empty()) check(curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str()));
  if (!options.client_cert_file.empty()) {
    check(curl_easy_setopt(c, CURLOPT_SSLCERT, options.client_cert_file.c_str()));
  }
  if (!options.client_key_file.empty()) {
    check(curl_easy_setopt(c, CURLOPT_SSLKEY, options.client_key_file.c_str()));
  }

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
  check(curl_easy_setopt(c, CURLOPT_HTTPHEADER, header_lines_.get()));
  return rc;
}

Attempt Exchange::finish(CURLcode rc, std::size_t max_response_bytes,
                         std::uint64_t& connections_opened) {
  CURL* c = curl_.get();
  long connects = 0;
  if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) {
    connections_opened += static_cast<std::uint64_t>(connects);
  }
  Attempt attempt;
  const bool answered = rc == CURLE_OK || rc == CURLE_TOO_MANY_REDIRECTS;
  if (answered) {
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    attempt.transport = Transport::ok;
    attempt.response = std::move(response_);
    attempt.response.status = static_cast<int>(status);
    if (rc == CURLE_TOO_MANY_REDIRECTS) attempt.transport_detail = curl_easy_strerror(rc);
  } else {
    attempt.transport_detail = curl_easy_strerror(rc);
    if (body_too_large_) {
      attempt.transport_detail +=
          ": response body over " + std::to_string(max_response_bytes) + " bytes";
    } else if (error_[0] != '\0') {
      attempt.transport_detail += std::string(": ") + error_;
    }
    if (fully_sent_) {
      attempt.transport = rc == CURLE_OPERATION_TIMEDOUT ? Transport::timeout_after_send
                                                         : Transport::connection_reset_after_send;
    } else {
      // DNS, TCP, TLS, or a connection lost before the whole request was written: the
      // platform cannot have acted on a request it did not receive in full.
      attempt.transport = rc == CURLE_OPERATION_TIMEDOUT ? Transport::timeout_before_send
                                                         : Transport::connect_failed;
    }
  }
  // Drop pointers into this request before the handle idles.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
  header_lines_.reset();
  return attempt;
}

void Exchange::written(const char* data, std::size_t size) {
  static constexpr std::string_view kHeadEnd = "\r\n\r\n";
  std::size_t i = 0;
  for (; i < size && head_end_matched_ < 4; ++i) {
    const char c = data[i];
    if (c == kHeadEnd[static_cast<std::size_t>(head_end_matched_)]) {
      ++head_end_matched_;
    } else {
      head_end_matched_ = c == '\r' ? 1 : 0;
    }
  }
  if (head_end_matched_ == 4) {
    body_written_ += size - i;
    if (body_written_ >= body_size_) fully_sent_ = true;
  }
}

std::size_t Exchange::on_body(char* data, std::size_t size, std::size_t count, void* self) {
  auto& x = *static_cast<Exchange*>(self);
  const std::size_t n = size * count;
  if (x.response_.body.size() + n > x.max_body_) {
    x.body_too_large_ = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  x.response_.body.append(data, n);
  return n;
}

std::size_t Exchange::on_header(char* data, std::size_t size, std::size_t count, void* self) {
  auto& x = *static_cast<Exchange*>(self);
  const std::size_t n = size * count;
  const std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a 1xx, a followed redirect, or a retry on a fresh connection):
    // only the last one is reported.
    x.response_.headers = http::Headers();
    x.response_.body.clear();
  } else if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
    x.response_.headers.add(std::string(trim_whitespace(line.substr(0, colon))),
                            std::string(trim_whitespace(line.substr(colon + 1))));
  }
  return n;
}

int Exchange::on_debug(CURL* /*handle*/, curl_infotype type, char* data, std::size_t size,
                       void* self) {
  auto& x = *static_cast<Exchange*>(self);
  if (type == CURLINFO_HEADER_OUT) {
    // Each try of the request starts with its head (a partly written head continues as
    // DATA_OUT), so a head starts the count afresh.
    x.head_end_matched_ = 0;
    x.body_written_ = 0;
    x.written(data, size);
  } else if (type == CURLINFO_DATA_OUT) {
    x.written(data, size);
  }
  return 0;
}

}  // namespace weft::delivery::curl_detail
