#pragma once
// HttpTransport: the one way outbound delivery reaches the network, so that tests replace it
// with a fake that records requests and injects any answer or fault (no sockets, no sleeping).
// CurlTransport (curl_transport.hpp) is the real one.
//
// Threads: send() is called from any thread, concurrently, and blocks for as long as the
// exchange takes (at most the request's timeout). send_async() returns at once; the engine
// uses it so that a call in flight holds no thread. Implementations must be thread-safe.

#include <chrono>
#include <functional>
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

  using SendDone = std::function<void(Attempt)>;
  // The same exchange without blocking the caller: `done` gets its outcome exactly once, on a
  // thread of the transport's (it must not block: it holds up other exchanges), or on the
  // caller's before send_async returns. The default runs send() on the caller's thread, which
  // is what a fake transport in a test wants.
  virtual void send_async(OutboundRequest request, SendDone done) { done(send(request)); }
};
using HttpTransportPtr = std::unique_ptr<HttpTransport>;

}  // namespace weft::delivery
