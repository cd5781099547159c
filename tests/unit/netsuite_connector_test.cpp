// The NetSuite outbound connector: the request each action becomes (REST record service and
// SuiteQL), TBA signing, idempotent upserts by external id, how answers are read and paged,
// and how NetSuite's error answers are classified.
#include "connectors/netsuite/netsuite_connector.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "connectors/netsuite/netsuite_actions.hpp"
#include "connectors/netsuite/oauth1.hpp"
#include "connectors/outbound_registry.hpp"
#include "weft/manual_clock.hpp"

namespace weft::connectors::netsuite {
namespace {

using delivery::Failure;
using delivery::FailureClass;
using nlohmann::json;

constexpr const char* kBase = "https://1234567-sb1.suitetalk.api.netsuite.com";

config::ConnectorConfig erp_config() {
  config::ConnectorConfig c;
  c.name = "erp";
  c.type = "netsuite";
  c.base_url = kBase;
  c.account_id = "1234567-sb1";
  c.consumer_key = config::Secret("ck");
  c.consumer_secret = config::Secret("cs");
  c.token_id = config::Secret("tk");
  c.token_secret = config::Secret("ts");
  c.timeout_seconds = 20;
  return c;
}

engine::ActionRequest call(std::string action, json input, std::string key = "wf-1:step") {
  engine::ActionRequest r;
  r.connector = "erp";
  r.action = std::move(action);
  r.input = std::move(input);
  r.idempotency_key = std::move(key);
  return r;
}

http::Response answer(int status, std::string body = "") {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

delivery::Attempt attempt(int status, std::string body) {
  delivery::Attempt a;
  a.response = answer(status, std::move(body));
  return a;
}

std::string error_body(int status, const std::string& code, const std::string& detail,
                       const std::string& path = "") {
  json d = {{"detail", detail}, {"o:errorCode", code}};
  if (!path.empty()) d["o:errorPath"] = path;
  return json({{"type", "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1"},
               {"title", "Bad Request"},
               {"status", status},
               {"o:errorDetails", json::array({d})}})
      .dump();
}

class NetSuiteConnectorTest : public ::testing::Test {
 protected:
  delivery::OutboundRequest prepared(const engine::ActionRequest& r) {
    auto out = connector.prepare(r);
    if (!out) {
      ADD_FAILURE() << out.error().message;
      return {};
    }
    return std::move(out).value();
  }
  Failure refused(const engine::ActionRequest& r) {
    auto out = connector.prepare(r);
    if (out) {
      ADD_FAILURE() << "expected a validation failure for " << r.action << " " << r.input.dump();
      return {};
    }
    return out.error();
  }
  std::optional<Failure> classify(int status, std::string body) {
    return connector.classifier().classify(attempt(status, std::move(body)));
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  NetSuiteConnector connector{erp_config(), clock};
};

// ---------------------------------------------------------------- requests

TEST_F(NetSuiteConnectorTest, GetCustomerById) {
  const auto r = prepared(call("get_customer", {{"id", "14"}}));
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/record/v1/customer/14");
  EXPECT_EQ(r.headers.get("Accept").value_or(""), "application/json");
  EXPECT_FALSE(r.headers.get("Content-Type").has_value());
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.timeout, std::chrono::seconds(20));
  // An integer id is the same id.
  EXPECT_EQ(prepared(call("get_customer", {{"id", 14}})).url, r.url);
}

TEST_F(NetSuiteConnectorTest, GetRecordByExternalIdWithFieldsAndSubResources) {
  const auto r = prepared(call("get_record", {{"record_type", "salesOrder"},
                                              {"external_id", "SO-2024_1"},
                                              {"fields", {"id", "tranId"}},
                                              {"expandSubResources", true}}));
  EXPECT_EQ(r.url, std::string(kBase) +
                       "/services/rest/record/v1/salesOrder/eid:SO-2024_1"
                       "?fields=id%2CtranId&expandSubResources=true");
}

TEST_F(NetSuiteConnectorTest, UpsertPutsByExternalIdAndWritesItIntoTheBody) {
  const json body = {{"companyName", "Acme"}, {"subsidiary", {{"id", "1"}}}};
  const auto r = prepared(call("upsert_customer", {{"external_id", "CID001"}, {"body", body}}));
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/record/v1/customer/eid:CID001");
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json");
  json expected = body;
  expected["externalId"] = "CID001";
  EXPECT_EQ(json::parse(r.body), expected);
}

TEST_F(NetSuiteConnectorTest, UpsertWithoutExternalIdDerivesOneFromTheIdempotencyKey) {
  const json input = {{"body", {{"entity", {{"id", "14"}}}, {"memo", "credit"}}}};
  const auto first = prepared(call("upsert_credit_memo", input, "wf-7:erp_credit"));
  const auto retry = prepared(call("upsert_credit_memo", input, "wf-7:erp_credit"));
  const auto other = prepared(call("upsert_credit_memo", input, "wf-8:erp_credit"));

  const std::string external_id = json::parse(first.body).at("externalId").get<std::string>();
  EXPECT_TRUE(std::regex_match(external_id, std::regex("^weft-[0-9a-f]{32}$"))) << external_id;
  EXPECT_EQ(external_id, derived_external_id("wf-7:erp_credit"));
  EXPECT_EQ(first.url,
            std::string(kBase) + "/services/rest/record/v1/creditMemo/eid:" + external_id);
  // A retried step writes the same record; another step another one.
  EXPECT_EQ(retry.url, first.url);
  EXPECT_EQ(retry.body, first.body);
  EXPECT_NE(other.url, first.url);
}

TEST_F(NetSuiteConnectorTest, UpsertTakesTheBodysExternalIdButNotAContradictingOne) {
  const auto r = prepared(call("upsert_record", {{"record_type", "invoice"},
                                                 {"body", {{"externalId", "in_123"}}}}));
  EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/record/v1/invoice/eid:in_123");
  const auto f = refused(call("upsert_invoice", {{"external_id", "in_123"},
                                                 {"body", {{"externalId", "in_456"}}}}));
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_NE(f.message.find("differ"), std::string::npos) << f.message;
}

TEST_F(NetSuiteConnectorTest, UpsertReplacesTheSublistsItsBodyGivesSoARetryDoesNotAddLines) {
  const json lines = {{"items", json::array({{{"item", {{"id", "13"}}}, {"amount", 10}}})}};
  const auto r = prepared(call("upsert_invoice", {{"external_id", "in_1"},
                                                  {"body", {{"entity", {{"id", "14"}}},
                                                            {"item", lines},
                                                            {"apply", lines}}}}));
  EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/record/v1/invoice/eid:in_1?replace=apply%2Citem");
  // A replace the step gives is sent as it is.
  const auto given = prepared(call("upsert_invoice", {{"external_id", "in_1"},
                                                      {"replace", "apply"},
                                                      {"body", {{"item", lines}, {"apply", lines}}}}));
  EXPECT_EQ(given.url, std::string(kBase) + "/services/rest/record/v1/invoice/eid:in_1?replace=apply");
}

TEST_F(NetSuiteConnectorTest, UpsertWithNeitherExternalIdNorIdempotencyKeyFails) {
  const auto f = refused(call("upsert_customer", {{"body", json::object()}}, ""));
  EXPECT_NE(f.message.find("external_id is required"), std::string::npos) << f.message;
}

TEST_F(NetSuiteConnectorTest, TypedUpsertsNameTheirRecordTypes) {
  const std::vector<std::pair<std::string, std::string>> aliases{
      {"upsert_customer", "customer"},          {"upsert_invoice", "invoice"},
      {"upsert_credit_memo", "creditMemo"},     {"upsert_customer_payment", "customerPayment"},
      {"upsert_journal_entry", "journalEntry"}, {"upsert_sales_order", "salesOrder"},
      {"upsert_customer_refund", "customerRefund"}};
  for (const auto& [action, type] : aliases) {
    const auto r = prepared(call(action, {{"external_id", "X-1"}, {"body", json::object()}}));
    EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/record/v1/" + type + "/eid:X-1")
        << action;
    EXPECT_EQ(r.method, "PUT") << action;
  }
  EXPECT_EQ(prepared(call("get_invoice", {{"external_id", "in_1"}})).url,
            std::string(kBase) + "/services/rest/record/v1/invoice/eid:in_1");
}

TEST_F(NetSuiteConnectorTest, UpdatePatchesByIdAndPassesReplaceThrough) {
  const json body = {{"item", {{"items", {{{"item", {{"id", "13"}}}, {"quantity", 2}}}}}}};
  const auto r = prepared(call("update_record", {{"record_type", "invoice"},
                                                 {"id", "104"},
                                                 {"replace", "item"},
                                                 {"body", body}}));
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/record/v1/invoice/104?replace=item");
  EXPECT_EQ(json::parse(r.body), body);  // no externalId added to an update
}

TEST_F(NetSuiteConnectorTest, SuiteQlPostsTheQueryWithPreferTransient) {
  const auto r = prepared(call(
      "suiteql", {{"q", "SELECT id, companyname FROM customer ORDER BY id"}, {"limit", 10},
                  {"offset", 20}}));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, std::string(kBase) + "/services/rest/query/v1/suiteql?limit=10&offset=20");
  EXPECT_EQ(r.headers.get("Prefer").value_or(""), "transient");
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(json::parse(r.body), json({{"q", "SELECT id, companyname FROM customer ORDER BY id"}}));
  EXPECT_EQ(prepared(call("suiteql", {{"q", "SELECT 1"}})).url,
            std::string(kBase) + "/services/rest/query/v1/suiteql");
}

TEST_F(NetSuiteConnectorTest, BadInputIsAValidationFailureNamingTheField) {
  struct Case {
    std::string action;
    json input;
    std::string says;
  };
  const std::vector<Case> cases{
      {"upsert_custmer", {}, "did you mean 'upsert_customer'"},
      {"get_customer", json::array(), "input must be an object"},
      {"get_record", {{"id", "1"}}, "record_type is required"},
      {"get_record", {{"record_type", "sales order"}, {"id", "1"}}, "record_type must be"},
      {"get_customer", {{"id", "1"}, {"external_id", "A"}}, "exactly one of id"},
      {"get_customer", json::object(), "exactly one of id"},
      {"get_customer", {{"id", "eid:A"}}, "id must be a NetSuite internal id"},
      {"get_customer", {{"id", -3}}, "id must be a string"},
      {"get_customer", {{"external_id", "a|b"}}, "external_id must be 1 to 255 letters"},
      {"get_customer", {{"record_type", "invoice"}, {"id", "1"}}, "record_type is fixed"},
      {"get_customer", {{"id", "1"}, {"feilds", "id"}}, "did you mean 'fields'"},
      {"get_customer", {{"id", "1"}, {"fields", json::object()}}, "fields must be"},
      {"upsert_customer", {{"id", "1"}, {"body", json::object()}}, "addressed by external_id"},
      {"upsert_customer", {{"external_id", "A"}}, "body is required"},
      {"upsert_customer", {{"external_id", "A"}, {"body", "x"}}, "body is required"},
      {"upsert_customer", {{"body", {{"externalId", 5}}}}, "body.externalId must be a string"},
      {"upsert_customer", {{"body", {{"externalId", "a b"}}}}, "body.externalId must be"},
      {"update_record", {{"record_type", "invoice"}, {"body", json::object()}}, "exactly one"},
      {"suiteql", json::object(), "q is required"},
      {"suiteql", {{"q", "SELECT 1"}, {"limit", 0}}, "limit must be an integer from 1 to 1000"},
      {"suiteql", {{"q", "SELECT 1"}, {"limit", 1001}}, "limit must be"},
      {"suiteql", {{"q", "SELECT 1"}, {"offset", -1}}, "offset must be a non-negative integer"},
      {"suiteql", {{"q", "SELECT 1"}, {"ofset", 1}}, "did you mean 'offset'"},
  };
  for (const auto& k : cases) {
    const auto f = refused(call(k.action, k.input));
    EXPECT_EQ(f.cls, FailureClass::validation) << k.action << " " << k.input.dump();
    EXPECT_NE(f.message.find(k.says), std::string::npos)
        << k.action << " " << k.input.dump() << ": " << f.message;
    EXPECT_NE(f.message.find("connector erp"), std::string::npos) << f.message;
  }
}

TEST_F(NetSuiteConnectorTest, ActionNamesListEveryAction) {
  const auto& names = NetSuiteConnector::action_names();
  for (const char* name : {"get_record", "upsert_record", "update_record", "suiteql",
                           "get_customer", "upsert_customer", "get_invoice", "upsert_invoice",
                           "upsert_credit_memo", "upsert_customer_payment",
                           "upsert_journal_entry", "upsert_sales_order", "upsert_customer_refund"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(names.size(), 13u);
}

// ---------------------------------------------------------------- TBA

OAuth1Params params_from(const std::map<std::string, std::string>& header) {
  OAuth1Params p;
  p.consumer_key = header.at("oauth_consumer_key");
  p.token = header.at("oauth_token");
  p.nonce = header.at("oauth_nonce");
  p.timestamp = header.at("oauth_timestamp");
  p.signature_method = header.at("oauth_signature_method");
  p.version = header.at("oauth_version");
  return p;
}

TEST_F(NetSuiteConnectorTest, AuthorizeSignsTheFinalUrlWithAFreshNonceAndTheClocksTime) {
  auto request = prepared(call("suiteql", {{"q", "SELECT 1"}, {"limit", 5}}));
  struct NoTransport final : delivery::HttpTransport {  // TBA needs no token endpoint
    delivery::Attempt send(const delivery::OutboundRequest&) override {
      ADD_FAILURE() << "authorize must not send anything";
      return {};
    }
  } transport;
  const OutboundContext context{transport, *clock};
  ASSERT_TRUE(connector.authorize(request, context));
  const auto header = parse_authorization_header(request.headers.get("Authorization").value_or(""));
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->at("realm"), "1234567_SB1");
  EXPECT_EQ(header->at("oauth_consumer_key"), "ck");
  EXPECT_EQ(header->at("oauth_token"), "tk");
  EXPECT_EQ(header->at("oauth_signature_method"), "HMAC-SHA256");
  EXPECT_EQ(header->at("oauth_version"), "1.0");
  EXPECT_EQ(header->at("oauth_timestamp"), "1700000000");
  EXPECT_TRUE(std::regex_match(header->at("oauth_nonce"), std::regex("^[0-9a-f]{32}$")));
  // What NetSuite (and the sandbox) recompute: over method and URL, query included.
  const OAuth1Params p = params_from(*header);
  EXPECT_EQ(header->at("oauth_signature"),
            signature(signature_base_string("POST", request.url, p), "cs", "ts"));
  EXPECT_NE(header->at("oauth_signature"),
            signature(signature_base_string(
                          "POST", std::string(kBase) + "/services/rest/query/v1/suiteql", p),
                      "cs", "ts"));

  // The next attempt (or follow-up) gets a new nonce and the time of its own signing.
  clock->advance(std::chrono::seconds(5));
  ASSERT_TRUE(connector.authorize(request, context));
  const auto again = parse_authorization_header(request.headers.get("Authorization").value_or(""));
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(again->at("oauth_nonce"), header->at("oauth_nonce"));
  EXPECT_EQ(again->at("oauth_timestamp"), "1700000005");
  const auto& fields = request.headers.all();
  EXPECT_EQ(std::count_if(fields.begin(), fields.end(),
                          [](const auto& f) { return http::iequals(f.first, "Authorization"); }),
            1);  // replaced, not added
}

TEST_F(NetSuiteConnectorTest, ConnectorsOfOneAccountNameOnePool) {
  auto other = erp_config();
  other.name = "erp_two";
  other.account_id = "1234567_SB1";
  EXPECT_EQ(connector.concurrency_pool(), "netsuite:1234567_SB1");
  EXPECT_EQ(NetSuiteConnector(other, clock).concurrency_pool(), connector.concurrency_pool());
}

// ---------------------------------------------------------------- answers

TEST_F(NetSuiteConnectorTest, UpsertReadsTheInternalIdBackWithAFollowUpGet) {
  const auto r = call("upsert_customer", {{"external_id", "CID001"}, {"body", json::object()}});
  std::vector<http::Response> answers{answer(204)};
  auto first = connector.read_exchange(r, answers);
  ASSERT_TRUE(first) << first.error().message;
  const auto* follow = std::get_if<FollowUp>(&first.value());
  ASSERT_NE(follow, nullptr);
  EXPECT_EQ(follow->request.method, "GET");
  EXPECT_EQ(follow->request.url,
            std::string(kBase) + "/services/rest/record/v1/customer/eid:CID001?fields=id");
  EXPECT_EQ(follow->request.body, "");

  answers.push_back(answer(200, R"({"links":[{"rel":"self","href":"…"}],"id":"647"})"));
  auto second = connector.read_exchange(r, answers);
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(std::holds_alternative<json>(second.value()));
  EXPECT_EQ(std::get<json>(second.value()),
            json({{"record_type", "customer"}, {"id", "647"}, {"external_id", "CID001"}}));
}

TEST_F(NetSuiteConnectorTest, UpsertWhoseIdCannotBeReadIsAnUnknownOutcome) {
  const auto r = call("upsert_customer", {{"external_id", "CID001"}, {"body", json::object()}});
  for (const char* body : {R"({"links":[],"id":"6)", "<html>", R"({"links":[]})", R"({"id":""})"}) {
    const auto out = connector.read_exchange(r, {answer(204), answer(200, body)});
    ASSERT_FALSE(out) << body;
    EXPECT_EQ(out.error().cls, FailureClass::unknown_outcome) << body;
    EXPECT_NE(out.error().message.find("upsert itself succeeded"), std::string::npos);
  }
}

TEST_F(NetSuiteConnectorTest, GetReturnsTheRecordAndATruncatedOneIsTransient) {
  const auto r = call("get_customer", {{"id", "14"}});
  const std::string record =
      R"({"links":[],"id":"14","entityId":"ACME-001","companyName":"Acme","creditHoldOverride":{"id":"AUTO","refName":"Auto"}})";
  auto ok = connector.read_exchange(r, {answer(200, record)});
  ASSERT_TRUE(ok);
  EXPECT_EQ(std::get<json>(ok.value()), json::parse(record));
  auto truncated = connector.read_exchange(r, {answer(200, record.substr(0, 40))});
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().cls, FailureClass::transient);
  EXPECT_EQ(truncated.error().http_status, 200);
}

TEST_F(NetSuiteConnectorTest, UpdateAnswersWithWhatItAddressed) {
  auto by_id = connector.read_exchange(
      call("update_record", {{"record_type", "invoice"}, {"id", "104"}, {"body", json::object()}}),
      {answer(204)});
  ASSERT_TRUE(by_id);
  EXPECT_EQ(std::get<json>(by_id.value()),
            json({{"record_type", "invoice"}, {"id", "104"}, {"external_id", nullptr}}));
}

TEST_F(NetSuiteConnectorTest, SuiteQlPagesByOffsetWhileHasMore) {
  const auto r = call("suiteql", {{"q", "SELECT id FROM customer ORDER BY id"}, {"limit", 2}});
  const std::string page =
      R"({"links":[],"count":2,"hasMore":true,"offset":0,"totalResults":5,"items":[{"links":[],"id":"1"},{"links":[],"id":"2"}]})";
  auto out = connector.read_exchange(r, {answer(200, page)});
  ASSERT_TRUE(out);
  const json output = std::get<json>(out.value());
  EXPECT_EQ(output.at("items").size(), 2u);
  const auto next = connector.next_page(r, output);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, json({{"q", "SELECT id FROM customer ORDER BY id"}, {"limit", 2}, {"offset", 2}}));

