#pragma once
// The HTTP/1.1 server every endpoint of `weft serve` shares (hooks, ops, /v1, console):
// Boost.Beast on Asio, keep-alive, one thread per core, bounded header and body sizes, an
// idle timeout; optionally over TLS, with client certificates (mutual TLS). Beast stays inside
// server.cpp.
//
// Threads: start() spawns the network threads; stop() may be called from any thread other
// than those, and returns once they have finished.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/tls.hpp"
#include "weft/http.hpp"
#include "weft/result.hpp"

namespace weft::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;  // 0: any free port (see Server::port())
  int threads = 0;            // 0: one per core
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  int idle_timeout_seconds = 60;
  // HTTPS instead of HTTP. A client that does not finish its handshake within
  // handshake_timeout_seconds, or fails it, is dropped (and logged); the others are served.
  std::optional<TlsOptions> tls;
  int handshake_timeout_seconds = 10;
};

class Server {
 public:
  Server(ServerOptions options, Handler& handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving; the error says why it could not bind, or what is wrong with the
  // TLS files (then nothing listens).
  Result<void, std::string> start();
  // Closes the listening socket; connections already open are still served.
  void stop_accepting();
  // Waits until every request handed to the handler has been answered and written, or
  // `timeout` passes; false on timeout.
  bool drain(std::chrono::milliseconds timeout);
  void stop();
  std::uint16_t port() const;  // the bound port

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::http
