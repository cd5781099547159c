// The Salesforce connector against `weft sandbox`'s Salesforce, through the real delivery path
// (DeliveryInvoker + libcurl, client-credentials tokens): every action of
// docs/connectors/salesforce.md, the upsert on an external id that makes a retried step land
// once, queries paged to the end with nextRecordsUrl, the token fetched again after the
// session expired, and the failures Salesforce answers (bad client credentials, 429 with
// Retry-After, an outage, an error after the effect).

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "integration/contract_fixture.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

// The sandbox's default credentials (src/sandbox/credentials.hpp).
ConnectorContract::Settings salesforce_settings(const std::string& client_secret) {
  return {{"client_id", "sf_demo_client_id"},
          {"client_secret", client_secret},
          {"webhook_secret", "sf_demo_webhook_secret"}};
}

class SalesforceContractTest : public ContractTest {
 protected:
  SalesforceContractTest()
      : ContractTest("salesforce", salesforce_settings("sf_demo_client_secret")) {}

  static json account_input(const std::string& stripe_id, const std::string& name) {
    return {{"external_id_field", "Stripe_Customer_Id__c"},
            {"external_id", stripe_id},
            {"fields", {{"Name", name}}}};
  }
  json upsert_account(const std::string& stripe_id, const std::string& name) {
    return ok(call("upsert_account", account_input(stripe_id, name)));
  }

  // Requests to the token endpoint so far.
  std::size_t token_requests() {
    std::size_t n = 0;
    for (const json& r : requests()) n += r["path"] == "/services/oauth2/token" ? 1 : 0;
    return n;
  }
};

TEST_F(SalesforceContractTest, AnUpsertOnAnExternalIdTwiceIsOneRecord) {
  const json created = upsert_account("cus_ACME", "Acme");
  EXPECT_TRUE(created["created"].get<bool>());
  ASSERT_TRUE(created["id"].is_string()) << created.dump();

  const json again = upsert_account("cus_ACME", "Acme Corp");
  EXPECT_FALSE(again["created"].get<bool>());
  EXPECT_EQ(again["id"], created["id"]);
  EXPECT_EQ(count_records("Account", "Stripe_Customer_Id__c", "cus_ACME"), 1u);
  EXPECT_EQ(requests_with_key("Account/Stripe_Customer_Id__c/cus_ACME").size(), 2u);

  const json read = ok(call("get_account", {{"id", created["id"]}}));
  EXPECT_EQ(read["Name"], "Acme Corp");
  const json some =
      ok(call("get_record", {{"sobject", "Account"}, {"id", created["id"]}, {"fields", "Name"}}));
  EXPECT_EQ(some["Name"], "Acme Corp");

  const json updated = ok(call("update_record", {{"sobject", "Account"},
                                                 {"id", created["id"]},
                                                 {"fields", {{"Industry", "Manufacturing"}}}}));
  EXPECT_EQ(updated["id"], created["id"]);
  EXPECT_EQ(ok(call("get_account", {{"id", created["id"]}, {"fields", {"Industry"}}}))["Industry"],
            "Manufacturing");

  expect_not_found("get_account", {{"id", "001000000000000"}}, "NOT_FOUND");
}

TEST_F(SalesforceContractTest, OpportunitiesContractsAndTheGenericUpsert) {
  const json account = upsert_account("cus_BETA", "Beta");
  const json opportunity = ok(call("upsert_opportunity", {{"external_id_field", "Weft_Id__c"},
                                                          {"external_id", "opp-1"},
                                                          {"fields",
                                                           {{"Name", "Beta renewal"},
                                                            {"StageName", "Closed Won"},
                                                            {"CloseDate", "2025-06-30"},
                                                            {"AccountId", account["id"]},
                                                            {"Amount", 12000}}}}));
  EXPECT_TRUE(opportunity["created"].get<bool>());
  const json read = ok(call("get_opportunity", {{"id", opportunity["id"]}}));
  EXPECT_EQ(read["IsWon"], true);
  EXPECT_EQ(read["Amount"], 12000);

  const json contract = ok(call("upsert_contract", {{"external_id_field", "Weft_Id__c"},
                                                    {"external_id", 4711},
                                                    {"fields",
                                                     {{"AccountId", account["id"]},
                                                      {"StartDate", "2025-01-01"},
                                                      {"ContractTerm", 12},
                                                      {"Status", "Draft"}}}}));
  const json contract_read = ok(call("get_contract", {{"id", contract["id"]}}));
  EXPECT_EQ(contract_read["EndDate"], "2025-12-31");
  EXPECT_EQ(count_records("Contract", "Weft_Id__c", "4711"), 1u);

  const json contact =
      ok(call("upsert_record", {{"sobject", "Contact"},
                                {"external_id_field", "Weft_Id__c"},
                                {"external_id", "jane"},
                                {"fields", {{"LastName", "Doe"}, {"FirstName", "Jane"}}}}));
  EXPECT_EQ(ok(call("get_record", {{"sobject", "Contact"}, {"id", contact["id"]}}))["Name"],
            "Jane Doe");

  // Salesforce's own validation comes back as a validation failure naming the field.
  const delivery::Failure invalid =
      failed(call("upsert_opportunity", {{"external_id_field", "Weft_Id__c"},
                                         {"external_id", "opp-2"},
                                         {"fields", {{"Name", "No stage"}}}}));
  EXPECT_EQ(invalid.cls, delivery::FailureClass::validation);
  EXPECT_EQ(invalid.platform_code, "REQUIRED_FIELD_MISSING");
}

