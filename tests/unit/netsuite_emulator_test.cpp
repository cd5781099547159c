// The NetSuite emulator of `weft sandbox`, called directly (no server): TBA (OAuth 1.0a
// HMAC-SHA256) checks, record CRUD with eid upserts, validation and NetSuite's error shape,
// lists and SuiteQL with paging, the concurrency limit, signed webhooks and state round trips.
#include <gtest/gtest.h>

#include "connectors/netsuite/oauth1.hpp"
#include "connectors/weft_signature.hpp"
#include "crypto/hmac.hpp"
#include "sandbox/netsuite/netsuite_emulator.hpp"
#include "support/recording_outbox.hpp"
#include "weft/manual_clock.hpp"

namespace weft::sandbox {
namespace {

using nlohmann::json;
namespace oauth = connectors::netsuite;

constexpr const char* kOrigin = "http://127.0.0.1:7171";

class NetSuiteEmulatorTest : public ::testing::Test {
 protected:
  NetSuiteEmulatorTest()
      : clock_(std::make_shared<ManualClock>()),
        emulator_(EmulatorContext{credentials_, clock_, outbox_}) {}

  // Signed as the NetSuite connector signs: over the absolute URL the client uses.
  std::string authorization(const std::string& method, const std::string& target,
                            const std::string& consumer_secret = "ns_demo_consumer_secret",
                            std::optional<std::int64_t> timestamp = std::nullopt,
                            const std::string& realm = "1234567_SB1") {
    oauth::OAuth1Params p;
    p.consumer_key = credentials_.netsuite_consumer_key;
    p.token = credentials_.netsuite_token_id;
    p.nonce = "nonce" + std::to_string(++nonce_);
    p.timestamp = std::to_string(timestamp.value_or(clock_->unix_seconds()));
    const std::string sig = oauth::signature(oauth::signature_base_string(method, std::string(kOrigin) + target, p),
                                             consumer_secret, credentials_.netsuite_token_secret);
    return oauth::authorization_header(realm, p, sig);
  }
  http::Request request(std::string method, std::string target, std::string body = "") {
    http::Request r;
    r.method = method;
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    r.body = std::move(body);
    r.headers.add("Host", "127.0.0.1:7171");
    r.headers.add("Authorization", authorization(method, target));
    r.headers.add("Content-Type", "application/json");
    return r;
  }
  http::Response call(std::string method, std::string path, std::string body = "") {
    return emulator_.handle(request(std::move(method), "/services/rest" + path, std::move(body)));
  }
  http::Response suiteql(const std::string& sql, const std::string& paging = "") {
    auto r = request("POST", "/services/rest/query/v1/suiteql" + paging, json{{"q", sql}}.dump());
    r.headers.add("Prefer", "transient");
    return emulator_.handle(r);
  }
  static json body_of(const http::Response& r) { return json::parse(r.body); }
  std::string create(const std::string& type, const json& body) {
    const auto r = call("POST", "/record/v1/" + type, body.dump());
    EXPECT_EQ(r.status, 204) << r.body;
    const std::string location(r.headers.get("Location").value_or(""));
    return location.substr(location.rfind('/') + 1);
  }
  static std::string error_code(const http::Response& r) {
    return json::parse(r.body)["o:errorDetails"][0]["o:errorCode"].get<std::string>();
  }

