#include "http/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "core/thread_role.hpp"
#include "http/tls_context.hpp"
#include "weft/log.hpp"

namespace weft::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

// Takes the body out of `in` (its parser is replaced before the next request).
Request to_request(bhttp::request<bhttp::string_body>& in, bool body_too_large) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  const std::size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  for (const auto& field : in) {
    out.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  if (!body_too_large) out.body = std::move(in.body());
  out.body_too_large = body_too_large;
  return out;
}

// Requests handed to the handler and not yet written back (for a graceful stop).
struct InFlight {
  std::mutex mutex;
  std::condition_variable cv;
  int count = 0;
  void add(int n) {
    std::lock_guard lock(mutex);
    count += n;
    if (count == 0) cv.notify_all();
  }
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, over plain TCP or TLS (the only differences: a handshake first, the client's
// certificate, and close_notify at the end). Reads a request, hands it to the handler, writes
// the response it gets (from whatever thread), then reads the next one. All socket work runs
// on the connection's strand.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  static constexpr std::size_t kReadBufferBytes = 16 * 1024;

 public:
  template <class... StreamArgs>
  Session(Handler& handler, const ServerOptions& options, InFlight& in_flight, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...), handler_(handler), options_(options),
        in_flight_(in_flight) {}

  void start() {
    // Beast reads at most the buffer's free capacity (and at least 512 bytes). Each request is
    // consumed whole, so a buffer left to grow by itself stays at 512 bytes and a webhook of a
    // few KiB takes several reads (system calls) instead of one.
    buffer_.reserve(kReadBufferBytes);
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->handshake();
      } else {
        self->read();
      }
    });
  }

 private:
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void handshake() {
    tcp().expires_after(std::chrono::seconds(options_.handshake_timeout_seconds));
    stream_.async_handshake(net::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      // Plain HTTP on the TLS port, an old protocol, no or an untrusted client certificate:
      // this client is dropped, the others go on. OpenSSL's reason names no secret.
      beast::error_code ignored;
      const auto peer = tcp().socket().remote_endpoint(ignored);
      log::warn("http.tls_handshake_failed",
                {{"peer", ignored ? std::string("unknown") : peer.address().to_string() + ":" + std::to_string(peer.port())},
                 {"error", ec.message()}});
      return close_socket();
    }
    client_subject_ = peer_subject(stream_.native_handle());
    read();
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    tcp().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted ||
        ec == net::ssl::error::stream_truncated) {
      return close();
    }
    if (ec == bhttp::error::body_limit) {
      // The headers are complete: let the handler answer 413 in its own words, then close,
      // since the rest of the body is still on the wire.
      keep_alive_ = false;
      return dispatch(to_request(parser_->get(), /*body_too_large=*/true));
    }
    if (ec) {
      keep_alive_ = false;
      Response bad;
      bad.status = ec == bhttp::error::header_limit ? 431 : 400;
      bad.headers.set("Content-Type", "application/problem+json");
      bad.body = std::string(R"({"type":"urn:weft:problem:malformed-http","title":"Malformed HTTP request","status":)") +
                 std::to_string(bad.status) + R"(,"detail":")" + ec.message() + R"("})";
      return write(std::move(bad), /*counted=*/false);
    }
    keep_alive_ = parser_->get().keep_alive();
    dispatch(to_request(parser_->get(), false));
  }

  void dispatch(Request request) {
    tcp().expires_never();  // the handler may take as long as a durable commit takes
    request.client_subject = client_subject_;
    if (!client_subject_.empty()) request_line_ = request.method + " " + request.path;
    in_flight_.add(1);
    handler_.handle(std::move(request), [self = this->shared_from_this()](Response response) {
      net::post(self->stream_.get_executor(),
                [self, r = std::move(response)]() mutable { self->write(std::move(r)); });
    });
  }

  void write(Response response, bool counted = true) {
    counted_ = counted;
    if (counted && !client_subject_.empty()) {
      // Who asked, for every request over mutual TLS.
      log::info("http.request", {{"client_subject", client_subject_},
                                 {"request", request_line_},
                                 {"status", response.status},
                                 {"correlation_id", response.headers.get("X-Correlation-Id").value_or("")}});
    }
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->result(static_cast<unsigned>(response.status));
    out->version(11);
    for (const auto& [name, value] : response.headers.all()) out->set(name, value);
    out->body() = std::move(response.body);
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    tcp().expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), out, counted = counted_](beast::error_code ec, std::size_t) {
                         if (counted) self->in_flight_.add(-1);
                         if (ec || !self->keep_alive_) return self->close();
                         self->read();
                       });
  }

  void close() {
    if constexpr (kTls) {
      // close_notify first, so the client can tell a complete answer from a cut one; bounded,
      // since it waits for the client's own close_notify or its hanging up.
      tcp().expires_after(std::chrono::seconds(options_.handshake_timeout_seconds));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_socket(); });
    } else {
      close_socket();
    }
  }

  void close_socket() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp().socket().close(ignored);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Handler& handler_;
  const ServerOptions& options_;
  InFlight& in_flight_;
  bool keep_alive_ = true;
  bool counted_ = false;
  std::string client_subject_;  // mutual TLS: the verified client certificate's subject
  std::string request_line_;    // for the log line of a request over mutual TLS
};

}  // namespace