TEST_F(SalesforceContractTest, QueriesArePagedToTheEndWithNextRecordsUrl) {
  // Salesforce pages query results by 2000: the sandbox starts from a state with more.
  const json first = upsert_account("cus_Q0", "Query 0");
  json account = state()["Account"][0];
  json accounts = json::array();
  for (int i = 1; i <= 2400; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "001QUERY%07d", i);
    account["Id"] = id;
    account["Name"] = "Query " + std::to_string(i);
    account["Stripe_Customer_Id__c"] = "cus_Q" + std::to_string(i);
    accounts.push_back(account);
  }
  const auto file = work_dir().write("salesforce-state.json",
                                     json{{"salesforce", {{"Account", accounts}}}}.dump());
  start({"--state", file.string()});

  const std::vector<json> listed =
      pages("query", {{"soql", "SELECT Id, Name FROM Account ORDER BY Name"}});
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_FALSE(listed[0]["done"].get<bool>());
  EXPECT_EQ(listed[0]["records"].size(), 2000u);
  EXPECT_TRUE(listed[1]["done"].get<bool>());
  for (const json& page : listed) EXPECT_EQ(page["totalSize"], 2400);
  const std::set<std::string> seen = ids_in(listed, "records", "Id");
  EXPECT_EQ(seen.size(), 2400u);
  EXPECT_FALSE(seen.contains(first["id"].get<std::string>()));  // the state file replaced it

  const delivery::Failure malformed =
      failed(call("query", {{"soql", "SELECT Id FROM Account WHERE Name = 'a' OR Name = 'b'"}}));
  EXPECT_EQ(malformed.cls, delivery::FailureClass::validation);
  EXPECT_EQ(malformed.platform_code, "MALFORMED_QUERY");
}

TEST_F(SalesforceContractTest, AnExpiredSessionIsRefreshedOnTheRetry) {
  const json account = upsert_account("cus_TOKEN", "Token Ltd");
  EXPECT_EQ(token_requests(), 1u);  // fetched once, kept for every call
  ok(call("get_account", {{"id", account["id"]}}));
  EXPECT_EQ(token_requests(), 1u);

  EXPECT_EQ(sandbox_helper("/expire_sessions", json::object())["expired"], 1);
  const delivery::Failure expired = failed(call("get_account", {{"id", account["id"]}}));
  EXPECT_EQ(expired.cls, delivery::FailureClass::transient);
  EXPECT_EQ(expired.http_status, 401);
  EXPECT_EQ(expired.platform_code, "INVALID_SESSION_ID");

  // The retry fetches a new token and goes through.
  EXPECT_EQ(ok(call("get_account", {{"id", account["id"]}}))["Name"], "Token Ltd");
  EXPECT_EQ(token_requests(), 2u);
}

TEST_F(SalesforceContractTest, WrongClientSecretIsAnAuthFailureThatNeverShowsTheSecret) {
  const delivery::Failure f =
      expect_auth_failure(salesforce_settings("sf_not_the_secret"), "sf_not_the_secret",
                          "get_account", {{"id", "001000000000000"}});
  EXPECT_NE(f.message.find("invalid_client"), std::string::npos) << f.message;
}

TEST_F(SalesforceContractTest, RateLimitCarriesRetryAfterAndAnOutageIsTransient) {
  const json account = upsert_account("cus_LIMIT", "Limit Ltd");  // the token is fetched
  expect_rate_limit_outage_and_recovery("get_account", {{"id", account["id"]}}, 5);
}

TEST_F(SalesforceContractTest, AnErrorAfterTheEffectIsRetriedOnTheSameExternalIdAndLandsOnce) {
  upsert_account("cus_WARM", "Warm-up");  // the token is fetched before the fault
  expect_retryable_error_after_effect("upsert_account", account_input("cus_ONCE", "Once"));
  const json retried = upsert_account("cus_ONCE", "Once");
  EXPECT_FALSE(retried["created"].get<bool>());  // the first attempt made it
  EXPECT_EQ(count_records("Account", "Stripe_Customer_Id__c", "cus_ONCE"), 1u);
  const json keyed = requests_with_key("Account/Stripe_Customer_Id__c/cus_ONCE");
  ASSERT_EQ(keyed.size(), 2u) << keyed.dump();
  EXPECT_EQ(keyed[0]["fault"], "error");
  EXPECT_EQ(keyed[1]["status"], 200);
}

}  // namespace
}  // namespace weft::test
