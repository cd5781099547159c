#include "support/answering_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iostream>
#include <memory>
#include <optional>

namespace weft::bench {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Handler = std::function<void(const AnsweredRequest&)>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const Handler& on_request)
      : socket_(std::move(socket)), on_request_(on_request) {
    buffer_.reserve(64 * 1024);
  }
  void read() {
    parser_.emplace();
    parser_->body_limit(16 * 1024 * 1024);
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (!ec) self->write();
                      });
  }

 private:
  void write() {
    const auto& request = parser_->get();
    const bool keep_alive = request.keep_alive();
    const bool metrics = request.target() == "/metrics";
    if (on_request_) {
      on_request_({std::string_view(request.method_string().data(), request.method_string().size()),
                   std::string_view(request.target().data(), request.target().size()),
                   request.body()});
    }
    response_ = {};
    response_.result(bhttp::status::ok);
    response_.version(11);
    response_.set(bhttp::field::content_type, metrics ? "text/plain" : "application/json");
    response_.body() = metrics ? "" : R"({"status":"accepted","connector":"stripe"})";
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    bhttp::async_write(socket_, response_,
                       [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                         if (!ec && keep_alive) self->read();
                       });
  }

  tcp::socket socket_;
  const Handler& on_request_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
};

}  // namespace

std::string argument_after(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == flag) return argv[i + 1];
  }
  return "";
}

int run_answering_server(int argc, char** argv, const Handler& on_request) {
  const std::string listen = argument_after(argc, argv, "--listen");
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "stand-in hub: --listen HOST:PORT is required\n";
    return 2;
  }
  net::io_context ioc(1);
  tcp::acceptor acceptor(
      ioc, tcp::endpoint(net::ip::make_address(listen.substr(0, colon)),
                         static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)))));
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), on_request)->read();
      }
      accept();
    });
  };
  accept();
  ioc.run();
  return 0;
}

}  // namespace weft::bench
