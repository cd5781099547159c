// The Zendesk connector against `weft sandbox`'s Zendesk, through the real delivery path
// (DeliveryInvoker + libcurl): every action of docs/connectors/zendesk.md, the idempotency
// that makes a retried step land once (Idempotency-Key on create_ticket, the marker of
// add_private_comment, upserts on external_id), cursor pagination to the end, the ticket-events
// export with its tickets, and the failures Zendesk answers (401, 429 with Retry-After, an
// outage, an error after the effect).

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "connectors/zendesk/zendesk_connector.hpp"
#include "integration/contract_fixture.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

// The sandbox's default credentials (src/sandbox/credentials.hpp).
ConnectorContract::Settings zendesk_settings(const std::string& api_token) {
  return {{"email", "demo@weft.example"},
          {"api_token", api_token},
          {"webhook_secret", "zd_demo_webhook_secret"}};
}

class ZendeskContractTest : public ContractTest {
 protected:
  ZendeskContractTest() : ContractTest("zendesk", zendesk_settings("zd_demo_token")) {}

  static json new_ticket(const std::string& subject) {
    return {{"subject", subject}, {"comment", {{"body", subject + ", please"}}}};
  }
  json create_ticket(const std::string& subject, const std::string& key) {
    const json created = ok(call("create_ticket", new_ticket(subject), key));
    if (!created.contains("ticket")) throw ContractError("no ticket in " + created.dump());
    return created["ticket"];
  }

  // The ticket's comments in the sandbox's state, oldest first.
  json comments_of(const json& ticket_id) { return state()["ticket_comments"][ticket_id.dump()]; }
};

TEST_F(ZendeskContractTest, ARetriedCreateIsReplayedFromItsIdempotencyKey) {
  const json ticket = create_ticket("Refund for order 1001", "wf-1:ticket");
  EXPECT_EQ(ticket["subject"], "Refund for order 1001");
  EXPECT_EQ(ticket["status"], "new");

  // The same step again: Zendesk answers from the key, nothing new exists.
  const json again = create_ticket("Refund for order 1001", "wf-1:ticket");
  EXPECT_EQ(again["id"], ticket["id"]);
  EXPECT_EQ(count_records("tickets", "subject", "Refund for order 1001"), 1u);
  const json keyed = requests_with_key("wf-1:ticket");
  ASSERT_EQ(keyed.size(), 2u) << keyed.dump();
  EXPECT_FALSE(keyed[0]["replayed"].get<bool>());
  EXPECT_TRUE(keyed[1]["replayed"].get<bool>());

  // The same key with another body: taken by a different request, a conflict.
  const delivery::Failure reused =
      failed(call("create_ticket", new_ticket("Something else"), "wf-1:ticket"));
  EXPECT_EQ(reused.cls, delivery::FailureClass::conflict);
  EXPECT_EQ(reused.platform_code, "IdempotentRequestError");
  EXPECT_EQ(count_records("tickets", "subject", "Something else"), 0u);
}

TEST_F(ZendeskContractTest, GetAndUpdateATicket) {
  const json ticket = create_ticket("Printer on fire", "wf-2:ticket");
  const json updated = ok(call("update_ticket", {{"id", ticket["id"]},
                                                 {"status", "open"},
                                                 {"priority", "urgent"},
                                                 {"additional_tags", {"vip", "fire"}}}));
  EXPECT_EQ(updated["ticket"]["status"], "open");
  EXPECT_TRUE(updated.contains("audit")) << updated.dump();

  // Convergent: the same update again leaves the ticket as it was.
  ok(call("update_ticket", {{"id", ticket["id"]},
                            {"status", "open"},
                            {"priority", "urgent"},
                            {"additional_tags", {"vip", "fire"}}}));
  // Ids from webhooks come as strings.
  const json read = ok(call("get_ticket", {{"id", ticket["id"].dump()}}));
  EXPECT_EQ(read["ticket"]["priority"], "urgent");
  const std::vector<std::string> tags = read["ticket"]["tags"];
  EXPECT_EQ(std::set<std::string>(tags.begin(), tags.end()),
            (std::set<std::string>{"vip", "fire"}));

  // A comment through update_ticket would be added again by a retry: refused, nothing sent.
  const std::size_t before = requests().size();
  const delivery::Failure comment =
      failed(call("update_ticket", {{"id", ticket["id"]}, {"comment", {{"body", "hi"}}}}));
  EXPECT_EQ(comment.cls, delivery::FailureClass::validation);
  EXPECT_EQ(requests().size(), before);

  expect_not_found("get_ticket", {{"id", 999999}}, "RecordNotFound");
}