  json last = output;
  last["hasMore"] = false;
  EXPECT_FALSE(connector.next_page(r, last).has_value());
  json stuck = output;
  stuck["count"] = 0;
  stuck["items"] = json::array();
  EXPECT_FALSE(connector.next_page(r, stuck).has_value());  // no progress: no next page
  EXPECT_FALSE(connector.next_page(call("get_customer", {{"id", "1"}}), output).has_value());

  for (const char* bad : {"", "[]", R"({"count":1})", R"({"items":[)"}) {
    auto unreadable = connector.read_exchange(r, {answer(200, bad)});
    ASSERT_FALSE(unreadable) << bad;
    EXPECT_EQ(unreadable.error().cls, FailureClass::transient) << bad;
  }
}

// ---------------------------------------------------------------- errors

TEST_F(NetSuiteConnectorTest, InvalidContentIsValidationWithCodeDetailAndPath) {
  const auto f = classify(
      400, error_body(400, "INVALID_CONTENT",
                      "Error while accessing resource: You have entered an Invalid Field Value "
                      "9999 for the following field: item",
                      "item.items[0].item"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->cls, FailureClass::validation);
  EXPECT_EQ(f->platform_code, "INVALID_CONTENT");
  EXPECT_EQ(f->http_status, 400);
  EXPECT_NE(f->message.find("Invalid Field Value 9999"), std::string::npos) << f->message;
  EXPECT_NE(f->message.find("(at item.items[0].item)"), std::string::npos) << f->message;
  EXPECT_FALSE(connector.is_concurrency_limit(*f));
}

TEST_F(NetSuiteConnectorTest, ErrorCodesMapToTheirClasses) {
  struct Case {
    int status;
    std::string code;
    FailureClass cls;
    bool concurrency;
  };
  for (const Case& k : {Case{401, "INVALID_LOGIN", FailureClass::auth, false},
                        Case{400, "INVALID_LOGIN", FailureClass::auth, false},
                        Case{400, "USER_ERROR", FailureClass::validation, false},
                        Case{404, "RCRD_DSNT_EXIST", FailureClass::validation, false},
                        Case{429, "CONCURRENCY_LIMIT_EXCEEDED", FailureClass::rate_limited, true},
                        Case{400, "SSS_REQUEST_LIMIT_EXCEEDED", FailureClass::rate_limited, true},
                        Case{403, "WS_REQUEST_BLOCKED", FailureClass::rate_limited, true},
                        Case{400, "WS_CONCUR_SESSION_DISALLWD", FailureClass::rate_limited, true},
                        Case{500, "UNEXPECTED_ERROR", FailureClass::transient, false},
                        Case{503, "", FailureClass::transient, false}}) {
    const auto f = classify(k.status, error_body(k.status, k.code, "d"));
    ASSERT_TRUE(f.has_value()) << k.code;
    EXPECT_EQ(f->cls, k.cls) << k.status << " " << k.code;
    EXPECT_EQ(f->platform_code, k.code);
    EXPECT_EQ(connector.is_concurrency_limit(*f), k.concurrency) << k.code;
  }
}

TEST_F(NetSuiteConnectorTest, A429WithoutABodyIsAConcurrencyLimit) {
  const auto f = classify(429, "");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->cls, FailureClass::rate_limited);
  EXPECT_TRUE(connector.is_concurrency_limit(*f));
}

TEST_F(NetSuiteConnectorTest, UnreadableErrorBodiesKeepTheGenericVerdict) {
  for (const char* body : {"", "<html>Service Unavailable</html>", "[1]", R"({"o:errorDetails":5})"}) {
    const auto f = classify(502, body);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->cls, FailureClass::transient) << body;
    EXPECT_EQ(f->platform_code, "") << body;
  }
  EXPECT_FALSE(classify(204, "").has_value());
  EXPECT_FALSE(classify(200, R"({"id":"1"})").has_value());
}

