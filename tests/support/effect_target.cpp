#include "support/effect_target.hpp"

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <queue>
#include <thread>
#include <vector>

#include "http/problem.hpp"
#include "http/server.hpp"

namespace weft::test {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Answers held back until their time, on one thread.
class Delayer {
 public:
  void start() {
    thread_ = std::thread([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void at(SteadyClock::time_point when, http::Responder respond, http::Response response) {
    {
      std::lock_guard lock(mutex_);
      queue_.push(Pending{when, seq_++, std::move(respond), std::move(response)});
    }
    cv_.notify_one();
  }

 private:
  struct Pending {
    SteadyClock::time_point when;
    std::uint64_t seq;  // FIFO among equal times
    http::Responder respond;
    http::Response response;
    bool operator>(const Pending& other) const {
      return when != other.when ? when > other.when : seq > other.seq;
    }
  };
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (queue_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const auto when = queue_.top().when;
      if (SteadyClock::now() < when) {
        cv_.wait_until(lock, when);
        continue;
      }
      Pending next = queue_.top();
      queue_.pop();
      lock.unlock();
      next.respond(std::move(next.response));
      lock.lock();
    }
    // Whatever is left is answered now, so the server can drain.
    while (!queue_.empty()) {
      Pending next = queue_.top();
      queue_.pop();
      next.respond(std::move(next.response));
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

struct EffectTarget::Impl : http::Handler {
  EffectTargetOptions options;
  std::unique_ptr<http::Server> server;
  Delayer delayer;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  EffectCounts counts;
  std::map<std::string, std::string, std::less<>> answers;  // key → the first answer's body
  std::function<void(const Effect&)> callback;

  void handle(http::Request request, http::Responder respond) override {
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (request.method != "POST" || !body.is_object()) {
      respond(http::json_response(400, R"({"error":"POST a JSON object"})"));
      return;
    }
    const std::string instance = body.value("instance", "");
    const std::string step = body.value("step", "");
    const std::string key(request.headers.get("Idempotency-Key").value_or(""));
    std::optional<Effect> applied;
    std::string answer;
    std::function<void(const Effect&)> notify;
    {
      std::lock_guard lock(mutex);
      notify = callback;
      ++counts.requests;
      if (key.empty()) ++counts.without_key;
      counts.keys_by_step[{instance, step}].insert(key);
      if (auto seen = answers.find(key); !key.empty() && seen != answers.end()) {
        ++counts.redeliveries;
        answer = seen->second;
      } else {
        ++counts.effects;
        answer = nlohmann::json{{"id", "eff_" + std::to_string(counts.effects)}, {"instance", instance},
                                {"step", step}}
                     .dump();
        if (!key.empty()) answers.emplace(key, answer);
        applied = Effect{key, instance, step, body.value("invoice", ""), SteadyClock::now()};
      }
    }
    changed.notify_all();
    if (applied && notify) notify(*applied);
    http::Response response = http::json_response(200, std::move(answer));
    if (options.latency.count() == 0) {
      respond(std::move(response));
    } else {
      delayer.at(SteadyClock::now() + options.latency, std::move(respond), std::move(response));
    }
  }
};

EffectTarget::EffectTarget(EffectTargetOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}

EffectTarget::~EffectTarget() { stop(); }

Result<void, std::string> EffectTarget::start() {
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = impl_->options.threads;
  impl_->server = std::make_unique<http::Server>(options, *impl_);
  impl_->delayer.start();
  return impl_->server->start();
}

void EffectTarget::stop() {
  if (!impl_->server) return;
  impl_->server->stop_accepting();
  impl_->delayer.stop();
  impl_->server->drain(std::chrono::seconds(2));
  impl_->server->stop();
  impl_->server.reset();
}

std::uint16_t EffectTarget::port() const { return impl_->server ? impl_->server->port() : 0; }

std::string EffectTarget::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

void EffectTarget::on_effect(std::function<void(const Effect&)> callback) {
  std::lock_guard lock(impl_->mutex);
  impl_->callback = std::move(callback);
}

EffectCounts EffectTarget::counts() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts;
}

std::int64_t EffectTarget::effects() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counts.effects;
}

bool EffectTarget::wait_for_effects(std::int64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return impl_->counts.effects >= n; });
}

}  // namespace weft::test
