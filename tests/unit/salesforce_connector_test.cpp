// The Salesforce connector's outbound side: the request each action builds, OAuth tokens
// (client credentials and the JWT bearer flow: fetched through the transport, cached, dropped
// when the platform refuses them), how answers are read and paged, and how Salesforce's
// errors are classified.
#include "connectors/salesforce/salesforce_connector.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "connectors/outbound_registry.hpp"
#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"
#include "support/process.hpp"
#include "weft/manual_clock.hpp"

namespace weft::connectors::salesforce {
namespace {

using delivery::Attempt;
using delivery::Failure;
using delivery::FailureClass;
using delivery::OutboundRequest;
using nlohmann::json;
using test::TempDir;
using namespace std::chrono_literals;

const std::string kBase = "https://acme.my.salesforce.com";
const std::string kData = kBase + "/services/data/v61.0";
const std::string kTokenUrl = kBase + "/services/oauth2/token";
const std::string kAccountId = "0015g00000XyZabAAB";
const std::string kOpportunityId = "0065g00000AbCdeAAF";

config::ConnectorConfig salesforce_config() {
  config::ConnectorConfig c;
  c.name = "salesforce";
  c.type = "salesforce";
  c.base_url = kBase;
  c.login_url = kBase;
  c.client_id = config::Secret("cid");
  c.client_secret = config::Secret("csecret-XYZ");
  c.timeout_seconds = 15;
  return c;
}

Attempt respond(int status, std::string body) {
  Attempt a;
  a.response.status = status;
  a.response.body = std::move(body);
  return a;
}

// Answers the token endpoint and the data API separately, and records every request.
class FakeTransport final : public delivery::HttpTransport {
 public:
  using Handler = std::function<Attempt(const OutboundRequest&)>;

  FakeTransport() {
    token_ = [this](const OutboundRequest&) {
      const int n = ++tokens_issued_;
      return respond(200, json{{"access_token", "tok-" + std::to_string(n)},
                               {"instance_url", kBase},
                               {"id", "https://login.salesforce.com/id/00D/005"},
                               {"token_type", "Bearer"},
                               {"issued_at", "1700000000000"}}
                              .dump());
    };
  }

  Attempt send(const OutboundRequest& request) override {
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      sent_.push_back(request);
      const bool token =
          request.url == kTokenUrl || request.url.ends_with("/services/oauth2/token");
      handler = token ? token_ : (api_.empty() ? Handler() : api_.front());
      if (!token && !api_.empty()) api_.pop_front();
    }
    if (handler) return handler(request);
    return respond(200, R"({"Id":"0015g00000XyZabAAB"})");
  }

  void token(Handler h) {
    std::lock_guard lock(mutex_);
    token_ = std::move(h);
  }
  void then(Attempt a) {
    std::lock_guard lock(mutex_);
    api_.push_back([a](const OutboundRequest&) { return a; });
  }
  std::vector<OutboundRequest> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  std::vector<OutboundRequest> token_requests() const {
    std::vector<OutboundRequest> out;
    for (const auto& r : sent()) {
      if (r.url.ends_with("/services/oauth2/token")) out.push_back(r);
    }
    return out;
  }
  int tokens_issued() const { return tokens_issued_; }

 private:
  mutable std::mutex mutex_;
  Handler token_;
  std::deque<Handler> api_;
  std::vector<OutboundRequest> sent_;
  std::atomic<int> tokens_issued_{0};
};

std::string header(const OutboundRequest& r, std::string_view name) {
  return std::string(r.headers.get(name).value_or("<absent>"));
}

engine::ActionRequest action(std::string name, json input) {
  engine::ActionRequest r;
  r.connector = "salesforce";
  r.action = std::move(name);
  r.input = std::move(input);
  r.idempotency_key = "wf-9/sync-account";
  return r;
}

// One attempt the way the delivery layer makes it: prepare, authorize, send, classify, then
// read or report the failure.
struct Outcome {
  std::optional<json> output;
  std::optional<Failure> failure;
};

class SalesforceConnectorTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  FakeTransport transport_;

