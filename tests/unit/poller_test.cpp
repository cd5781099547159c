// Backfill polling: pages read through the invoker, events appended through the ingest
// group commit with the webhook path's identify(), cursors saved only after the commit.
// A scripted invoker stands in for Stripe; a manual clock means nothing sleeps.
#include "pollers/poller.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "connectors/stripe/stripe_webhook.hpp"
#include "pollers/stripe_events_source.hpp"
#include "store/memory/memory_store.hpp"
#include "weft/manual_clock.hpp"

namespace weft::pollers {
namespace {

using nlohmann::json;

class ScriptedInvoker final : public engine::ActionInvoker {
 public:
  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    requests.push_back(request);
    if (script.empty()) return engine::ActionSuccess{json{{"object", "list"}, {"data", json::array()}}};
    auto next = std::move(script.front());
    script.pop_front();
    return next;
  }
  void page(json data, bool has_more) {
    script.emplace_back(engine::ActionSuccess{
        json{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}}});
  }
  std::deque<engine::ActionOutcome> script;
  std::vector<engine::ActionRequest> requests;
};

json event(const std::string& id, std::int64_t created, const std::string& customer = "cus_1") {
  return {{"id", id},
          {"object", "event"},
          {"type", "invoice.paid"},
          {"created", created},
          {"data", {{"object", {{"id", "in_" + id}, {"object", "invoice"}, {"customer", customer}}}}}};
}

class PollerTest : public ::testing::Test {
 protected:
  PollerTest() {
    clock->set_wall(std::chrono::system_clock::time_point(std::chrono::seconds(kNow)));
    inbound.emplace("stripe", std::make_unique<connectors::stripe::InboundConnector>(
                                  "stripe", "whsec_test", std::chrono::seconds(300)));
    make_committer();
  }

  void make_committer() {
    committer = std::make_unique<ingest::RawEventCommitter>(
        "test", ingest::append_to(store), GroupCommitMetrics{}, clock, GroupCommitOptions{});
  }

  Poller make_poller() {
    std::vector<PollerEntry> entries;
    // Cursors in the plain store, events through the one that can be made to fail: so a
    // test can refuse the commit alone.
    return Poller(std::move(entries), invoker, memory, *committer, inbound, registry, clock);
  }

  std::vector<std::string> logged_ids() {
    RawEventQuery query;
    query.limit = 1000;
    auto events = memory.query_raw_events(query);
    std::vector<std::string> ids;
    for (const auto& e : *events) ids.push_back(e.event_id);
    return ids;
  }

  static constexpr std::int64_t kNow = 1'750'000'000;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  MemoryStore memory;
  FaultInjectingStore store{memory};
  ingest::ConnectorMap inbound;
  std::unique_ptr<ingest::RawEventCommitter> committer;
  ScriptedInvoker invoker;
  metrics::Registry registry;
  StripeEventsSource source{"stripe", 3600};
};

