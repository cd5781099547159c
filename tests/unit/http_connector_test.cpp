// The generic `http` connector: its config, and how an action's input becomes a request.
#include "connectors/http/http_connector.hpp"

#include <gtest/gtest.h>

#include "connectors/inbound_registry.hpp"
#include "connectors/outbound_registry.hpp"
#include "weft/manual_clock.hpp"

namespace weft::connectors::http_api {
namespace {

using namespace std::chrono_literals;

Result<config::Config, std::vector<config::ConfigError>> parse(const std::string& connectors) {
  return config::parse("connectors:\n" + connectors, "test.yaml");
}

std::string errors_text(const std::string& connectors) {
  const auto parsed = parse(connectors);
  return parsed ? std::string() : config::format_errors(parsed.error());
}

TEST(HttpConnectorConfig, NeedsOnlyABaseUrlAndDefaultsTo30Seconds) {
  const auto parsed = parse("  target: {type: http, base_url: \"http://127.0.0.1:9/api/\"}\n");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  const auto& c = parsed->connectors.at("target");
  EXPECT_EQ(c.type, "http");
  EXPECT_EQ(c.base_url, "http://127.0.0.1:9/api");
  EXPECT_TRUE(c.api_key.empty());
  EXPECT_EQ(c.timeout_seconds, 30);
}

TEST(HttpConnectorConfig, TakesAnApiKeyAndATimeout) {
  const auto parsed = parse(R"(  target:
    type: http
    base_url: https://internal.example
    api_key: secret-token
    timeout_seconds: 5
    rate_per_second: 50
    max_concurrency: 8
)");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  const auto& c = parsed->connectors.at("target");
  EXPECT_EQ(c.api_key.reveal(), "secret-token");
  EXPECT_EQ(c.timeout_seconds, 5);
  EXPECT_EQ(c.burst, 50);
}

TEST(HttpConnectorConfig, RequiresBaseUrl) {
  EXPECT_NE(errors_text("  target: {type: http}\n").find("missing required key 'base_url'"),
            std::string::npos);
}

TEST(HttpConnectorConfig, RefusesWebhookKeysBecauseItReceivesNoWebhooks) {
  const std::string errors =
      errors_text("  target: {type: http, base_url: \"http://h\", webhook_secret: s}\n");
  EXPECT_NE(errors.find("test.yaml:2: connectors.target.webhook_secret does not apply to type "
                        "http (it receives no webhooks)"),
            std::string::npos)
      << errors;
}

TEST(HttpConnectorConfig, RefusesAnotherPlatformsCredentials) {
  const std::string errors =
      errors_text("  target: {type: http, base_url: \"http://h\", api_token: t}\n");
  EXPECT_NE(errors.find("api_token does not apply to type http"), std::string::npos) << errors;
}

TEST(HttpConnectorConfig, TimeoutMustBeFrom1To3600Seconds) {
  for (const char* bad : {"0", "3601", "ten"}) {
    const std::string errors = errors_text(
        std::string("  t: {type: http, base_url: \"http://h\", timeout_seconds: ") + bad + "}\n");
    EXPECT_NE(errors.find("connectors.t.timeout_seconds must be an integer from 1 to 3600"),
              std::string::npos)
        << errors;
  }
}

TEST(HttpConnectorConfig, OtherTypesMayHaveATimeoutToo) {
  const auto parsed = parse(R"(  billing:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: sk
    webhook_secret: whsec
    timeout_seconds: 12
)");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  EXPECT_EQ(parsed->connectors.at("billing").timeout_seconds, 12);
}

class HttpConnectorTest : public ::testing::Test {
 protected:
  HttpConnectorTest() {
    config::ConnectorConfig c;
    c.name = "target";
    c.type = "http";
    c.base_url = "http://platform.test/v2";
    c.timeout_seconds = 7;
    connector = std::make_unique<HttpConnector>(c, std::make_shared<ManualClock>());
  }

  Result<delivery::OutboundRequest, delivery::Failure> prepare(nlohmann::json input) {
    engine::ActionRequest r;
    r.connector = "target";
    r.action = "notify";
    r.input = std::move(input);
    r.idempotency_key = "wf-1:notify";
    return connector->prepare(r);
  }

  std::string error_of(nlohmann::json input) {
    auto r = prepare(std::move(input));
    if (r) return "(prepared)";
    EXPECT_EQ(r.error().cls, delivery::FailureClass::validation);
    return r.error().message;
  }

