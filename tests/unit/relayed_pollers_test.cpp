// Backfill polls of NetSuite (SuiteQL, then each record) and Salesforce (SOQL): the pages and
// keys a source asks for, its cursor, malformed answers, and — against the in-process
// emulators — that a polled record version is the relay's envelope with the relay's event id,
// so a change that arrives both ways is stored once.
#include <gtest/gtest.h>

#include "connectors/netsuite/netsuite_webhook.hpp"
#include "connectors/netsuite/oauth1.hpp"
#include "connectors/salesforce/salesforce_webhook.hpp"
#include "core/url_encoding.hpp"
#include "pollers/netsuite_changes_source.hpp"
#include "pollers/poller.hpp"
#include "pollers/salesforce_changes_source.hpp"
#include "sandbox/netsuite/netsuite_emulator.hpp"
#include "sandbox/salesforce/salesforce_emulator.hpp"
#include "store/memory/memory_store.hpp"
#include "support/recording_outbox.hpp"
#include "weft/manual_clock.hpp"

namespace weft::pollers {
namespace {

using nlohmann::json;
constexpr std::int64_t kNow = 1'750'000'000;  // 2025-06-15T15:06:40Z

// The sources' actions as the connectors send them, answered by the emulators.
class EmulatorInvoker final : public engine::ActionInvoker {
 public:
  EmulatorInvoker(sandbox::netsuite::NetSuiteEmulator& ns, sandbox::salesforce::SalesforceEmulator& sf,
                  ClockPtr clock, const sandbox::Credentials& credentials)
      : ns_(ns), sf_(sf), clock_(std::move(clock)), credentials_(credentials) {}

  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    requests.push_back(request);
    const json& in = request.input;
    http::Response r;
    if (request.action == "suiteql") {
      auto q = netsuite("POST", "/services/rest/query/v1/suiteql?limit=" + in["limit"].dump(),
                        json{{"q", in["q"]}}.dump());
      q.headers.add("Prefer", "transient");
      r = ns_.handle(q);
    } else if (request.action == "get_record") {
      r = ns_.handle(netsuite("GET", "/services/rest/record/v1/" + in["record_type"].get<std::string>() + "/" +
                                         in["id"].get<std::string>() + "?expandSubResources=true"));
    } else if (request.action == "query") {
      r = sf_.handle(salesforce(in.contains("soql") ? "/services/data/v60.0/query?q=" +
                                                          url::percent_encode(in["soql"].get<std::string>())
                                                    : in["next_records_url"].get<std::string>()));
    }
    if (r.status != 200) {
      delivery::Failure failure;
      failure.cls = delivery::FailureClass::validation;
      failure.message = r.body;
      return failure;
    }
    return engine::ActionSuccess{json::parse(r.body)};
  }
  std::vector<engine::ActionRequest> requests;

  // Signed requests, as the connectors sign them.
  http::Request netsuite(std::string method, std::string target, std::string body = "") {
    namespace oauth = connectors::netsuite;
    oauth::OAuth1Params p;
    p.consumer_key = credentials_.netsuite_consumer_key;
    p.token = credentials_.netsuite_token_id;
    p.nonce = "nonce" + std::to_string(++nonce_);
    p.timestamp = std::to_string(clock_->unix_seconds());
    const std::string sig = oauth::signature(oauth::signature_base_string(method, "http://127.0.0.1:7171" + target, p),
                                             credentials_.netsuite_consumer_secret, credentials_.netsuite_token_secret);
    http::Request r = split(std::move(method), std::move(target));
    r.body = std::move(body);
    r.headers.add("Authorization", oauth::authorization_header("1234567_SB1", p, sig));
    r.headers.add("Content-Type", "application/json");
    return r;
  }
  http::Request salesforce(std::string target, std::string method = "GET", std::string body = "") {
    if (token_.empty()) {
      http::Request t = split("POST", "/services/oauth2/token");
      t.body = "grant_type=client_credentials&client_id=sf_demo_client_id&client_secret=sf_demo_client_secret";
      t.headers.add("Content-Type", "application/x-www-form-urlencoded");
      token_ = json::parse(sf_.handle(t).body)["access_token"];
    }
    http::Request r = split(std::move(method), std::move(target));
    r.body = std::move(body);
    r.headers.add("Authorization", "Bearer " + token_);
    r.headers.add("Content-Type", "application/json");
    return r;
  }