// One io_context per network thread, each run by its thread alone; the acceptor hands new
// connections to them in turn. A connection's reads, writes and timers then stay on one thread:
// with one io_context shared by all threads, Asio woke another thread for nearly every event
// (the one waiting in epoll queues the handler, a sleeping one runs it): 6.6 context switches
// of the network threads per webhook on this project's 2-core VM, 2.6 with one each. The cost:
// a connection cannot move to an idle thread, which matters little when handlers only hand
// work on (slow work runs on the API's and the blocking pools).
struct Server::Impl {
  using WorkGuard = net::executor_work_guard<net::io_context::executor_type>;

  ServerOptions options;
  Handler& handler;
  TlsContextPtr tls_context;  // set when serving HTTPS; outlives the connections below
  InFlight in_flight;         // outlives them too: a connection counts itself out as it ends
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<WorkGuard> idle_guards;  // a thread without connections keeps running
  tcp::acceptor acceptor;
  std::size_t next_context = 0;  // the acceptor's own: accept() runs on contexts[0] only
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  Impl(ServerOptions o, Handler& h)
      : options(std::move(o)), handler(h), contexts(make_contexts(options)), acceptor(*contexts.front()) {}

  static std::vector<std::unique_ptr<net::io_context>> make_contexts(const ServerOptions& options) {
    const int n = options.threads > 0 ? options.threads
                                      : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    std::vector<std::unique_ptr<net::io_context>> out;
    for (int i = 0; i < n; ++i) out.push_back(std::make_unique<net::io_context>(1));
    return out;
  }

  net::io_context& next() {
    net::io_context& ioc = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    return ioc;
  }

  void accept() {
    // A strand still: responses are posted from other threads (the handlers answer from theirs).
    acceptor.async_accept(net::make_strand(next()), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        if (tls_context) {
          std::make_shared<Session<TlsStream>>(handler, options, in_flight, std::move(socket), *tls_context)->start();
        } else {
          std::make_shared<Session<PlainStream>>(handler, options, in_flight, std::move(socket))->start();
        }
      } else {
        log::warn("http.accept_failed", {{"error", ec.message()}});
      }
      accept();
    });
  }
};

Server::Server(ServerOptions options, Handler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() { stop(); }

Result<void, std::string> Server::start() {
  if (impl_->options.tls) {
    auto context = make_server_tls_context(*impl_->options.tls);
    if (!context) return fail("TLS " + context.error().option + ": " + context.error().message);
    impl_->tls_context = std::move(*context);
  }
  beast::error_code ec;
  const auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) return fail("invalid listen address '" + impl_->options.host + "': " + ec.message());
  const tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("cannot listen on " + impl_->options.host + ":" +
                std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();
  impl_->accept();
  for (auto& context : impl_->contexts) {
    impl_->idle_guards.push_back(net::make_work_guard(*context));
    impl_->threads.emplace_back([ioc = context.get()] {
      set_thread_role("http");
      ioc->run();
    });
  }
  return {};
}

void Server::stop_accepting() {
  net::post(*impl_->contexts.front(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

bool Server::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->in_flight.mutex);
  return impl_->in_flight.cv.wait_for(lock, timeout, [this] { return impl_->in_flight.count == 0; });
}

void Server::stop() {
  if (impl_->threads.empty()) return;
  stop_accepting();
  for (auto& context : impl_->contexts) context->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->idle_guards.clear();
}

std::uint16_t Server::port() const { return impl_->port; }

}  // namespace weft::http