  Credentials credentials_;
  std::shared_ptr<ManualClock> clock_;
  test::RecordingOutbox outbox_;
  netsuite::NetSuiteEmulator emulator_;
  int nonce_ = 0;
};

const char* kUnauthorized =
    R"({"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.2","title":"Unauthorized","status":401,"o:errorDetails":[{"detail":"Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.","o:errorCode":"INVALID_LOGIN"}]})";

// ---------------------------------------------------------------------------------------
// Token-based authentication

TEST_F(NetSuiteEmulatorTest, ASignedRequestIsAcceptedQueryStringIncluded) {
  const auto r = call("GET", "/record/v1/customer?limit=5&q=companyName%20CONTAIN%20Acme");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(NetSuiteEmulatorTest, EveryWrongPartOfTheSignatureIsRejectedWithInvalidLogin) {
  const std::string target = "/services/rest/record/v1/customer";
  const auto with = [&](std::string authorization, std::string host = "127.0.0.1:7171") {
    auto r = request("GET", target);
    r.headers = http::Headers();
    r.headers.add("Host", std::move(host));
    if (!authorization.empty()) r.headers.add("Authorization", std::move(authorization));
    return emulator_.handle(r);
  };
  const auto missing = with("");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body, kUnauthorized);
  EXPECT_EQ(missing.headers.get("Content-Type"), "application/vnd.oracle.resource+json; type=error");
  EXPECT_EQ(with(authorization("GET", target, "wrong_secret")).status, 401);
  EXPECT_EQ(with(authorization("GET", target, "ns_demo_consumer_secret", std::nullopt, "OTHER_ACCOUNT")).status, 401);
  EXPECT_EQ(with(authorization("GET", target + "?limit=1")).status, 401);            // signed another URL
  EXPECT_EQ(with(authorization("GET", target), "localhost:7171").status, 401);       // another host
  EXPECT_EQ(with(authorization("POST", target)).status, 401);                        // another method
  EXPECT_EQ(with(authorization("GET", target, "ns_demo_consumer_secret", clock_->unix_seconds() - 301)).status, 401);
  EXPECT_EQ(with(authorization("GET", target, "ns_demo_consumer_secret", clock_->unix_seconds() + 301)).status, 401);
  EXPECT_EQ(with(authorization("GET", target, "ns_demo_consumer_secret", clock_->unix_seconds() - 299)).status, 200);
  EXPECT_EQ(with("Bearer abc").status, 401);
  EXPECT_EQ(with("OAuth realm=\"1234567_SB1\", oauth_consumer_key=").status, 401);

  // A nonce is accepted once.
  const std::string once = authorization("GET", target);
  EXPECT_EQ(with(once).status, 200);
  EXPECT_EQ(with(once).status, 401);
}

// ---------------------------------------------------------------------------------------
// Records

TEST_F(NetSuiteEmulatorTest, CreateReturnsLocationAndTheRecordReadsByIdAndExternalId) {
  const auto r = call("POST", "/record/v1/customer",
                      R"({"companyName":"Acme","email":"ap@acme.example","externalId":"CID001","creditLimit":5000,
                          "subsidiary":{"id":"1"}})");
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.headers.get("Location"), "http://127.0.0.1:7171/services/rest/record/v1/customer/101");