  std::unique_ptr<HttpConnector> connector;
};

TEST_F(HttpConnectorTest, BuildsMethodUrlQueryHeadersAndTimeout) {
  auto r = prepare({{"method", "put"},
                    {"path", "/customers/c%2F1"},
                    {"query", {{"expand", "a b&c"}, {"limit", 10}, {"live", true}}},
                    {"headers", {{"X-Tenant", "acme"}, {"Content-Type", "application/merge-patch+json"}}},
                    {"body", {{"name", "Acme"}}}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->method, "PUT");
  EXPECT_EQ(r->url, "http://platform.test/v2/customers/c%2F1?expand=a%20b%26c&limit=10&live=true");
  EXPECT_EQ(r->body, R"({"name":"Acme"})");
  EXPECT_EQ(r->headers.get("Content-Type").value_or(""), "application/merge-patch+json");
  EXPECT_EQ(r->headers.get("X-Tenant").value_or(""), "acme");
  EXPECT_EQ(r->headers.get("Idempotency-Key").value_or(""), "wf-1:notify");
  EXPECT_FALSE(r->headers.get("Authorization"));  // no api_key configured
  EXPECT_EQ(r->timeout, 7s);
}

TEST_F(HttpConnectorTest, DefaultsToPostWithoutBody) {
  auto r = prepare({{"path", "/ping"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->body, "");
  EXPECT_FALSE(r->headers.get("Content-Type"));
}

TEST_F(HttpConnectorTest, RefusesInputItCannotSendSafely) {
  EXPECT_NE(error_of("not an object").find("input must be an object"), std::string::npos);
  EXPECT_NE(error_of({{"pth", "/x"}}).find("unknown input key 'pth'"), std::string::npos);
  EXPECT_NE(error_of({{"method", "POST"}}).find("path is required"), std::string::npos);
  EXPECT_NE(error_of({{"path", "/a b"}}).find("path must start with '/'"), std::string::npos);
  EXPECT_NE(error_of({{"path", "/a?b=1"}}).find("use query"), std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"method", "TRACE"}}).find("method must be one of"),
            std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"method", "GET"}, {"body", 1}}).find("GET"),
            std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"query", {{"q", {1, 2}}}}}).find("query.q"),
            std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"headers", {{"Authorization", "Bearer x"}}}})
                .find("Authorization is set by Weft (give the connector an api_key instead)"),
            std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"headers", {{"idempotency-key", "other"}}}})
                .find("is set by Weft"),
            std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"headers", {{"X-A", "1\r\nX-Injected: 1"}}}})
                .find("without line breaks"),
            std::string::npos);
  EXPECT_NE(error_of({{"path", "/x"}, {"headers", {{"Bad Name", "1"}}}})
                .find("not a valid header name"),
            std::string::npos);
}

TEST(OutboundRegistry, BuildsAConnectorOfItsOwnTypeForEveryPlatform) {
  const auto parsed = config::parse(R"(connectors:
  target: {type: http, base_url: "http://h", api_key: k}
  billing: {type: stripe, base_url: "http://h", api_key: k, webhook_secret: s}
  support: {type: zendesk, base_url: "http://h", email: e@x.test, api_token: t, webhook_secret: s}
  erp: {type: netsuite, base_url: "http://h", account_id: a, consumer_key: k, consumer_secret: s,
        token_id: t, token_secret: u, webhook_secret: w}
  crm: {type: salesforce, base_url: "http://h", client_id: c, client_secret: s, webhook_secret: w}
)",
                                    "test.yaml");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  std::vector<std::string> skipped;
  const auto built = make_outbound_connectors(*parsed, std::make_shared<ManualClock>(), &skipped);
  EXPECT_TRUE(skipped.empty());
  ASSERT_EQ(built.size(), 5u);
  EXPECT_EQ(built.at("target")->type(), "http");
  EXPECT_EQ(built.at("billing")->type(), "stripe");
  EXPECT_EQ(built.at("support")->type(), "zendesk");
  EXPECT_EQ(built.at("erp")->type(), "netsuite");
  EXPECT_EQ(built.at("crm")->type(), "salesforce");
  for (const auto& [name, connector] : built) EXPECT_EQ(connector->name(), name);

  engine::ActionRequest r;
  r.input = {{"path", "/x"}};
  auto prepared = built.at("target")->prepare(r);
  ASSERT_TRUE(prepared);
  EXPECT_EQ(prepared->headers.get("Authorization").value_or(""), "Bearer k");
}

TEST(InboundRegistry, HttpConnectorsHaveNoWebhookEndpointAndAreNotReportedAsMissingOne) {
  const auto parsed = config::parse(R"(connectors:
  target: {type: http, base_url: "http://h"}
  erp: {type: netsuite, base_url: "http://h", account_id: a, consumer_key: k, consumer_secret: s,
        token_id: t, token_secret: u, webhook_secret: w}
)",
                                    "test.yaml");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  std::vector<std::string> skipped;
  const auto inbound = make_inbound_connectors(*parsed, &skipped);
  EXPECT_EQ(inbound.size(), 1u);  // erp (netsuite) has an endpoint, target none
  EXPECT_EQ(inbound.count("target"), 0u);
  EXPECT_TRUE(skipped.empty());
}

}  // namespace
}  // namespace weft::connectors::http_api
