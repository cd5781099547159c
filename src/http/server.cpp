#include "http/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "weft/log.hpp"

namespace weft::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

Request to_request(const bhttp::request<bhttp::string_body>& in, bool body_too_large) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  const std::size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  for (const auto& field : in) {
    out.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  if (!body_too_large) out.body = in.body();
  out.body_too_large = body_too_large;
  return out;
}

// One connection. Reads a request, hands it to the handler, writes the response it gets
// (from whatever thread), then reads the next one. All socket work runs on the connection's
// strand.
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

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Handler& handler, const ServerOptions& options, InFlight& in_flight)
      : stream_(std::move(socket)), handler_(handler), options_(options), in_flight_(in_flight) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
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
    stream_.expires_never();  // the handler may take as long as a durable commit takes
    in_flight_.add(1);
    handler_.handle(std::move(request), [self = shared_from_this()](Response response) {
      net::post(self->stream_.get_executor(),
                [self, r = std::move(response)]() mutable { self->write(std::move(r)); });
    });
  }

  void write(Response response, bool counted = true) {
    counted_ = counted;
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->result(static_cast<unsigned>(response.status));
    out->version(11);
    for (const auto& [name, value] : response.headers.all()) out->set(name, value);
    out->body() = std::move(response.body);
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    stream_.expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), out, counted = counted_](beast::error_code ec, std::size_t) {
                         if (counted) self->in_flight_.add(-1);
                         if (ec || !self->keep_alive_) return self->close();
                         self->read();
                       });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Handler& handler_;
  const ServerOptions& options_;
  InFlight& in_flight_;
  bool keep_alive_ = true;
  bool counted_ = false;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler& handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  InFlight in_flight;

  Impl(ServerOptions o, Handler& h)
      : options(std::move(o)), handler(h),
        ioc(options.threads > 0 ? options.threads
                                : std::max(1, static_cast<int>(std::thread::hardware_concurrency()))) {}

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), handler, options, in_flight)->start();
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
  const int n = impl_->options.threads > 0
                    ? impl_->options.threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return {};
}

void Server::stop_accepting() {
  net::post(impl_->ioc, [this] {
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
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

std::uint16_t Server::port() const { return impl_->port; }

}  // namespace weft::http
