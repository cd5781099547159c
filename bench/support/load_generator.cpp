#include "support/load_generator.hpp"

#include <sys/resource.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <optional>
#include <stdexcept>

#include "support/cpu.hpp"

namespace weft::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct LoadRun::Impl {
  Impl(std::uint16_t port, const Workload& workload, double rate, double duration,
       int connections, double drain_timeout)
      : ioc_(1),
        endpoint_(net::ip::make_address("127.0.0.1"), port),
        workload_(workload),
        interval_ns_(1e9 / rate),
        duration_(duration),
        drain_timeout_(drain_timeout),
        timer_(ioc_),
        deadline_timer_(ioc_),
        connections_(static_cast<std::size_t>(connections)) {
    due_.resize(workload.requests.size());
    result_.sent_at.resize(workload.requests.size());
    result_.ack_by_request.assign(workload.requests.size(), -1);
  }

  RunResult run() {
    for (auto& c : conns_storage()) {
      beast::error_code ec;
      c->socket.connect(endpoint_, ec);
      if (ec) throw std::runtime_error("cannot connect to the hub: " + ec.message());
      c->socket.set_option(tcp::no_delay(true), ec);
      idle_.push_back(c.get());
    }
    const double cpu_before = thread_cpu_seconds();
    start_ = Clock::now();
    result_.start = start_;
    last_answer_ = start_;
    schedule();
    deadline_timer_.expires_at(start_ + to_nanos(duration_ + drain_timeout_));
    deadline_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) finish();
    });
    ioc_.run();
    const double cpu_after = thread_cpu_seconds();

    result_.offered = workload_.requests.size();
    result_.unanswered = result_.sent - answered_ - result_.transport_errors;
    result_.unsent = workload_.requests.size() - result_.sent;
    result_.elapsed_s =
        std::max(duration_, std::chrono::duration<double>(last_answer_ - start_).count());
    result_.client_cpu_s = cpu_after - cpu_before;
    return std::move(result_);
  }

  struct Conn {
    // Beast sizes each read by the buffer's capacity (at least 512 bytes): room for a whole
    // answer means one read per answer.
    explicit Conn(net::io_context& ioc) : socket(ioc) { buffer.reserve(16 * 1024); }
    tcp::socket socket;
    beast::flat_buffer buffer;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    std::size_t current = 0;
  };

  static Nanos to_nanos(double seconds) { return Nanos(static_cast<std::int64_t>(seconds * 1e9)); }
  Clock::time_point due_time(std::size_t i) const {
    return start_ + Nanos(static_cast<std::int64_t>(static_cast<double>(i) * interval_ns_));
  }

  std::vector<std::unique_ptr<Conn>>& conns_storage() {
    if (conns_.empty()) {
      for (std::size_t i = 0; i < connections_; ++i) conns_.push_back(std::make_unique<Conn>(ioc_));
    }
    return conns_;
  }

  // Makes every request that is due by now ready to go, then sleeps until the next one.
  void schedule() {
    if (finished_) return;
    const auto now = Clock::now();
    const std::size_t total = workload_.requests.size();
    while (next_ < total && due_time(next_) <= now) {
      const std::size_t i = next_++;
      due_[i] = due_time(i);
      if (!idle_.empty()) {
        Conn* c = idle_.back();
        idle_.pop_back();
        send(*c, i);
      } else {
        backlog_.push_back(i);
      }
    }
    if (next_ < total) {
      timer_.expires_at(due_time(next_));
      timer_.async_wait([this](beast::error_code ec) {
        if (!ec) schedule();
      });
    } else {
      maybe_finish();
    }
  }

  void send(Conn& c, std::size_t i) {
    c.current = i;
    const auto now = Clock::now();
    result_.sent_at[i] = now;
    result_.send_lag_ns.push_back(Nanos(now - due_[i]).count());
    ++result_.sent;
    const std::string& bytes = workload_.requests[i];
    net::async_write(c.socket, net::buffer(bytes), [this, &c](beast::error_code ec, std::size_t) {
      if (ec) return on_failure(c);
      c.parser.emplace();
      c.parser->body_limit(1024 * 1024);
      bhttp::async_read(c.socket, c.buffer, *c.parser,
                        [this, &c](beast::error_code rec, std::size_t) { on_answer(c, rec); });
    });
  }

  void on_answer(Conn& c, beast::error_code ec) {
    if (ec) return on_failure(c);
    const auto now = Clock::now();
    last_answer_ = now;
    ++answered_;
    const int status = static_cast<int>(c.parser->get().result_int());
    ++result_.by_status[status];
    if (status >= 200 && status < 300) {
      result_.ack_ns.push_back(Nanos(now - due_[c.current]).count());
      result_.ack_by_request[c.current] = result_.ack_ns.back();
      result_.wire_ns.push_back(Nanos(now - result_.sent_at[c.current]).count());
    }
    if (!c.parser->get().keep_alive()) return reconnect(c);
    release(c);
  }

  void release(Conn& c) {
    if (!backlog_.empty()) {
      const std::size_t i = backlog_.front();
      backlog_.pop_front();
      return send(c, i);
    }
    idle_.push_back(&c);
    maybe_finish();
  }

  void on_failure(Conn& c) {
    if (finished_) return;
    ++result_.transport_errors;
    reconnect(c);
  }

  void reconnect(Conn& c) {
    beast::error_code ignored;
    c.socket.close(ignored);
    c.buffer.clear();
    c.socket.async_connect(endpoint_, [this, &c](beast::error_code ec) {
      if (finished_) return;
      if (ec) {
        // The hub is gone or refusing: retry shortly rather than spin.
        auto retry = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
        retry->async_wait([this, &c, retry](beast::error_code) {
          if (!finished_) reconnect(c);
        });
        return;
      }
      beast::error_code nd;
      c.socket.set_option(tcp::no_delay(true), nd);
      release(c);
    });
  }

  void maybe_finish() {
    if (next_ == workload_.requests.size() && backlog_.empty() && idle_.size() == conns_.size()) {
      finish();
    }
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    deadline_timer_.cancel();
    for (auto& c : conns_) {
      beast::error_code ignored;
      c->socket.close(ignored);
    }
  }

  net::io_context ioc_;
  tcp::endpoint endpoint_;
  const Workload& workload_;
  double interval_ns_;
  double duration_;
  double drain_timeout_;
  net::steady_timer timer_;
  net::steady_timer deadline_timer_;
  std::size_t connections_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::deque<std::size_t> backlog_;
  std::vector<Clock::time_point> due_;
  Clock::time_point start_;
  Clock::time_point last_answer_;
  std::size_t next_ = 0;
  std::size_t answered_ = 0;
  bool finished_ = false;
  RunResult result_;
};

LoadRun::LoadRun(std::uint16_t port, const Workload& workload, double rate, double duration,
                 int connections, double drain_timeout)
    : impl_(std::make_unique<Impl>(port, workload, rate, duration, connections, drain_timeout)) {}

LoadRun::~LoadRun() = default;

RunResult LoadRun::run() { return impl_->run(); }

}  // namespace weft::bench
