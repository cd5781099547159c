// Zendesk's backfill poll: the ticket-events export turned back into event-subscription
// envelopes. Pages and cursors are checked on hand-written answers; the envelopes against
// the webhooks the sandbox's Zendesk emulator sent for the same updates (read through the
// real connector: the export page, then show_many); and the poller with the memory store
// shows that a change that came by webhook and by poll is stored once.
#include <gtest/gtest.h>

#include <set>

#include "connectors/zendesk/zendesk_connector.hpp"
#include "connectors/zendesk/zendesk_webhook.hpp"
#include "crypto/hmac.hpp"
#include "pollers/poller.hpp"
#include "pollers/zendesk_ticket_events_source.hpp"
#include "sandbox/zendesk/zendesk_emulator.hpp"
#include "store/memory/memory_store.hpp"
#include "support/recording_outbox.hpp"
#include "weft/manual_clock.hpp"

namespace weft::pollers {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'750'000'000;
const std::string kBase = "http://127.0.0.1:7171";

// ---------------------------------------------------------------------------------------
// Pages and cursors

class SourcePagesTest : public ::testing::Test {
 protected:
  Result<PageRead, std::string> read(const json& input, const json& output) const {
    json round;
    return source.read(input, output, round);
  }
  static json audit(std::int64_t id, std::int64_t ticket, const std::string& at, json children) {
    return {{"id", id},        {"ticket_id", ticket},   {"timestamp", 0},
            {"created_at", at}, {"updater_id", 7},       {"event_type", "Audit"},
            {"child_events", std::move(children)}};
  }
  ZendeskTicketEventsSource source{"zendesk", 3600};
};

TEST_F(SourcePagesTest, FirstInputStartsAtTheLookBackOrTheSavedEndTimeNeverWithinTheLastMinute) {
  EXPECT_EQ(source.first_input(std::nullopt, kNow), (json{{"start_time", kNow - 3600}}));
  EXPECT_EQ(source.first_input("1749999000", kNow), (json{{"start_time", 1749999000}}));
  // A cursor this source did not write restarts from the look-back.
  EXPECT_EQ(source.first_input("MTU3fHw=", kNow), (json{{"start_time", kNow - 3600}}));
  // Zendesk refuses a start_time within the last minute.
  EXPECT_EQ(source.first_input(std::to_string(kNow - 5), kNow), (json{{"start_time", kNow - 60}}));
  ZendeskTicketEventsSource short_look_back{"zendesk", 10};
  EXPECT_EQ(short_look_back.first_input(std::nullopt, kNow), (json{{"start_time", kNow - 60}}));
}

TEST_F(SourcePagesTest, EveryPageSavesItsEndTimeAndTheNextStartsThere) {
  const json input{{"start_time", 100}};
  const json page{{"ticket_events",
                   json::array({audit(1, 5, "2025-01-01T00:00:00Z",
                                      json::array({{{"id", 2}, {"status", "open"},
                                                    {"previous_value", "new"},
                                                    {"event_type", "Change"}}}))})},
                  {"end_time", 200},
                  {"end_of_stream", false}};
  const auto first = read(input, page);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first->cursor, "200");
  ASSERT_TRUE(first->next_input.has_value());
  EXPECT_EQ(*first->next_input, (json{{"start_time", 200}}));
  ASSERT_EQ(first->bodies.size(), 1u);
  const json envelope = json::parse(first->bodies[0]);
  EXPECT_EQ(envelope["type"], "zen:event-type:ticket.status_changed");
  EXPECT_EQ(envelope["id"], "zen:ticket:5:ticket.status_changed:2025-01-01T00:00:00.000Z:open");
  EXPECT_EQ(envelope["event"], (json{{"current", "OPEN"}, {"previous", "NEW"}}));
  // No show_many answer for ticket 5 (deleted): the detail is what the events say.
  EXPECT_EQ(envelope["detail"]["id"], "5");
  EXPECT_EQ(envelope["detail"]["status"], "OPEN");
  EXPECT_EQ(envelope["detail"]["actor_id"], "7");

  json last = page;
  last["end_of_stream"] = true;
  const auto end = read(input, last);
  ASSERT_TRUE(end.ok()) << end.error();
  EXPECT_EQ(end->cursor, "200");
  EXPECT_FALSE(end->next_input.has_value());
}

