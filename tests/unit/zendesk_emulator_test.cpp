// The Zendesk emulator of `weft sandbox`, called directly (no server): auth, tickets with
// idempotency and safe updates, pagination, organizations and users, error bodies, webhooks
// that the hub's own Zendesk verifier and mappings accept, and state round trips.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "connectors/zendesk/zendesk_webhook.hpp"
#include "crypto/hmac.hpp"
#include "mapping/mapping_set.hpp"
#include "sandbox/zendesk/zendesk_emulator.hpp"
#include "support/recording_outbox.hpp"
#include "weft/manual_clock.hpp"

namespace weft::sandbox {
namespace {

using nlohmann::json;

class ZendeskEmulatorTest : public ::testing::Test {
 protected:
  ZendeskEmulatorTest()
      : clock_(std::make_shared<ManualClock>()),
        emulator_(EmulatorContext{credentials_, clock_, outbox_}) {}

  http::Request request(std::string method, std::string target, std::string body = "") {
    http::Request r;
    r.method = std::move(method);
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(body);
    r.headers.add("Host", "127.0.0.1:7171");
    r.headers.add("Authorization",
                  "Basic " + crypto::base64_encode(std::string("demo@weft.example/token:zd_demo_token")));
    return r;
  }
  http::Response call(std::string method, std::string target, std::string body = "") {
    return emulator_.handle(request(std::move(method), std::move(target), std::move(body)));
  }
  static json body_of(const http::Response& r) { return json::parse(r.body); }

