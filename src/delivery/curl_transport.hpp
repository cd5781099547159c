#pragma once
// CurlTransport: HttpTransport over libcurl's easy interface, made for many worker threads
// calling few hosts at a high rate.
//
// Connections: a pool of easy handles. A call takes an idle handle (the most recently used
// first, whose connection is the likeliest to be alive), runs the exchange on it, and puts it
// back; each handle keeps its own cache of live connections (keep-alive, TCP_NODELAY), so
// sequential calls to a host reuse one connection and N concurrent calls use N. The pool's
// lock is held only to take or return a handle, never during a transfer. DNS answers and TLS
// sessions are shared between the handles (a CURLSH with a lock per kind of data).
//
// "Sent" or not: a timeout or a dropped connection means different things before and after
// the platform had the whole request. The transport watches curl's debug stream, which reports
// request bytes only once the socket has accepted them (CURLINFO_HEADER_OUT / DATA_OUT): the
// request counts as sent when the blank line ending its head and then all of its body went
// out, on any of curl's tries (curl re-sends on a fresh connection when a kept one turns out
// dead). Failures before that are connect_failed / timeout_before_send (the platform cannot
// have acted); after it, timeout_after_send / connection_reset_after_send (it may have).
//
// Redirects: followed up to max_redirects, http(s) only, keeping the method and body on
// every kind (CURL_REDIR_POST_ALL) so that a redirected POST is never silently turned into a
// GET that "succeeds"; curl drops Authorization when a redirect changes host. A redirect that
// is not followed (too many, or no Location) reaches the classifier as a 3xx: validation.
//
// Threads: send() may be called from any number of threads at once. The transport must
// outlive every send() in progress.

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
  // closed. The pool grows to the peak number of concurrent calls up to this.
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

  struct Stats {
    std::uint64_t requests = 0;            // send() calls finished
    std::uint64_t connections_opened = 0;  // new TCP connections, summed over all handles
    std::size_t handles = 0;               // easy handles created so far
    std::size_t idle_handles = 0;          // in the pool now
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::delivery
