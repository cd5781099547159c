#pragma once
// One HTTP exchange on a libcurl easy handle: setting the handle up for an OutboundRequest,
// recording what went out and what came back, and turning curl's result into an Attempt.
// CurlTransport runs exchanges two ways, blocking (curl_easy_perform on the caller's thread)
// and on its event loop (a multi handle); both go through this, so they report alike.
//
// "Sent" or not: curl's debug stream reports request bytes only once the socket has accepted
// them (CURLINFO_HEADER_OUT / DATA_OUT); the request counts as sent when the blank line
// ending its head and then all of its body went out, on any of curl's tries (curl re-sends on
// a fresh connection when a kept one turns out dead).
//
// Threads: an Exchange is used by one thread at a time.

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "delivery/curl_transport.hpp"

namespace weft::delivery::curl_detail {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// Reused across requests: the handle keeps its live connections, the buffers their capacity.
class Exchange {
 public:
  // A new easy handle using `share` (DNS, TLS sessions); nullptr when curl cannot make one.
  static std::unique_ptr<Exchange> create(CURLSH* share);

  CURL* handle() const { return curl_.get(); }

  // Forgets the previous request and sets the handle up for `request`, which must outlive
  // the exchange (curl reads its URL and body in place). Returns the outcome when the request
  // cannot go out at all (a malformed header, a refused option); nullopt when it is ready to
  // run.
  std::optional<Attempt> begin(const OutboundRequest& request, const CurlTransportOptions& options);

  // The outcome, once curl says the exchange ended with `rc`; `connections_opened` is
  // increased by the connections it opened. Leaves no pointer into the request behind.
  Attempt finish(CURLcode rc, std::size_t max_response_bytes, std::uint64_t& connections_opened);

 private:
  Exchange() = default;
  CURLcode configure(const OutboundRequest& request, const CurlTransportOptions& options);
  void written(const char* data, std::size_t size);
  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* self);
  static int on_debug(CURL* handle, curl_infotype type, char* data, std::size_t size, void* self);

  std::unique_ptr<CURL, EasyDeleter> curl_;
  std::unique_ptr<curl_slist, SlistDeleter> header_lines_;
  char error_[CURL_ERROR_SIZE] = {};

  // Per exchange.
  http::Response response_;
  std::size_t max_body_ = 0;
  bool body_too_large_ = false;
  // Tracking of what went out (see above): per try of the request, how far the blank line
  // "\r\n\r\n" ending the head has been matched, and body bytes written after it.
  std::size_t body_size_ = 0;
  int head_end_matched_ = 0;
  std::size_t body_written_ = 0;
  bool fully_sent_ = false;
};

}  // namespace weft::delivery::curl_detail