  const json customer = body_of(call("GET", "/record/v1/customer/101"));
  EXPECT_EQ(customer["links"][0]["href"], "http://127.0.0.1:7171/services/rest/record/v1/customer/101");
  EXPECT_EQ(customer["id"], "101");
  EXPECT_EQ(customer["externalId"], "CID001");
  EXPECT_EQ(customer["entityId"], "Acme");
  EXPECT_EQ(customer["creditHoldOverride"], "AUTO");
  EXPECT_EQ(customer["isInactive"], false);
  EXPECT_EQ(customer["creditLimit"], 5000);
  EXPECT_EQ(customer["lastModifiedDate"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(body_of(call("GET", "/record/v1/CUSTOMER/eid:CID001")), customer);
  const json narrow = body_of(call("GET", "/record/v1/customer/101?fields=email,creditLimit"));
  EXPECT_EQ(narrow.size(), 4u);  // links, email, creditLimit, id
  EXPECT_EQ(narrow["email"], "ap@acme.example");

  const auto missing = call("GET", "/record/v1/customer/999");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error_code(missing), "RCRD_DSNT_EXIST");
}

TEST_F(NetSuiteEmulatorTest, PutByExternalIdUpsertsOneRecord) {
  const auto first = call("PUT", "/record/v1/customer/eid:CID002", R"({"companyName":"Beta"})");
  ASSERT_EQ(first.status, 204) << first.body;
  const auto second = call("PUT", "/record/v1/customer/eid:CID002", R"({"companyName":"Beta Ltd"})");
  ASSERT_EQ(second.status, 204) << second.body;
  EXPECT_EQ(second.headers.get("Location"), first.headers.get("Location"));
  const json list = body_of(call("GET", "/record/v1/customer"));
  EXPECT_EQ(list["totalResults"], 1);
  EXPECT_EQ(body_of(call("GET", "/record/v1/customer/eid:CID002"))["companyName"], "Beta Ltd");
  EXPECT_EQ(emulator_.describe(request("PUT", "/services/rest/record/v1/customer/eid:CID002"), second).idempotency_key,
            "customer/eid:CID002");

  const auto by_id = call("PUT", "/record/v1/customer/101", R"({"companyName":"x"})");
  EXPECT_EQ(by_id.status, 400);
  EXPECT_EQ(error_code(by_id), "INVALID_CONTENT");
  EXPECT_EQ(call("PUT", "/record/v1/customer/eid:bad%20id", R"({"companyName":"x"})").status, 400);
  EXPECT_EQ(call("PUT", "/record/v1/customer/eid:CID002", R"({"externalId":"OTHER"})").status, 400);
}

TEST_F(NetSuiteEmulatorTest, CreditHoldChangeSendsASignedCustomerUpdated) {
  const std::string id = create("customer", {{"companyName", "Acme"}, {"externalId", "CID001"}});
  ASSERT_EQ(outbox_.sent.size(), 1u);
  EXPECT_EQ(json::parse(outbox_.sent[0].body)["type"], "customer.created");
  outbox_.sent.clear();

  clock_->advance(std::chrono::seconds(60));
  ASSERT_EQ(call("PATCH", "/record/v1/customer/" + id, R"({"creditHoldOverride":"ON"})").status, 204);
  ASSERT_EQ(outbox_.sent.size(), 1u);
  const Webhook& hook = outbox_.sent[0];
  EXPECT_EQ(hook.platform, "netsuite");
  const json body = json::parse(hook.body);
  EXPECT_EQ(body["id"], hook.event_id);
  EXPECT_EQ(body["type"], "customer.updated");
  EXPECT_EQ(body["record_type"], "customer");
  EXPECT_EQ(body["record_id"], id);
  EXPECT_EQ(body["external_id"], "CID001");
  EXPECT_EQ(body["changed_fields"], json::parse(R"(["creditHoldOverride"])"));
  EXPECT_EQ(body["record"]["creditHoldOverride"], "ON");
  EXPECT_EQ(body["occurred_at"], "2023-11-14T22:14:20.000Z");

  const auto at = clock_->now() + std::chrono::seconds(2);
  const std::string t = std::to_string(clock_->unix_seconds() + 2);
  EXPECT_EQ(hook.headers(at).get("X-Weft-Signature"),
            "t=" + t + ",v1=" + crypto::to_hex(crypto::hmac_sha256(credentials_.netsuite_webhook_secret, t + "." + hook.body)));
  const connectors::TimestampedSignatureVerifier verifier(std::string(connectors::kWeftSignatureHeader),
                                                         credentials_.netsuite_webhook_secret, std::chrono::seconds(300));
  EXPECT_TRUE(verifier.verify(hook.headers(at), hook.body, at).ok());
  EXPECT_FALSE(verifier.verify(hook.headers(at), hook.body + " ", at).ok());

  // A PATCH that changes nothing sends nothing.
  outbox_.sent.clear();
  ASSERT_EQ(call("PATCH", "/record/v1/customer/" + id, R"({"creditHoldOverride":"ON"})").status, 204);
  EXPECT_TRUE(outbox_.sent.empty());
}

TEST_F(NetSuiteEmulatorTest, TransactionsNeedAnExistingCustomerAndLines) {
  const std::string customer = create("customer", {{"companyName", "Acme"}, {"externalId", "CID001"}});
  const auto no_entity = call("POST", "/record/v1/invoice", R"({"entity":{"id":"9999"},"item":{"items":[{"item":{"id":"13"},"quantity":1,"rate":100}]}})");
  EXPECT_EQ(no_entity.status, 400);
  EXPECT_EQ(error_code(no_entity), "INVALID_CONTENT");
  EXPECT_EQ(body_of(no_entity)["o:errorDetails"][0]["detail"],
            "Error while accessing resource: You have entered an Invalid Field Value 9999 for the following field: entity");
  EXPECT_EQ(body_of(no_entity)["o:errorDetails"][0]["o:errorPath"], "entity");
  const auto no_lines = call("POST", "/record/v1/invoice", R"({"entity":{"id":")" + customer + R"("}})");
  EXPECT_EQ(error_code(no_lines), "USER_ERROR");

  outbox_.sent.clear();
  const std::string invoice = create("invoice", {{"entity", {{"externalId", "CID001"}}}, {"tranDate", "2024-05-01"},
                                                 {"item", {{"items", {{{"item", {{"id", "13"}}}, {"quantity", 2}, {"rate", 50.0}}}}}}});
  const json shown = body_of(call("GET", "/record/v1/invoice/" + invoice));
  EXPECT_EQ(shown["total"], 100.0);
  EXPECT_EQ(shown["entity"]["id"], customer);
  EXPECT_EQ(shown["entity"]["refName"], "Acme");
  EXPECT_EQ(shown["tranId"], "INV" + invoice);
  EXPECT_FALSE(shown["item"].contains("items"));  // sublists need expandSubResources
  const json expanded = body_of(call("GET", "/record/v1/invoice/" + invoice + "?expandSubResources=true"));
  EXPECT_EQ(expanded["item"]["items"][0]["amount"], 100.0);

  create("salesOrder", {{"entity", {{"id", customer}}}, {"item", {{"items", {{{"item", {{"id", "13"}}}, {"amount", 5}}}}}}});
  create("creditMemo", {{"entity", {{"id", customer}}}, {"item", {{"items", {{{"item", {{"id", "13"}}}, {"amount", 10.0}}}}}},
                        {"apply", {{"items", {{{"doc", {{"id", invoice}}}, {"apply", true}, {"amount", 10.0}}}}}}});
  create("customerPayment", {{"customer", {{"id", customer}}}, {"payment", 90}});
  create("customerRefund", {{"customer", {{"id", customer}}}, {"amount", 5}});
  std::vector<std::string> types;
  for (const auto& w : outbox_.sent) types.push_back(json::parse(w.body)["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"invoice.created", "salesOrder.created", "creditMemo.created",
                                             "customerPayment.created", "customerRefund.created"}));
  EXPECT_EQ(call("GET", "/record/v1/creditmemo/" + std::to_string(std::stoi(invoice) + 2)).status, 200);
}