TEST_F(SourcePagesTest, BadPagesAreErrorsNotEvents) {
  const json input{{"start_time", 100}};
  const auto error_of = [&](const json& output) {
    const auto page = read(input, output);
    return page.ok() ? std::string("(accepted)") : page.error();
  };
  EXPECT_NE(error_of(json::array()).find("ticket_events"), std::string::npos);
  EXPECT_NE(error_of({{"ticket_events", json::array()}}).find("end_time"), std::string::npos);
  EXPECT_NE(error_of({{"ticket_events", json::array()}, {"end_time", "soon"}, {"end_of_stream", true}})
                .find("end_time"),
            std::string::npos);
  EXPECT_NE(error_of({{"ticket_events", json::array({42})}, {"end_time", 200}, {"end_of_stream", true}})
                .find("not an object"),
            std::string::npos);
  EXPECT_NE(error_of({{"ticket_events", json::array({{{"id", 1}, {"created_at", "2025-01-01T00:00:00Z"}}})},
                      {"end_time", 200},
                      {"end_of_stream", true}})
                .find("ticket_id"),
            std::string::npos);
  EXPECT_NE(error_of({{"ticket_events", json::array({audit(1, 5, "yesterday", json::array())})},
                      {"end_time", 200},
                      {"end_of_stream", true}})
                .find("created_at"),
            std::string::npos);
  // A full page that ends where it started would be read again for ever.
  EXPECT_NE(error_of({{"ticket_events", json::array()}, {"end_time", 100}, {"end_of_stream", false}})
                .find("did not advance"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------
// Against the emulator

// Runs listing actions through the real Zendesk connector against the emulator, with no
// delivery machinery between: prepare, the emulator's answer, read_exchange, follow-ups.
class EmulatorInvoker final : public engine::ActionInvoker {
 public:
  EmulatorInvoker(connectors::zendesk::ZendeskConnector& connector, sandbox::zendesk::ZendeskEmulator& emulator)
      : connector_(connector), emulator_(emulator) {}

  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    ++calls;
    auto outbound = connector_.prepare(request);
    if (!outbound) return outbound.error();
    std::vector<http::Response> answers;
    for (int i = 0; i < connectors::kMaxExchanges; ++i) {
      answers.push_back(emulator_.handle(to_request(*outbound)));
      if (answers.back().status != 200) {
        delivery::Failure failure;
        failure.message = answers.back().body;
        return failure;
      }
      auto reading = connector_.read_exchange(request, answers);
      if (!reading) return reading.error();
      if (auto* output = std::get_if<json>(&*reading)) return engine::ActionSuccess{*output};
      outbound = std::get<connectors::FollowUp>(*reading).request;
    }
    return delivery::Failure{};
  }
  int calls = 0;

 private:
  static http::Request to_request(const delivery::OutboundRequest& outbound) {
    http::Request r;
    r.method = outbound.method;
    r.target = outbound.url.substr(kBase.size());
    const auto q = r.target.find('?');
    r.path = r.target.substr(0, q);
    r.query = q == std::string::npos ? "" : r.target.substr(q + 1);
    r.headers = outbound.headers;
    r.headers.add("Host", "127.0.0.1:7171");
    return r;
  }
  connectors::zendesk::ZendeskConnector& connector_;
  sandbox::zendesk::ZendeskEmulator& emulator_;
};

config::ConnectorConfig zendesk_config() {
  config::ConnectorConfig c;
  c.name = "zendesk";
  c.type = "zendesk";
  c.base_url = kBase;
  c.email = "demo@weft.example";
  c.api_token = config::Secret("zd_demo_token");
  return c;
}

// What the poll cannot know and so leaves out: the account id, the random sequence of the
// update, a custom field's title and type.
json comparable(json envelope) {
  envelope.erase("account_id");
  envelope["event"].erase("meta");
  if (envelope["event"].contains("custom_field")) {
    envelope["event"]["custom_field"] = {{"id", envelope["event"]["custom_field"]["id"]}};
  }
  return envelope;
}

class SourceAgainstEmulatorTest : public ::testing::Test {
 protected:
  SourceAgainstEmulatorTest() {
    clock->set_wall(std::chrono::system_clock::time_point(std::chrono::seconds(kNow)));
    inbound.emplace("zendesk", std::make_unique<connectors::zendesk::InboundConnector>(
                                   "zendesk", credentials.zendesk_webhook_secret,
                                   std::chrono::seconds(300)));
    committer = std::make_unique<ingest::RawEventCommitter>(
        "test", ingest::append_to(memory), GroupCommitMetrics{}, clock, GroupCommitOptions{});
  }

  http::Response call(const std::string& method, const std::string& target, const json& body) {
    http::Request r;
    r.method = method;
    r.target = target;
    r.path = target;
    r.body = body.dump();
    r.headers.add("Host", "127.0.0.1:7171");
    r.headers.add("Authorization", "Basic " + crypto::base64_encode(std::string(
                                                  "demo@weft.example/token:zd_demo_token")));
    return emulator.handle(r);
  }

  // A ticket created, then two updates 10 s apart; the poll comes two minutes later.
  void make_history() {
    ASSERT_EQ(call("POST", "/api/v2/tickets.json",
                   {{"ticket", {{"subject", "Printer"}, {"comment", {{"body", "It smokes"}}}, {"tags", {"vip"}}}}})
                  .status,
              201);
    clock->advance(std::chrono::seconds(10));
    ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json",
                   {{"ticket", {{"status", "open"},
                                {"additional_tags", {"service_credit_request"}},
                                {"custom_fields", {{{"id", 360001}, {"value", "INV-1"}}}}}}})
                  .status,
              200);
    clock->advance(std::chrono::seconds(10));
    ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json", {{"ticket", {{"priority", "urgent"}}}}).status, 200);
    clock->advance(std::chrono::seconds(120));
  }

  Poller make_poller() {
    return Poller({}, invoker, memory, *committer, inbound, registry, clock);
  }

  // The webhook path: identify, then append.
  void ingest_webhook(const std::string& body) {
    const auto identity = inbound.at("zendesk")->identify(http::Headers{}, body);
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    NewRawEvent event;
    event.connector = "zendesk";
    event.event_id = identity->event_id;
    event.event_type = identity->event_type;
    event.business_key = identity->business_key;
    event.body = body;
    ASSERT_TRUE(memory.append_raw_events({&event, 1}).ok());
  }

  std::size_t stored_count() {
    RawEventQuery query;
    query.limit = 1000;
    return memory.query_raw_events(query)->size();
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  sandbox::Credentials credentials;
  test::RecordingOutbox outbox;
  sandbox::zendesk::ZendeskEmulator emulator{sandbox::EmulatorContext{credentials, clock, outbox}};
  connectors::zendesk::ZendeskConnector connector{zendesk_config(), clock};
  EmulatorInvoker invoker{connector, emulator};
  MemoryStore memory;
  ingest::ConnectorMap inbound;
  std::unique_ptr<ingest::RawEventCommitter> committer;
  metrics::Registry registry;
  ZendeskTicketEventsSource source{"zendesk", 3600};
};

TEST_F(SourceAgainstEmulatorTest, EnvelopesAreTheWebhooksOfTheSameUpdatesWithTheSameIds) {
  make_history();
  const json input = source.first_input(std::nullopt, kNow + 140);
  engine::ActionRequest request;
  request.connector = "zendesk";
  request.action = "incremental_ticket_events";
  request.input = input;
  const auto outcome = invoker.invoke(request);
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(outcome));
  json round;
  const auto page = source.read(input, std::get<engine::ActionSuccess>(outcome).output, round);
  ASSERT_TRUE(page.ok()) << page.error();

  std::vector<std::string> webhooks;
  for (const auto& hook : outbox.sent) webhooks.push_back(hook.body);
  ASSERT_EQ(webhooks.size(), 5u);  // created; status, tags, custom field; priority
  ASSERT_EQ(page->bodies.size(), webhooks.size());
  const auto& zendesk = *inbound.at("zendesk");
  for (std::size_t i = 0; i < webhooks.size(); ++i) {
    const json hook = json::parse(webhooks[i]);
    json polled = json::parse(page->bodies[i]);
    const auto hook_id = zendesk.identify(http::Headers{}, webhooks[i]);
    const auto polled_id = zendesk.identify(http::Headers{}, page->bodies[i]);
    ASSERT_TRUE(hook_id.ok() && polled_id.ok());
    EXPECT_EQ(polled_id->event_id, hook_id->event_id) << hook["type"];
    EXPECT_EQ(polled_id->event_type, hook_id->event_type);
    EXPECT_EQ(polled_id->business_key, hook_id->business_key);
    EXPECT_EQ(polled["id"], polled_id->event_id);
    // The details match too: the ticket as each update left it, not as it is now.
    json expected = comparable(hook);
    expected.erase("id");
    polled.erase("id");
    EXPECT_EQ(polled, expected) << "webhook " << i;
  }
  // Distinct events of one update have distinct ids.
  std::set<std::string> ids;
  for (const auto& body : page->bodies) ids.insert(json::parse(body)["id"].get<std::string>());
  EXPECT_EQ(ids.size(), page->bodies.size());
}

