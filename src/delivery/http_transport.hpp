#pragma once
// HttpTransport: the one way outbound delivery reaches the network, so that tests replace it
// with a fake that records requests and injects any answer or fault (no sockets, no sleeping).
// CurlTransport (curl_transport.hpp) is the real one.
//
// Threads: send() is called from engine worker threads, concurrently, and blocks for as long
// as the exchange takes (at most the request's timeout). Implementations must be thread-safe.

#include <chrono>
#include <memory>
#include <string>

#include "delivery/failure.hpp"
#include "weft/http.hpp"

namespace weft::delivery {

// One HTTP exchange as a connector built it.
struct OutboundRequest {
  std::string method = "POST";  // upper case
  std::string url;              // absolute: scheme, host, path and query
  http::Headers headers;        // as sent; no Host, Content-Length or Transfer-Encoding
  std::string body;             // sent with Content-Length (empty: none)
  // The whole exchange, connecting included. When it runs out after the request was fully
  // written, the outcome is unknown (Transport::timeout_after_send).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // Connecting alone (DNS, TCP, TLS); zero: the transport's default, at most `timeout`.
  std::chrono::milliseconds connect_timeout{0};
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and reports what happened on the wire. Never throws for network
  // trouble: that is an Attempt whose transport is not ok. A 4xx/5xx is Transport::ok with
  // the status: classifying it is the FailureClassifier's job.
  virtual Attempt send(const OutboundRequest& request) = 0;
};
using HttpTransportPtr = std::unique_ptr<HttpTransport>;

}  // namespace weft::delivery