  std::int64_t create_ticket(const json& ticket) {
    const auto r = call("POST", "/api/v2/tickets.json", json{{"ticket", ticket}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return body_of(r)["ticket"]["id"].get<std::int64_t>();
  }
  std::vector<std::string> sent_types() const {
    std::vector<std::string> types;
    for (const auto& w : outbox_.sent) types.push_back(json::parse(w.body)["type"].get<std::string>());
    return types;
  }

  Credentials credentials_;
  std::shared_ptr<ManualClock> clock_;
  test::RecordingOutbox outbox_;
  zendesk::ZendeskEmulator emulator_;
};

// ---------------------------------------------------------------------------------------
// Auth

TEST_F(ZendeskEmulatorTest, ApiTokenBasicAuthIsAccepted) {
  const auto r = call("GET", "/api/v2/tickets.json");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("X-Rate-Limit"), "700");
}

TEST_F(ZendeskEmulatorTest, WrongMissingOrBearerCredentialsGetZendesks401Body) {
  const auto check = [&](std::optional<std::string> authorization) {
    auto r = request("GET", "/api/v2/tickets.json");
    r.headers = http::Headers();
    if (authorization) r.headers.add("Authorization", *authorization);
    const auto response = emulator_.handle(r);
    EXPECT_EQ(response.status, 401);
    EXPECT_EQ(response.body, R"({"error":"Couldn't authenticate you"})");
    EXPECT_EQ(response.headers.get("Content-Type"), "application/json; charset=utf-8");
  };
  check(std::nullopt);
  check("Basic " + crypto::base64_encode(std::string("demo@weft.example/token:wrong")));
  check("Basic " + crypto::base64_encode(std::string("demo@weft.example:zd_demo_token")));  // password form
  check("Basic " + crypto::base64_encode(std::string("other@weft.example/token:zd_demo_token")));
  check("Bearer zd_demo_token");
  check("Basic !!!not-base64");
}

// ---------------------------------------------------------------------------------------
// Tickets

TEST_F(ZendeskEmulatorTest, CreateShowsTheTicketWithLocationAndZendesksShape) {
  const auto r = call("POST", "/api/v2/tickets.json",
                      R"({"ticket":{"subject":"Refund","comment":{"body":"Please refund"},
                          "priority":"high","tags":["billing","Service Credit"],
                          "custom_fields":[{"id":27642,"value":"745"}],"external_id":"ext-1"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers.get("Location"), "http://127.0.0.1:7171/api/v2/tickets/1.json");
  const json ticket = body_of(r)["ticket"];
  EXPECT_EQ(ticket["id"], 1);
  EXPECT_EQ(ticket["url"], "http://127.0.0.1:7171/api/v2/tickets/1.json");
  EXPECT_EQ(ticket["status"], "new");
  EXPECT_EQ(ticket["priority"], "high");
  EXPECT_EQ(ticket["description"], "Please refund");
  EXPECT_EQ(ticket["tags"], json::parse(R"(["billing","service","credit"])"));
  EXPECT_EQ(ticket["custom_fields"], json::parse(R"([{"id":27642,"value":"745"}])"));
  EXPECT_EQ(ticket["fields"], ticket["custom_fields"]);
  EXPECT_EQ(ticket["created_at"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(ticket["via"]["channel"], "api");
  EXPECT_TRUE(ticket["requester_id"].is_number_integer());
  EXPECT_TRUE(body_of(r).contains("audit"));

  // The ".json" suffix is optional.
  const auto shown = call("GET", "/api/v2/tickets/1");
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(body_of(shown)["ticket"], ticket);
  EXPECT_EQ(body_of(call("GET", "/api/v2/tickets/1.json"))["ticket"], ticket);
}

TEST_F(ZendeskEmulatorTest, IdempotencyKeyReplaysTheFirstResponseAndRejectsOtherParameters) {
  auto first = request("POST", "/api/v2/tickets.json", R"({"ticket":{"comment":{"body":"x"}}})");
  first.headers.add("Idempotency-Key", "key-1");
  const auto a = emulator_.handle(first);
  ASSERT_EQ(a.status, 201);
  EXPECT_EQ(a.headers.get("x-idempotency-lookup"), "miss");

  // Same parameters (other whitespace): the original response, no second ticket or webhook.
  auto again = request("POST", "/api/v2/tickets.json", R"({ "ticket" : { "comment" : {"body":"x"} } })");
  again.headers.add("Idempotency-Key", "key-1");
  const auto b = emulator_.handle(again);
  EXPECT_EQ(b.status, 201);
  EXPECT_EQ(b.headers.get("x-idempotency-lookup"), "hit");
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(b.headers.get("Location"), a.headers.get("Location"));
  EXPECT_FALSE(emulator_.describe(first, a).replayed);  // what the request log shows
  EXPECT_TRUE(emulator_.describe(again, b).replayed);
  EXPECT_EQ(emulator_.describe(again, b).idempotency_key, "key-1");
  EXPECT_EQ(body_of(call("GET", "/api/v2/tickets.json?page[size]=10"))["tickets"].size(), 1u);
  EXPECT_EQ(sent_types(), std::vector<std::string>{"zen:event-type:ticket.created"});

  auto other = request("POST", "/api/v2/tickets.json", R"({"ticket":{"comment":{"body":"y"}}})");
  other.headers.add("Idempotency-Key", "key-1");
  const auto c = emulator_.handle(other);
  EXPECT_EQ(c.status, 400);
  EXPECT_EQ(c.body, R"({"error":"IdempotentRequestError","description":"Request parameters don't match the given idempotency key"})");

  // Keys live for 2 hours.
  clock_->advance(std::chrono::hours(2));
  const auto d = emulator_.handle(other);
  EXPECT_EQ(d.status, 201);
  EXPECT_EQ(d.headers.get("x-idempotency-lookup"), "miss");
}

TEST_F(ZendeskEmulatorTest, UpdateChangesFieldsAppendsACommentAndSendsOneWebhookPerChange) {
  const auto id = create_ticket({{"comment", {{"body", "hi"}}}, {"tags", {"a", "b"}},
                                 {"custom_fields", {{{"id", 1}, {"value", "x"}}, {{"id", 2}, {"value", "y"}}}}});
  outbox_.sent.clear();
  clock_->advance(std::chrono::seconds(5));
  const auto r = call("PUT", "/api/v2/tickets/" + std::to_string(id) + ".json", R"({"ticket":{
      "status":"open","priority":"urgent","additional_tags":["service_credit_request"],
      "remove_tags":["a"],"custom_fields":[{"id":2,"value":"z"}],
      "comment":{"body":"Internal note","public":false}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json ticket = body_of(r)["ticket"];
  EXPECT_EQ(ticket["status"], "open");
  EXPECT_EQ(ticket["priority"], "urgent");
  EXPECT_EQ(ticket["tags"], json::parse(R"(["b","service_credit_request"])"));
  EXPECT_EQ(ticket["custom_fields"], json::parse(R"([{"id":1,"value":"x"},{"id":2,"value":"z"}])"));
  EXPECT_EQ(ticket["updated_at"], "2023-11-14T22:13:25Z");
  EXPECT_EQ(sent_types(), (std::vector<std::string>{
                              "zen:event-type:ticket.status_changed",
                              "zen:event-type:ticket.priority_changed",
                              "zen:event-type:ticket.tags_changed",
                              "zen:event-type:ticket.custom_field_changed",
                              "zen:event-type:ticket.comment_added"}));
  const json status = json::parse(outbox_.sent[0].body);
  EXPECT_EQ(status["event"]["current"], "OPEN");
  EXPECT_EQ(status["event"]["previous"], "NEW");
  const json tags = json::parse(outbox_.sent[2].body);
  EXPECT_EQ(tags["event"]["tags_added"], json::parse(R"(["service_credit_request"])"));
  EXPECT_EQ(tags["event"]["tags_removed"], json::parse(R"(["a"])"));
  const json field = json::parse(outbox_.sent[3].body);
  EXPECT_EQ(field["event"]["custom_field"]["id"], "2");
  EXPECT_EQ(field["event"]["previous"], "y");
  EXPECT_EQ(field["event"]["current"], "z");
  EXPECT_EQ(status["event"]["meta"]["sequence"]["id"], field["event"]["meta"]["sequence"]["id"]);

  const auto comments = body_of(call("GET", "/api/v2/tickets/" + std::to_string(id) + "/comments.json"));
  ASSERT_EQ(comments["comments"].size(), 2u);
  EXPECT_EQ(comments["comments"][1]["body"], "Internal note");
  EXPECT_EQ(comments["comments"][1]["public"], false);
  EXPECT_EQ(comments["comments"][1]["type"], "Comment");

  // `tags` replaces the whole list.
  const auto replaced = call("PUT", "/api/v2/tickets/" + std::to_string(id), R"({"ticket":{"tags":["only"]}})");
  EXPECT_EQ(body_of(replaced)["ticket"]["tags"], json::parse(R"(["only"])"));

  // Nothing changed: no webhook.
  outbox_.sent.clear();
  EXPECT_EQ(call("PUT", "/api/v2/tickets/" + std::to_string(id), R"({"ticket":{"status":"open"}})").status, 200);
  EXPECT_TRUE(outbox_.sent.empty());
}

TEST_F(ZendeskEmulatorTest, SafeUpdateWithAStaleStampIsAConflict) {
  const auto id = create_ticket({{"comment", {{"body", "hi"}}}});
  const std::string path = "/api/v2/tickets/" + std::to_string(id) + ".json";
  const std::string stamp = body_of(call("GET", path))["ticket"]["updated_at"];
  clock_->advance(std::chrono::seconds(10));
  const auto ok = call("PUT", path,
                       json{{"ticket", {{"status", "pending"}, {"safe_update", true}, {"updated_stamp", stamp}}}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  const auto stale = call("PUT", path,
                          json{{"ticket", {{"status", "open"}, {"safe_update", true}, {"updated_stamp", stamp}}}}.dump());
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(body_of(stale)["error"], "UpdateConflict");
  EXPECT_EQ(body_of(call("GET", path))["ticket"]["status"], "pending");
}

TEST_F(ZendeskEmulatorTest, ClosedTicketsCannotBeUpdated) {
  const auto id = create_ticket({{"comment", {{"body", "hi"}}}});
  const std::string path = "/api/v2/tickets/" + std::to_string(id) + ".json";
  ASSERT_EQ(call("PUT", path, R"({"ticket":{"status":"closed"}})").status, 200);
  const auto r = call("PUT", path, R"({"ticket":{"comment":{"body":"late"}}})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(body_of(r)["error"], "RecordInvalid");
  EXPECT_EQ(body_of(r)["details"]["status"][0]["description"], "Status: closed prevents ticket update");
}

TEST_F(ZendeskEmulatorTest, CursorPaginationWalksEveryTicketOnceByFollowingLinksNext) {
  for (int i = 0; i < 5; ++i) create_ticket({{"comment", {{"body", "t" + std::to_string(i)}}}});
  std::vector<std::int64_t> seen;
  std::string next = "/api/v2/tickets.json?page%5Bsize%5D=2";  // as node-zendesk encodes it
  int pages = 0;
  while (!next.empty() && pages < 10) {
    const auto r = call("GET", next);
    ASSERT_EQ(r.status, 200) << r.body;
    const json page = body_of(r);
    for (const auto& t : page["tickets"]) seen.push_back(t["id"].get<std::int64_t>());
    ++pages;
    EXPECT_EQ(page["meta"]["has_more"].get<bool>(), !page["links"]["next"].is_null());
    if (page["links"]["next"].is_null()) break;
    next = page["links"]["next"].get<std::string>();
    ASSERT_TRUE(next.starts_with("http://127.0.0.1:7171/api/v2/tickets.json?")) << next;
    next = next.substr(std::string("http://127.0.0.1:7171").size());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));

  // Going back from the last page with page[before].
  const json last = body_of(call("GET", "/api/v2/tickets.json?page[size]=2&page[after]=" +
                                            body_of(call("GET", "/api/v2/tickets.json?page[size]=4"))["meta"]["after_cursor"].get<std::string>()));
  ASSERT_EQ(last["tickets"].size(), 1u);
  const json before = body_of(call("GET", "/api/v2/tickets.json?page[size]=2&page[before]=" +
                                              last["meta"]["before_cursor"].get<std::string>()));
  ASSERT_EQ(before["tickets"].size(), 2u);
  EXPECT_EQ(before["tickets"][0]["id"], 3);
  EXPECT_EQ(before["tickets"][1]["id"], 4);

  EXPECT_EQ(call("GET", "/api/v2/tickets.json?page[size]=101").status, 400);
  EXPECT_EQ(call("GET", "/api/v2/tickets.json?page[after]=garbage").status, 400);
}

TEST_F(ZendeskEmulatorTest, OffsetPaginationAndExternalIdFilter) {
  for (int i = 0; i < 3; ++i) {
    create_ticket({{"comment", {{"body", "t"}}}, {"external_id", i == 1 ? "match" : "other"}});
  }
  const json page = body_of(call("GET", "/api/v2/tickets.json?per_page=2"));
  EXPECT_EQ(page["tickets"].size(), 2u);
  EXPECT_EQ(page["count"], 3);
  EXPECT_EQ(page["next_page"], "http://127.0.0.1:7171/api/v2/tickets.json?page=2&per_page=2");
  const json filtered = body_of(call("GET", "/api/v2/tickets.json?external_id=match"));
  ASSERT_EQ(filtered["tickets"].size(), 1u);
  EXPECT_EQ(filtered["tickets"][0]["id"], 2);
}

TEST_F(ZendeskEmulatorTest, CommentsPageInBothSortOrders) {
  const auto id = create_ticket({{"comment", {{"body", "c0"}}}});
  const std::string path = "/api/v2/tickets/" + std::to_string(id);
  for (int i = 1; i < 4; ++i) {
    ASSERT_EQ(call("PUT", path, json{{"ticket", {{"comment", {{"body", "c" + std::to_string(i)}}}}}}.dump()).status, 200);
  }
  const auto bodies = [&](const std::string& order) {
    std::vector<std::string> out;
    std::string next = path + "/comments.json?page[size]=3" + order;
    for (int guard = 0; guard < 5 && !next.empty(); ++guard) {
      const json page = body_of(call("GET", next));
      for (const auto& c : page["comments"]) out.push_back(c["body"]);
      next = page["links"]["next"].is_null() ? "" : page["links"]["next"].get<std::string>().substr(21);
    }
    return out;
  };
  EXPECT_EQ(bodies(""), (std::vector<std::string>{"c0", "c1", "c2", "c3"}));
  EXPECT_EQ(bodies("&sort_order=desc"), (std::vector<std::string>{"c3", "c2", "c1", "c0"}));
  EXPECT_EQ(call("GET", "/api/v2/tickets/999/comments.json").status, 404);
}

TEST_F(ZendeskEmulatorTest, IncrementalExportFollowsChangesWithACursor) {
  const auto start = clock_->unix_seconds();
  create_ticket({{"comment", {{"body", "a"}}}});
  create_ticket({{"comment", {{"body", "b"}}}});
  clock_->advance(std::chrono::minutes(2));

  const auto too_recent = call("GET", "/api/v2/incremental/tickets/cursor.json?start_time=" +
                                          std::to_string(clock_->unix_seconds() - 10));
  EXPECT_EQ(too_recent.status, 400);

  json page = body_of(call("GET", "/api/v2/incremental/tickets/cursor.json?per_page=1&start_time=" +
                                      std::to_string(start)));
  ASSERT_EQ(page["tickets"].size(), 1u);
  EXPECT_EQ(page["tickets"][0]["id"], 1);
  EXPECT_EQ(page["end_of_stream"], false);
  EXPECT_TRUE(page["before_cursor"].is_null());
  page = body_of(call("GET", "/api/v2/incremental/tickets/cursor.json?per_page=1&cursor=" +
                                 page["after_cursor"].get<std::string>()));
  ASSERT_EQ(page["tickets"].size(), 1u);
  EXPECT_EQ(page["tickets"][0]["id"], 2);
  const std::string saved = page["after_cursor"];
  page = body_of(call("GET", "/api/v2/incremental/tickets/cursor.json?cursor=" + saved));
  EXPECT_TRUE(page["tickets"].empty());
  EXPECT_EQ(page["end_of_stream"], true);
  EXPECT_EQ(page["after_cursor"], saved);

  // Ticket 1 changes: the saved cursor now yields it (and only it).
  ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json", R"({"ticket":{"status":"solved"}})").status, 200);
  page = body_of(call("GET", "/api/v2/incremental/tickets/cursor.json?cursor=" + saved));
  ASSERT_EQ(page["tickets"].size(), 1u);
  EXPECT_EQ(page["tickets"][0]["status"], "solved");
  EXPECT_EQ(page["end_of_stream"], true);
  EXPECT_EQ(call("GET", "/api/v2/incremental/tickets/cursor.json").status, 400);
}

// ---------------------------------------------------------------------------------------
// Organizations and users

TEST_F(ZendeskEmulatorTest, OrganizationCreateOrUpdateMatchesExternalId) {
  const auto created = call("POST", "/api/v2/organizations/create_or_update.json",
                            R"({"organization":{"name":"Acme","external_id":"cus_1","organization_fields":{"tier":"gold"}}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = body_of(created)["organization"]["id"].get<std::int64_t>();
  const auto updated = call("POST", "/api/v2/organizations/create_or_update.json",
                            R"({"organization":{"name":"Acme Inc","external_id":"cus_1","organization_fields":{"seats":3}}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  const json org = body_of(updated)["organization"];
  EXPECT_EQ(org["id"], id);
  EXPECT_EQ(org["name"], "Acme Inc");
  EXPECT_EQ(org["organization_fields"], json::parse(R"({"tier":"gold","seats":3})"));

  const json found = body_of(call("GET", "/api/v2/organizations/search.json?external_id=cus_1"));
  ASSERT_EQ(found["organizations"].size(), 1u);
  EXPECT_EQ(found["count"], 1);
  EXPECT_EQ(body_of(call("GET", "/api/v2/organizations/" + std::to_string(id)))["organization"], org);
  EXPECT_TRUE(body_of(call("GET", "/api/v2/organizations/search?external_id=none"))["organizations"].empty());

  // By id too; a duplicate name is a validation error.
  EXPECT_EQ(call("POST", "/api/v2/organizations/create_or_update",
                 json{{"organization", {{"id", id}, {"notes", "vip"}}}}.dump()).status, 200);
  const auto dup = call("POST", "/api/v2/organizations/create_or_update",
                        R"({"organization":{"name":"acme inc","external_id":"cus_2"}})");
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(body_of(dup)["details"]["name"][0]["error"], "DuplicateValue");
  EXPECT_EQ(sent_types(), (std::vector<std::string>{"zen:event-type:organization.created",
                                                    "zen:event-type:organization.name_changed",
                                                    "zen:event-type:organization.custom_field_changed"}));
}

TEST_F(ZendeskEmulatorTest, UsersCreateOrUpdateByEmailAndSearch) {
  const auto created = call("POST", "/api/v2/users/create_or_update.json",
                            R"({"user":{"name":"Jo","email":"jo@example.com"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = body_of(created)["user"]["id"].get<std::int64_t>();
  EXPECT_EQ(body_of(created)["user"]["role"], "end-user");
  const auto updated = call("POST", "/api/v2/users/create_or_update.json",
                            R"({"user":{"email":"JO@example.com","external_id":"u-1"}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(body_of(updated)["user"]["id"], id);
  EXPECT_EQ(body_of(updated)["user"]["external_id"], "u-1");

  EXPECT_EQ(body_of(call("GET", "/api/v2/users/search.json?external_id=u-1"))["users"][0]["id"], id);
  EXPECT_EQ(body_of(call("GET", "/api/v2/users/search.json?query=email%3Ajo%40example.com"))["users"][0]["id"], id);
  EXPECT_EQ(body_of(call("GET", "/api/v2/users/" + std::to_string(id)))["user"]["name"], "Jo");

  const auto dup = call("POST", "/api/v2/users.json", R"({"user":{"name":"Other","email":"jo@example.com"}})");
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(body_of(dup)["details"]["email"][0]["error"], "DuplicateValue");
  const auto nameless = call("POST", "/api/v2/users.json", R"({"user":{"email":"x@example.com"}})");
  EXPECT_EQ(nameless.status, 422);
  EXPECT_TRUE(body_of(nameless)["details"].contains("name"));
}

TEST_F(ZendeskEmulatorTest, ATicketRequesterByEmailCreatesTheUserOnce) {
  create_ticket({{"comment", {{"body", "a"}}}, {"requester", {{"name", "Ann"}, {"email", "ann@example.com"}}}});
  create_ticket({{"comment", {{"body", "b"}}}, {"requester", {{"email", "ann@example.com"}}}});
  const json users = body_of(call("GET", "/api/v2/users/search.json?query=ann%40example.com"));
  ASSERT_EQ(users["users"].size(), 1u);
  const auto ann = users["users"][0]["id"];
  EXPECT_EQ(body_of(call("GET", "/api/v2/tickets/1.json"))["ticket"]["requester_id"], ann);
  EXPECT_EQ(body_of(call("GET", "/api/v2/tickets/2.json"))["ticket"]["requester_id"], ann);
  EXPECT_EQ(sent_types(), (std::vector<std::string>{"zen:event-type:user.created",
                                                    "zen:event-type:ticket.created",
                                                    "zen:event-type:ticket.created"}));
}

// ---------------------------------------------------------------------------------------
// Errors and bad input

TEST_F(ZendeskEmulatorTest, ErrorBodiesHaveZendesksShape) {
  EXPECT_EQ(call("GET", "/api/v2/tickets/42.json").body, R"({"error":"RecordNotFound","description":"Not found"})");
  EXPECT_EQ(call("GET", "/api/v2/tickets/abc.json").status, 404);
  EXPECT_EQ(call("GET", "/api/v2/users/7").status, 404);
  EXPECT_EQ(call("GET", "/api/v2/nothing/here.json").status, 404);
  const auto invalid = call("POST", "/api/v2/tickets.json", R"({"ticket":{"comment":{"body":"x"},"status":"bogus"}})");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(invalid.body,
            R"({"error":"RecordInvalid","description":"Record validation errors","details":{"status":[{"description":"Status: is not valid","error":"InvalidValue"}]}})");
  EXPECT_EQ(call("POST", "/api/v2/tickets.json", R"({"ticket":{"subject":"no comment"}})").status, 422);
}

TEST_F(ZendeskEmulatorTest, MalformedBodiesGetA400NeverACrash) {
  for (const std::string body : {"", "not json", R"({"ticket":{"comment":{"body":"x"})", "[1,2]",
                                 R"({"ticket":"x"})", R"({"tick":{}})"}) {
    const auto r = call("POST", "/api/v2/tickets.json", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(body_of(r).contains("description")) << r.body;
  }
  create_ticket({{"comment", {{"body", "x"}}}});
  for (const std::string body : {R"({"ticket":{"tags":"a"}})", R"({"ticket":{"custom_fields":{"id":1}}})",
                                 R"({"ticket":{"custom_fields":[{"value":1}]}})",
                                 R"({"ticket":{"comment":{"body":5}}})", R"({"ticket":{"comment":"text"}})",
                                 R"({"ticket":{"requester_id":"abc"}})", R"({"ticket":{"requester_id":null}})",
                                 R"({"ticket":{"safe_update":true}})", R"({"ticket":{"priority":7}})"}) {
    const auto r = call("PUT", "/api/v2/tickets/1.json", body);
    EXPECT_EQ(r.status, 422) << body << " -> " << r.body;
  }
  EXPECT_EQ(call("PUT", "/api/v2/tickets/1.json", "{\"ticket\":").status, 400);
  EXPECT_EQ(call("GET", "/api/v2/tickets/1%zz.json").status, 400);
}

TEST_F(ZendeskEmulatorTest, FaultResponsesLookLikeZendesks) {
  const auto limited = emulator_.fault_response(429);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body, "Number of allowed API requests per minute exceeded");
  EXPECT_EQ(limited.headers.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(emulator_.fault_response(503).status, 503);
  EXPECT_EQ(emulator_.fault_response(500).status, 500);
}

TEST_F(ZendeskEmulatorTest, TwoRenamesOfAnOrganizationInOneSecondAreTwoEventsForTheHub) {
  ASSERT_EQ(call("POST", "/api/v2/organizations/create_or_update.json",
                 R"({"organization":{"name":"Fjord","external_id":"cus_1"}})").status, 201);
  for (const char* name : {"Fjord Group", "Fjord Holdings"}) {  // the clock does not move
    ASSERT_EQ(call("POST", "/api/v2/organizations/create_or_update.json",
                   json{{"organization", {{"external_id", "cus_1"}, {"name", name}}}}.dump()).status, 200);
  }
  ASSERT_EQ(outbox_.sent.size(), 3u);
  connectors::zendesk::InboundConnector inbound("zendesk", credentials_.zendesk_webhook_secret,
                                                std::chrono::seconds(300));
  std::set<std::string> ids;
  for (const Webhook& hook : outbox_.sent) {
    const auto identity = inbound.identify(hook.headers(clock_->now()), hook.body);
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    ids.insert(identity->event_id);
  }
  EXPECT_EQ(ids.size(), 3u);  // the second rename is not a duplicate of the first
  EXPECT_TRUE(ids.count("zen:organization:10000000002:organization.name_changed:2023-11-14T22:13:20.000Z:Fjord Holdings"))
      << json(ids).dump();
}

// Removing one tag and adding another within one second (the clock does not move) are two
// events: the derived id names the change, not only the time.
TEST_F(ZendeskEmulatorTest, TwoTagChangesOfATicketInOneSecondAreTwoEventsForTheHub) {
  const auto id = create_ticket({{"comment", {{"body", "hi"}}}, {"tags", {"replacement_refused", "vip"}}});
  const std::string path = "/api/v2/tickets/" + std::to_string(id) + ".json";
  ASSERT_EQ(call("PUT", path, R"({"ticket":{"remove_tags":["replacement_refused"]}})").status, 200);
  ASSERT_EQ(call("PUT", path, R"({"ticket":{"additional_tags":["replacement_request"]}})").status, 200);
  connectors::zendesk::InboundConnector inbound("zendesk", credentials_.zendesk_webhook_secret,
                                                std::chrono::seconds(300));
  std::vector<std::string> ids;
  for (const Webhook& hook : outbox_.sent) {
    const auto identity = inbound.identify(hook.headers(clock_->now()), hook.body);
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    if (identity->event_type == "ticket.tags_changed") ids.push_back(identity->event_id);
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_TRUE(ids[0].ends_with(":-replacement_refused")) << ids[0];
  EXPECT_TRUE(ids[1].ends_with(":+replacement_request")) << ids[1];
}

// ---------------------------------------------------------------------------------------
// Webhooks

TEST_F(ZendeskEmulatorTest, WebhooksAreSignedAndAcceptedByTheHubsVerifierAndMapping) {
  create_ticket({{"subject", "Credit please"}, {"comment", {{"body", "x"}}}, {"priority", "normal"},
                 {"tags", {"service_credit_request"}}});
  ASSERT_EQ(outbox_.sent.size(), 1u);
  const Webhook& hook = outbox_.sent[0];
  EXPECT_EQ(hook.platform, "zendesk");
  const auto now = clock_->now() + std::chrono::seconds(30);
  const http::Headers headers = hook.headers(now);
  EXPECT_EQ(headers.get("X-Zendesk-Webhook-Signature-Timestamp"), "2023-11-14T22:13:50Z");

  connectors::zendesk::InboundConnector inbound("zendesk", credentials_.zendesk_webhook_secret,
                                                std::chrono::seconds(300));
  const auto verified = inbound.verifier().verify(headers, hook.body, now);
  EXPECT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_FALSE(inbound.verifier().verify(headers, hook.body + " ", now).ok());

  const auto identity = inbound.identify(headers, hook.body);
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_EQ(identity->event_type, "ticket.created");
  EXPECT_EQ(identity->business_key, "zen:ticket:1");
  // Derived from the content, not the envelope's random id (zendesk_event_id.hpp).
  EXPECT_EQ(identity->event_id, "zen:ticket:1:ticket.created:2023-11-14T22:13:20.000Z");

  const json envelope = json::parse(hook.body);
  EXPECT_EQ(envelope["detail"]["id"], "1");
  EXPECT_EQ(envelope["detail"]["status"], "NEW");
  EXPECT_TRUE(envelope["detail"]["requester_id"].is_string());

  auto mappings = mapping::MappingSet::load_dir(std::string(WEFT_SOURCE_DIR) + "/mappings");
  ASSERT_TRUE(mappings.ok());
  RawEvent raw;
  raw.connector = "zendesk";
  raw.event_id = identity->event_id;
  raw.event_type = identity->event_type;
  raw.business_key = identity->business_key;
  raw.body = hook.body;
  const auto mapped = mappings->apply("zendesk", raw);
  ASSERT_TRUE(mapped.ok()) << mapped.error().message;
  ASSERT_EQ(mapped->size(), 2u);
  EXPECT_EQ((*mapped)[0].type, "case.opened");
  EXPECT_EQ((*mapped)[0].payload["status"], "new");
  EXPECT_EQ((*mapped)[1].type, "case.credit_requested");

  // A status change maps to case.status_changed with lower-case statuses.
  outbox_.sent.clear();
  ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json", R"({"ticket":{"status":"pending"}})").status, 200);
  ASSERT_EQ(outbox_.sent.size(), 1u);
  raw.event_type = "ticket.status_changed";
  raw.body = outbox_.sent[0].body;
  const auto changed = mappings->apply("zendesk", raw);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ((*changed)[0].payload["status"], "pending");
  EXPECT_EQ((*changed)[0].payload["previous_status"], "new");
}

// ---------------------------------------------------------------------------------------
// State

TEST_F(ZendeskEmulatorTest, StateRestoresAfterResetAndIdsContinue) {
  create_ticket({{"comment", {{"body", "a"}}}, {"tags", {"x"}}});
  ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json", R"({"ticket":{"comment":{"body":"b"}}})").status, 200);
  ASSERT_EQ(call("POST", "/api/v2/organizations.json", R"({"organization":{"name":"Acme"}})").status, 201);
  const json saved = emulator_.state();
  EXPECT_EQ(saved["tickets"].size(), 1u);
  EXPECT_EQ(saved["ticket_comments"]["1"].size(), 2u);
  EXPECT_EQ(saved["organizations"].size(), 1u);

  emulator_.reset();
  EXPECT_EQ(call("GET", "/api/v2/tickets/1.json").status, 404);
  EXPECT_TRUE(emulator_.state()["tickets"].empty());
  EXPECT_EQ(emulator_.state()["users"].size(), 1u);  // the API token's own user

  ASSERT_TRUE(emulator_.restore(saved).ok());
  EXPECT_EQ(emulator_.state(), saved);
  EXPECT_EQ(body_of(call("GET", "/api/v2/tickets/1/comments.json"))["comments"].size(), 2u);
  EXPECT_EQ(create_ticket({{"comment", {{"body", "c"}}}}), 2);

  EXPECT_FALSE(emulator_.restore(json::array()).ok());
  EXPECT_FALSE(emulator_.restore(json{{"tickets", {{{"id", "x"}}}}}).ok());
  EXPECT_FALSE(emulator_.restore(json{{"ticket_comments", {{"1", 5}}}}).ok());
}

// ---------------------------------------------------------------------------------------
// Ticket-events export and show_many

TEST_F(ZendeskEmulatorTest, TicketEventsExportListsEachUpdatesChangesWithPreviousValues) {
  const std::int64_t start = 1'700'000'000;
  clock_->set_wall(std::chrono::system_clock::time_point(std::chrono::seconds(start)));
  create_ticket({{"comment", {{"body", "a"}}}, {"tags", {"vip"}}});
  clock_->advance(std::chrono::seconds(5));
  ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json",
                 R"({"ticket":{"status":"open","additional_tags":["x"],"custom_fields":[{"id":7,"value":"v"}]}})")
                .status,
            200);
  clock_->advance(std::chrono::seconds(5));
  ASSERT_EQ(call("PUT", "/api/v2/tickets/1.json", R"({"ticket":{"comment":{"body":"b"}}})").status, 200);

  EXPECT_EQ(call("GET", "/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start)).status,
            400);  // within the last minute
  EXPECT_EQ(call("GET", "/api/v2/incremental/ticket_events.json").status, 400);
  clock_->advance(std::chrono::seconds(120));
  const json page =
      body_of(call("GET", "/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start)));
  ASSERT_EQ(page["ticket_events"].size(), 3u);
  EXPECT_EQ(page["end_time"], start + 10);
  EXPECT_EQ(page["end_of_stream"], true);
  EXPECT_EQ(page["next_page"],
            "http://127.0.0.1:7171/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start + 10));

  const json& created = page["ticket_events"][0];
  EXPECT_EQ(created["event_type"], "Audit");
  EXPECT_EQ(created["ticket_id"], 1);
  EXPECT_EQ(created["timestamp"], start);
  EXPECT_EQ(created["created_at"], "2023-11-14T22:13:20Z");
  // A creation lists the initial values.
  const auto initial = [&](const char* field) {
    for (const auto& child : created["child_events"]) {
      if (child.contains(field)) {
        EXPECT_EQ(child["event_type"], "Create");
        EXPECT_FALSE(child.contains("previous_value"));
        return child[field];
      }
    }
    return json("(missing)");
  };
  EXPECT_EQ(initial("status"), "new");
  EXPECT_TRUE(initial("priority").is_null());
  EXPECT_EQ(initial("tags"), json::array({"vip"}));

  const json& changes = page["ticket_events"][1]["child_events"];
  ASSERT_EQ(changes.size(), 4u);  // status, its custom status, tags, the custom field
  EXPECT_EQ(changes[0]["status"], "open");
  EXPECT_EQ(changes[0]["previous_value"], "new");
  EXPECT_EQ(changes[0]["event_type"], "Change");
  EXPECT_EQ(changes[1]["custom_status_id"], 1000001);
  EXPECT_EQ(changes[1]["previous_value"], 1000000);
  EXPECT_EQ(changes[2]["tags"], json::array({"vip", "x"}));
  EXPECT_EQ(changes[2]["added_tags"], json::array({"x"}));
  EXPECT_EQ(changes[2]["removed_tags"], json::array());
  EXPECT_EQ(changes[3]["custom_ticket_fields"], (json{{"7", "v"}}));
  EXPECT_TRUE(changes[3]["previous_value"].is_null());
  const json& comment = page["ticket_events"][2]["child_events"];
  ASSERT_EQ(comment.size(), 1u);
  EXPECT_EQ(comment[0]["event_type"], "Comment");
  EXPECT_EQ(comment[0]["comment_present"], true);

  // A later start_time leaves the earlier updates out.
  const json later =
      body_of(call("GET", "/api/v2/incremental/ticket_events.json?start_time=" + std::to_string(start + 5)));
  EXPECT_EQ(later["ticket_events"].size(), 2u);
}

TEST_F(ZendeskEmulatorTest, TicketEventsExportPagesByTimeAndShowManyGivesTheTickets) {
  zendesk::Options options;
  options.export_page_size = 1;
  zendesk::ZendeskEmulator small(EmulatorContext{credentials_, clock_, outbox_}, options);
  const auto on_small = [&](std::string method, std::string target, std::string body = "") {
    return small.handle(request(std::move(method), std::move(target), std::move(body)));
  };
  const std::int64_t start = 1'700'000'000;
  clock_->set_wall(std::chrono::system_clock::time_point(std::chrono::seconds(start)));
  ASSERT_EQ(on_small("POST", "/api/v2/tickets.json", R"({"ticket":{"comment":{"body":"a"}}})").status, 201);
  clock_->advance(std::chrono::seconds(3));
  ASSERT_EQ(on_small("POST", "/api/v2/tickets.json", R"({"ticket":{"comment":{"body":"b"}}})").status, 201);
  clock_->advance(std::chrono::seconds(120));

  json page = body_of(on_small("GET", "/api/v2/incremental/ticket_events?start_time=" + std::to_string(start)));
  ASSERT_EQ(page["ticket_events"].size(), 1u);
  EXPECT_EQ(page["ticket_events"][0]["ticket_id"], 1);
  EXPECT_EQ(page["end_time"], start);
  EXPECT_EQ(page["end_of_stream"], false);
  page = body_of(on_small("GET", "/api/v2/incremental/ticket_events?start_time=" + std::to_string(start + 1)));
  EXPECT_EQ(page["ticket_events"][0]["ticket_id"], 2);
  EXPECT_EQ(page["end_of_stream"], true);

  const json shown = body_of(on_small("GET", "/api/v2/tickets/show_many.json?ids=2,1,99"));
  ASSERT_EQ(shown["tickets"].size(), 2u);  // 99 does not exist
  EXPECT_EQ(shown["tickets"][0]["id"], 1);
  EXPECT_EQ(shown["tickets"][1]["id"], 2);
  EXPECT_EQ(on_small("GET", "/api/v2/tickets/show_many.json?ids=1,x").status, 400);
  EXPECT_EQ(on_small("GET", "/api/v2/tickets/show_many.json").status, 400);
  std::string many = "1";
  for (int i = 2; i <= 101; ++i) many += "," + std::to_string(i);
  EXPECT_EQ(on_small("GET", "/api/v2/tickets/show_many.json?ids=" + many).status, 400);
}

}  // namespace
}  // namespace weft::sandbox
