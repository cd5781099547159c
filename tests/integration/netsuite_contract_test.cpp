// The NetSuite connector against `weft sandbox`'s NetSuite, through the real delivery path
// (DeliveryInvoker + libcurl, requests signed with TBA): every action of
// docs/connectors/netsuite.md, the upsert by external id that makes a retried step land once,
// SuiteQL paged to the end with offset/hasMore, and the failures NetSuite answers
// (INVALID_LOGIN, 429 with Retry-After, CONCURRENCY_LIMIT_EXCEEDED, an outage, an error after
// the effect).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "connectors/netsuite/netsuite_actions.hpp"
#include "integration/contract_fixture.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

// The sandbox's default credentials (src/sandbox/credentials.hpp).
ConnectorContract::Settings netsuite_settings(
    const std::string& account_id = "1234567_SB1",
    const std::string& token_secret = "ns_demo_token_secret") {
  return {{"account_id", account_id},
          {"consumer_key", "ns_demo_consumer_key"},
          {"consumer_secret", "ns_demo_consumer_secret"},
          {"token_id", "ns_demo_token_id"},
          {"token_secret", token_secret},
          {"webhook_secret", "ns_demo_webhook_secret"}};
}

class NetSuiteContractTest : public ContractTest {
 protected:
  NetSuiteContractTest() : ContractTest("netsuite", netsuite_settings()) {}

  json upsert_customer(const std::string& external_id, const std::string& name) {
    return ok(call("upsert_customer",
                   {{"external_id", external_id}, {"body", {{"companyName", name}}}},
                   "wf:" + external_id));
  }

  static json one_line(double amount) {
    return {{"items", json::array({{{"item", {{"id", "13"}}}, {"amount", amount}}})}};
  }
};

TEST_F(NetSuiteContractTest, AnUpsertByExternalIdTwiceIsOneRecord) {
  const json created = upsert_customer("cus_ACME", "Acme GmbH");
  EXPECT_EQ(created["record_type"], "customer");
  EXPECT_EQ(created["external_id"], "cus_ACME");
  ASSERT_TRUE(created["id"].is_string()) << created.dump();

  const json again =
      ok(call("upsert_customer",
              {{"external_id", "cus_ACME"},
               {"body", {{"companyName", "Acme GmbH"}, {"creditHoldOverride", "ON"}}}},
              "wf:cus_ACME"));
  EXPECT_EQ(again["id"], created["id"]);
  EXPECT_EQ(count_records("customer", "externalId", "cus_ACME"), 1u);
  // Both went to the same eid: path, NetSuite's idempotent write.
  EXPECT_EQ(requests_with_key("customer/eid:cus_ACME").size(), 2u);

  const json by_eid = ok(call("get_customer", {{"external_id", "cus_ACME"}}));
  EXPECT_EQ(by_eid["id"], created["id"]);
  EXPECT_EQ(by_eid["creditHoldOverride"], "ON");
  const json by_id =
      ok(call("get_record",
              {{"record_type", "customer"}, {"id", created["id"]}, {"fields", {"companyName"}}}));
  EXPECT_EQ(by_id["companyName"], "Acme GmbH");

  expect_not_found("get_customer", {{"id", "999999"}}, "RCRD_DSNT_EXIST");
}

TEST_F(NetSuiteContractTest, WithoutAnExternalIdTheStepsKeyNamesTheRecord) {
  const json customer = upsert_customer("cus_BETA", "Beta Ltd");
  const json input = {{"body", {{"entity", {{"id", customer["id"]}}}, {"item", one_line(120.5)}}}};
  const json invoice = ok(call("upsert_invoice", input, "wf-2:invoice"));
  const std::string derived = connectors::netsuite::derived_external_id("wf-2:invoice");
  EXPECT_EQ(invoice["external_id"], derived);

  const json retried = ok(call("upsert_invoice", input, "wf-2:invoice"));
  EXPECT_EQ(retried["id"], invoice["id"]);
  EXPECT_EQ(count_records("invoice", "externalId", derived), 1u);
  EXPECT_EQ(state()["invoice"].size(), 1u);

  const json read = ok(call("get_invoice", {{"id", invoice["id"]}}));
  EXPECT_EQ(read["externalId"], derived);
  EXPECT_EQ(read["total"], 120.5);
}