  Outcome run(const SalesforceConnector& c, const engine::ActionRequest& request) {
    auto out = c.prepare(request);
    if (!out) return {std::nullopt, out.error()};
    const OutboundContext context{transport_, *clock_};
    if (auto authorized = c.authorize(*out, context); !authorized) {
      c.on_failure(request, authorized.error());
      return {std::nullopt, authorized.error()};
    }
    const Attempt attempt = transport_.send(*out);
    if (auto failure = c.classifier().classify(attempt)) {
      c.on_failure(request, *failure);
      return {std::nullopt, *failure};
    }
    auto read = c.read_success(request, attempt.response);
    if (!read) return {std::nullopt, read.error()};
    return {*read, std::nullopt};
  }

  OutboundRequest prepared(const std::string& name, const json& input) const {
    auto out = connector_.prepare(action(name, input));
    EXPECT_TRUE(out) << (out ? "" : out.error().message);
    return out ? *out : OutboundRequest{};
  }

  std::string refused(const std::string& name, const json& input) const {
    auto out = connector_.prepare(action(name, input));
    EXPECT_FALSE(out) << name << " " << input.dump();
    if (out) return {};
    EXPECT_EQ(out.error().cls, FailureClass::validation);
    return out.error().message;
  }

  Failure classified(int status, std::string body) const {
    const auto failure = connector_.classifier().classify(respond(status, std::move(body)));
    EXPECT_TRUE(failure.has_value());
    return failure.value_or(Failure{});
  }

  SalesforceConnector connector_{salesforce_config(), clock_};
};

TEST_F(SalesforceConnectorTest, RegistryBuildsASalesforceConnectorForTheType) {
  config::Config config;
  config.connectors.emplace("salesforce", salesforce_config());
  std::vector<std::string> skipped;
  const auto connectors = make_outbound_connectors(config, clock_, &skipped);
  ASSERT_EQ(connectors.count("salesforce"), 1u);
  EXPECT_EQ(connectors.at("salesforce")->type(), "salesforce");
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(SalesforceConnector::action_names().size(), 10u);
}

TEST_F(SalesforceConnectorTest, TheApiVersionComesFromTheConfigWithOrWithoutItsV) {
  for (const auto& [configured, path] :
       std::vector<std::pair<std::string, std::string>>{{"", "/services/data/v61.0/"},
                                                        {"58.0", "/services/data/v58.0/"},
                                                        {"v62.0", "/services/data/v62.0/"}}) {
    auto c = salesforce_config();
    c.api_version = configured;
    const SalesforceConnector connector(c, clock_);
    const auto r = connector.prepare(action("get_account", {{"id", kAccountId}}));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->url, kBase + path + "sobjects/Account/" + kAccountId) << configured;
  }
}

// --- requests per action ------------------------------------------------------------------

TEST_F(SalesforceConnectorTest, GetRecordReadsByIdWithTheFieldsAsked) {
  const auto r = prepared("get_record", {{"sobject", "Opportunity"},
                                         {"id", kOpportunityId},
                                         {"fields", {"StageName", "Amount", "IsWon"}}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, kData + "/sobjects/Opportunity/" + kOpportunityId +
                       "?fields=StageName%2CAmount%2CIsWon");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header(r, "Accept"), "application/json");
  EXPECT_EQ(header(r, "Authorization"), "<absent>");  // added by authorize
  EXPECT_EQ(r.timeout, 15s);
  EXPECT_EQ(
      prepared("get_record", {{"sobject", "Account"}, {"id", kAccountId}, {"fields", "Name,Type"}})
          .url,
      kData + "/sobjects/Account/" + kAccountId + "?fields=Name%2CType");
}

TEST_F(SalesforceConnectorTest, GetAliasesNameTheirObject) {
  EXPECT_EQ(prepared("get_account", {{"id", kAccountId}}).url,
            kData + "/sobjects/Account/" + kAccountId);
  EXPECT_EQ(prepared("get_opportunity", {{"id", kOpportunityId}}).url,
            kData + "/sobjects/Opportunity/" + kOpportunityId);
  EXPECT_EQ(prepared("get_contract", {{"id", "800000000000001"}}).url,
            kData + "/sobjects/Contract/800000000000001");
  // An alias takes no sobject.
  EXPECT_NE(refused("get_account", {{"sobject", "Account"}, {"id", kAccountId}})
                .find("unknown input key 'sobject'"),
            std::string::npos);
}

