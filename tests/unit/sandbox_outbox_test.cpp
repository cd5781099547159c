// DeliveringOutbox with a fake transport and a ManualClock: where webhooks go, fresh headers
// per attempt, the compressed retry schedule, giving up, order per platform without one
// platform holding up another, record-only mode, clear. deliver_due() stands in for the
// sender threads, so nothing sleeps.

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "sandbox/webhook_outbox.hpp"
#include "weft/manual_clock.hpp"

namespace weft::sandbox {
namespace {

using namespace std::chrono_literals;

class ScriptedTransport final : public delivery::HttpTransport {
 public:
  delivery::Attempt send(const delivery::OutboundRequest& request) override {
    sent.push_back(request);
    delivery::Attempt attempt;
    if (!statuses.empty()) {
      const int status = statuses.front();
      statuses.pop_front();
      if (status == 0) {
        attempt.transport = delivery::Transport::connect_failed;
        attempt.transport_detail = "connection refused";
        return attempt;
      }
      attempt.response.status = status;
      return attempt;
    }
    attempt.response.status = 200;
    return attempt;
  }
  std::vector<delivery::OutboundRequest> sent;
  std::deque<int> statuses;  // answers in order (0: connection refused); then 200s
};

Webhook hook(const std::string& platform, const std::string& id) {
  Webhook webhook;
  webhook.platform = platform;
  webhook.event_id = id;
  webhook.body = "{\"id\":\"" + id + "\"}";
  webhook.headers = [id](std::chrono::system_clock::time_point now) {
    http::Headers headers;
    headers.set("X-Event", id);
    headers.set("X-Signed-At", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
    return headers;
  };
  return webhook;
}

class OutboxTest : public ::testing::Test {
 protected:
  OutboxOptions options() {
    OutboxOptions o;
    o.hub_url = "http://hub.test:7070/";
    o.retry_delays = {200ms, 500ms, 1000ms};
    o.max_attempts = 4;
    return o;
  }
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  ScriptedTransport transport_;
};

TEST_F(OutboxTest, PostsToTheHubsHookForThePlatformWithTheWebhooksHeaders) {
  DeliveringOutbox outbox(options(), transport_, clock_);
  outbox.post(hook("stripe", "evt_1"));
  outbox.deliver_due();
  ASSERT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(transport_.sent[0].method, "POST");
  EXPECT_EQ(transport_.sent[0].url, "http://hub.test:7070/hooks/stripe");
  EXPECT_EQ(transport_.sent[0].body, "{\"id\":\"evt_1\"}");
  EXPECT_EQ(transport_.sent[0].headers.get("X-Event").value_or(""), "evt_1");
  EXPECT_EQ(outbox.counts().delivered, 1u);
  EXPECT_EQ(outbox.counts().pending, 0u);
}

TEST_F(OutboxTest, RetriesOnTheCompressedScheduleWithFreshHeadersUntil2xx) {
  transport_.statuses = {500, 0, 302};
  DeliveringOutbox outbox(options(), transport_, clock_);
  outbox.post(hook("stripe", "evt_1"));
  outbox.deliver_due();
  EXPECT_EQ(transport_.sent.size(), 1u);
  clock_->advance(199ms);
  outbox.deliver_due();
  EXPECT_EQ(transport_.sent.size(), 1u);  // not yet due
  clock_->advance(1ms);
  outbox.deliver_due();
  EXPECT_EQ(transport_.sent.size(), 2u);  // 0.2 s after the first
  clock_->advance(500ms);
  outbox.deliver_due();
  EXPECT_EQ(transport_.sent.size(), 3u);  // 0.5 s after the second; a 3xx is a failure
  clock_->advance(999ms);
  outbox.deliver_due();
  EXPECT_EQ(transport_.sent.size(), 3u);
  clock_->advance(1ms);
  outbox.deliver_due();
  ASSERT_EQ(transport_.sent.size(), 4u);
  EXPECT_EQ(outbox.counts().delivered, 1u);
  // Each attempt was signed at its own time.
  EXPECT_NE(transport_.sent[0].headers.get("X-Signed-At"), transport_.sent[3].headers.get("X-Signed-At"));
  auto view = outbox.to_json();
  EXPECT_EQ(view["webhooks"][0]["status"], "delivered");
  EXPECT_EQ(view["webhooks"][0]["attempts"], 4);
}

TEST_F(OutboxTest, GivesUpAfterMaxAttemptsAndMovesOn) {
  transport_.statuses = {503, 503, 503, 503};
  DeliveringOutbox outbox(options(), transport_, clock_);
  outbox.post(hook("stripe", "evt_1"));
  outbox.post(hook("stripe", "evt_2"));
  for (int i = 0; i < 6; ++i) {
    outbox.deliver_due();
    clock_->advance(1s);
  }
  const auto counts = outbox.counts();
  EXPECT_EQ(counts.failed, 1u);
  EXPECT_EQ(counts.delivered, 1u);
  ASSERT_EQ(transport_.sent.size(), 5u);
  EXPECT_EQ(transport_.sent[4].headers.get("X-Event").value_or(""), "evt_2");
  auto view = outbox.to_json();
  EXPECT_EQ(view["webhooks"][0]["status"], "failed");
  EXPECT_EQ(view["webhooks"][0]["last_status"], 503);
}

TEST_F(OutboxTest, KeepsOrderWithinAPlatformButOthersDoNotWait) {
  transport_.statuses = {500};  // the first stripe webhook fails once
  DeliveringOutbox outbox(options(), transport_, clock_);
  outbox.post(hook("stripe", "s1"));
  outbox.post(hook("stripe", "s2"));
  outbox.post(hook("zendesk", "z1"));
  outbox.deliver_due();
  std::vector<std::string> order;
  for (const auto& request : transport_.sent) order.emplace_back(request.headers.get("X-Event").value_or(""));
  EXPECT_EQ(order, (std::vector<std::string>{"s1", "z1"}));  // s2 waits behind s1; z1 does not
  clock_->advance(200ms);
  outbox.deliver_due();
  order.clear();
  for (const auto& request : transport_.sent) order.emplace_back(request.headers.get("X-Event").value_or(""));
  EXPECT_EQ(order, (std::vector<std::string>{"s1", "z1", "s1", "s2"}));
  EXPECT_EQ(transport_.sent[1].url, "http://hub.test:7070/hooks/zendesk");
}

TEST_F(OutboxTest, WithoutAHubWebhooksAreRecordedNotSent) {
  OutboxOptions o = options();
  o.hub_url.clear();
  DeliveringOutbox outbox(o, transport_, clock_);
  outbox.post(hook("stripe", "evt_1"));
  outbox.deliver_due();
  EXPECT_TRUE(transport_.sent.empty());
  EXPECT_EQ(outbox.counts().recorded, 1u);
  auto view = outbox.to_json();
  EXPECT_TRUE(view["hub_url"].is_null());
  EXPECT_EQ(view["webhooks"][0]["event_id"], "evt_1");
  EXPECT_EQ(view["webhooks"][0]["status"], "recorded");
}

TEST_F(OutboxTest, ClearDropsPendingWebhooksAndHistory) {
  transport_.statuses = {500};
  DeliveringOutbox outbox(options(), transport_, clock_);
  outbox.post(hook("stripe", "evt_1"));
  outbox.deliver_due();
  EXPECT_EQ(outbox.counts().pending, 1u);
  outbox.clear();
  clock_->advance(1s);
  outbox.deliver_due();
  EXPECT_EQ(transport_.sent.size(), 1u);
  EXPECT_EQ(outbox.counts().pending, 0u);
  EXPECT_TRUE(outbox.to_json()["webhooks"].empty());
}

}  // namespace
}  // namespace weft::sandbox