TEST_F(NetSuiteEmulatorTest, JournalEntriesMustBalance) {
  const auto ok = call("POST", "/record/v1/journalEntry",
                       R"({"subsidiary":{"id":"1"},"line":{"items":[{"account":{"id":"10"},"debit":300},{"account":{"id":"14"},"credit":300}]}})");
  EXPECT_EQ(ok.status, 204) << ok.body;
  const auto off = call("POST", "/record/v1/journalentry",
                        R"({"line":{"items":[{"account":{"id":"10"},"debit":300},{"account":{"id":"14"},"credit":250}]}})");
  EXPECT_EQ(off.status, 400);
  EXPECT_EQ(error_code(off), "USER_ERROR");
  EXPECT_EQ(body_of(off)["o:errorDetails"][0]["detail"],
            "Error while accessing resource: The transaction is not in balance: debits 300.00, credits 250.00.");
}

TEST_F(NetSuiteEmulatorTest, ARefundTotalsTheCustomersCreditsItApplies) {
  const std::string customer = create("customer", {{"companyName", "Acme"}});
  const std::string other = create("customer", {{"companyName", "Other"}});
  const json line = {{"item", {{"id", "13"}}}, {"amount", 30.0}};
  const std::string memo = create("creditMemo", {{"entity", {{"id", customer}}}, {"item", {{"items", {line}}}}});
  const std::string others_memo = create("creditMemo", {{"entity", {{"id", other}}}, {"item", {{"items", {line}}}}});
  const std::string refund =
      create("customerRefund", {{"customer", {{"id", customer}}},
                                {"apply", {{"items", {{{"doc", {{"id", memo}}}, {"apply", true}, {"amount", 25.5}},
                                                      {{"doc", {{"id", memo}}}, {"apply", false}, {"amount", 4}}}}}}});
  EXPECT_EQ(body_of(call("GET", "/record/v1/customerRefund/" + refund))["total"], 25.5);

  for (const std::string& doc : {others_memo, std::string("9999")}) {
    const auto refused = call("POST", "/record/v1/customerRefund",
                              json{{"customer", {{"id", customer}}},
                                   {"apply", {{"items", {{{"doc", {{"id", doc}}}, {"amount", 1}}}}}}}
                                  .dump());
    EXPECT_EQ(refused.status, 400) << doc;
    EXPECT_EQ(error_code(refused), "INVALID_CONTENT") << doc;
    EXPECT_EQ(body_of(refused)["o:errorDetails"][0]["o:errorPath"], "apply.items[0].doc") << doc;
  }
}

