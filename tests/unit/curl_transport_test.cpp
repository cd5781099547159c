// CurlTransport against a real HTTP/1.1 server on loopback, started by the test: what goes
// out and comes back, connection reuse, and each way a call can fail (before or after the
// request was sent). The server is a small one written here so that a test can count
// connections and make the server hang, hang up, or not read.
#include "delivery/curl_transport.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace weft::delivery {
namespace {

using namespace std::chrono_literals;

struct Received {
  std::string method;
  std::string target;
  http::Headers headers;
  std::string body;
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // answer_then_close: answers, then closes the connection (an idle keep-alive timeout).
  enum class Then { answer, hang, hang_up, answer_then_close } then = Then::answer;
};

// Minimal keep-alive HTTP/1.1 server: a thread per connection, Content-Length bodies only.
class TestServer {
 public:
  using Handler = std::function<Reply(const Received&)>;
  enum class Reading { requests, nothing };  // `nothing`: accept, then never read

  explicit TestServer(Handler handler, Reading reading = Reading::requests)
      : handler_(std::move(handler)), reading_(reading) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket failed");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 128) != 0) {
      throw std::runtime_error("bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    cv_.notify_all();
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    for (auto& t : connections_) t.join();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;  // shut down
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      ++accepted_;
      open_fds_.insert(fd);
      connections_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void wait_for_stop() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return stopping_; });
  }

  void serve(int fd) {
    if (reading_ == Reading::nothing) {
      wait_for_stop();
    } else {
      std::string buffer;
      while (auto request = read_request(fd, buffer)) {
        ++requests_;
        const Reply reply = handler_(*request);
        if (reply.then == Reply::Then::hang) {
          wait_for_stop();
          break;
        }
        if (reply.then == Reply::Then::hang_up) break;
        std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\n";
        out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
        for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
        out += "\r\n" + reply.body;
        if (!write_all(fd, out)) break;
        if (reply.then == Reply::Then::answer_then_close) {
          std::this_thread::sleep_for(50ms);  // the exchange is over, the connection idle
          break;
        }
      }
    }
    std::lock_guard lock(mutex_);
    open_fds_.erase(fd);
    ::close(fd);
  }

  static bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  static std::optional<Received> read_request(int fd, std::string& buffer) {
    const auto fill = [&]() {
      char chunk[16384];
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer.append(chunk, static_cast<std::size_t>(n));
      return true;
    };
    std::size_t head_end;
    while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Received r;
    const std::string head = buffer.substr(0, head_end);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const std::size_t sp1 = request_line.find(' ');
    const std::size_t sp2 = request_line.find(' ', sp1 + 1);
    r.method = request_line.substr(0, sp1);
    r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t content_length = 0;
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos
                                                                                 : line_end - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers.add(line.substr(0, colon), value);
      if (http::iequals(line.substr(0, colon), "Content-Length")) content_length = std::stoul(value);
    }
    buffer.erase(0, head_end + 4);
    while (buffer.size() < content_length) {
      if (!fill()) return std::nullopt;
    }
    r.body = buffer.substr(0, content_length);
    buffer.erase(0, content_length);
    return r;
  }

  Handler handler_;
  Reading reading_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::set<int> open_fds_;
  std::vector<std::thread> connections_;
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
};

Reply without_answer(Reply::Then then) {
  Reply reply;
  reply.then = then;
  return reply;
}

// Answers with what it received, as JSON.
Reply echo(const Received& r) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : r.headers.all()) headers[k] = v;
  Reply reply;
  reply.headers = {{"Content-Type", "application/json"}, {"X-Reply", "yes"}};
  reply.body =
      nlohmann::json{{"method", r.method}, {"target", r.target}, {"headers", headers}, {"body", r.body}}
          .dump();
  return reply;
}

OutboundRequest request_to(const std::string& url, std::string method = "POST",
                           std::string body = R"({"amount":1250})") {
  OutboundRequest r;
  r.method = std::move(method);
  r.url = url;
  r.body = std::move(body);
  if (!r.body.empty()) r.headers.add("Content-Type", "application/json");
  r.headers.add("Idempotency-Key", "wf-1:credit");
  r.timeout = 5s;
  return r;
}

nlohmann::json echoed(const Attempt& a) {
  EXPECT_EQ(a.transport, Transport::ok) << a.transport_detail;
  return nlohmann::json::parse(a.response.body);
}

// Every exchange below runs both ways: send() on the test's thread, and send_async() on the
// transport's event loop (awaited here). They must report alike.
enum class Sending { blocking, event_loop };

