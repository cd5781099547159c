// The web console's server side: sign-in exchanges an API key for a session cookie
// (HttpOnly, Secure, SameSite=Strict, stored hashed), /v1 accepts the cookie as the key it was
// made with (roles apply), every cookie request that changes state needs the session's CSRF
// token, sign-out and revocation end sessions, expired ones are refused; the static files
// carry a strict Content-Security-Policy; GET /v1/overview aggregates the metrics.
// Requests go through the real router, ApiServer and console routes; no network.

#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <string>

#include "api/api_keys.hpp"
#include "api/api_server.hpp"
#include "api/endpoints/endpoints.hpp"
#include "api/openapi.hpp"
#include "api/overview.hpp"
#include "console/console_routes.hpp"
#include "core/worker_pool.hpp"
#include "http/router.hpp"
#include "support/api_contract.hpp"
#include "weft/manual_clock.hpp"
#include "weft/store.hpp"

namespace weft {
namespace {

using nlohmann::json;
using HeaderList = std::vector<std::pair<std::string, std::string>>;
using namespace std::chrono_literals;

struct Answer {
  int status = 0;
  http::Headers headers;
  json body;
  std::string text;
  std::string header(std::string_view name) const {
    return std::string(headers.get(name).value_or(""));
  }
};

class ConsoleTest : public ::testing::Test {
 protected:
  ConsoleTest() {
    api::ApiOptions options;
    options.threads = 1;
    server_ = std::make_unique<api::ApiServer>(api_store_, api::OpenApi::builtin(), clock_, options);
    // Two endpoints of our own: a read for everyone, a write for finance-ops only.
    server_->add({"GET", "/v1/test/read", api::all_roles(), {}, "", [](const api::ApiCall& call) {
                    return api::json_ok({{"caller", call.caller.name}});
                  }});
    server_->add({"POST", "/v1/test/write", {api::Role::finance_ops}, {}, "",
                  [this](const api::ApiCall& call) {
                    ++writes_;
                    return api::json_ok({{"caller", call.caller.name}});
                  }});
    server_->add({"GET", "/v1/overview", api::all_roles(), {}, "",
                  [this](const api::ApiCall&) { return api::json_ok(overview_.overview()); }});
    server_->mount(router_);
    console::mount_console(router_, api_store_, clock_, pool_);
  }
  ~ConsoleTest() override {
    server_->stop();
    pool_.stop();
  }

  std::string key(const std::string& name, api::Role role) {
    api::NewApiKey k = api::make_api_key(name, role, clock_->unix_millis());
    EXPECT_TRUE(api_store_
                    .create_key(k.record, AuditRecord{0, clock_->unix_millis(), "test",
                                                      "key.create", k.record.id, "null", "null", ""})
                    .ok());
    return k.secret;
  }

  Answer call(const std::string& method, const std::string& path, HeaderList headers = {},
              const std::string& body = "") {
    http::Request r;
    r.method = method;
    r.target = path;
    r.path = path;
    for (auto& [n, v] : headers) r.headers.add(n, v);
    r.body = body;
    std::promise<http::Response> done;
    router_.handle(std::move(r), [&done](http::Response response) { done.set_value(std::move(response)); });
    http::Response response = done.get_future().get();
    return Answer{response.status, response.headers, json::parse(response.body, nullptr, false),
                  response.body};
  }