TEST_F(NetSuiteEmulatorTest, DeleteRemovesTheRecord) {
  const std::string id = create("customer", {{"companyName", "Gone"}});
  EXPECT_EQ(call("DELETE", "/record/v1/customer/" + id).status, 204);
  EXPECT_EQ(call("GET", "/record/v1/customer/" + id).status, 404);
  EXPECT_EQ(json::parse(outbox_.sent.back().body)["type"], "customer.deleted");
  EXPECT_EQ(call("DELETE", "/record/v1/customer/" + id).status, 404);
}

TEST_F(NetSuiteEmulatorTest, ListsPageWithLimitOffsetAndFilterWithQ) {
  for (int i = 0; i < 5; ++i) create("customer", {{"companyName", i == 3 ? "Acme Three" : "Co " + std::to_string(i)}});
  std::vector<std::string> ids;
  std::string next = "/services/rest/record/v1/customer?limit=2";
  for (int pages = 0; pages < 5 && !next.empty(); ++pages) {
    const json page = body_of(emulator_.handle(request("GET", next)));
    EXPECT_EQ(page["totalResults"], 5);
    for (const auto& item : page["items"]) ids.push_back(item["id"]);
    next.clear();
    for (const auto& link : page["links"]) {
      if (link["rel"] == "next") next = link["href"].get<std::string>().substr(std::string(kOrigin).size());
    }
    EXPECT_EQ(page["hasMore"], !next.empty());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"101", "102", "103", "104", "105"}));
  const json filtered = body_of(call("GET", "/record/v1/customer?q=companyName%20CONTAIN%20%22acme%22"));
  ASSERT_EQ(filtered["count"], 1);
  EXPECT_EQ(filtered["items"][0]["id"], "104");
  EXPECT_EQ(error_code(call("GET", "/record/v1/customer?q=companyName%20LOOKS_LIKE%20x")), "INVALID_PARAMETER");
  EXPECT_EQ(call("GET", "/record/v1/customer?limit=1001").status, 400);
}

// ---------------------------------------------------------------------------------------
// SuiteQL

TEST_F(NetSuiteEmulatorTest, SuiteQlFindsCustomersModifiedAfterATimeAndByExternalId) {
  create("customer", {{"companyName", "Old"}, {"email", "old@x.example"}});
  clock_->advance(std::chrono::hours(1));
  create("customer", {{"companyName", "New"}, {"email", "new@x.example"}, {"externalId", "CID9"}});
  const auto r = suiteql("SELECT id, companyname, lastmodifieddate FROM customer WHERE lastmodifieddate > '2023-11-14 22:30:00' ORDER BY id");
  ASSERT_EQ(r.status, 200) << r.body;
  const json page = body_of(r);
  EXPECT_EQ(page["totalResults"], 1);
  EXPECT_EQ(page["hasMore"], false);
  EXPECT_EQ(page["items"][0], json::parse(R"({"links":[],"id":"102","companyname":"New","lastmodifieddate":"2023-11-14T23:13:20Z"})"));
  EXPECT_EQ(body_of(suiteql("SELECT id FROM customer WHERE externalid = 'CID9'"))["items"][0]["id"], "102");
  EXPECT_EQ(body_of(suiteql("select id from CUSTOMER where email = 'old@x.example'"))["items"][0]["id"], "101");
  const json star = body_of(suiteql("SELECT * FROM customer WHERE isinactive = 'F' ORDER BY companyname DESC"));
  ASSERT_EQ(star["count"], 2);
  EXPECT_EQ(star["items"][0]["companyname"], "Old");
  EXPECT_EQ(star["items"][0]["isinactive"], "F");
  EXPECT_FALSE(star["items"][0].contains("externalid"));  // empty columns are left out

  const json paged = body_of(suiteql("SELECT id FROM customer ORDER BY id", "?limit=1&offset=1"));
  EXPECT_EQ(paged["count"], 1);
  EXPECT_EQ(paged["offset"], 1);
  EXPECT_EQ(paged["items"][0]["id"], "102");
}