class CurlTransportSends : public ::testing::TestWithParam<Sending> {
 protected:
  Attempt send(CurlTransport& transport, const OutboundRequest& request) {
    if (GetParam() == Sending::blocking) return transport.send(request);
    std::promise<Attempt> promise;
    auto answer = promise.get_future();
    transport.send_async(request, [&promise](Attempt a) { promise.set_value(std::move(a)); });
    return answer.get();
  }
};

INSTANTIATE_TEST_SUITE_P(BothWays, CurlTransportSends,
                         ::testing::Values(Sending::blocking, Sending::event_loop),
                         [](const ::testing::TestParamInfo<Sending>& param_info) {
                           return param_info.param == Sending::blocking ? "Blocking" : "EventLoop";
                         });

TEST_P(CurlTransportSends, PostRoundTripsHeadersAndBody) {
  TestServer server(echo);
  CurlTransport transport;
  const Attempt a = send(transport, request_to(server.url("/effects?x=1")));
  ASSERT_EQ(a.transport, Transport::ok) << a.transport_detail;
  EXPECT_EQ(a.response.status, 200);
  EXPECT_EQ(a.response.headers.get("X-Reply").value_or(""), "yes");
  EXPECT_EQ(a.response.headers.get("content-type").value_or(""), "application/json");
  const auto seen = nlohmann::json::parse(a.response.body);
  EXPECT_EQ(seen["method"], "POST");
  EXPECT_EQ(seen["target"], "/effects?x=1");
  EXPECT_EQ(seen["body"], R"({"amount":1250})");
  EXPECT_EQ(seen["headers"]["Idempotency-Key"], "wf-1:credit");
  EXPECT_EQ(seen["headers"]["Content-Type"], "application/json");
  EXPECT_EQ(seen["headers"]["Content-Length"], "15");
  EXPECT_FALSE(seen["headers"].contains("Expect"));
}

TEST_P(CurlTransportSends, MethodsWithAndWithoutBodies) {
  TestServer server(echo);
  CurlTransport transport;
  auto get = echoed(send(transport, request_to(server.url("/r"), "GET", "")));
  EXPECT_EQ(get["method"], "GET");
  EXPECT_EQ(get["body"], "");
  auto del = echoed(send(transport, request_to(server.url("/r"), "DELETE", "")));
  EXPECT_EQ(del["method"], "DELETE");
  EXPECT_FALSE(del["headers"].contains("Content-Type"));
  auto patch = echoed(send(transport, request_to(server.url("/r"), "PATCH", R"({"a":1})")));
  EXPECT_EQ(patch["method"], "PATCH");
  EXPECT_EQ(patch["body"], R"({"a":1})");
  // A POST without a body says so, and is not labelled a form.
  auto empty_post = echoed(send(transport, request_to(server.url("/r"), "POST", "")));
  EXPECT_EQ(empty_post["method"], "POST");
  EXPECT_EQ(empty_post["headers"]["Content-Length"], "0");
  EXPECT_FALSE(empty_post["headers"].contains("Content-Type"));
}

TEST_P(CurlTransportSends, ErrorStatusesAreAnswersNotTransportFailures) {
  TestServer server([](const Received& r) {
    Reply reply;
    reply.status = r.target == "/missing" ? 404 : 503;
    reply.headers = {{"Retry-After", "7"}};
    reply.body = "nope";
    return reply;
  });
  CurlTransport transport;
  const Attempt missing = send(transport, request_to(server.url("/missing")));
  EXPECT_EQ(missing.transport, Transport::ok);
  EXPECT_EQ(missing.response.status, 404);
  const Attempt busy = send(transport, request_to(server.url("/busy")));
  EXPECT_EQ(busy.response.status, 503);
  EXPECT_EQ(busy.response.headers.get("Retry-After").value_or(""), "7");
  EXPECT_EQ(busy.response.body, "nope");
}

TEST_P(CurlTransportSends, SequentialCallsReuseOneConnection) {
  TestServer server(echo);
  CurlTransport transport;
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(send(transport, request_to(server.url("/effects"))).response.status, 200);
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(server.requests(), 50);
  EXPECT_EQ(transport.stats().connections_opened, 1u);
  EXPECT_EQ(transport.stats().handles, 1u);
}