 private:
  static http::Request split(std::string method, std::string target) {
    http::Request r;
    r.method = std::move(method);
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.target = std::move(target);
    r.headers.add("Host", "127.0.0.1:7171");
    return r;
  }
  sandbox::netsuite::NetSuiteEmulator& ns_;
  sandbox::salesforce::SalesforceEmulator& sf_;
  ClockPtr clock_;
  const sandbox::Credentials& credentials_;
  std::string token_;
  int nonce_ = 0;
};

// Drops "links" (they name the host that asked) so records read by different clients compare.
json without_links(json value) {
  if (value.is_object()) {
    value.erase("links");
    for (auto& [key, v] : value.items()) v = without_links(v);
  }
  return value;
}

class RelayedPollTest : public ::testing::Test {
 protected:
  RelayedPollTest() {
    clock->set_wall(std::chrono::system_clock::time_point(std::chrono::seconds(kNow)));
    inbound.emplace("netsuite", std::make_unique<connectors::netsuite::InboundConnector>("netsuite", "s", std::chrono::seconds(300)));
    inbound.emplace("crm", std::make_unique<connectors::salesforce::InboundConnector>("crm", "s", std::chrono::seconds(300)));
  }

  // What POST /hooks/<connector> stores for a relay: identify(), then the same commit.
  void deliver(const std::string& connector, const std::string& body) {
    auto identity = inbound.at(connector)->identify({}, body);
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    NewRawEvent e;
    e.connector = connector;
    e.event_id = identity->event_id;
    e.event_type = identity->event_type;
    e.business_key = identity->business_key;
    e.occurred_at_ms = identity->occurred_at_ms;
    e.body = body;
    ASSERT_TRUE(memory.append_raw_events(std::vector<NewRawEvent>{e}).ok());
  }
  std::vector<std::string> stored_ids(const std::string& connector) {
    RawEventQuery query;
    query.limit = 1000;
    std::vector<std::string> ids;
    const auto events = memory.query_raw_events(query);
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return ids;
    for (const auto& e : *events) {
      if (e.connector == connector) ids.push_back(e.event_id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  json stored_body(const std::string& connector, const std::string& id) {
    auto e = memory.find_raw_event(connector, id);
    EXPECT_TRUE(e.ok() && e->has_value()) << id;
    return e.ok() && e->has_value() ? json::parse((*e)->body) : json();
  }
  json relay(std::size_t i) { return json::parse(outbox.sent.at(i).body); }
  void tick(int seconds) { clock->advance(std::chrono::seconds(seconds)); }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  sandbox::Credentials credentials;
  test::RecordingOutbox outbox;
  sandbox::netsuite::NetSuiteEmulator ns{sandbox::EmulatorContext{credentials, clock, outbox}};
  sandbox::salesforce::SalesforceEmulator sf{sandbox::EmulatorContext{credentials, clock, outbox},
                                             sandbox::salesforce::Options{.query_batch_size = 2}};
  EmulatorInvoker invoker{ns, sf, clock, credentials};
  MemoryStore memory;
  ingest::ConnectorMap inbound;
  ingest::RawEventCommitter committer{"test", ingest::append_to(memory), GroupCommitMetrics{}, clock, GroupCommitOptions{}};
  metrics::Registry registry;
  Poller poller{{}, invoker, memory, committer, inbound, registry, clock};
};

TEST_F(RelayedPollTest, NetSuiteARelayedChangeAndItsPollAreStoredOnceAndAMissedOneIsRecovered) {
  ASSERT_EQ(ns.handle(invoker.netsuite("POST", "/services/rest/record/v1/customer",
                                       json{{"companyName", "Acme"}, {"externalId", "CID001"}}.dump())).status, 204);
  tick(5);
  ASSERT_EQ(ns.handle(invoker.netsuite("PATCH", "/services/rest/record/v1/customer/101",
                                       json{{"creditHoldOverride", "ON"}}.dump())).status, 204);
  tick(3);
  ASSERT_EQ(ns.handle(invoker.netsuite("POST", "/services/rest/record/v1/customer",
                                       json{{"companyName", "Globex"}}.dump())).status, 204);
  ASSERT_EQ(outbox.sent.size(), 3u);
  // The relay's ids name the record version (and, NetSuite's stamp having whole seconds, its
  // fingerprint).
  const auto id_of = [&](std::size_t i) { return relay(i)["id"].get<std::string>(); };
  EXPECT_TRUE(id_of(0).starts_with("customer:101:2025-06-15T15:06:40.000Z:")) << id_of(0);
  EXPECT_TRUE(id_of(1).starts_with("customer:101:2025-06-15T15:06:45.000Z:")) << id_of(1);
  EXPECT_TRUE(id_of(2).starts_with("customer:102:2025-06-15T15:06:48.000Z:")) << id_of(2);
  // The update's relay arrives; the first (superseded) and Globex's are lost.
  deliver("netsuite", outbox.sent[1].body);
  tick(60);

  NetSuiteChangesSource source("netsuite", "customer", 3600);
  const RoundResult result = poller.poll_once(source);
  ASSERT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(result.inserted, 1u);    // Globex
  EXPECT_EQ(result.duplicates, 1u);  // Acme's update, which its relay brought
  EXPECT_EQ(stored_ids("netsuite"), (std::vector<std::string>{id_of(1), id_of(2)}));
  EXPECT_EQ(memory.load_cursor("netsuite.customer")->value_or(""), "2025-06-15 15:06:48");
  ASSERT_EQ(invoker.requests.size(), 3u);  // one SuiteQL page (hasMore: false), two records
  EXPECT_EQ(invoker.requests[0].input["q"],
            "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified FROM customer WHERE "
            "lastmodifieddate >= TO_TIMESTAMP('2025-06-15 14:07:48', 'YYYY-MM-DD HH24:MI:SS') ORDER BY "
            "lastmodifieddate, id");
  EXPECT_EQ(invoker.requests[1].action, "get_record");
  EXPECT_EQ(invoker.requests[1].input, (json{{"record_type", "customer"}, {"id", "101"}, {"expandSubResources", true}}));

  // The polled envelope is the relay's for the same version, but for what a poll cannot know.
  json polled = stored_body("netsuite", id_of(2));
  json relayed = relay(2);
  EXPECT_TRUE(polled["changed_fields"].is_null());
  for (const char* key : {"id", "type", "occurred_at", "record_type", "record_id", "external_id"}) {
    EXPECT_EQ(polled[key], relayed[key]) << key;
  }
  EXPECT_EQ(without_links(polled["record"]), without_links(relayed["record"]));
  EXPECT_EQ(polled["type"], "customer.created");
  EXPECT_EQ(stored_body("netsuite", id_of(1))["type"], "customer.updated");

  // Nothing changed: the next round re-reads the watermark's second and stores nothing new.
  const RoundResult again = poller.poll_once(source);
  ASSERT_EQ(again.outcome, RoundResult::Outcome::completed) << again.error;
  EXPECT_EQ(again.inserted, 0u);
  EXPECT_EQ(again.duplicates, 1u);
}

TEST(NetSuiteChangesSource, PagesByKeyThroughTheLastSecondThenOnward) {
  NetSuiteChangesSource source("ns", "customer", 600);
  EXPECT_EQ(source.cursor_name(), "ns.customer");
  const json first = source.first_input(std::string("2024-05-01 10:00:00"), kNow);
  EXPECT_NE(first["q"].get<std::string>().find(">= TO_TIMESTAMP('2024-05-01 10:00:00'"), std::string::npos);
  EXPECT_EQ(first["limit"], NetSuiteChangesSource::kPageSize);
  // A cursor this build did not write starts from the look-back.
  EXPECT_NE(source.first_input(std::string("yesterday'; DROP"), kNow)["q"].get<std::string>().find("'2025-06-15 14:56:40'"),
            std::string::npos);

  json round;
  auto page = source.read(first, {{"items", {{{"id", "7"}, {"modified", "2024-05-01 10:00:00"}},
                                             {{"id", "9"}, {"modified", "2024-05-01 10:00:05"}}}},
                                  {"hasMore", true}}, round);
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_TRUE(page->bodies.empty());
  EXPECT_FALSE(page->cursor);
  EXPECT_EQ(page->next_action, "get_record");
  EXPECT_EQ((*page->next_input)["id"], "7");

  const auto record = [](const std::string& id, const std::string& modified) {
    return json{{"id", id}, {"dateCreated", "2024-04-01T00:00:00Z"}, {"lastModifiedDate", modified}, {"externalId", nullptr}};
  };
  page = source.read({{"record_type", "customer"}, {"id", "7"}}, record("7", "2024-05-01T10:00:00Z"), round);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->bodies.size(), 1u);
  EXPECT_EQ(json::parse(page->bodies[0])["id"],
            "customer:7:2024-05-01T10:00:00.000Z:" +
                connectors::record_fingerprint(record("7", "2024-05-01T10:00:00Z"), "lastModifiedDate"));
  EXPECT_FALSE(page->cursor);  // not before the page's last record
  EXPECT_FALSE(page->next_action);
  EXPECT_EQ((*page->next_input)["id"], "9");

  // A record edited since the query is read as it is now: its id names that version.
  page = source.read({{"record_type", "customer"}, {"id", "9"}}, record("9", "2024-05-02T08:00:00Z"), round);
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_EQ(json::parse(page->bodies[0])["id"],
            "customer:9:2024-05-02T08:00:00.000Z:" +
                connectors::record_fingerprint(record("9", "2024-05-02T08:00:00Z"), "lastModifiedDate"));
  EXPECT_EQ(json::parse(page->bodies[0])["type"], "customer.updated");
  EXPECT_EQ(page->cursor, "2024-05-01 10:00:05");  // the query's position, not the newer version
  EXPECT_EQ(page->next_action, "suiteql");
  const std::string tie = (*page->next_input)["q"];
  EXPECT_NE(tie.find("WHERE lastmodifieddate = TO_TIMESTAMP('2024-05-01 10:00:05', 'YYYY-MM-DD HH24:MI:SS') AND id > 9 ORDER BY id"),
            std::string::npos) << tie;

  page = source.read(*page->next_input, {{"items", json::array()}, {"hasMore", false}}, round);
  ASSERT_TRUE(page.ok()) << page.error();
  const std::string after = (*page->next_input)["q"];
  EXPECT_NE(after.find("WHERE lastmodifieddate > TO_TIMESTAMP('2024-05-01 10:00:05', 'YYYY-MM-DD HH24:MI:SS') ORDER BY lastmodifieddate, id"),
            std::string::npos) << after;

  page = source.read(*page->next_input, {{"items", json::array()}, {"hasMore", false}}, round);
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_FALSE(page->next_input);
  EXPECT_FALSE(page->cursor);
}

TEST(NetSuiteChangesSource, MalformedAnswersAreErrors) {
  NetSuiteChangesSource source("ns", "customer", 600);
  const json q = source.first_input(std::nullopt, kNow);
  for (const json& output : {json::array(), json{{"items", "x"}}, json{{"items", {{{"id", "7"}}}}},
                             json{{"items", {{{"id", "7"}, {"modified", "2024-05-01T10:00:00Z"}}}}},
                             json{{"items", {{{"id", "7') OR ('1"}, {"modified", "2024-05-01 10:00:00"}}}}},
                             json{{"items", json::array()}, {"hasMore", "yes"}}}) {
    json round;
    EXPECT_FALSE(source.read(q, output, round).ok()) << output.dump();
  }
  json round;
  ASSERT_TRUE(source.read(q, {{"items", {{{"id", 7}, {"modified", "2024-05-01 10:00:00"}}}}}, round).ok());
  const json get{{"record_type", "customer"}, {"id", "7"}};
  for (const json& output : {json{{"id", "8"}, {"lastModifiedDate", "2024-05-01T10:00:00Z"}}, json{{"id", "7"}},
                             json{{"id", "7"}, {"lastModifiedDate", "soon"}}}) {
    json copy = round;
    EXPECT_FALSE(source.read(get, output, copy).ok()) << output.dump();
  }
  json fresh;
  EXPECT_FALSE(source.read(get, {{"id", "7"}, {"lastModifiedDate", "2024-05-01T10:00:00Z"}}, fresh).ok());
}

TEST_F(RelayedPollTest, SalesforceFollowsNextRecordsUrlAndDedupesWithTheRelay) {
  const auto create = [&](const std::string& object, const json& fields) {
    const auto r = sf.handle(invoker.salesforce("/services/data/v60.0/sobjects/" + object, "POST", fields.dump()));
    EXPECT_EQ(r.status, 201) << r.body;
    tick(1);
    return json::parse(r.body)["id"].get<std::string>();
  };
  const std::string a = create("Account", {{"Name", "Acme"}, {"Website", "acme.example"}});
  const std::string b = create("Account", {{"Name", "Globex"}});
  const std::string c = create("Account", {{"Name", "Initech"}});
  const std::string won = create("Opportunity", {{"Name", "Acme 200 seats"}, {"AccountId", a}, {"StageName", "Closed Won"},
                                                 {"CloseDate", "2025-06-30"}, {"Amount", 48000}});
  ASSERT_EQ(outbox.sent.size(), 4u);
  EXPECT_EQ(relay(0)["id"], "Account:" + a + ":2025-06-15T15:06:40.000Z");
  deliver("crm", outbox.sent[0].body);  // Acme's relay arrived; the others were lost

  SalesforceChangesSource accounts("crm", "Account", 3600);
  const RoundResult result = poller.poll_once(accounts);
  ASSERT_EQ(result.outcome, RoundResult::Outcome::completed) << result.error;
  EXPECT_EQ(result.pages, 2u);  // two rows a page here
  EXPECT_EQ(result.inserted, 2u);
  EXPECT_EQ(result.duplicates, 1u);
  EXPECT_EQ(invoker.requests[0].input["soql"],
            "SELECT Id, CreatedDate, SystemModstamp, Name, Phone, AccountNumber, Type, Website FROM Account "
            "WHERE SystemModstamp >= 2025-06-15T14:06:44.000Z ORDER BY SystemModstamp, Id");  // now - 1 h
  EXPECT_TRUE(invoker.requests[1].input.contains("next_records_url"));
  EXPECT_EQ(memory.load_cursor("crm.Account")->value_or(""), "2025-06-15T15:06:42.000Z");

  // Field for field what the relay sent, with the relay's id and type.
  const json polled = stored_body("crm", "Account:" + b + ":2025-06-15T15:06:41.000Z");
  const json relayed = relay(1);
  for (const char* key : {"id", "type", "occurred_at", "record_type", "record_id", "external_id"}) {
    EXPECT_EQ(polled[key], relayed[key]) << key;
  }
  for (const auto& [field, value] : polled["record"].items()) {
    if (field != "attributes") {
      EXPECT_EQ(value, relayed["record"][field]) << field;
    }
  }

  SalesforceChangesSource opportunities("crm", "Opportunity", 3600);
  ASSERT_EQ(poller.poll_once(opportunities).inserted, 1u);
  const json deal = stored_body("crm", relay(3)["id"]);
  EXPECT_EQ(deal["type"], "Opportunity.created");
  EXPECT_EQ(deal["record"]["IsWon"], true);
  EXPECT_EQ(deal["record"]["AccountId"], relay(3)["record"]["AccountId"]);
  (void)c;
  (void)won;
}

TEST(SalesforceChangesSource, MalformedAnswersAreErrors) {
  SalesforceChangesSource source("crm", "Account", 600);
  EXPECT_EQ(source.cursor_name(), "crm.Account");
  EXPECT_NE(source.first_input(std::string("2024-05-01T10:00:00.000+0000"), kNow)["soql"].get<std::string>().find(
                ">= 2024-05-01T10:00:00.000Z "),
            std::string::npos);
  const json row{{"Id", "001Wf0000000001AAA"}, {"CreatedDate", "2024-05-01T10:00:00.000+0000"},
                 {"SystemModstamp", "2024-05-01T10:00:00.000+0000"}};
  for (const json& output : {json::array(), json{{"records", "x"}}, json{{"records", {{{"Id", "001"}}}}},
                             json{{"records", {json{{"Id", "001"}, {"SystemModstamp", "later"}}}}},
                             json{{"records", {row}}, {"done", false}},
                             json{{"records", {row}}, {"done", "no"}}}) {
    json round;
    EXPECT_FALSE(source.read({}, output, round).ok()) << output.dump();
  }
  json round;
  const auto page = source.read({}, {{"records", {row}}, {"done", true}}, round);
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_EQ(json::parse(page->bodies.at(0))["id"], "Account:001Wf0000000001AAA:2024-05-01T10:00:00.000Z");
  EXPECT_EQ(page->cursor, "2024-05-01T10:00:00.000Z");
  EXPECT_FALSE(page->next_input);
}

}  // namespace
}  // namespace weft::pollers
