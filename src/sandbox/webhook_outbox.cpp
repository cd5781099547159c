#include "sandbox/webhook_outbox.hpp"

#include <algorithm>

#include "core/time_format.hpp"
#include "weft/log.hpp"

namespace weft::sandbox {

struct DeliveringOutbox::Entry {
  std::uint64_t id = 0;
  Webhook webhook;
  std::string status = "pending";  // pending, delivered, failed, recorded
  int attempts = 0;
  int last_status = 0;  // the hub's last HTTP status; 0: none
  std::string last_error;
  std::int64_t posted_ms = 0;
  std::int64_t finished_ms = 0;
  std::chrono::steady_clock::time_point next_at;
};

struct DeliveringOutbox::Lane {
  std::deque<std::shared_ptr<Entry>> pending;
  bool in_flight = false;
  std::thread thread;
};

DeliveringOutbox::DeliveringOutbox(OutboxOptions options, delivery::HttpTransport& transport, ClockPtr clock)
    : options_(std::move(options)), transport_(transport), clock_(std::move(clock)) {
  while (!options_.hub_url.empty() && options_.hub_url.back() == '/') options_.hub_url.pop_back();
  if (options_.retry_delays.empty()) options_.retry_delays.push_back(std::chrono::milliseconds(1000));
  options_.max_attempts = std::max(options_.max_attempts, 1);
}

DeliveringOutbox::~DeliveringOutbox() { stop(); }

DeliveringOutbox::Lane& DeliveringOutbox::lane_for(const std::string& platform) {
  auto& lane = lanes_[platform];
  if (!lane) {
    lane = std::make_unique<Lane>();
    if (started_ && !stopping_) lane->thread = std::thread([this, platform] { run_lane(platform); });
  }
  return *lane;
}

void DeliveringOutbox::post(Webhook webhook) {
  auto entry = std::make_shared<Entry>();
  entry->webhook = std::move(webhook);
  entry->posted_ms = clock_->unix_millis();
  entry->next_at = clock_->monotonic();
  std::lock_guard lock(mutex_);
  entry->id = next_id_++;
  if (options_.hub_url.empty()) {
    entry->status = "recorded";
    ++finished_.recorded;
    history_.push_back(std::move(entry));
    while (history_.size() > options_.history) history_.pop_front();
    return;
  }
  lane_for(entry->webhook.platform).pending.push_back(std::move(entry));
  changed_.notify_all();
}

void DeliveringOutbox::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  for (auto& [platform, lane] : lanes_) {
    lane->thread = std::thread([this, name = platform] { run_lane(name); });
  }
}

void DeliveringOutbox::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [platform, lane] : lanes_) {
      if (lane->thread.joinable()) threads.push_back(std::move(lane->thread));
    }
  }
  changed_.notify_all();
  for (auto& thread : threads) thread.join();
}

void DeliveringOutbox::run_lane(const std::string& platform) {
  std::unique_lock lock(mutex_);
  Lane& lane = *lanes_.at(platform);  // lanes are never removed
  while (!stopping_) {
    if (lane.pending.empty() || lane.in_flight) {
      changed_.wait(lock);
      continue;
    }
    const auto now = clock_->monotonic();
    const auto due = lane.pending.front()->next_at;
    if (due > now) {
      changed_.wait_for(lock, due - now);
      continue;
    }
    attempt_head(lane, lock);
  }
}

void DeliveringOutbox::deliver_due() {
  std::unique_lock lock(mutex_);
  for (auto& [platform, lane] : lanes_) {
    while (!lane->pending.empty() && !lane->in_flight && lane->pending.front()->next_at <= clock_->monotonic()) {
      const auto before = lane->pending.front();
      attempt_head(*lane, lock);
      // A retry scheduled for later ends this lane's turn.
      if (!lane->pending.empty() && lane->pending.front() == before) break;
    }
  }
}

std::chrono::milliseconds DeliveringOutbox::delay_after(int attempts) const {
  const auto index = static_cast<std::size_t>(std::max(attempts, 1) - 1);
  return options_.retry_delays[std::min(index, options_.retry_delays.size() - 1)];
}