TEST_P(CurlTransportSends, ConcurrentCallsFromEightThreads) {
  TestServer server(echo);
  CurlTransport transport;
  constexpr int kThreads = 8;
  constexpr int kCalls = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string body = "{\"t\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        const Attempt a = send(transport, request_to(server.url("/effects"), "POST", body));
        if (a.transport == Transport::ok && a.response.status == 200 &&
            nlohmann::json::parse(a.response.body)["body"] == body) {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  // Handles and their connections are reused: at most one per concurrent caller.
  EXPECT_LE(server.accepted(), kThreads);
  EXPECT_LE(transport.stats().handles, static_cast<std::size_t>(kThreads));
}

TEST_P(CurlTransportSends, RefusedConnectionIsConnectFailed) {
  const std::uint16_t port = test::free_loopback_port();
  CurlTransport transport;
  const Attempt a =
      send(transport, request_to("http://127.0.0.1:" + std::to_string(port) + "/effects"));
  EXPECT_EQ(a.transport, Transport::connect_failed);
  EXPECT_FALSE(a.transport_detail.empty());
}

TEST_P(CurlTransportSends, ServerThatNeverAnswersIsTimeoutAfterSend) {
  TestServer server([](const Received&) { return without_answer(Reply::Then::hang); });
  CurlTransport transport;
  auto request = request_to(server.url("/effects"));
  request.timeout = 300ms;
  const Attempt a = send(transport, request);
  EXPECT_EQ(a.transport, Transport::timeout_after_send) << a.transport_detail;
  EXPECT_EQ(server.requests(), 1);
}

TEST_P(CurlTransportSends, ServerThatHangsUpAfterTheRequestIsResetAfterSend) {
  TestServer server([](const Received&) { return without_answer(Reply::Then::hang_up); });
  CurlTransport transport;
  const Attempt a = send(transport, request_to(server.url("/effects")));
  EXPECT_EQ(a.transport, Transport::connection_reset_after_send) << a.transport_detail;
}

TEST_P(CurlTransportSends, BodyTheServerNeverReadsIsTimeoutBeforeSend) {
  // More than loopback's socket buffers hold: the request cannot be fully written.
  TestServer server(echo, TestServer::Reading::nothing);
  CurlTransport transport;
  auto request = request_to(server.url("/upload"), "POST", std::string(64u << 20, 'x'));
  request.timeout = 500ms;
  const Attempt a = send(transport, request);
  EXPECT_EQ(a.transport, Transport::timeout_before_send) << a.transport_detail;
}

TEST_P(CurlTransportSends, RedirectKeepsMethodAndBody) {
  TestServer server([](const Received& r) {
    if (r.target == "/old") {
      Reply reply;
      reply.status = 302;
      reply.headers = {{"Location", "/new"}};
      return reply;
    }
    return echo(r);
  });
  CurlTransport transport;
  const auto seen = echoed(send(transport, request_to(server.url("/old"))));
  EXPECT_EQ(seen["method"], "POST");
  EXPECT_EQ(seen["target"], "/new");
  EXPECT_EQ(seen["body"], R"({"amount":1250})");
}

TEST_P(CurlTransportSends, EndlessRedirectsReachTheClassifierAsA3xx) {
  TestServer server([](const Received&) {
    Reply reply;
    reply.status = 307;
    reply.headers = {{"Location", "/again"}};
    return reply;
  });
  CurlTransport transport;
  const Attempt a = send(transport, request_to(server.url("/start")));
  EXPECT_EQ(a.transport, Transport::ok);
  EXPECT_EQ(a.response.status, 307);
  EXPECT_EQ(server.requests(), 4);  // the first and max_redirects (3) more
}

TEST_P(CurlTransportSends, OversizedResponseIsNotReadAndTheOutcomeIsUnknown) {
  TestServer server([](const Received&) {
    Reply reply;
    reply.body = std::string(4096, 'y');
    return reply;
  });
  CurlTransportOptions options;
  options.max_response_bytes = 1024;
  CurlTransport transport(options);
  const Attempt a = send(transport, request_to(server.url("/big")));
  EXPECT_EQ(a.transport, Transport::connection_reset_after_send);
  EXPECT_NE(a.transport_detail.find("over 1024 bytes"), std::string::npos) << a.transport_detail;
}

TEST_P(CurlTransportSends, HeaderWithALineBreakIsNotSent) {
  TestServer server(echo);
  CurlTransport transport;
  auto request = request_to(server.url("/effects"));
  request.headers.add("X-Evil", "a\r\nX-Injected: 1");
  const Attempt a = send(transport, request);
  EXPECT_EQ(a.transport, Transport::connect_failed);
  EXPECT_EQ(server.requests(), 0);
}

// Many exchanges in flight at once on the one loop thread: the server answers none until
// all have arrived, so a transport that ran them one after another would never finish.
TEST(CurlTransportEventLoop, RunsManyExchangesAtOnceOnOneThread) {
  constexpr int kCalls = 24;
  std::mutex mutex;
  std::condition_variable all_arrived;
  int arrived = 0;
  bool gave_up = false;  // then every request is answered 503 at once, and the test fails
  TestServer server([&](const Received& r) {
    std::unique_lock lock(mutex);
    if (++arrived == kCalls) all_arrived.notify_all();
    if (gave_up || !all_arrived.wait_for(lock, 10s, [&] { return arrived >= kCalls; })) {
      gave_up = true;
      Reply busy;
      busy.status = 503;
      return busy;
    }
    return echo(r);
  });
  CurlTransport transport;
  std::vector<std::promise<std::pair<Attempt, std::thread::id>>> answers(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    transport.send_async(request_to(server.url("/effects"), "POST", "{\"i\":" + std::to_string(i) + "}"),
                         [&answers, i](Attempt a) {
                           answers[static_cast<std::size_t>(i)].set_value({std::move(a), std::this_thread::get_id()});
                         });
  }
  std::set<std::thread::id> threads;
  for (int i = 0; i < kCalls; ++i) {
    auto [attempt, thread] = answers[static_cast<std::size_t>(i)].get_future().get();
    ASSERT_EQ(attempt.transport, Transport::ok) << attempt.transport_detail;
    ASSERT_EQ(attempt.response.status, 200) << "the exchanges did not run at once";
    EXPECT_EQ(nlohmann::json::parse(attempt.response.body)["body"], "{\"i\":" + std::to_string(i) + "}");
    threads.insert(thread);
  }
  EXPECT_EQ(arrived, kCalls);
  EXPECT_EQ(server.accepted(), kCalls);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_NE(*threads.begin(), std::this_thread::get_id());
  // Afterwards the loop keeps those connections: the next exchanges open none.
  const auto opened = transport.stats().connections_opened;
  std::promise<Attempt> again;
  transport.send_async(request_to(server.url("/effects")), [&again](Attempt a) { again.set_value(std::move(a)); });
  EXPECT_EQ(again.get_future().get().response.status, 200);
  EXPECT_EQ(transport.stats().connections_opened, opened);
}

// A connection that went back to curl's cache stays registered with the loop's epoll; when the
// server closes it there, the loop lets it go instead of waking for it at every turn, and the
// next exchange goes out on a new connection.
TEST(CurlTransportEventLoop, AnIdleConnectionTheServerClosesIsLetGo) {
  TestServer server([](const Received& r) {
    Reply reply = echo(r);
    reply.then = Reply::Then::answer_then_close;
    return reply;
  });
  CurlTransport transport;
  const auto exchange = [&transport, &server] {
    std::promise<Attempt> answer;
    transport.send_async(request_to(server.url("/effects")),
                         [&answer](Attempt a) { answer.set_value(std::move(a)); });
    return answer.get_future().get();
  };
  ASSERT_EQ(exchange().response.status, 200);
  std::this_thread::sleep_for(300ms);  // closed by the server after 50 ms
  const auto wakeups = transport.stats().loop_wakeups;
  std::this_thread::sleep_for(300ms);
  // Woken only by curl's own timer (at most one a second while idle), not at every turn by the
  // closed socket (tens of thousands in this time).
  EXPECT_LE(transport.stats().loop_wakeups - wakeups, 3u);
  const Attempt next = exchange();
  EXPECT_EQ(next.transport, Transport::ok) << next.transport_detail;
  EXPECT_EQ(next.response.status, 200);
  EXPECT_EQ(server.accepted(), 2);
}

// A transport going away still tells every caller how its exchange ended.
TEST(CurlTransportEventLoop, DestructionWaitsForExchangesInFlight) {
  TestServer server([](const Received&) { return without_answer(Reply::Then::hang); });
  std::promise<Attempt> answer;
  {
    CurlTransport transport;
    auto request = request_to(server.url("/effects"));
    request.timeout = 300ms;
    transport.send_async(request, [&answer](Attempt a) { answer.set_value(std::move(a)); });
  }
  auto outcome = answer.get_future();
  ASSERT_EQ(outcome.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(outcome.get().transport, Transport::timeout_after_send);
}

}  // namespace
}  // namespace weft::delivery