TEST_F(SalesforceConnectorTest, UpsertRecordPatchesByExternalId) {
  const json input{{"sobject", "Account"},
                   {"external_id_field", "Stripe_Customer_Id__c"},
                   {"external_id", "cus 42/x"},
                   {"fields", {{"Name", "Acme GmbH"}, {"Credit_Hold__c", true}}}};
  const auto r = prepared("upsert_record", input);
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.url, kData + "/sobjects/Account/Stripe_Customer_Id__c/cus%2042%2Fx");
  EXPECT_EQ(r.body, R"({"Credit_Hold__c":true,"Name":"Acme GmbH"})");
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(header(r, "Idempotency-Key"), "<absent>");
  // The same request on every attempt: the upsert converges on one record.
  EXPECT_EQ(prepared("upsert_record", input).body, r.body);
}

TEST_F(SalesforceConnectorTest, UpsertAliasesNameTheirObject) {
  const json input{{"external_id_field", "Weft_Id__c"},
                   {"external_id", 1234},
                   {"fields", {{"StageName", "Closed Won"}}}};
  EXPECT_EQ(prepared("upsert_opportunity", input).url,
            kData + "/sobjects/Opportunity/Weft_Id__c/1234");
  EXPECT_EQ(prepared("upsert_account", input).url, kData + "/sobjects/Account/Weft_Id__c/1234");
  EXPECT_EQ(prepared("upsert_contract", input).url, kData + "/sobjects/Contract/Weft_Id__c/1234");
}

TEST_F(SalesforceConnectorTest, UpsertRefusesTheIdentifyingFieldsInTheBody) {
  json input{{"sobject", "Account"},
             {"external_id_field", "Weft_Id__c"},
             {"external_id", "a1"},
             {"fields", {{"weft_id__c", "a1"}}}};
  EXPECT_NE(refused("upsert_record", input).find("fields must not hold weft_id__c"),
            std::string::npos);
  input["fields"] = {{"Id", "001"}};
  EXPECT_NE(refused("upsert_record", input).find("fields must not hold Id"), std::string::npos);
  input["fields"] = {{"Bad Name", 1}};
  EXPECT_NE(refused("upsert_record", input).find("not a field API name"), std::string::npos);
  input.erase("fields");
  EXPECT_NE(refused("upsert_record", input).find("fields is required"), std::string::npos);
  EXPECT_NE(refused("upsert_record", {{"sobject", "Account"},
                                      {"external_id_field", "Weft_Id__c"},
                                      {"fields", json::object()}})
                .find("external_id is required"),
            std::string::npos);
  EXPECT_NE(refused("upsert_record", {{"sobject", "Account"},
                                      {"external_id_field", "Weft Id"},
                                      {"external_id", "a"},
                                      {"fields", json::object()}})
                .find("external_id_field must be an API name"),
            std::string::npos);
}

TEST_F(SalesforceConnectorTest, UpdateRecordPatchesTheFieldsById) {
  const auto r = prepared("update_record", {{"sobject", "Opportunity"},
                                            {"id", kOpportunityId},
                                            {"fields", {{"Billing_Status__c", "active"}}}});
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.url, kData + "/sobjects/Opportunity/" + kOpportunityId);
  EXPECT_EQ(r.body, R"({"Billing_Status__c":"active"})");
  EXPECT_NE(
      refused("update_record",
              {{"sobject", "Opportunity"}, {"id", kOpportunityId}, {"fields", json::object()}})
          .find("fields is empty"),
      std::string::npos);
}

TEST_F(SalesforceConnectorTest, QueryEncodesTheSoqlAndPagesWithNextRecordsUrl) {
  const auto r = prepared("query", {{"soql", "SELECT Id FROM Opportunity WHERE IsWon = true"}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            kData + "/query?q=SELECT%20Id%20FROM%20Opportunity%20WHERE%20IsWon%20%3D%20true");

  const auto request = action("query", {{"soql", "SELECT Id FROM Account"}});
  const json page{{"totalSize", 3000},
                  {"done", false},
                  {"nextRecordsUrl", "/services/data/v61.0/query/01gD0000002HU6KIAW-2000"},
                  {"records", json::array()}};
  const auto next = connector_.next_page(request, page);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next,
            (json{{"next_records_url", "/services/data/v61.0/query/01gD0000002HU6KIAW-2000"}}));
  EXPECT_EQ(prepared("query", *next).url,
            kBase + "/services/data/v61.0/query/01gD0000002HU6KIAW-2000");
  EXPECT_FALSE(
      connector_.next_page(request, {{"totalSize", 1}, {"done", true}, {"records", json::array()}})
          .has_value());
  EXPECT_FALSE(connector_.next_page(action("get_account", {{"id", kAccountId}}), page).has_value());
}