TEST_F(NetSuiteEmulatorTest, SuiteQlRefusesWhatItDoesNotSupportClearly) {
  for (const std::string sql : {"DELETE FROM customer", "SELECT id FROM customer WHERE a = 1 OR b = 2",
                                "SELECT BUILTIN.DF(entity) FROM transaction", "SELECT nosuch FROM customer",
                                "SELECT id FROM nosuchtable", "SELECT id FROM customer c JOIN x",
                                "SELECT id FROM customer WHERE id = 'open"}) {
    const auto r = suiteql(sql);
    EXPECT_EQ(r.status, 400) << sql;
    EXPECT_EQ(error_code(r), "INVALID_PARAMETER") << sql;
  }
  auto no_prefer = request("POST", "/services/rest/query/v1/suiteql", R"({"q":"SELECT id FROM customer"})");
  EXPECT_EQ(emulator_.handle(no_prefer).status, 400);
  EXPECT_EQ(suiteql("SELECT id FROM customer", "?limit=0").status, 400);
}

TEST_F(NetSuiteEmulatorTest, SuiteQlTransactionTableHasTypes) {
  const std::string customer = create("customer", {{"companyName", "Acme"}});
  create("invoice", {{"entity", {{"id", customer}}}, {"item", {{"items", {{{"item", {{"id", "1"}}}, {"amount", 7}}}}}}});
  const json rows = body_of(suiteql("SELECT id, type, entity FROM transaction WHERE type = 'CustInvc'"));
  ASSERT_EQ(rows["count"], 1);
  EXPECT_EQ(rows["items"][0]["entity"], customer);
}

// What a receivables query needs: the open amount after payments and credit memos applied,
// and the due date (the transaction date when the invoice has none).
TEST_F(NetSuiteEmulatorTest, SuiteQlInvoicesHaveTheirUnpaidAmountAndDueDate) {
  const std::string customer = create("customer", {{"companyName", "Acme"}});
  const json lines = {{"items", {{{"item", {{"id", "1"}}}, {"amount", 100}}}}};
  const std::string paid = create("invoice", {{"entity", {{"id", customer}}}, {"tranDate", "2026-01-10"}, {"item", lines}});
  const std::string part = create("invoice", {{"entity", {{"id", customer}}}, {"tranDate", "2026-02-10"},
                                              {"dueDate", "2026-03-12"}, {"item", lines}});
  const std::string open = create("invoice", {{"entity", {{"id", customer}}}, {"tranDate", "2026-04-10"}, {"item", lines}});
  create("customerPayment", {{"customer", {{"id", customer}}}, {"payment", 130},
                             {"apply", {{"items", {{{"doc", {{"id", paid}}}, {"apply", true}, {"amount", 100}},
                                                   {{"doc", {{"id", part}}}, {"apply", true}, {"amount", 30}},
                                                   {{"doc", {{"id", open}}}, {"apply", false}, {"amount", 5}}}}}}});
  create("creditMemo", {{"entity", {{"id", customer}}}, {"item", lines},
                        {"apply", {{"items", {{{"doc", {{"id", part}}}, {"apply", true}, {"amount", 20.5}}}}}}});
  const auto r = suiteql("SELECT id, foreignamountunpaid, TO_CHAR(duedate, 'YYYY-MM-DD HH24:MI:SS') AS due "
                         "FROM transaction WHERE type = 'CustInvc' AND entity = " + customer +
                         " AND foreignamountunpaid > 0 AND duedate < TO_TIMESTAMP('2026-04-01 00:00:00', "
                         "'YYYY-MM-DD HH24:MI:SS') ORDER BY id");
  ASSERT_EQ(r.status, 200) << r.body;
  const json items = body_of(r)["items"];
  ASSERT_EQ(items.size(), 1u) << items.dump();  // paid in full; open not due before April
  EXPECT_EQ(items[0]["id"], part);
  EXPECT_DOUBLE_EQ(items[0]["foreignamountunpaid"].get<double>(), 49.5);
  EXPECT_EQ(items[0]["due"], "2026-03-12 00:00:00");
  const json open_row = body_of(suiteql("SELECT foreignamountunpaid, duedate FROM invoice WHERE id = " + open))["items"][0];
  EXPECT_DOUBLE_EQ(open_row["foreignamountunpaid"].get<double>(), 100);
  EXPECT_EQ(open_row["duedate"], "2026-04-10");
}