TEST_F(PollerTest, FirstRoundReadsEveryPageAppendsOldestFirstAndSavesTheNewestCreated) {
  invoker.page(json::array({event("evt_4", kNow - 10), event("evt_3", kNow - 20)}), true);
  invoker.page(json::array({event("evt_2", kNow - 30), event("evt_1", kNow - 40)}), false);
  Poller poller = make_poller();

  const RoundResult result = poller.poll_once(source);

  EXPECT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(result.pages, 2u);
  EXPECT_EQ(result.inserted, 4u);
  EXPECT_TRUE(result.cursor_saved);
  ASSERT_EQ(invoker.requests.size(), 2u);
  EXPECT_EQ(invoker.requests[0].connector, "stripe");
  EXPECT_EQ(invoker.requests[0].action, "list_events");
  EXPECT_EQ(invoker.requests[0].input, (json{{"created", {{"gte", kNow - 3600}}}, {"limit", 100}}));
  EXPECT_EQ(invoker.requests[1].input,
            (json{{"created", {{"gte", kNow - 3600}}}, {"limit", 100}, {"starting_after", "evt_3"}}));
  EXPECT_TRUE(invoker.requests[0].idempotency_key.empty());
  EXPECT_EQ(logged_ids(), (std::vector<std::string>{"evt_1", "evt_2", "evt_3", "evt_4"}));
  EXPECT_EQ(memory.load_cursor("stripe.events")->value_or(""), std::to_string(kNow - 10));

  // The identity is the webhook path's: type, business key (the customer), occurred_at.
  const auto stored = memory.find_raw_event("stripe", "evt_1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->event_type, "invoice.paid");
  EXPECT_EQ((*stored)->business_key, "cus_1");
  EXPECT_EQ((*stored)->occurred_at_ms, (kNow - 40) * 1000);
}

TEST_F(PollerTest, NextRoundStartsAtTheSavedWatermarkAndWebhookCopiesAreDuplicates) {
  ASSERT_TRUE(memory.save_cursor("stripe.events", std::to_string(kNow - 100), 0).ok());
  // A webhook brought evt_2 already.
  NewRawEvent webhook;
  webhook.connector = "stripe";
  webhook.event_id = "evt_2";
  webhook.event_type = "invoice.paid";
  webhook.body = event("evt_2", kNow - 50).dump();
  ASSERT_TRUE(memory.append_raw_events({&webhook, 1}).ok());

  invoker.page(json::array({event("evt_3", kNow - 40), event("evt_2", kNow - 50)}), false);
  Poller poller = make_poller();
  const RoundResult result = poller.poll_once(source);

  EXPECT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(invoker.requests.at(0).input["created"]["gte"], kNow - 100);
  EXPECT_EQ(result.inserted, 1u);
  EXPECT_EQ(result.duplicates, 1u);
  EXPECT_EQ(logged_ids(), (std::vector<std::string>{"evt_2", "evt_3"}));
  EXPECT_EQ(memory.load_cursor("stripe.events")->value_or(""), std::to_string(kNow - 40));
  EXPECT_NE(registry.render().find(R"(weft_poll_events_total{connector="stripe",outcome="duplicate"} 1)"),
            std::string::npos);
}

TEST_F(PollerTest, AFailedPageAppendsNothingAndKeepsTheCursor) {
  ASSERT_TRUE(memory.save_cursor("stripe.events", "1749990000", 0).ok());
  invoker.page(json::array({event("evt_2", kNow - 10)}), true);
  delivery::Failure unavailable;
  unavailable.cls = delivery::FailureClass::transient;
  unavailable.message = "503 from Stripe";
  invoker.script.emplace_back(unavailable);
  Poller poller = make_poller();

  const RoundResult result = poller.poll_once(source);

  EXPECT_EQ(result.outcome, RoundResult::Outcome::failed);
  EXPECT_NE(result.error.find("503 from Stripe"), std::string::npos) << result.error;
  EXPECT_TRUE(logged_ids().empty());
  EXPECT_EQ(memory.load_cursor("stripe.events")->value_or(""), "1749990000");
}

TEST_F(PollerTest, DeferredRoundSaysHowLongToWait) {
  invoker.script.emplace_back(engine::Deferred{std::chrono::milliseconds(1500), "rate limit"});
  Poller poller = make_poller();
  const RoundResult result = poller.poll_once(source);
  EXPECT_EQ(result.outcome, RoundResult::Outcome::deferred);
  EXPECT_EQ(result.retry_in, std::chrono::milliseconds(1500));
  EXPECT_FALSE(memory.load_cursor("stripe.events")->has_value());
}

TEST_F(PollerTest, StorageThatRefusesTheCommitSavesNoCursorAndTheNextRoundReadsAgain) {
  invoker.page(json::array({event("evt_1", kNow - 10)}), false);
  store.fail_with(StoreError{StoreErrc::unavailable, "disk gone"});
  Poller poller = make_poller();

  RoundResult result = poller.poll_once(source);
  EXPECT_EQ(result.outcome, RoundResult::Outcome::failed);
  EXPECT_NE(result.error.find("cannot append polled events"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("disk gone"), std::string::npos) << result.error;
  EXPECT_FALSE(memory.load_cursor("stripe.events")->has_value());

  store.fail_with(std::nullopt);
  invoker.page(json::array({event("evt_1", kNow - 10)}), false);
  result = poller.poll_once(source);
  EXPECT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(logged_ids(), (std::vector<std::string>{"evt_1"}));
  EXPECT_EQ(memory.load_cursor("stripe.events")->value_or(""), std::to_string(kNow - 10));
}

TEST_F(PollerTest, UnreadableItemsAreCountedAndTheRestStillLands) {
  json broken = event("evt_bad", kNow - 5);
  broken.erase("type");
  Poller poller = make_poller();
  invoker.page(json::array({broken, event("evt_1", kNow - 10)}), false);
  const RoundResult result = poller.poll_once(source);
  EXPECT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(result.unreadable, 1u);
  EXPECT_EQ(logged_ids(), (std::vector<std::string>{"evt_1"}));
}

TEST_F(PollerTest, AnswerThatIsNotAnEventListFailsTheRound) {
  invoker.script.emplace_back(engine::ActionSuccess{json{{"status", 200}, {"body", "<html>"}}});
  invoker.page(json::array({json{{"id", "evt_x"}}}), false);
  Poller poller = make_poller();
  EXPECT_EQ(poller.poll_once(source).outcome, RoundResult::Outcome::failed);
  const RoundResult second = poller.poll_once(source);
  EXPECT_EQ(second.outcome, RoundResult::Outcome::failed);
  EXPECT_NE(second.error.find("id and created"), std::string::npos) << second.error;
  EXPECT_TRUE(logged_ids().empty());
}

TEST_F(PollerTest, AHandEditedCursorRestartsFromTheLookBack) {
  ASSERT_TRUE(memory.save_cursor("stripe.events", "yesterday", 0).ok());
  Poller poller = make_poller();
  EXPECT_EQ(poller.poll_once(source).outcome, RoundResult::Outcome::completed);
  EXPECT_EQ(invoker.requests.at(0).input["created"]["gte"], kNow - 3600);
}

TEST(StripeEventsSourceTest, LookBackIsCappedAtStripesThirtyDays) {
  StripeEventsSource source("stripe", 90 * 24 * 3600);
  EXPECT_EQ(source.first_input(std::nullopt, 100 * 24 * 3600)["created"]["gte"], 70 * 24 * 3600);
  EXPECT_EQ(source.cursor_name(), "stripe.events");
}

}  // namespace
}  // namespace weft::pollers