TEST_F(SourceAgainstEmulatorTest, AChangeThatCameByWebhookAndByPollIsStoredOnce) {
  make_history();
  // Every webhook but the priority change arrived; that one was lost.
  ASSERT_EQ(outbox.sent.size(), 5u);
  for (std::size_t i = 0; i + 1 < outbox.sent.size(); ++i) ingest_webhook(outbox.sent[i].body);
  // A redelivery of a webhook (same content, new envelope id) is the same event.
  json again = json::parse(outbox.sent[1].body);
  again["id"] = "another-delivery-uuid";
  ingest_webhook(again.dump());
  ASSERT_EQ(stored_count(), 4u);

  Poller poller = make_poller();
  const RoundResult result = poller.poll_once(source);
  EXPECT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(result.duplicates, 4u);
  EXPECT_EQ(result.inserted, 1u);  // the lost priority change
  EXPECT_EQ(stored_count(), 5u);
  EXPECT_EQ(memory.load_cursor("zendesk.ticket_events")->value_or(""), std::to_string(kNow + 20));

  // The next round starts at the saved end_time: the same second again, all duplicates.
  const RoundResult next = poller.poll_once(source);
  EXPECT_EQ(next.outcome, RoundResult::Outcome::completed) << next.error;
  EXPECT_EQ(next.inserted, 0u);
  EXPECT_EQ(next.duplicates, 1u);
  EXPECT_EQ(stored_count(), 5u);
}