TEST_F(ZendeskContractTest, APrivateCommentIsAddedOnceUnderItsKey) {
  const json ticket = create_ticket("Credit requested", "wf-3:ticket");
  const json added =
      ok(call("add_private_comment",
              {{"id", ticket["id"]}, {"body", "Credit CN-1 issued: 25.00 EUR"}}, "wf-3:comment"));
  EXPECT_FALSE(added["deduplicated"].get<bool>());
  ASSERT_TRUE(added["comment"].is_object()) << added.dump();
  EXPECT_FALSE(added["comment"]["public"].get<bool>());

  // The retried step finds its marker and writes nothing.
  const json again =
      ok(call("add_private_comment",
              {{"id", ticket["id"]}, {"body", "Credit CN-1 issued: 25.00 EUR"}}, "wf-3:comment"));
  EXPECT_TRUE(again["deduplicated"].get<bool>()) << again.dump();

  const json comments = comments_of(ticket["id"]);
  ASSERT_EQ(comments.size(), 2u) << comments.dump();  // the ticket's first one and ours
  const std::string marker = connectors::zendesk::ZendeskConnector::comment_marker("wf-3:comment");
  EXPECT_NE(comments[1]["body"].get<std::string>().find(marker), std::string::npos);
  EXPECT_FALSE(comments[1]["public"].get<bool>());
  std::size_t puts = 0;
  for (const json& r : requests()) puts += r["method"] == "PUT" ? 1 : 0;
  EXPECT_EQ(puts, 1u);
}

TEST_F(ZendeskContractTest, CommentsArePagedToTheEndWithTheCursor) {
  const json ticket = create_ticket("Long thread", "wf-4:ticket");
  for (int i = 0; i < 4; ++i) {
    ok(call("add_private_comment", {{"id", ticket["id"]}, {"body", "note " + std::to_string(i)}},
            "wf-4:note" + std::to_string(i)));
  }
  const std::vector<json> listed =
      pages("list_ticket_comments", {{"id", ticket["id"]}, {"page_size", 2}});
  EXPECT_EQ(listed.size(), 3u);
  EXPECT_EQ(ids_in(listed, "comments").size(), 5u);
  EXPECT_FALSE(listed.back()["meta"]["has_more"].get<bool>());
}

TEST_F(ZendeskContractTest, TheIncrementalExportIsFollowedToTheEndOfTheStream) {
  for (int i = 0; i < 5; ++i)
    create_ticket("Export " + std::to_string(i), "wf-5:t" + std::to_string(i));
  const std::vector<json> listed =
      pages("incremental_tickets", {{"start_time", 0}, {"per_page", 2}});
  EXPECT_EQ(ids_in(listed, "tickets").size(), 5u);
  EXPECT_GE(listed.size(), 3u);
  EXPECT_TRUE(listed.back()["end_of_stream"].get<bool>());
}

