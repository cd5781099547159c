#pragma once
// DeliveringOutbox: the WebhookOutbox `weft sandbox` uses. It posts each webhook to
// <hub>/hooks/<platform> and retries it on a compressed version of the platforms' own
// exponential schedules (0.2 s, 0.5 s, 1 s, 2 s, … capped) until the hub answers 2xx or the
// attempts run out. Webhooks of one platform go out in order, one at a time (the next waits
// while the head is being retried, as a platform's queue per endpoint does); platforms do
// not wait for each other: each has its own sender thread. Without a hub URL, webhooks are
// recorded (GET /_sandbox/webhooks) but not sent.
//
// Every attempt asks the webhook for fresh headers, so a signature carries the attempt's
// own timestamp.
//
// Threads: post/clear/to_json from any thread. start() spawns the sender threads; without
// it nothing is sent until deliver_due() is called (tests: with a ManualClock and a fake
// transport, no sleeping). stop() joins the threads; webhooks still pending stay pending.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "delivery/http_transport.hpp"
#include "sandbox/platform_emulator.hpp"
#include "weft/clock.hpp"

namespace weft::sandbox {

struct OutboxOptions {
  std::string hub_url;  // e.g. http://127.0.0.1:7070; empty: record only
  // Delay before the 2nd, 3rd, … attempt; the last value repeats.
  std::vector<std::chrono::milliseconds> retry_delays = {
      std::chrono::milliseconds(200), std::chrono::milliseconds(500), std::chrono::milliseconds(1000),
      std::chrono::milliseconds(2000), std::chrono::milliseconds(4000), std::chrono::milliseconds(8000),
      std::chrono::milliseconds(15000), std::chrono::milliseconds(30000)};
  int max_attempts = 12;  // then the webhook is given up ("failed")
  std::chrono::milliseconds request_timeout{5000};
  std::size_t history = 1000;  // finished webhooks kept for the admin view
};

class DeliveringOutbox final : public WebhookOutbox {
 public:
  DeliveringOutbox(OutboxOptions options, delivery::HttpTransport& transport, ClockPtr clock);
  ~DeliveringOutbox() override;
  DeliveringOutbox(const DeliveringOutbox&) = delete;
  DeliveringOutbox& operator=(const DeliveringOutbox&) = delete;

  void post(Webhook webhook) override;

  void start();
  void stop();
  // Makes every attempt that is due now, platform by platform, on the calling thread.
  void deliver_due();
  // Drops every pending webhook and the history (POST /_sandbox/reset).
  void clear();

  struct Counts {
    std::size_t pending = 0, delivered = 0, failed = 0, recorded = 0;
  };
  Counts counts() const;
  // {"hub_url": …, "counts": {…}, "webhooks": [{platform, event_id, status, attempts,
  //  last_status, last_error, posted_at, finished_at, next_attempt_in_ms}, …]}
  nlohmann::json to_json() const;

 private:
  struct Entry;
  struct Lane;
  void run_lane(const std::string& platform);
  // Makes the attempt of the lane's head; called with the lock held, releases it while sending.
  void attempt_head(Lane& lane, std::unique_lock<std::mutex>& lock);
  void finish(Lane& lane, const char* status);
  Lane& lane_for(const std::string& platform);
  std::chrono::milliseconds delay_after(int attempts) const;

  OutboxOptions options_;
  delivery::HttpTransport& transport_;
  ClockPtr clock_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;
  std::deque<std::shared_ptr<Entry>> history_;
  std::uint64_t next_id_ = 1;
  Counts finished_;
  bool started_ = false;
  bool stopping_ = false;
};

}  // namespace weft::sandbox