TEST_F(NetSuiteConnectorTest, LongAndMultiLineDetailsStayOneBoundedLine) {
  const json body = {{"o:errorDetails",
                      {{{"detail", std::string(2000, 'x') + "\nsecond line"}, {"o:errorCode", "A"}},
                       {{"detail", "two"}, {"o:errorCode", "B"}}}}};
  const auto f = classify(400, body.dump());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->platform_code, "A");
  EXPECT_EQ(f->message.find('\n'), std::string::npos);
  EXPECT_LT(f->message.size(), 700u);
  EXPECT_NE(f->message.find("; two"), std::string::npos) << f->message;
}

TEST(NetSuiteRegistry, BuildsNetSuiteConnectorsFromTheConfig) {
  const auto parsed = config::parse(R"(connectors:
  erp:
    type: netsuite
    base_url: http://127.0.0.1:7171
    account_id: 1234567_SB1
    consumer_key: ck
    consumer_secret: cs
    token_id: tk
    token_secret: ts
    webhook_secret: w
)",
                                    "test.yaml");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  const auto built = make_outbound_connectors(*parsed, std::make_shared<ManualClock>());
  ASSERT_EQ(built.count("erp"), 1u);
  EXPECT_EQ(built.at("erp")->type(), "netsuite");
  EXPECT_EQ(built.at("erp")->concurrency_pool(), "netsuite:1234567_SB1");
}

}  // namespace
}  // namespace weft::connectors::netsuite