TEST_F(ZendeskContractTest, TicketEventsComeWithTheTicketsTheyName) {
  const json a = create_ticket("Events A", "wf-7:a");
  const json b = create_ticket("Events B", "wf-7:b");
  ok(call("update_ticket", {{"id", a["id"]}, {"status", "pending"}}));

  // Three events, far fewer than a page holds: one page, the end of the stream.
  const std::vector<json> listed = pages("incremental_ticket_events", {{"start_time", 0}});
  ASSERT_EQ(listed.size(), 1u);
  const json& page = listed[0];
  EXPECT_TRUE(page["end_of_stream"].get<bool>());
  std::set<std::int64_t> named;
  for (const json& e : page["ticket_events"]) named.insert(e["ticket_id"].get<std::int64_t>());
  EXPECT_EQ(named,
            (std::set<std::int64_t>{a["id"].get<std::int64_t>(), b["id"].get<std::int64_t>()}));
  EXPECT_EQ(page["ticket_events"].size(), 3u) << page["ticket_events"].dump();

  // The tickets as they are now, fetched with show_many in the same attempt.
  EXPECT_EQ(ids_in(listed, "tickets"), (std::set<std::string>{a["id"].dump(), b["id"].dump()}));
  for (const json& t : page["tickets"]) {
    EXPECT_EQ(t["status"], t["id"] == a["id"] ? "pending" : "new") << t.dump();
  }
}

TEST_F(ZendeskContractTest, OrganizationsAndUsersConvergeOnTheirExternalIds) {
  const json org =
      ok(call("upsert_organization",
              {{"external_id", "cus_ACME"}, {"name", "Acme GmbH"}, {"tags", {"gold"}}}));
  ASSERT_TRUE(org["organization"].contains("id")) << org.dump();
  const json again =
      ok(call("upsert_organization", {{"external_id", "cus_ACME"}, {"name", "Acme AG"}}));
  EXPECT_EQ(again["organization"]["id"], org["organization"]["id"]);
  EXPECT_EQ(count_records("organizations", "external_id", "cus_ACME"), 1u);

  const json read = ok(call("get_organization", {{"id", org["organization"]["id"]}}));
  EXPECT_EQ(read["organization"]["name"], "Acme AG");
  const json found = ok(call("search_organizations", {{"external_id", "cus_ACME"}}));
  ASSERT_EQ(found["organizations"].size(), 1u) << found.dump();
  EXPECT_EQ(found["organizations"][0]["id"], org["organization"]["id"]);

  const json user = ok(call("upsert_user", {{"email", "jane@acme.test"},
                                            {"name", "Jane"},
                                            {"organization_id", org["organization"]["id"]}}));
  const json user_again =
      ok(call("upsert_user", {{"email", "jane@acme.test"}, {"name", "Jane Doe"}}));
  EXPECT_EQ(user_again["user"]["id"], user["user"]["id"]);
  EXPECT_EQ(user_again["user"]["name"], "Jane Doe");
  EXPECT_EQ(count_records("users", "email", "jane@acme.test"), 1u);
}

TEST_F(ZendeskContractTest, WrongTokenIsAnAuthFailureThatNeverShowsTheToken) {
  const delivery::Failure f = expect_auth_failure(zendesk_settings("zd_not_the_token"),
                                                  "zd_not_the_token", "get_ticket", {{"id", 1}});
  EXPECT_EQ(f.http_status, 401);
}

TEST_F(ZendeskContractTest, RateLimitCarriesRetryAfterAndAnOutageIsTransient) {
  expect_rate_limit_outage_and_recovery("search_organizations", {{"external_id", "x"}}, 7);
}

TEST_F(ZendeskContractTest, AnErrorAfterTheEffectIsRetriedWithTheSameKeyAndLandsOnce) {
  expect_retryable_error_after_effect("create_ticket", new_ticket("Once only"), "wf-6:create");
  const json retried = create_ticket("Once only", "wf-6:create");
  EXPECT_EQ(retried["subject"], "Once only");
  EXPECT_EQ(count_records("tickets", "subject", "Once only"), 1u);
  const json keyed = requests_with_key("wf-6:create");
  ASSERT_EQ(keyed.size(), 2u) << keyed.dump();
  EXPECT_EQ(keyed[0]["fault"], "error");
  EXPECT_FALSE(keyed[0]["replayed"].get<bool>());
  EXPECT_TRUE(keyed[1]["replayed"].get<bool>());
  EXPECT_EQ(keyed[1]["status"], 201);
}

}  // namespace
}  // namespace weft::test