TEST_F(NetSuiteContractTest, EveryTypedUpsertAndUpdateLands) {
  const json customer = upsert_customer("cus_GAMMA", "Gamma Inc");
  const json entity = {{"id", customer["id"]}};
  const struct {
    const char* action;
    const char* record_type;
    json body;
  } upserts[] = {
      {"upsert_credit_memo", "creditMemo", {{"entity", entity}, {"item", one_line(25)}}},
      {"upsert_sales_order", "salesOrder", {{"entity", entity}, {"item", one_line(300)}}},
      {"upsert_customer_payment", "customerPayment", {{"customer", entity}, {"payment", 80}}},
      {"upsert_customer_refund", "customerRefund", {{"customer", entity}, {"amount", 10}}},
      {"upsert_journal_entry",
       "journalEntry",
       {{"line",
         {{"items", json::array({{{"account", {{"id", "1"}}}, {"debit", 50}},
                                 {{"account", {{"id", "2"}}}, {"credit", 50}}})}}}}},
  };
  for (const auto& u : upserts) {
    const std::string external_id = std::string("weft-") + u.record_type;
    const json out = ok(call(u.action, {{"external_id", external_id}, {"body", u.body}}, u.action));
    EXPECT_EQ(out["record_type"], u.record_type) << u.action;
    EXPECT_EQ(count_records(u.record_type, "externalId", external_id), 1u) << u.action;
  }

  // The generic upsert on any record type, with the external id in the body.
  const json generic =
      ok(call("upsert_record",
              {{"record_type", "invoice"},
               {"body", {{"externalId", "in_1"}, {"entity", entity}, {"item", one_line(40)}}}},
              "wf-3:generic"));
  EXPECT_EQ(generic["external_id"], "in_1");

  // A PATCH by internal id and by external id; replace keeps a retry from adding lines.
  const json patch = {{"record_type", "invoice"},
                      {"id", generic["id"]},
                      {"replace", "item"},
                      {"body", {{"memo", "Seats"}, {"item", one_line(45)}}}};
  const json updated = ok(call("update_record", patch));
  EXPECT_EQ(updated["id"], generic["id"]);
  EXPECT_TRUE(updated["external_id"].is_null());
  ok(call("update_record", patch));
  const json by_eid = ok(call("update_record", {{"record_type", "invoice"},
                                                {"external_id", "in_1"},
                                                {"body", {{"memo", "Seats, renewed"}}}}));
  EXPECT_EQ(by_eid["external_id"], "in_1");
  const json read =
      ok(call("get_invoice", {{"external_id", "in_1"}, {"expandSubResources", true}}));
  EXPECT_EQ(read["memo"], "Seats, renewed");
  EXPECT_EQ(read["item"]["items"].size(), 1u) << read.dump();
  EXPECT_EQ(read["total"], 45);
}

TEST_F(NetSuiteContractTest, SuiteQlIsPagedToTheEndWithOffsetAndHasMore) {
  for (int i = 0; i < 5; ++i)
    upsert_customer("cus_P" + std::to_string(i), "Paged " + std::to_string(i));
  const std::vector<json> listed =
      pages("suiteql", {{"q", "SELECT id, companyname FROM customer ORDER BY id"}, {"limit", 2}});
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(ids_in(listed, "items").size(), 5u);
  EXPECT_EQ(listed[2]["offset"], 4);
  EXPECT_FALSE(listed.back()["hasMore"].get<bool>());

  const delivery::Failure unsupported =
      failed(call("suiteql", {{"q", "SELECT id FROM customer WHERE a = 1 OR b = 2"}}));
  EXPECT_EQ(unsupported.cls, delivery::FailureClass::validation);
  EXPECT_EQ(unsupported.platform_code, "INVALID_PARAMETER");
}

TEST_F(NetSuiteContractTest, WrongTokenSecretIsAnAuthFailureThatNeverShowsTheSecret) {
  const delivery::Failure f =
      expect_auth_failure(netsuite_settings("1234567_SB1", "ns_not_the_secret"),
                          "ns_not_the_secret", "get_customer", {{"id", "101"}});
  EXPECT_EQ(f.http_status, 401);
  EXPECT_EQ(f.platform_code, "INVALID_LOGIN");

  // The host-name spelling of the account id signs the same realm.
  auto spelled = invoker_with(netsuite_settings("1234567-sb1"));
  const delivery::Failure not_found = failed(call_with(*spelled, "get_customer", {{"id", "101"}}));
  EXPECT_EQ(not_found.http_status, 404) << not_found.message;
}

TEST_F(NetSuiteContractTest, RateLimitCarriesRetryAfterAndAnOutageIsTransient) {
  expect_rate_limit_outage_and_recovery("suiteql", {{"q", "SELECT id FROM customer"}}, 4);
}

TEST_F(NetSuiteContractTest, TheAccountsConcurrencyLimitIsRateLimited) {
  // One slot, held a minute by each request it admits: the second request finds it taken.
  sandbox_helper("/concurrency", {{"limit", 1}, {"service_time_ms", 60000}});
  const delivery::Failure first = failed(call("get_customer", {{"id", "101"}}));
  EXPECT_EQ(first.http_status, 404);
  const delivery::Failure refused = failed(call("get_customer", {{"id", "101"}}));
  EXPECT_EQ(refused.cls, delivery::FailureClass::rate_limited);
  EXPECT_EQ(refused.platform_code, "CONCURRENCY_LIMIT_EXCEEDED");

  sandbox_helper("/concurrency", {{"limit", 0}});
  EXPECT_EQ(upsert_customer("cus_AFTER", "After Ltd")["external_id"], "cus_AFTER");
}

TEST_F(NetSuiteContractTest, AnErrorAfterTheEffectIsRetriedOnTheSameExternalIdAndLandsOnce) {
  const json input = {{"body", {{"companyName", "Once Ltd"}}}};
  expect_retryable_error_after_effect("upsert_customer", input, "wf-4:customer");
  const json retried = ok(call("upsert_customer", input, "wf-4:customer"));
  const std::string external_id = connectors::netsuite::derived_external_id("wf-4:customer");
  EXPECT_EQ(retried["external_id"], external_id);
  EXPECT_EQ(count_records("customer", "externalId", external_id), 1u);
  EXPECT_EQ(state()["customer"].size(), 1u);
  const json keyed = requests_with_key("customer/eid:" + external_id);
  ASSERT_EQ(keyed.size(), 2u) << keyed.dump();
  EXPECT_EQ(keyed[0]["fault"], "error");
  EXPECT_EQ(keyed[1]["status"], 204);
}

}  // namespace
}  // namespace weft::test