  // Signs in with `secret`: the cookie header to send afterwards and the CSRF token.
  std::pair<std::string, std::string> sign_in(const std::string& secret) {
    Answer a = call("POST", "/console/session", {{"Content-Type", "application/json"}},
                    json{{"key", secret}}.dump());
    EXPECT_EQ(a.status, 201) << a.text;
    const std::string set_cookie = a.header("Set-Cookie");
    const std::string pair = set_cookie.substr(0, set_cookie.find(';'));
    return {pair, a.body.value("csrf_token", "")};
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  Storage storage_ = open_storage("sqlite::memory:").value();
  ApiStore& api_store_ = *storage_.api;
  metrics::Registry registry_;
  api::OverviewSource overview_{registry_, nullptr, clock_};
  WorkerPool pool_{"console-test", 1, 64};
  std::unique_ptr<api::ApiServer> server_;
  http::Router router_;
  int writes_ = 0;
};

TEST_F(ConsoleTest, SignInSetsAHardenedSessionCookieThatActsAsTheKey) {
  const std::string secret = key("fin-1", api::Role::finance_ops);
  Answer a = call("POST", "/console/session", {{"Content-Type", "application/json"}},
                  json{{"key", secret}}.dump());
  ASSERT_EQ(a.status, 201) << a.text;
  const std::string cookie = a.header("Set-Cookie");
  EXPECT_EQ(cookie.rfind("weft_session=", 0), 0u) << cookie;
  for (const char* attribute : {"; HttpOnly", "; Secure", "; SameSite=Strict", "; Path=/", "; Max-Age=28800"})
    EXPECT_NE(cookie.find(attribute), std::string::npos) << attribute << " in " << cookie;
  EXPECT_EQ(cookie.find(secret), std::string::npos);  // the key itself never goes in the cookie
  EXPECT_EQ(a.body["name"], "fin-1");
  EXPECT_EQ(a.body["role"], "finance-ops");
  EXPECT_EQ(a.body["csrf_token"].get<std::string>().size(), 64u);
  EXPECT_EQ(a.header("Cache-Control"), "no-store");

  const std::string pair = cookie.substr(0, cookie.find(';'));
  Answer read = call("GET", "/v1/test/read", {{"Cookie", "other=1; " + pair}});
  ASSERT_EQ(read.status, 200) << read.text;
  EXPECT_EQ(read.body["caller"], "fin-1");
  Answer current = call("GET", "/console/session", {{"Cookie", pair}});
  ASSERT_EQ(current.status, 200);
  EXPECT_EQ(current.body["csrf_token"], a.body["csrf_token"]);
  EXPECT_EQ(current.body["key_id"], a.body["key_id"]);
}

TEST_F(ConsoleTest, SignInAndSignOutAreAuditedUnderTheKeysNameARefusedSignInIsNot) {
  const std::string secret = key("fin-1", api::Role::finance_ops);
  EXPECT_EQ(call("POST", "/console/session", {{"Content-Type", "application/json"}},
                 json{{"key", "weft_" + std::string(43, 'A')}}.dump())
                .status,
            401);
  auto [cookie, csrf] = sign_in(secret);
  EXPECT_EQ(call("DELETE", "/console/session", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}).status, 204);