TEST_F(SalesforceConnectorTest, QueryRefusesBadInput) {
  EXPECT_NE(refused("query", json::object()).find("either soql or next_records_url"),
            std::string::npos);
  EXPECT_NE(refused("query", {{"soql", "x"}, {"next_records_url", "/services/data/v61.0/query/1"}})
                .find("not both"),
            std::string::npos);
  EXPECT_NE(refused("query", {{"soql", "   "}}).find("soql must be a non-empty string"),
            std::string::npos);
  for (const char* bad : {"https://evil.example/services/data/x", "/services/data/../../x",
                          "/services/data/v61.0/query/a b", "/other/path"}) {
    EXPECT_NE(refused("query", {{"next_records_url", bad}}).find("next_records_url must be"),
              std::string::npos)
        << bad;
  }
}

TEST_F(SalesforceConnectorTest, BadInputNamesTheField) {
  const std::string unknown = refused("get_acount", {{"id", kAccountId}});
  EXPECT_NE(unknown.find("has no action 'get_acount' (did you mean 'get_account'?)"),
            std::string::npos)
      << unknown;
  EXPECT_NE(unknown.find("upsert_contract"), std::string::npos);
  EXPECT_NE(refused("get_account", json::array()).find("input must be an object"),
            std::string::npos);
  EXPECT_NE(refused("get_account", json::object()).find("id is required"), std::string::npos);
  for (const json& bad :
       {json("001"), json("0015g00000XyZab/.."), json(15), json("0015g00000XyZabAAB1")}) {
    EXPECT_NE(refused("get_account", {{"id", bad}}).find("id must be a Salesforce record id"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(refused("get_record", {{"id", kAccountId}}).find("sobject is required"),
            std::string::npos);
  EXPECT_NE(refused("get_record", {{"sobject", "Account/../User"}, {"id", kAccountId}})
                .find("sobject must be an API name"),
            std::string::npos);
  const std::string typo = refused("get_account", {{"id", kAccountId}, {"feilds", "Name"}});
  EXPECT_NE(typo.find("unknown input key 'feilds' (did you mean 'fields'?)"), std::string::npos)
      << typo;
  EXPECT_NE(refused("get_account", {{"id", kAccountId}, {"fields", "Name,,Type"}})
                .find("fields must be a list"),
            std::string::npos);
  EXPECT_NE(refused("get_account", {{"id", kAccountId}, {"fields", {1}}}).find("fields must be"),
            std::string::npos);
}

// --- reading answers ------------------------------------------------------------------------

TEST_F(SalesforceConnectorTest, UpsertOutputSaysWhetherTheRecordWasCreated) {
  const auto request = action(
      "upsert_account",
      {{"external_id_field", "Weft_Id__c"}, {"external_id", "a1"}, {"fields", json::object()}});
  http::Response created{
      201, {}, R"({"id":"0015g00000XyZabAAB","success":true,"errors":[],"created":true})"};
  EXPECT_EQ(*connector_.read_success(request, created),
            (json{{"id", kAccountId}, {"created", true}}));
  http::Response updated{
      200, {}, R"({"id":"0015g00000XyZabAAB","success":true,"errors":[],"created":false})"};
  EXPECT_EQ(*connector_.read_success(request, updated),
            (json{{"id", kAccountId}, {"created", false}}));
  http::Response old_version{204, {}, ""};
  EXPECT_EQ(*connector_.read_success(request, old_version),
            (json{{"id", nullptr}, {"created", false}}));
}

TEST_F(SalesforceConnectorTest, AnUnreadableWriteAnswerIsAnUnknownOutcome) {
  const auto request = action(
      "upsert_account",
      {{"external_id_field", "Weft_Id__c"}, {"external_id", "a1"}, {"fields", json::object()}});
  for (const std::string body :
       {R"({"id":"0015g00000Xy)", "<html/>", "", "[]", R"({"success":true})"}) {
    const auto read = connector_.read_success(request, http::Response{201, {}, body});
    ASSERT_FALSE(read) << body;
    EXPECT_EQ(read.error().cls, FailureClass::unknown_outcome);
    EXPECT_EQ(read.error().http_status, 201);
  }
}

TEST_F(SalesforceConnectorTest, AnUnreadableReadAnswerIsTransient) {
  for (const auto& [name, input] :
       std::vector<std::pair<std::string, json>>{{"get_account", {{"id", kAccountId}}},
                                                 {"query", {{"soql", "SELECT Id FROM Account"}}}}) {
    const auto read =
        connector_.read_success(action(name, input), http::Response{200, {}, R"({"records":[)"});
    ASSERT_FALSE(read) << name;
    EXPECT_EQ(read.error().cls, FailureClass::transient);
  }
  const auto no_records = connector_.read_success(action("query", {{"soql", "SELECT Id FROM A"}}),
                                                  http::Response{200, {}, R"({"done":true})"});
  ASSERT_FALSE(no_records);
  EXPECT_EQ(no_records.error().cls, FailureClass::transient);
}

TEST_F(SalesforceConnectorTest, UpdateOutputIsTheRecordId) {
  const auto request = action(
      "update_record", {{"sobject", "Account"}, {"id", kAccountId}, {"fields", {{"Name", "x"}}}});
  EXPECT_EQ(*connector_.read_success(request, http::Response{204, {}, ""}),
            (json{{"id", kAccountId}}));
}

// --- tokens ---------------------------------------------------------------------------------

TEST_F(SalesforceConnectorTest, ClientCredentialsTokenIsFetchedOnceAndSentAsBearer) {
  const auto first = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(first.output) << first.failure->message;
  const auto tokens = transport_.token_requests();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].method, "POST");
  EXPECT_EQ(tokens[0].url, kTokenUrl);
  EXPECT_EQ(header(tokens[0], "Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(tokens[0].body,
            "grant_type=client_credentials&client_id=cid&client_secret=csecret-XYZ");
  EXPECT_EQ(tokens[0].timeout, 15s);
  EXPECT_EQ(header(transport_.sent().back(), "Authorization"), "Bearer tok-1");

  const auto second = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(second.output);
  EXPECT_EQ(transport_.token_requests().size(), 1u);  // cached
  EXPECT_EQ(header(transport_.sent().back(), "Authorization"), "Bearer tok-1");
}

TEST_F(SalesforceConnectorTest, ATokenEndpointOnItsOwnHostIsUsed) {
  auto c = salesforce_config();
  c.login_url = "https://login.salesforce.com";
  const SalesforceConnector connector(c, clock_);
  ASSERT_TRUE(run(connector, action("get_account", {{"id", kAccountId}})).output);
  EXPECT_EQ(transport_.token_requests().at(0).url,
            "https://login.salesforce.com/services/oauth2/token");
  EXPECT_EQ(transport_.sent().back().url, kData + "/sobjects/Account/" + kAccountId);
}

TEST_F(SalesforceConnectorTest, ConcurrentCallsWithoutATokenFetchOnlyOne) {
  std::vector<std::thread> threads;
  std::atomic<int> authorized{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      OutboundRequest r;
      if (connector_.authorize(r, OutboundContext{transport_, *clock_})) ++authorized;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(authorized.load(), 8);
  EXPECT_EQ(transport_.tokens_issued(), 1);
}

TEST_F(SalesforceConnectorTest, AnExpiredSessionDropsTheTokenAndTheRetryFetchesANewOne) {
  ASSERT_TRUE(run(connector_, action("get_account", {{"id", kAccountId}})).output);
  transport_.then(respond(
      401, R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])"));
  const auto expired = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(expired.failure);
  EXPECT_EQ(expired.failure->platform_code, "INVALID_SESSION_ID");
  EXPECT_EQ(expired.failure->cls, FailureClass::transient);  // retried, unlike auth
  EXPECT_FALSE(connector_.has_token());

  const auto retry = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(retry.output);
  EXPECT_EQ(transport_.tokens_issued(), 2);
  EXPECT_EQ(header(transport_.sent().back(), "Authorization"), "Bearer tok-2");
}

TEST_F(SalesforceConnectorTest, ATokenWithALifetimeIsRefreshedBeforeItEnds) {
  auto issued = std::make_shared<int>(0);
  transport_.token([issued](const OutboundRequest&) {
    const int n = ++*issued;
    return respond(
        200, json{{"access_token", "short-" + std::to_string(n)}, {"expires_in", 600}}.dump());
  });
  OutboundRequest r;
  const OutboundContext context{transport_, *clock_};
  ASSERT_TRUE(connector_.authorize(r, context));
  EXPECT_EQ(header(r, "Authorization"), "Bearer short-1");
  clock_->advance(530s);
  ASSERT_TRUE(connector_.authorize(r, context));
  EXPECT_EQ(header(r, "Authorization"), "Bearer short-1");
  clock_->advance(20s);  // within a minute of the end
  ASSERT_TRUE(connector_.authorize(r, context));
  EXPECT_EQ(header(r, "Authorization"), "Bearer short-2");
}

TEST_F(SalesforceConnectorTest, ATokenEndpointThatIsDownIsTransient) {
  transport_.token([](const OutboundRequest&) {
    Attempt a;
    a.transport = delivery::Transport::connect_failed;
    a.transport_detail = "Connection refused";
    return a;
  });
  const auto down = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(down.failure);
  EXPECT_EQ(down.failure->cls, FailureClass::transient);
  EXPECT_NE(down.failure->message.find("unreachable: connect_failed: Connection refused"),
            std::string::npos)
      << down.failure->message;
  EXPECT_EQ(transport_.sent().size(), 1u);  // the data call was never made

  transport_.token([](const OutboundRequest&) { return respond(503, "Service Unavailable"); });
  const auto unavailable = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(unavailable.failure);
  EXPECT_EQ(unavailable.failure->cls, FailureClass::transient);

  transport_.token([](const OutboundRequest&) { return respond(200, R"({"access_tok)"); });
  const auto garbled = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(garbled.failure);
  EXPECT_EQ(garbled.failure->cls, FailureClass::transient);
  EXPECT_NE(garbled.failure->message.find("without an access_token"), std::string::npos);
}

TEST_F(SalesforceConnectorTest, RefusedCredentialsAreAuthWithSalesforcesDescription) {
  transport_.token([](const OutboundRequest&) {
    return respond(400,
                   R"({"error":"invalid_grant","error_description":"authentication failure"})");
  });
  const auto refused_grant = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(refused_grant.failure);
  EXPECT_EQ(refused_grant.failure->cls, FailureClass::auth);
  EXPECT_EQ(refused_grant.failure->platform_code, "invalid_grant");
  EXPECT_EQ(refused_grant.failure->message,
            "Salesforce token endpoint " + kTokenUrl +
                " refused the credentials: 400 invalid_grant: authentication failure");
  EXPECT_EQ(refused_grant.failure->message.find("csecret"), std::string::npos);

  transport_.token([](const OutboundRequest&) {
    return respond(
        401, R"({"error":"invalid_client","error_description":"invalid client credentials"})");
  });
  const auto refused_client = run(connector_, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(refused_client.failure);
  EXPECT_EQ(refused_client.failure->cls, FailureClass::auth);
  EXPECT_EQ(refused_client.failure->platform_code, "invalid_client");
}

// --- JWT bearer flow ------------------------------------------------------------------------

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate(int type, int rsa_bits = 0) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(type, nullptr);
  EVP_PKEY* key = nullptr;
  if (ctx != nullptr && EVP_PKEY_keygen_init(ctx) == 1 &&
      (rsa_bits == 0 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, rsa_bits) == 1)) {
    EVP_PKEY_keygen(ctx, &key);
  }
  EVP_PKEY_CTX_free(ctx);
  return Pkey(key);
}

std::string private_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::string pem(BIO_ctrl_pending(bio), '\0');
  BIO_read(bio, pem.data(), static_cast<int>(pem.size()));
  BIO_free(bio);
  return pem;
}

std::string base64url_decode(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4 != 0) text += '=';
  return crypto::base64_decode(text).value_or("<not base64>");
}

bool verifies(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

class SalesforceJwtTest : public SalesforceConnectorTest {
 protected:
  static void SetUpTestSuite() { key_ = generate(EVP_PKEY_RSA, 2048).release(); }
  static void TearDownTestSuite() { EVP_PKEY_free(key_); }

  config::ConnectorConfig jwt_config(const std::string& pem) const {
    auto c = salesforce_config();
    c.client_secret = config::Secret();
    c.login_url = "https://login.salesforce.com";
    c.username = "integration@acme.example";
    c.private_key_file = dir_.write("server.key", pem).string();
    c.audience = "https://test.salesforce.com";
    return c;
  }

  static EVP_PKEY* key_;
  TempDir dir_;
};
EVP_PKEY* SalesforceJwtTest::key_ = nullptr;

TEST_F(SalesforceJwtTest, TheTokenRequestCarriesASignedJwtWithTheRightClaims) {
  ASSERT_NE(key_, nullptr);
  const SalesforceConnector connector(jwt_config(private_pem(key_)), clock_);
  const auto outcome = run(connector, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(outcome.output) << outcome.failure->message;

  const auto token = transport_.token_requests().at(0);
  EXPECT_EQ(token.url, "https://login.salesforce.com/services/oauth2/token");
  const auto form = url::parse_pairs(token.body);
  ASSERT_TRUE(form.has_value());
  ASSERT_EQ(form->size(), 2u);
  EXPECT_EQ((*form)[0], (std::pair<std::string, std::string>{
                            "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}));
  EXPECT_EQ((*form)[1].first, "assertion");
  EXPECT_EQ(token.body.find("client_secret"), std::string::npos);

  const std::string& jwt = (*form)[1].second;
  const std::size_t dot1 = jwt.find('.');
  const std::size_t dot2 = jwt.find('.', dot1 + 1);
  ASSERT_NE(dot2, std::string::npos);
  EXPECT_EQ(jwt.find_first_of("+/="), std::string::npos);  // base64url without padding
  EXPECT_EQ(json::parse(base64url_decode(jwt.substr(0, dot1))), (json{{"alg", "RS256"}}));
  EXPECT_EQ(json::parse(base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1))),
            (json{{"iss", "cid"},
                  {"sub", "integration@acme.example"},
                  {"aud", "https://test.salesforce.com"},
                  {"exp", 1'700'000'000 + 180}}));
  const std::string signature = base64url_decode(jwt.substr(dot2 + 1));
  EXPECT_EQ(signature.size(), 256u);
  EXPECT_TRUE(verifies(key_, jwt.substr(0, dot2), signature));
  EXPECT_FALSE(verifies(key_, jwt.substr(0, dot2) + "x", signature));
  EXPECT_EQ(header(transport_.sent().back(), "Authorization"), "Bearer tok-1");
}

TEST_F(SalesforceJwtTest, AFreshJwtIsMintedForEveryFetch) {
  const SalesforceConnector connector(jwt_config(private_pem(key_)), clock_);
  OutboundRequest r;
  const OutboundContext context{transport_, *clock_};
  ASSERT_TRUE(connector.authorize(r, context));
  connector.on_failure(action("get_account", {}),
                       Failure{FailureClass::transient, "", {}, 401, "INVALID_SESSION_ID"});
  clock_->advance(3600s);
  ASSERT_TRUE(connector.authorize(r, context));
  const auto tokens = transport_.token_requests();
  ASSERT_EQ(tokens.size(), 2u);
  const auto claims = [](const OutboundRequest& t) {
    const std::string jwt = url::parse_pairs(t.body).value().at(1).second;
    const std::size_t dot1 = jwt.find('.');
    return json::parse(base64url_decode(jwt.substr(dot1 + 1, jwt.find('.', dot1 + 1) - dot1 - 1)));
  };
  EXPECT_EQ(claims(tokens[1])["exp"], 1'700'000'000 + 3600 + 180);
}

TEST_F(SalesforceJwtTest, AKeyThatIsNotAnRsaPrivateKeyIsAnAuthFailure) {
  for (const auto& [pem, expected] : std::vector<std::pair<std::string, std::string>>{
           {"not a key", "is not an unencrypted PEM private key"},
           {private_pem(generate(EVP_PKEY_ED25519).get()), "is not an RSA key"}}) {
    const SalesforceConnector connector(jwt_config(pem), clock_);
    const auto outcome = run(connector, action("get_account", {{"id", kAccountId}}));
    ASSERT_TRUE(outcome.failure);
    EXPECT_EQ(outcome.failure->cls, FailureClass::auth);
    EXPECT_NE(outcome.failure->message.find("server.key " + expected), std::string::npos)
        << outcome.failure->message;
    EXPECT_TRUE(transport_.sent().empty());
  }
  auto missing = jwt_config("x");
  missing.private_key_file = (dir_ / "absent.key").string();
  const SalesforceConnector connector(missing, clock_);
  const auto outcome = run(connector, action("get_account", {{"id", kAccountId}}));
  ASSERT_TRUE(outcome.failure);
  EXPECT_NE(outcome.failure->message.find("absent.key cannot be opened"), std::string::npos);
}

// --- errors ---------------------------------------------------------------------------------

TEST_F(SalesforceConnectorTest, TheApiLimitIsRateLimited) {
  const auto f = classified(
      403, R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])");
  EXPECT_EQ(f.cls, FailureClass::rate_limited);
  EXPECT_EQ(f.platform_code, "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(f.message, "Salesforce 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.");
  // Any other 403 is about our permissions.
  EXPECT_EQ(classified(403, R"([{"message":"no","errorCode":"INSUFFICIENT_ACCESS"}])").cls,
            FailureClass::auth);
}

TEST_F(SalesforceConnectorTest, ALockedRowIsTransient) {
  const auto f = classified(
      400,
      R"([{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW","fields":[]}])");
  EXPECT_EQ(f.cls, FailureClass::transient);
  EXPECT_EQ(f.platform_code, "UNABLE_TO_LOCK_ROW");
}

TEST_F(SalesforceConnectorTest, SeveralMatchesForAnUpsertAreAConflict) {
  const auto f = classified(
      300,
      R"(["/services/data/v61.0/sobjects/Account/001000000000001AAA","/services/data/v61.0/sobjects/Account/001000000000002AAA"])");
  EXPECT_EQ(f.cls, FailureClass::conflict);
  EXPECT_EQ(f.platform_code, "MULTIPLE_CHOICES");
  EXPECT_NE(f.message.find("2 matches: /services/data/v61.0/sobjects/Account/001000000000001AAA"),
            std::string::npos)
      << f.message;
}

TEST_F(SalesforceConnectorTest, DuplicatesAreConflicts) {
  const auto f = classified(
      400,
      R"([{"message":"duplicate value found: Weft_Id__c","errorCode":"DUPLICATE_VALUE","fields":["Weft_Id__c"]}])");
  EXPECT_EQ(f.cls, FailureClass::conflict);
  EXPECT_EQ(
      f.message,
      "Salesforce 400 DUPLICATE_VALUE: duplicate value found: Weft_Id__c (fields: Weft_Id__c)");
}

TEST_F(SalesforceConnectorTest, BadDataIsValidationListingEveryError) {
  const auto f = classified(
      400,
      R"([{"message":"Required fields are missing: [Name]","errorCode":"REQUIRED_FIELD_MISSING","fields":["Name"]},)"
      R"({"message":"Amount must be positive","errorCode":"FIELD_CUSTOM_VALIDATION_EXCEPTION","fields":[]}])");
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_EQ(f.platform_code, "REQUIRED_FIELD_MISSING");
  EXPECT_EQ(f.message,
            "Salesforce 400 REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (fields: "
            "Name); FIELD_CUSTOM_VALIDATION_EXCEPTION: Amount must be positive");
  EXPECT_EQ(
      classified(400, R"([{"message":"No such column 'Foo__c'","errorCode":"INVALID_FIELD"}])").cls,
      FailureClass::validation);
  EXPECT_EQ(classified(404, R"([{"message":"not found","errorCode":"NOT_FOUND"}])").cls,
            FailureClass::validation);
}

TEST_F(SalesforceConnectorTest, AnOverloadedServerIsTransient) {
  const auto f =
      classified(503, R"([{"message":"Server unavailable","errorCode":"SERVER_UNAVAILABLE"}])");
  EXPECT_EQ(f.cls, FailureClass::transient);
  EXPECT_EQ(f.platform_code, "SERVER_UNAVAILABLE");
}

TEST_F(SalesforceConnectorTest, MalformedErrorBodiesStillClassify) {
  const auto html = classified(502, "<html><body>Bad gateway</body></html>");
  EXPECT_EQ(html.cls, FailureClass::transient);
  EXPECT_EQ(html.message, "Salesforce 502: <html><body>Bad gateway</body></html>");
  const auto truncated = classified(400, R"([{"message":"Requi)");
  EXPECT_EQ(truncated.cls, FailureClass::validation);
  EXPECT_EQ(truncated.platform_code, "");
  EXPECT_EQ(classified(401, "").cls, FailureClass::auth);
  EXPECT_EQ(classified(500, "[1,2]").cls, FailureClass::transient);
}

}  // namespace
}  // namespace weft::connectors::salesforce
