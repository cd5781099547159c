#pragma once
// CurlTransport: HttpTransport over libcurl, made for many calls at a high rate to few hosts.
//
// Two ways to send, with the same options and the same reading of the outcome
// (delivery/curl_exchange.hpp):
// - send() blocks its caller: it takes an idle easy handle from a pool (the most recently
//   used first, whose connection is the likeliest to be alive), runs the exchange, and puts
//   the handle back; each handle keeps its own live connections (keep-alive, TCP_NODELAY), so
//   sequential calls reuse one connection and N concurrent calls use N. The pool's lock is
//   held only to take or return a handle, never during a transfer.
// - send_async() queues the request for one event-loop thread (a curl multi handle, started
//   by the first send_async) and returns; the loop runs every queued exchange at once over
//   the multi handle's shared cache of connections and calls each `done` on its thread. The
//   engine sends this way, so a call waiting for a platform holds no thread: hundreds of
//   calls in flight cost one thread, not hundreds.
// DNS answers and TLS sessions are shared by all handles (a CURLSH with a lock per kind).
//
// "Sent" or not: a timeout or a dropped connection means different things before and after
// the platform had the whole request (see curl_exchange.hpp for how it is told). Failures
// before that are connect_failed / timeout_before_send (the platform cannot have acted);
// after it, timeout_after_send / connection_reset_after_send (it may have).
//
// Redirects: followed up to max_redirects, http(s) only, keeping the method and body on
// every kind (CURL_REDIR_POST_ALL) so that a redirected POST is never silently turned into a
// GET that "succeeds"; curl drops Authorization when a redirect changes host. A redirect that
// is not followed (too many, or no Location) reaches the classifier as a 3xx: validation.
//
// Threads: send() and send_async() may be called from any number of threads at once. The
// destructor waits for the exchanges already queued to end (each within its timeout); the
// transport must outlive every send() in progress.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "delivery/http_transport.hpp"

namespace weft::delivery {

struct CurlTransportOptions {
  // Used when a request gives no connect_timeout; never more than the request's timeout.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // A longer response body is not read: the exchange ends as connection_reset_after_send
  // (the platform answered, but we cannot tell what it said).
  std::size_t max_response_bytes = std::size_t{8} << 20;
  int max_redirects = 3;
  // Handles (with their connections) kept between calls; beyond this, returned handles are
  // closed. The pool grows to the peak number of concurrent calls up to this. Also the
  // connections the event loop keeps alive between exchanges.
  std::size_t max_idle_handles = 256;
  // TCP keep-alive probes on idle kept connections, so that dead peers are noticed.
  std::chrono::seconds keepalive_idle{60};
  std::string user_agent = "weft";
  // For https:// URLs: the CA certificates (PEM) to trust instead of the system's, and a client
  // certificate and key (PEM) for a server that asks for one (mutual TLS). Empty: the system's
  // CAs, no client certificate.
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
};

class CurlTransport final : public HttpTransport {
 public:
  // Initialises libcurl once per process. Throws std::runtime_error when libcurl cannot be
  // initialised (a start-up failure).
  explicit CurlTransport(CurlTransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Attempt send(const OutboundRequest& request) override;
  void send_async(OutboundRequest request, SendDone done) override;

  struct Stats {
    std::uint64_t requests = 0;            // send() and send_async() exchanges finished
    std::uint64_t connections_opened = 0;  // new TCP connections, summed over all handles
    std::size_t handles = 0;               // easy handles created so far
    std::size_t idle_handles = 0;          // in send()'s pool now
    std::uint64_t loop_wakeups = 0;        // returns from send_async()'s loop's epoll_wait
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::delivery