// What reconciliation asks (src/reconcile/): transactions by externalId prefix and date, with
// the total in the transaction's currency (an invoice's computed total, a payment's amount).
TEST_F(NetSuiteEmulatorTest, SuiteQlTransactionsHaveForeignTotalAndCompareDatesWithToDate) {
  const std::string customer = create("customer", {{"companyName", "Acme"}});
  const json lines = {{"items", {{{"item", {{"id", "1"}}}, {"amount", 12.34}}}}};
  const std::string in_period = create("invoice", {{"entity", {{"id", customer}}}, {"externalId", "in_1"},
                                                   {"tranDate", "2026-01-10"}, {"item", lines}});
  create("invoice", {{"entity", {{"id", customer}}}, {"externalId", "in_2"}, {"tranDate", "2026-01-12"},
                     {"item", lines}});
  const std::string paid = create("customerPayment", {{"customer", {{"id", customer}}}, {"externalId", "in_1-payment"},
                                                      {"tranDate", "2026-01-11"}, {"payment", 12.34}});
  const auto r = suiteql("SELECT id, externalid, type, foreigntotal, currency, trandate FROM transaction "
                         "WHERE externalid LIKE 'in_%' AND trandate >= TO_DATE('2026-01-10', 'YYYY-MM-DD') "
                         "AND trandate <= TO_DATE('2026-01-11', 'YYYY-MM-DD') ORDER BY id");
  ASSERT_EQ(r.status, 200) << r.body;
  const json items = body_of(r)["items"];
  ASSERT_EQ(items.size(), 2u) << items.dump();
  EXPECT_EQ(items[0]["id"], in_period);
  EXPECT_EQ(items[0]["type"], "CustInvc");
  EXPECT_DOUBLE_EQ(items[0]["foreigntotal"].get<double>(), 12.34);
  EXPECT_EQ(items[1]["id"], paid);
  EXPECT_EQ(items[1]["type"], "CustPymt");
  EXPECT_DOUBLE_EQ(items[1]["foreigntotal"].get<double>(), 12.34);
  EXPECT_EQ(suiteql("SELECT id FROM transaction WHERE trandate >= TO_DATE('2026-01-10', 'DD/MM/YYYY')").status, 400)
      << "only the ISO format, as with TO_TIMESTAMP";
  EXPECT_EQ(suiteql("SELECT id FROM transaction WHERE trandate >= TO_DATE('10/01/2026', 'YYYY-MM-DD')").status, 400);
}

// ---------------------------------------------------------------------------------------
// Concurrency, errors, faults, state

TEST_F(NetSuiteEmulatorTest, ConcurrencyLimitAnswers429UntilASlotFrees) {
  http::Request admin;
  admin.method = "POST";
  admin.body = R"({"limit":2,"service_time_ms":200})";
  ASSERT_EQ(emulator_.handle_admin(admin, "/concurrency").status, 200);
  EXPECT_EQ(call("GET", "/record/v1/customer").status, 200);
  EXPECT_EQ(call("GET", "/record/v1/customer").status, 200);
  const auto refused = call("GET", "/record/v1/customer");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(error_code(refused), "CONCURRENCY_LIMIT_EXCEEDED");
  clock_->advance(std::chrono::milliseconds(200));
  EXPECT_EQ(call("GET", "/record/v1/customer").status, 200);

  admin.body = R"({"limit":-1})";
  EXPECT_EQ(emulator_.handle_admin(admin, "/concurrency").status, 400);
  admin.body = R"({"limit":0})";
  ASSERT_EQ(emulator_.handle_admin(admin, "/concurrency").status, 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call("GET", "/record/v1/customer").status, 200);
}