TEST_F(SourceAgainstEmulatorTest, PagesOfTheExportAreReadInTurnAndEachSavesItsEndTime) {
  sandbox::zendesk::Options options;
  options.export_page_size = 2;
  sandbox::zendesk::ZendeskEmulator small{sandbox::EmulatorContext{credentials, clock, outbox}, options};
  EmulatorInvoker small_invoker{connector, small};
  // Three updates in three seconds.
  const auto put = [&](const json& body) {
    http::Request r;
    r.method = "PUT";
    r.target = r.path = "/api/v2/tickets/1.json";
    r.body = body.dump();
    r.headers.add("Authorization", "Basic " + crypto::base64_encode(std::string(
                                                  "demo@weft.example/token:zd_demo_token")));
    return small.handle(r).status;
  };
  http::Request create;
  create.method = "POST";
  create.target = create.path = "/api/v2/tickets.json";
  create.body = json{{"ticket", {{"comment", {{"body", "a"}}}}}}.dump();
  create.headers.add("Authorization", "Basic " + crypto::base64_encode(std::string(
                                                     "demo@weft.example/token:zd_demo_token")));
  ASSERT_EQ(small.handle(create).status, 201);
  clock->advance(std::chrono::seconds(1));
  ASSERT_EQ(put({{"ticket", {{"status", "open"}}}}), 200);
  clock->advance(std::chrono::seconds(1));
  ASSERT_EQ(put({{"ticket", {{"status", "pending"}}}}), 200);
  clock->advance(std::chrono::seconds(120));

  Poller poller(std::vector<PollerEntry>{}, small_invoker, memory, *committer, inbound, registry, clock);
  const RoundResult result = poller.poll_once(source);
  EXPECT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(result.pages, 2u);
  EXPECT_EQ(result.inserted, 3u);   // created, open, pending
  EXPECT_EQ(result.duplicates, 1u);  // the second page starts in the first's last second
  EXPECT_EQ(memory.load_cursor("zendesk.ticket_events")->value_or(""), std::to_string(kNow + 2));
}

}  // namespace
}  // namespace weft::pollers