  auto sign_ins = api_store_.query_audit(AuditQuery{std::nullopt, "console.sign_in", std::nullopt});
  auto sign_outs = api_store_.query_audit(AuditQuery{std::nullopt, "console.sign_out", std::nullopt});
  ASSERT_TRUE(sign_ins && sign_outs);
  ASSERT_EQ(sign_ins->size(), 1u);  // the refused attempt left no row
  ASSERT_EQ(sign_outs->size(), 1u);
  const auto key_id = api_store_.list_keys().value().front().id;
  for (const AuditRecord& r : {sign_ins->front(), sign_outs->front()}) {
    EXPECT_EQ(r.actor, "fin-1");
    EXPECT_EQ(r.target, key_id);
    EXPECT_EQ(cookie.find(r.target), std::string::npos);  // never the session token
  }
}

TEST_F(ConsoleTest, ABadSignInIsRefusedAndSetsNoCookie) {
  key("fin-1", api::Role::finance_ops);
  const HeaderList json_type{{"Content-Type", "application/json"}};
  Answer unknown = call("POST", "/console/session", json_type, json{{"key", "weft_" + std::string(43, 'A')}}.dump());
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body["type"], "urn:weft:problem:unauthorized");
  EXPECT_EQ(call("POST", "/console/session", json_type, R"({"key": 7})").status, 400);
  EXPECT_EQ(call("POST", "/console/session", json_type, R"({"key": "x", "role": "platform-admin"})").status, 400);
  EXPECT_EQ(call("POST", "/console/session", json_type, "{").status, 400);
  EXPECT_EQ(call("POST", "/console/session", {{"Content-Type", "text/plain"}}, "weft_x").status, 415);
  for (const Answer& a : {unknown}) EXPECT_EQ(a.header("Set-Cookie"), "");
  EXPECT_EQ(call("GET", "/console/session").status, 401);
  EXPECT_EQ(call("GET", "/v1/test/read", {{"Cookie", "weft_session=" + std::string(43, 'B')}}).status, 401);
}

TEST_F(ConsoleTest, ACookiePostNeedsTheSessionsCsrfTokenABearerPostDoesNot) {
  const std::string secret = key("fin-1", api::Role::finance_ops);
  auto [cookie, csrf] = sign_in(secret);
  Answer none = call("POST", "/v1/test/write", {{"Cookie", cookie}});
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(none.body["type"], "urn:weft:problem:csrf");
  EXPECT_EQ(none.header("Content-Type"), "application/problem+json");
  Answer wrong = call("POST", "/v1/test/write", {{"Cookie", cookie}, {"X-CSRF-Token", std::string(64, '0')}});
  EXPECT_EQ(wrong.status, 403);
  // Another session's token is no good either.
  auto [other_cookie, other_csrf] = sign_in(secret);
  EXPECT_NE(csrf, other_csrf);
  EXPECT_EQ(call("POST", "/v1/test/write", {{"Cookie", cookie}, {"X-CSRF-Token", other_csrf}}).status, 403);
  EXPECT_EQ(writes_, 0);  // nothing ran

  Answer ok = call("POST", "/v1/test/write", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(ok.status, 200) << ok.text;
  EXPECT_EQ(ok.body["caller"], "fin-1");
  Answer bearer = call("POST", "/v1/test/write", {{"Authorization", "Bearer " + secret}});
  EXPECT_EQ(bearer.status, 200);
  EXPECT_EQ(writes_, 2);
}

TEST_F(ConsoleTest, ASessionHasItsKeysRoleNoMore) {
  auto [cookie, csrf] = sign_in(key("reader", api::Role::read_only));
  Answer a = call("POST", "/v1/test/write", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(a.status, 403);
  EXPECT_EQ(a.body["type"], "urn:weft:problem:forbidden");
  EXPECT_EQ(writes_, 0);
}

TEST_F(ConsoleTest, SignOutRevocationAndExpiryEndASession) {
  const std::string secret = key("fin-1", api::Role::finance_ops);
  auto [cookie, csrf] = sign_in(secret);
  EXPECT_EQ(call("DELETE", "/console/session", {{"Cookie", cookie}}).status, 403);  // CSRF
  EXPECT_EQ(call("GET", "/v1/test/read", {{"Cookie", cookie}}).status, 200);
  Answer out = call("DELETE", "/console/session", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  Answer after = call("GET", "/v1/test/read", {{"Cookie", cookie}});
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.header("Set-Cookie").find("Max-Age=0"), std::string::npos);  // the browser drops it

  auto [revoked_cookie, revoked_csrf] = sign_in(secret);
  EXPECT_EQ(call("GET", "/v1/test/read", {{"Cookie", revoked_cookie}}).status, 200);
  ASSERT_TRUE(api_store_.revoke_key("fin-1", AuditRecord{0, clock_->unix_millis(), "test", "key.revoke", "", "", "", ""})
                  .value());
  EXPECT_EQ(call("GET", "/v1/test/read", {{"Cookie", revoked_cookie}}).status, 401);

  auto [late_cookie, late_csrf] = sign_in(key("fin-2", api::Role::finance_ops));
  clock_->advance(8h - 1s);
  EXPECT_EQ(call("GET", "/v1/test/read", {{"Cookie", late_cookie}}).status, 200);
  clock_->advance(1s);
  EXPECT_EQ(call("GET", "/v1/test/read", {{"Cookie", late_cookie}}).status, 401);
  EXPECT_EQ(call("GET", "/console/session", {{"Cookie", late_cookie}}).status, 401);
}

TEST_F(ConsoleTest, TheConsoleFilesCarryAStrictContentSecurityPolicy) {
  Answer page = call("GET", "/console/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  const std::string csp = page.header("Content-Security-Policy");
  for (const char* directive : {"default-src 'self'", "script-src 'self'", "style-src 'self'",
                                "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"})
    EXPECT_NE(csp.find(directive), std::string::npos) << directive << " in " << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(page.header("X-Frame-Options"), "DENY");
  // No inline script or style for the policy to have to allow.
  EXPECT_EQ(page.text.find("<script>"), std::string::npos);
  EXPECT_EQ(page.text.find("<style"), std::string::npos);
  EXPECT_EQ(page.text.find(" style="), std::string::npos);
  EXPECT_NE(page.text.find(R"(<script type="module" src="app.js"></script>)"), std::string::npos);

  for (const char* file : {"app.js", "api.js", "pages.js", "ui.js"}) {
    Answer js = call("GET", std::string("/console/") + file);
    ASSERT_EQ(js.status, 200) << file;
    EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(js.text.find("innerHTML"), std::string::npos) << file << " writes HTML";
  }
  EXPECT_EQ(call("GET", "/console/style.css").header("Content-Type"), "text/css; charset=utf-8");

  Answer bare = call("GET", "/console");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(bare.header("Location"), "/console/");
  Answer missing = call("GET", "/console/secrets.txt");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.header("Content-Security-Policy"), "");
  EXPECT_EQ(call("GET", "/console/..%2Fapi%2Fopenapi.json").status, 404);
}

TEST(MinuteActivity, CountsTheIncreaseOfEachMinuteOverTheWindow) {
  api::MinuteActivity activity(3);
  const std::int64_t t0 = 1'000 * 60'000;  // the start of a minute
  activity.observe(t0 + 1'000, 5, 0);
  activity.observe(t0 + 50'000, 12, 1);
  activity.observe(t0 + 60'000 + 10, 20, 1);
  // Minute t0+2 has no sample; t0+3 gets what came since the last one.
  activity.observe(t0 + 3 * 60'000 + 5, 26, 4);
  const auto minutes = activity.minutes(t0 + 3 * 60'000 + 30'000);
  ASSERT_EQ(minutes.size(), 3u);
  EXPECT_EQ(minutes[0].start_ms, t0 + 60'000);
  EXPECT_EQ(minutes[0].events_in, 8);  // 20 - 12
  EXPECT_EQ(minutes[0].workflows_completed, 0);
  EXPECT_EQ(minutes[1].events_in, 0);
  EXPECT_EQ(minutes[2].events_in, 6);
  EXPECT_EQ(minutes[2].workflows_completed, 3);

  // Much later: the old minutes left the window, the new one counts from the last total kept.
  activity.observe(t0 + 10 * 60'000, 30, 4);
  const auto later = activity.minutes(t0 + 10 * 60'000);
  ASSERT_EQ(later.size(), 3u);
  EXPECT_EQ(later[2].events_in, 4);
  EXPECT_EQ(later[0].events_in + later[1].events_in, 0);
}

TEST_F(ConsoleTest, TheOverviewAggregatesTheMetricsAndFitsTheContract) {
  auto& webhooks = registry_.counter("weft_webhooks_total", "h", {"connector", "outcome"});
  auto& finished = registry_.counter("weft_workflows_total", "h", {"workflow", "status"});
  auto& running = registry_.gauge("weft_workflows_running", "h", {"workflow"});
  auto& breaches = registry_.counter("weft_sla_breaches_total", "h", {"workflow", "sla"});
  auto& open = registry_.gauge("weft_exceptions_open", "h", {"class"});
  registry_.gauge("weft_tasks_due", "h").get().set(2);
  registry_.gauge("weft_events_unprocessed", "h").get().set(5);
  webhooks.with({"stripe", "accepted"}).inc(7);
  webhooks.with({"stripe", "rejected_signature"}).inc(3);  // not "in"
  finished.with({"service-credit", "completed"}).inc(4);
  finished.with({"service-credit", "failed"}).inc(1);
  running.with({"service-credit"}).set(3);
  running.with({"refund"}).set(0);
  breaches.with({"service-credit", "approval-to-erp"}).inc(2);
  open.with({"validation"}).set(1);
  open.with({"auth"}).set(0);

  const std::string reader = key("reader", api::Role::read_only);
  Answer a = call("GET", "/v1/overview", {{"Authorization", "Bearer " + reader}});
  ASSERT_EQ(a.status, 200) << a.text;
  for (const std::string& v : test::api_contract_violations(
           "GET", "/v1/overview", a.status, a.header("Content-Type"), a.text))
    ADD_FAILURE() << "contract: " << v;
  const json& o = a.body;
  EXPECT_EQ(o["per_minute"].size(), 30u);
  EXPECT_EQ(o["per_minute"].back()["events_in"], 7);
  EXPECT_EQ(o["per_minute"].back()["workflows_completed"], 4);
  ASSERT_EQ(o["workflows"].size(), 2u);
  EXPECT_EQ(o["workflows"][1],
            (json{{"workflow", "service-credit"}, {"in_flight", 3}, {"completed", 4}, {"failed", 1},
                  {"sla_breaches", 2}}));
  EXPECT_EQ(o["exceptions_open"], (json::array({{{"class", "validation"}, {"count", 1}}})));
  EXPECT_EQ(o["queues"], (json{{"events_unprocessed", 5}, {"tasks_due", 2}}));

  // A minute later, only the new events count in the new minute.
  clock_->advance(60s);
  webhooks.with({"stripe", "accepted"}).inc(2);
  Answer next = call("GET", "/v1/overview", {{"Authorization", "Bearer " + reader}});
  EXPECT_EQ(next.body["per_minute"].back()["events_in"], 2);
  EXPECT_EQ(next.body["per_minute"][28]["events_in"], 7);
}

}  // namespace
}  // namespace weft