void DeliveringOutbox::attempt_head(Lane& lane, std::unique_lock<std::mutex>& lock) {
  auto entry = lane.pending.front();
  lane.in_flight = true;
  delivery::OutboundRequest request;
  request.method = "POST";
  request.url = options_.hub_url + "/hooks/" + entry->webhook.platform;
  request.body = entry->webhook.body;
  request.timeout = options_.request_timeout;
  const auto headers_for = entry->webhook.headers;
  lock.unlock();
  if (headers_for) request.headers = headers_for(clock_->now());
  const delivery::Attempt attempt = transport_.send(request);
  lock.lock();
  lane.in_flight = false;
  ++entry->attempts;
  const bool ok = attempt.transport == delivery::Transport::ok && attempt.response.status >= 200 &&
                  attempt.response.status < 300;
  if (attempt.transport == delivery::Transport::ok) {
    entry->last_status = attempt.response.status;
    entry->last_error = ok ? "" : "HTTP " + std::to_string(attempt.response.status);
  } else {
    entry->last_status = 0;
    entry->last_error = std::string(delivery::to_string(attempt.transport)) + ": " + attempt.transport_detail;
  }
  // clear() may have dropped the entry while it was being sent.
  const bool still_head = !lane.pending.empty() && lane.pending.front() == entry;
  if (still_head) {
    if (ok) {
      finish(lane, "delivered");
    } else if (entry->attempts >= options_.max_attempts) {
      log::warn("sandbox.webhook_failed", {{"platform", entry->webhook.platform},
                                           {"event_id", entry->webhook.event_id},
                                           {"attempts", entry->attempts},
                                           {"error", entry->last_error}});
      finish(lane, "failed");
    } else {
      entry->next_at = clock_->monotonic() + delay_after(entry->attempts);
    }
  }
  changed_.notify_all();
}

void DeliveringOutbox::finish(Lane& lane, const char* status) {
  auto entry = lane.pending.front();
  lane.pending.pop_front();
  entry->status = status;
  entry->finished_ms = clock_->unix_millis();
  (entry->status == "delivered" ? finished_.delivered : finished_.failed) += 1;
  history_.push_back(std::move(entry));
  while (history_.size() > options_.history) history_.pop_front();
}

void DeliveringOutbox::clear() {
  std::lock_guard lock(mutex_);
  for (auto& [platform, lane] : lanes_) lane->pending.clear();
  history_.clear();
  finished_ = {};
  changed_.notify_all();
}

DeliveringOutbox::Counts DeliveringOutbox::counts() const {
  std::lock_guard lock(mutex_);
  Counts counts = finished_;
  for (const auto& [platform, lane] : lanes_) counts.pending += lane->pending.size();
  return counts;
}

nlohmann::json DeliveringOutbox::to_json() const {
  std::lock_guard lock(mutex_);
  const auto now = clock_->monotonic();
  auto view = [&](const Entry& e) {
    nlohmann::json j{{"id", e.id},
                     {"platform", e.webhook.platform},
                     {"event_id", e.webhook.event_id},
                     {"status", e.status},
                     {"attempts", e.attempts},
                     {"last_status", e.last_status == 0 ? nlohmann::json() : nlohmann::json(e.last_status)},
                     {"last_error", e.last_error.empty() ? nlohmann::json() : nlohmann::json(e.last_error)},
                     {"posted_at", format_iso8601_ms(e.posted_ms)},
                     {"finished_at", e.finished_ms == 0 ? nlohmann::json() : nlohmann::json(format_iso8601_ms(e.finished_ms))}};
    if (e.status == "pending") {
      j["next_attempt_in_ms"] =
          std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(e.next_at - now).count());
    }
    return j;
  };
  nlohmann::json list = nlohmann::json::array();
  for (const auto& entry : history_) list.push_back(view(*entry));
  for (const auto& [platform, lane] : lanes_) {
    for (const auto& entry : lane->pending) list.push_back(view(*entry));
  }
  Counts counts = finished_;
  for (const auto& [platform, lane] : lanes_) counts.pending += lane->pending.size();
  return nlohmann::json{{"hub_url", options_.hub_url.empty() ? nlohmann::json() : nlohmann::json(options_.hub_url)},
                        {"counts",
                         {{"pending", counts.pending},
                          {"delivered", counts.delivered},
                          {"failed", counts.failed},
                          {"recorded", counts.recorded}}},
                        {"webhooks", std::move(list)}};
}

}  // namespace weft::sandbox