TEST_F(NetSuiteEmulatorTest, MalformedBodiesAndBadValuesGetNetSuitesErrorsNeverACrash) {
  for (const std::string body : {"", "not json", R"({"companyName":"x")", "[1]", "42"}) {
    const auto r = call("POST", "/record/v1/customer", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(error_code(r), "INVALID_CONTENT") << r.body;
  }
  for (const std::string body : {R"({"companyName":"x","externalId":"has space"})", R"({"companyName":"x","creditLimit":"lots"})",
                                 R"({"companyName":"x","creditHoldOverride":"MAYBE"})", R"({"companyName":"x","isInactive":"no"})",
                                 R"({"companyName":"x","tags":[1,2]})", R"({"companyName":"x","id":"5","lastModifiedDate":"x"})"}) {
    const auto r = call("POST", "/record/v1/customer", body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
  }
  EXPECT_EQ(error_code(call("POST", "/record/v1/customer", R"({"email":"a@b.example"})")), "USER_ERROR");  // no name
  EXPECT_EQ(call("POST", "/record/v1/widget", "{}").status, 404);
  EXPECT_EQ(call("GET", "/nothing").status, 404);
  EXPECT_EQ(call("GET", "/record/v1/customer/%zz").status, 400);
  EXPECT_EQ(body_of(call("GET", "/record/v1/customer"))["totalResults"], 0);  // nothing was created
}

TEST_F(NetSuiteEmulatorTest, FaultResponsesHaveNetSuitesShape) {
  EXPECT_EQ(error_code(emulator_.fault_response(429)), "CONCURRENCY_LIMIT_EXCEEDED");
  EXPECT_EQ(body_of(emulator_.fault_response(503))["status"], 503);
  EXPECT_EQ(emulator_.fault_response(500).status, 500);
}

TEST_F(NetSuiteEmulatorTest, StateRestoresAfterResetAndIdsContinue) {
  const std::string customer = create("customer", {{"companyName", "Acme"}, {"externalId", "CID001"}});
  create("invoice", {{"entity", {{"id", customer}}}, {"item", {{"items", {{{"item", {{"id", "1"}}}, {"amount", 7}}}}}}});
  const json saved = emulator_.state();
  EXPECT_EQ(saved["customer"].size(), 1u);
  EXPECT_EQ(saved["invoice"].size(), 1u);
  emulator_.reset();
  EXPECT_EQ(call("GET", "/record/v1/customer/" + customer).status, 404);
  ASSERT_TRUE(emulator_.restore(saved).ok());
  EXPECT_EQ(emulator_.state(), saved);
  EXPECT_EQ(body_of(call("GET", "/record/v1/customer/eid:CID001"))["id"], customer);
  EXPECT_EQ(create("customer", {{"companyName", "Next"}}), "103");
  EXPECT_FALSE(emulator_.restore(json::array()).ok());
  EXPECT_FALSE(emulator_.restore(json{{"vendorBill", json::array()}}).ok());
  EXPECT_FALSE(emulator_.restore(json{{"customer", {{{"id", 5}}}}}).ok());
}

}  // namespace
}  // namespace weft::sandbox

namespace weft::sandbox {
namespace {

TEST_F(NetSuiteEmulatorTest, SuiteQlFormatsAndComparesTimesWithToCharAndToTimestamp) {
  const std::string id = create("customer", {{"companyName", "Acme"}});
  const auto r = suiteql("SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified FROM customer "
                         "WHERE lastmodifieddate >= TO_TIMESTAMP('2000-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') "
                         "ORDER BY lastmodifieddate, id");
  ASSERT_EQ(r.status, 200) << r.body;
  const json items = body_of(r)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["id"], id);
  EXPECT_EQ(items[0]["modified"].get<std::string>().size(), 19u);
  EXPECT_EQ(items[0]["modified"].get<std::string>()[10], ' ');
  const auto later = suiteql("SELECT id FROM customer WHERE lastmodifieddate > TO_TIMESTAMP('" +
                             items[0]["modified"].get<std::string>() + "', 'YYYY-MM-DD HH24:MI:SS')");
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_TRUE(body_of(later)["items"].empty());
  EXPECT_EQ(suiteql("SELECT id FROM customer WHERE lastmodifieddate > TO_TIMESTAMP('2000-01-01', 'DD/MM/YYYY')").status, 400);
}

}  // namespace
}  // namespace weft::sandbox
