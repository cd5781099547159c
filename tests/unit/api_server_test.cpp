// The /v1 business API in one process: the real ApiServer, router, endpoints and engine over
// the SQLite stores (in memory), with a ManualClock, driven request by request without a network.
// Covers authentication (401), every endpoint with every role (allowed or 403), four-eyes, rate
// limiting, idempotency (same and different body, in progress), pagination, problem+json and
// bad input that changes nothing. Every response is checked against the OpenAPI document
// (support/api_contract.hpp): the contract test.

#include "api/api_server.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "api/api_keys.hpp"
#include "api/endpoints/endpoints.hpp"
#include "api/openapi.hpp"
#include "api/overview.hpp"
#include "crypto/hmac.hpp"
#include "engine/executor.hpp"
#include "engine/workflow_catalog.hpp"
#include "http/router.hpp"
#include "mapping/mapping_set.hpp"
#include "pipeline/event_pipeline.hpp"
#include "reconcile/reconciler.hpp"
#include "slo/slo_monitor.hpp"
#include "support/api_contract.hpp"
#include "support/shipped_mappings.hpp"
#include "weft/manual_clock.hpp"
#include "weft/workflow_store.hpp"

namespace weft::api {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Waits for a finance-ops approval (the requester is the event's payload.requested_by), then
// posts; the approval step is what four-eyes is about.
constexpr const char* kApprovingWorkflow = R"(name: approving
version: 1
trigger: {event: case.credit_requested}
slas:
  - {name: approval-to-erp, from: approved, to: posted, limit: 15m}
steps:
  - id: approval
    wait:
      approval: {role: finance-ops, title: 'Credit of {{ .event.payload.amount }}'}
      timeout: 72h
    milestone: approved
  - id: post
    call: erp.create_credit_memo
    milestone: posted
)";

// A refund request waits for finance-ops too, then refunds.
constexpr const char* kRefundingWorkflow = R"(name: refunding
version: 1
trigger: {event: case.refund_requested}
steps:
  - id: approval
    wait:
      approval: {role: finance-ops, title: 'Refund on ticket {{ .event.payload.ticket_id }}'}
      timeout: 72h
  - id: refund
    call: billing.create_refund
    with: '{invoice: .event.payload.invoice_id, amount: .event.payload.amount}'
)";

// One call that the invoker refuses as a validation error until told otherwise: an exception.
constexpr const char* kFailingWorkflow = R"(name: failing
version: 1
trigger: {event: case.opened}
steps:
  - id: post
    call: erp.post_invoice
    with: '{amount: 10}'
)";

class Invoker : public engine::ActionInvoker {
 public:
  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    // Reconciliation's reads (on its own thread): the platforms as the test set them.
    if (request.action == "list_invoices") {
      std::lock_guard lock(platforms_mutex);
      if (billing_refusal) return *billing_refusal;
      return engine::ActionSuccess{{{"data", billing}, {"has_more", false}}};
    }
    if (request.action == "suiteql") {
      std::lock_guard lock(platforms_mutex);
      json items = json::array();
      // The period's query gets every record; a lookup by externalId none (nothing elsewhere).
      if (request.input.value("q", "").find("trandate") != std::string::npos) items = erp;
      return engine::ActionSuccess{{{"items", items}, {"hasMore", false}}};
    }
    inputs.push_back(request.input);
    if (request.action == "post_invoice" && request.input.value("amount", 0) < 100) {
      delivery::Failure f;
      f.cls = delivery::FailureClass::validation;
      f.message = "amount below the ERP's minimum";
      return f;
    }
    return engine::ActionSuccess{json::object()};
  }
  std::vector<json> inputs;
  std::mutex platforms_mutex;
  json billing = json::array();  // Stripe's invoices
  json erp = json::array();      // NetSuite's transactions
  std::optional<delivery::Failure> billing_refusal;
};

struct Answer {
  int status = 0;
  http::Headers headers;
  json body;
  std::string text;
};

class ApiServerTest : public ::testing::Test {
 protected:
  // `schemas`: the canonical event schemas of the deployment; the shipped ones by default.
  explicit ApiServerTest(ApiOptions options = {},
                         const canonical::EventSchemas& schemas = test::shipped_schemas()) {
    auto catalog = std::make_shared<engine::WorkflowCatalog>();
    for (const char* text : {kApprovingWorkflow, kFailingWorkflow, kRefundingWorkflow}) {
      auto def = engine::load_definition(text, "test.yaml", engine::ValidationOptions{});
      if (!def) throw std::runtime_error(config::format_errors(def.error()));
      if (!catalog->add(*def)) throw std::runtime_error("catalog");
    }
    // Reconciliation reads its connectors and currency map from the shipped invoice-posting.
    auto posting = engine::load_definition_file(
        std::string(WEFT_SOURCE_DIR) + "/workflows/invoice-posting.yaml", engine::ValidationOptions{});
    if (!posting || !catalog->add(*posting)) throw std::runtime_error("invoice-posting");
    catalog_ = catalog;
    executor_ = std::make_unique<engine::Executor>(workflows_, catalog_, invoker_, engine_metrics_,
                                                   clock_, engine::ExecutorOptions{1, 42, {}});
    if (!executor_->start(false)) throw std::runtime_error("executor");
    reconciler_ = std::make_unique<reconcile::Reconciler>(
        invoker_, [](const engine::ActionRequest&, const json&) { return std::optional<json>(); },
        *catalog_, workflows_, reconciliations_, clock_);
    reconcile_ = std::make_unique<reconcile::ReconcileService>(*reconciler_);
    services_ = std::make_unique<ApiServices>(
        ApiServices{events_, workflows_, identity_, api_store_, *executor_, *catalog_, schemas,
                    clock_, [this] { ++events_added_; }, overview_, nullptr, &reconciliations_,
                    reconcile_.get()});
    options.threads = 1;
    server_ = std::make_unique<ApiServer>(api_store_, OpenApi::builtin(), clock_, options);
    add_all_endpoints(*server_, *services_);
    server_->mount(router_);
  }
  ~ApiServerTest() override {
    server_->stop();
    reconcile_->stop();
    executor_->stop();
  }

  std::string key(const std::string& name, Role role) {
    NewApiKey k = make_api_key(name, role, clock_->unix_millis());
    EXPECT_TRUE(
        api_store_
            .create_key(k.record, AuditRecord{0, clock_->unix_millis(), "test", "key.create",
                                              k.record.id, "null", "null", ""})
            .ok());
    return k.secret;
  }

  // One request through the router, as the HTTP server would hand it over; the answer is
  // checked against the OpenAPI document.
  Answer call(const std::string& method, const std::string& target, const std::string& bearer,
              const std::string& body = "", HeaderList headers = {}) {
    http::Request r;
    r.method = method;
    r.target = target;
    const auto q = target.find('?');
    r.path = target.substr(0, q);
    r.query = q == std::string::npos ? "" : target.substr(q + 1);
    if (!bearer.empty()) r.headers.add("Authorization", "Bearer " + bearer);
    if (!body.empty()) r.headers.add("Content-Type", "application/json");
    for (auto& [n, v] : headers) r.headers.set(n, v);
    r.body = body;
    std::promise<http::Response> done;
    router_.handle(std::move(r),
                   [&done](http::Response response) { done.set_value(std::move(response)); });
    http::Response response = done.get_future().get();
    const std::string type(response.headers.get("Content-Type").value_or(""));
    for (const std::string& v :
         test::api_contract_violations(method, target, response.status, type, response.body)) {
      ADD_FAILURE() << "contract: " << v;
    }
    Answer a{response.status, response.headers, json::parse(response.body, nullptr, false),
             response.body};
    return a;
  }
  Answer post(const std::string& target, const std::string& bearer, const json& body,
              HeaderList headers = {}) {
    return call("POST", target, bearer, body.dump(), std::move(headers));
  }

  // An instance of `workflow` started by a canonical event with `payload`, run until it waits
  // or ends.
  InstanceRecord start(const std::string& workflow, const std::string& type, const json& payload,
                       const std::string& id) {
    const engine::WorkflowDefinition* def = catalog_->latest(workflow);
    json event = {
        {"id", "ce_" + id}, {"type", type}, {"business_key", "key-" + id}, {"payload", payload}};
    InstanceRecord record = engine::InstanceRun::start(
        *def, id, event, "key-" + id, "ce_" + id, ++started_, "corr-" + id, clock_->unix_millis());
    Transition create;
    create.create = record;
    EXPECT_EQ(workflows_.apply(std::span<const Transition>(&create, 1)).value()[0],
              TransitionOutcome::applied);
    executor_->schedule(record);
    executor_->run_due();
    return workflows_.load_instance(id).value().value();
  }
  ApprovalRecord pending_approval() {
    auto pending = workflows_.pending_approvals().value();
    EXPECT_EQ(pending.size(), 1u);
    return pending.empty() ? ApprovalRecord{} : pending.front();
  }
  std::string open_exception_id() {
    auto open =
        workflows_.query_exceptions(ExceptionQuery{ExceptionStatus::open, {}, {}, "", 10}).value();
    EXPECT_EQ(open.size(), 1u);
    return open.empty() ? "" : open.front().id;
  }
  // What `weft serve`'s event pipeline does with the raw events requests stored: maps them,
  // starts their workflows, which run until they wait or end.
  void route() {
    pipeline::RawEventRouter router(
        std::make_shared<mapping::MappingSet>(), catalog_, {},
        std::shared_ptr<const canonical::EventSchemas>(&test::shipped_schemas(),
                                                       [](const canonical::EventSchemas*) {}));
    pipeline::EventPipeline pipeline(events_, workflows_, router, *executor_, pipeline_metrics_,
                                     clock_);
    ASSERT_TRUE(pipeline.run_once().ok());
    executor_->run_due();
  }
  std::vector<RawEvent> api_raw_events() {
    RawEventQuery q;
    q.connector = "api";
    return events_.query_raw_events(q).value();
  }
  // The audit log without the key creations of the set-up.
  std::vector<AuditRecord> audit_log() {
    std::vector<AuditRecord> out;
    for (AuditRecord& r : api_store_.query_audit(AuditQuery{}).value()) {
      if (r.action != "key.create") out.push_back(std::move(r));
    }
    return out;
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  // The embedded stores in one in-memory SQLite database, as `weft serve` has them on disk.
  Storage storage_ = open_storage("sqlite::memory:").value();
  Store& events_ = *storage_.events;
  WorkflowStore& workflows_ = *storage_.workflows;
  IdentityStore& identity_ = *storage_.identity;
  ApiStore& api_store_ = *storage_.api;
  ReconciliationStore& reconciliations_ = *storage_.reconciliations;
  metrics::Registry registry_;
  engine::EngineMetrics engine_metrics_{registry_};
  pipeline::PipelineMetrics pipeline_metrics_{
      registry_, registry_.gauge("weft_events_unprocessed", "test", {}).get()};
  Invoker invoker_;
  std::shared_ptr<const engine::WorkflowCatalog> catalog_;
  std::unique_ptr<engine::Executor> executor_;
  OverviewSource overview_{registry_, nullptr, clock_};
  std::unique_ptr<reconcile::Reconciler> reconciler_;
  std::unique_ptr<reconcile::ReconcileService> reconcile_;
  std::unique_ptr<ApiServices> services_;
  std::unique_ptr<ApiServer> server_;
  http::Router router_;
  int events_added_ = 0;  // requests and replays
  std::int64_t started_ = 0;  // instances start() made: each gets its own trigger position
};

// --- authentication ------------------------------------------------------------------------

TEST_F(ApiServerTest, AMissingMalformedUnknownOrRevokedKeyIs401) {
  const std::string good = key("reader", Role::read_only);
  Answer none = call("GET", "/v1/workflows", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body["type"], "urn:weft:problem:unauthorized");
  EXPECT_EQ(none.headers.get("WWW-Authenticate").value_or(""), R"(Bearer realm="weft")");

  EXPECT_EQ(call("GET", "/v1/workflows", "", "", {{"Authorization", "Basic dXNlcjpwYXNz"}}).status,
            401);
  EXPECT_EQ(call("GET", "/v1/workflows", "", "", {{"Authorization", "Bearer "}}).status, 401);
  Answer unknown = call("GET", "/v1/workflows", "weft_" + std::string(43, 'A'));
  EXPECT_EQ(unknown.status, 401);
  EXPECT_NE(unknown.headers.get("WWW-Authenticate").value_or("").find("invalid_token"),
            std::string::npos);

  EXPECT_EQ(call("GET", "/v1/workflows", good).status, 200);
  ASSERT_TRUE(api_store_
                  .revoke_key("reader", AuditRecord{0, clock_->unix_millis(), "test", "key.revoke",
                                                    "", "", "", ""})
                  .value());
  EXPECT_EQ(call("GET", "/v1/workflows", good).status, 401);  // at once: no restart
}

TEST_F(ApiServerTest, TheOpenApiDocumentIsServedWithoutAKey) {
  Answer doc = call("GET", "/v1/openapi.json", "");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.1.0");
}

// --- roles ---------------------------------------------------------------------------------

// Every endpoint with a key of every role: the roles it names get past authorization (any
// answer but 401 and 403), every other role gets 403 — and the OpenAPI document names the
// same roles.
TEST_F(ApiServerTest, EveryEndpointAnswersEachRoleAllowedOr403) {
  std::map<Role, std::string> keys;
  for (Role r : all_roles()) keys[r] = key(std::string("k-") + to_string(r), r);
  for (const Endpoint& e : server_->endpoints()) {
    std::string path = e.pattern;
    for (std::size_t at; (at = path.find('{')) != std::string::npos;)
      path.replace(at, path.find('}', at) - at + 1, "none");
    const Operation* op = OpenApi::builtin().find(e.method, e.pattern);
    ASSERT_NE(op, nullptr) << e.method << " " << e.pattern << " is not in the OpenAPI document";
    for (Role r : all_roles()) {
      SCOPED_TRACE(e.method + " " + path + " as " + to_string(r));
      const bool allowed = std::find(e.roles.begin(), e.roles.end(), r) != e.roles.end();
      const bool documented =
          std::find(op->roles.begin(), op->roles.end(), to_string(r)) != op->roles.end();
      EXPECT_EQ(allowed, documented);
      Answer a = call(e.method, path, keys[r], e.method == "POST" ? "{}" : "");
      if (allowed) {
        EXPECT_NE(a.status, 401);
        EXPECT_NE(a.status, 403) << a.text;
      } else {
        EXPECT_EQ(a.status, 403) << a.text;
        EXPECT_EQ(a.body["type"], "urn:weft:problem:forbidden");
      }
    }
  }
}

// The document and the server agree on every operation: none documented that the server
// lacks, none served that is undocumented, with the same query parameters and body schema.
TEST_F(ApiServerTest, TheOpenApiDocumentDescribesExactlyTheServedEndpoints) {
  std::set<std::string> served{"GET /v1/openapi.json"};
  for (const Endpoint& e : server_->endpoints()) {
    served.insert(e.method + " " + e.pattern);
    const Operation* op = OpenApi::builtin().find(e.method, e.pattern);
    ASSERT_NE(op, nullptr) << e.method << " " << e.pattern;
    EXPECT_EQ(std::set<std::string>(e.query_params.begin(), e.query_params.end()),
              std::set<std::string>(op->query_params.begin(), op->query_params.end()))
        << e.pattern;
    EXPECT_EQ(e.body_schema, op->request_schema) << e.pattern;
  }
  for (const Operation& op : OpenApi::builtin().operations()) {
    EXPECT_TRUE(served.count(op.method + " " + op.path))
        << op.method << " " << op.path << " is documented, not served";
  }
}

// --- approvals and four-eyes ---------------------------------------------------------------

TEST_F(ApiServerTest, AnApprovalIsDecidedOnceByItsRoleAndNeverByItsRequester) {
  const std::string requester = key("agent-7", Role::finance_ops);
  const std::string support = key("support-1", Role::support_ops);
  const std::string finance = key("fin-1", Role::finance_ops);
  const InstanceRecord instance = start("approving", "case.credit_requested",
                                        {{"amount", 9000}, {"requested_by", "agent-7"}}, "wf_1");
  ASSERT_EQ(instance.status, InstanceStatus::waiting);
  const ApprovalRecord approval = pending_approval();
  const std::string decision = "/v1/approvals/" + approval.id + "/decision";

  Answer listed = call("GET", "/v1/approvals", finance);
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["data"].size(), 1u);
  EXPECT_EQ(listed.body["data"][0]["title"], "Credit of 9000");
  EXPECT_EQ(call("GET", "/v1/approvals", support).body["data"].size(),
            0u);  // not support-ops' to decide

  Answer own = post(decision, requester, {{"decision", "approve"}});
  EXPECT_EQ(own.status, 403);
  EXPECT_NE(own.body["detail"].get<std::string>().find("four-eyes"), std::string::npos);
  Answer wrong_role = post(decision, support, {{"decision", "approve"}});
  EXPECT_EQ(wrong_role.status, 403);
  EXPECT_NE(wrong_role.body["detail"].get<std::string>().find("finance-ops"), std::string::npos);
  Answer no_comment = post(decision, finance, {{"decision", "reject"}});
  EXPECT_EQ(no_comment.status, 422);  // a rejection says why
  EXPECT_TRUE(audit_log().empty());
  EXPECT_EQ(workflows_.load_approval(approval.id).value()->status, "pending");

  Answer ok = post(decision, finance, {{"decision", "approve"}, {"comment", "within contract"}});
  ASSERT_EQ(ok.status, 200) << ok.text;
  EXPECT_EQ(ok.body["status"], "approved");
  EXPECT_EQ(ok.body["decided_by"], "fin-1");
  EXPECT_EQ(post(decision, finance, {{"decision", "reject"}, {"comment", "again"}}).status, 409);

  executor_->run_due();
  Answer done = call("GET", "/v1/workflows/wf_1", finance);
  ASSERT_EQ(done.status, 200);
  EXPECT_EQ(done.body["status"], "completed");
  EXPECT_EQ(done.body["slas"][0]["name"], "approval-to-erp");
  EXPECT_EQ(done.body["slas"][0]["state"], "met");
  EXPECT_EQ(done.body["state"]["approval"]["by"], "fin-1");

  // The lineage of the instance: started, waited, decided by fin-1, then the ERP call.
  Answer timeline = call("GET", "/v1/lineage/wf_1", finance);
  ASSERT_EQ(timeline.status, 200) << timeline.text;
  std::vector<std::string> kinds;
  for (const json& e : timeline.body["entries"]) kinds.push_back(e["kind"].get<std::string>());
  EXPECT_EQ(kinds.front(), "workflow");
  const auto decided = std::find(kinds.begin(), kinds.end(), "decision");
  const auto posted = std::find(kinds.begin(), kinds.end(), "outbound");
  ASSERT_NE(decided, kinds.end());
  ASSERT_NE(posted, kinds.end());
  EXPECT_LT(decided, posted);
  EXPECT_EQ(timeline.body["entries"][decided - kinds.begin()]["by"], "fin-1");
  EXPECT_EQ(timeline.body["entries"][posted - kinds.begin()]["action"], "erp.create_credit_memo");
  EXPECT_EQ(call("GET", "/v1/lineage/corr-wf_1", finance).body["entries"].size(),
            timeline.body["entries"].size());
  EXPECT_EQ(call("GET", "/v1/lineage/nothing-here", finance).status, 404);

  const auto log = audit_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].actor, "fin-1");
  EXPECT_EQ(log[0].action, "approval.decide");
  EXPECT_EQ(log[0].target, approval.id);
  EXPECT_EQ(json::parse(log[0].before_json)["status"], "pending");
  EXPECT_EQ(json::parse(log[0].after_json)["status"], "approved");
}

// --- exceptions, idempotency ---------------------------------------------------------------

TEST_F(ApiServerTest, AnExceptionIsRetriedWithAnEditedInputAndTheSameKeyReplaysTheAnswer) {
  const std::string ops = key("ops-1", Role::support_ops);
  ASSERT_EQ(start("failing", "case.opened", json::object(), "wf_f").status, InstanceStatus::failed);
  const std::string id = open_exception_id();
  Answer got = call("GET", "/v1/exceptions/" + id, ops);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["class"], "validation");

  const json body = {{"input", {{"amount", 150}}}};
  const HeaderList idem{{"Idempotency-Key", "retry-1"}};
  Answer first = post("/v1/exceptions/" + id + "/retry", ops, body, idem);
  ASSERT_EQ(first.status, 200) << first.text;
  EXPECT_EQ(first.body["status"], "retried");
  Answer again = post("/v1/exceptions/" + id + "/retry", ops, body, idem);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.text, first.text);
  EXPECT_EQ(again.headers.get("Idempotent-Replayed").value_or(""), "true");
  Answer other = post("/v1/exceptions/" + id + "/retry", ops, {{"input", {{"amount", 99}}}}, idem);
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(other.body["type"], "urn:weft:problem:idempotency-key-reused");
  EXPECT_EQ(audit_log().size(), 1u);  // retried once

  executor_->run_due();
  EXPECT_EQ(workflows_.load_instance("wf_f").value()->status, InstanceStatus::completed);
  EXPECT_EQ(invoker_.inputs.back()["amount"], 150);
}

TEST_F(ApiServerTest, ARequestStillInProgressUnderTheSameKeyIs409AndADeadOneIsTakenOver) {
  const std::string ops = key("ops-2", Role::support_ops);
  ASSERT_EQ(start("failing", "case.opened", json::object(), "wf_g").status, InstanceStatus::failed);
  const std::string id = open_exception_id();
  const json body = {{"reason", "duplicate of another ticket"}};
  const std::string target = "/v1/exceptions/" + id + "/discard";
  // Another request with this key is in progress (claimed, not answered).
  auto found = api_store_.list_keys().value();
  const std::string key_id = found.back().id;
  const std::string hash = crypto::to_hex(crypto::sha256("POST " + target + "\n" + body.dump()));
  ASSERT_FALSE(
      api_store_.claim_idempotency({key_id, "d-1", hash, 0, "", clock_->unix_millis()}, 0).value());
  Answer busy = post(target, ops, body, {{"Idempotency-Key", "d-1"}});
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(workflows_.load_exception(id).value()->status, ExceptionStatus::open);
  // A minute on, that request is taken for dead: this one runs.
  clock_->advance(61s);
  Answer done = post(target, ops, body, {{"Idempotency-Key", "d-1"}});
  ASSERT_EQ(done.status, 200) << done.text;
  EXPECT_EQ(done.body["status"], "discarded");
  EXPECT_EQ(done.body["resolution"], "duplicate of another ticket");
}

// --- pagination ----------------------------------------------------------------------------

TEST_F(ApiServerTest, ListsArePagedByCursorWithoutGapsOrRepeats) {
  const std::string reader = key("reader", Role::read_only);
  for (int i = 0; i < 5; ++i)
    start("failing", "case.opened", json::object(), "wf_p" + std::to_string(i));
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  for (;; ++pages) {
    Answer page = call(
        "GET", "/v1/exceptions?status=open&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor),
        reader);
    ASSERT_EQ(page.status, 200) << page.text;
    EXPECT_LE(page.body["data"].size(), 2u);
    for (const json& e : page.body["data"])
      EXPECT_TRUE(seen.insert(e["id"].get<std::string>()).second);
    if (page.body["next_cursor"].is_null()) break;
    cursor = page.body["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(pages, 2);  // 2 + 2 + 1
  Answer workflows = call("GET", "/v1/workflows?workflow=failing&status=failed&limit=3", reader);
  EXPECT_EQ(workflows.body["data"].size(), 3u);
  EXPECT_FALSE(workflows.body["next_cursor"].is_null());

  Answer bad = call("GET", "/v1/exceptions?limit=0&cursor=zz&status=closed", reader);
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body["invalid_params"].size(), 3u);  // every invalid parameter, not the first
}

// --- rate limits ---------------------------------------------------------------------------

class RateLimitedApiTest : public ApiServerTest {
 protected:
  RateLimitedApiTest() : ApiServerTest(ApiOptions{{1.0, 2}, 64 * 1024, 60, 1}) {}
};

TEST_F(RateLimitedApiTest, AKeyOverItsRateGets429WithRetryAfterAndOthersDoNot) {
  const std::string busy = key("busy", Role::read_only);
  const std::string other = key("other", Role::read_only);
  Answer a = call("GET", "/v1/workflows", busy);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.headers.get("RateLimit-Limit").value_or(""), "2");
  EXPECT_EQ(a.headers.get("RateLimit-Remaining").value_or(""), "1");
  EXPECT_EQ(call("GET", "/v1/workflows", busy).headers.get("RateLimit-Remaining").value_or(""),
            "0");
  Answer refused = call("GET", "/v1/workflows", busy);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.body["type"], "urn:weft:problem:rate-limited");
  EXPECT_EQ(refused.headers.get("Retry-After").value_or(""), "1");
  EXPECT_EQ(call("GET", "/v1/workflows", other).status, 200);  // per key
  clock_->advance(1s);
  EXPECT_EQ(call("GET", "/v1/workflows", busy).status, 200);
}

// --- bad input -----------------------------------------------------------------------------

TEST_F(ApiServerTest, BadInputGetsAClear4xxAndChangesNothing) {
  const std::string fin = key("fin-2", Role::finance_ops);
  const std::string admin = key("admin", Role::platform_admin);
  start("approving", "case.credit_requested", {{"amount", 5}}, "wf_b");
  start("failing", "case.opened", json::object(), "wf_c");
  const std::string approval = pending_approval().id;
  const std::string exception = open_exception_id();
  const std::string decision = "/v1/approvals/" + approval + "/decision";

  EXPECT_EQ(call("POST", decision, fin, "{\"decision\": \"approve\"").status,
            400);  // malformed JSON
  EXPECT_EQ(call("POST", decision, fin, "{\"decision\": \"appr\xff\"}").status,
            400);  // invalid UTF-8
  Answer types = post(decision, fin, {{"decision", 5}, {"comment", true}});
  EXPECT_EQ(types.status, 422);
  EXPECT_EQ(types.body["invalid_params"].size(), 2u);  // both fields
  Answer unknown = post(decision, fin, {{"decision", "approve"}, {"amount", 1}});
  EXPECT_EQ(unknown.status, 422);
  EXPECT_EQ(unknown.body["invalid_params"][0]["name"], "/");
  EXPECT_EQ(post(decision, fin, json::array()).status, 422);
  EXPECT_EQ(call("POST", decision, fin, std::string(70 * 1024, ' ')).status, 413);
  EXPECT_EQ(call("POST", decision, fin, "decision=approve",
                 {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            415);
  EXPECT_EQ(call("GET", "/v1/workflows", fin, "{}").status, 400);  // a GET takes no body
  EXPECT_EQ(post("/v1/exceptions/" + exception + "/discard", fin, {{"reason", ""}}).status, 422);
  EXPECT_EQ(post("/v1/replays", admin, json::object()).status, 422);  // nothing chosen
  EXPECT_EQ(post("/v1/replays", admin, {{"received_from", "yesterday"}}).status, 422);

  // Ids that try to escape: not found, or refused as parameters, never anything else.
  EXPECT_EQ(call("GET", "/v1/workflows/..%2F..%2Fetc%2Fpasswd", fin).status, 404);
  EXPECT_EQ(call("GET", "/v1/workflows/x'%20OR%20'1'%3D'1", fin).status, 404);
  EXPECT_EQ(call("GET", "/v1/exceptions/%F0%9F%92%A5", fin).status,
            404);                                                    // a valid emoji: just unknown
  EXPECT_EQ(call("GET", "/v1/exceptions/%FF%FE", fin).status, 400);  // not UTF-8
  EXPECT_EQ(call("GET", "/v1/exceptions/a%00b", fin).status, 400);   // a NUL
  EXPECT_EQ(call("GET", "/v1/exceptions/%zz", fin).status, 400);
  EXPECT_EQ(call("GET", "/v1/exceptions/" + std::string(300, 'x'), fin).status, 400);
  EXPECT_EQ(call("GET", "/v1/workflows?key=a&key=b", fin).status, 400);  // a repeated parameter
  EXPECT_EQ(
      post(decision, fin, {{"decision", "approve"}}, {{"Idempotency-Key", std::string(300, 'k')}})
          .status,
      400);

  EXPECT_EQ(workflows_.load_approval(approval).value()->status, "pending");
  EXPECT_EQ(workflows_.load_exception(exception).value()->status, ExceptionStatus::open);
  EXPECT_TRUE(audit_log().empty());
  EXPECT_EQ(events_added_, 0);
}

// --- events, replays, audit ----------------------------------------------------------------

TEST_F(ApiServerTest, EventsAreListedAndAReplayIsAuditedForPlatformAdmin) {
  const std::string admin = key("admin", Role::platform_admin);
  std::vector<NewRawEvent> batch;
  for (int i = 0; i < 3; ++i) {
    batch.push_back({"stripe", "evt_" + std::to_string(i), "invoice.paid", "cus_1", 1000, 2000, "c",
                     R"({"id":1})"});
  }
  ASSERT_TRUE(events_.append_raw_events(batch).ok());
  Answer raw = call("GET", "/v1/events?connector=stripe&limit=2", admin);
  ASSERT_EQ(raw.status, 200) << raw.text;
  EXPECT_EQ(raw.body["data"].size(), 2u);
  EXPECT_EQ(raw.body["data"][0]["body"]["id"], 1);
  Answer rest = call(
      "GET", "/v1/events?connector=stripe&cursor=" + raw.body["next_cursor"].get<std::string>(),
      admin);
  EXPECT_EQ(rest.body["data"].size(), 1u);
  EXPECT_EQ(call("GET", "/v1/events?kind=canonical", admin).status, 422);  // needs a key

  Answer replay = post("/v1/replays", admin, {{"key", "cus_1"}});
  ASSERT_EQ(replay.status, 202) << replay.text;
  EXPECT_EQ(events_added_, 1);
  Answer log = call("GET", "/v1/audit?action=replay", admin);
  ASSERT_EQ(log.status, 200);
  ASSERT_EQ(log.body["data"].size(), 1u);
  EXPECT_EQ(log.body["data"][0]["actor"], "admin");
  EXPECT_EQ(log.body["data"][0]["before"]["key"], "cus_1");
}

// --- xref ----------------------------------------------------------------------------------

TEST_F(ApiServerTest, TwoCustomersFoundToBeOneAreMergedOnceAndAudited) {
  const std::string ops = key("steward", Role::support_ops);
  IdentityWrites w;
  w.entities = {{"cus_a", "customer", 1000, ""},
                {"cus_b", "customer", 1000, ""},
                {"inv_1", "invoice", 1000, ""}};
  w.links = {{"customer", "stripe", "cus_1", "cus_a", "new", 1000},
             {"customer", "zendesk", "org_9", "cus_b", "new", 1000}};
  ASSERT_TRUE(identity_.write(w, 1000).ok());
  const json body = {{"kind", "customer"},
                     {"from", "cus_b"},
                     {"into", "cus_a"},
                     {"reason", "same company, two names"}};
  EXPECT_EQ(post("/v1/xref/merge", ops,
                 {{"kind", "customer"}, {"from", "cus_b"}, {"into", "inv_1"}, {"reason", "x"}})
                .status,
            422);
  EXPECT_EQ(post("/v1/xref/merge", ops,
                 {{"kind", "customer"}, {"from", "cus_zz"}, {"into", "cus_a"}, {"reason", "x"}})
                .status,
            404);
  Answer merged = post("/v1/xref/merge", ops, body);
  ASSERT_EQ(merged.status, 200) << merged.text;
  EXPECT_EQ(merged.body["links_moved"], 1);
  EXPECT_EQ(merged.body["by"], "steward");
  EXPECT_EQ(identity_.find_link("customer", "zendesk", "org_9").value()->canonical_id, "cus_a");
  EXPECT_EQ(post("/v1/xref/merge", ops, body).status, 409);  // merged already
  const auto log = audit_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "xref.merge");
  EXPECT_EQ(log[0].target, "cus_b");
}

// --- SLOs ----------------------------------------------------------------------------------

// GET /v1/slos: every SLO as the monitor last computed it, for every role, in the documented
// shape (the contract check of call()).
TEST_F(ApiServerTest, SlosAreListedAsLastComputedForEveryRole) {
  config::SloConfig fast;
  fast.name = "posted-fast";
  fast.workflow = "approving";
  fast.sla = "approval-to-erp";
  fast.objective = 0.99;
  config::SloConfig backlog;
  backlog.name = "failing-backlog";
  backlog.workflow = "failing";
  backlog.max_open = 5;
  slo::SloMetrics slo_metrics(registry_);
  slo::SloMonitor monitor({fast, backlog}, workflows_, *storage_.alerts, slo_metrics, clock_, {});
  ASSERT_TRUE(monitor.load().ok());

  EXPECT_EQ(call("GET", "/v1/slos", key("before", Role::read_only)).body, (json{{"data", json::array()}}));
  Transition t;
  t.sla_outcomes = {{"wf_late", "approving", "approval-to-erp", "key-late", clock_->unix_millis() - 1'000'000,
                     clock_->unix_millis(), true, std::nullopt}};
  ASSERT_TRUE(workflows_.apply(std::span<const Transition>(&t, 1)).ok());
  start("failing", "case.opened", json::object(), "wf_fail");
  ASSERT_TRUE(monitor.evaluate().ok());
  services_->slos = &monitor;

  for (Role r : all_roles()) {
    SCOPED_TRACE(to_string(r));
    Answer a = call("GET", "/v1/slos", key(std::string("slo-") + to_string(r), r));
    ASSERT_EQ(a.status, 200);
    ASSERT_EQ(a.body["data"].size(), 2u);
    const json& sla = a.body["data"][0];
    EXPECT_EQ(sla["name"], "posted-fast");
    EXPECT_EQ(sla["kind"], "sla");
    EXPECT_EQ(sla["state"], "breached");
    EXPECT_EQ(sla["ratio"], 0.0);
    EXPECT_EQ(sla["window"], "1h");
    EXPECT_EQ(sla["outcomes"], (json{{"met", 0}, {"breached", 1}}));
    const json& exceptions = a.body["data"][1];
    EXPECT_EQ(exceptions["kind"], "exceptions");
    EXPECT_EQ(exceptions["state"], "ok");
    EXPECT_EQ(exceptions["open_exceptions"], 1);
    EXPECT_EQ(exceptions["max_open"], 5);
    EXPECT_EQ(exceptions["links"]["exceptions"], "/v1/exceptions?status=open&workflow=failing");
  }
  services_->slos = nullptr;
}

// --- account status ------------------------------------------------------------------------

// A credit hold shows in the account's status as soon as the ERP's change is in the customer's
// record: no workflow stands between them.
TEST_F(ApiServerTest, AnAccountOnHoldSaysSoAtOnceWhateverIdItIsAskedBy) {
  const std::string reader = key("reader", Role::read_only);
  IdentityWrites w;
  w.entities = {{"cus_a", "customer", 1000, ""}};
  w.links = {{"customer", "stripe", "cus_1", "cus_a", "new", 1000},
             {"customer", "netsuite", "77", "cus_a", "new", 1000}};
  w.updates = {{"cus_a",
                "customer",
                "netsuite",
                "ce_hold",
                2000,
                0,
                {{"on_hold", "true"}, {"name", "\"Acme\""}}}};
  ASSERT_TRUE(identity_.write(w, 2000).ok());
  for (const char* ref : {"cus_a", "stripe:cus_1", "netsuite:77"}) {
    Answer status = call("GET", std::string("/v1/accounts/") + ref + "/status", reader);
    ASSERT_EQ(status.status, 200) << ref << ": " << status.text;
    EXPECT_EQ(status.body["account"]["id"], "cus_a");
    EXPECT_EQ(status.body["credit_hold"]["on_hold"], true) << status.text;
  }
  EXPECT_EQ(call("GET", "/v1/accounts/stripe:/status", reader).status, 400);  // no platform id
  EXPECT_EQ(call("GET", "/v1/accounts/stripe:cus_404/status", reader).status, 404);
  EXPECT_EQ(call("GET", "/v1/xref/customer/zendesk:1", reader).status, 404);
  Answer xref = call("GET", "/v1/xref/customer/stripe:cus_1", reader);
  ASSERT_EQ(xref.status, 200) << xref.text;
  EXPECT_EQ(xref.body["links"].size(), 2u);
}


// --- credit and refund requests ------------------------------------------------------------

const json kCredit = {{"ticket_id", "35436"},
                      {"invoice_id", "in_1PxQ"},
                      {"amount", 15000},
                      {"reason", "four hours of outage"}};

// A request is a canonical event in the log, routed like a platform's: it starts its workflow,
// whose approval carries the requester, who can never decide it — not even after moving to
// finance-ops. The same Idempotency-Key answers the same, and stores nothing twice.
TEST_F(ApiServerTest, ACreditRequestStartsItsWorkflowAndItsRequesterNeverDecidesIt) {
  const std::string agent = key("agent-1", Role::support_ops);
  const std::string finance = key("fin-1", Role::finance_ops);
  const HeaderList idem{{"Idempotency-Key", "credit-35436"}, {"X-Correlation-Id", "corr-credit-1"}};
  Answer accepted = post("/v1/credit-requests", agent, kCredit, idem);
  ASSERT_EQ(accepted.status, 202) << accepted.text;
  EXPECT_EQ(accepted.body["type"], "case.credit_requested");
  EXPECT_EQ(accepted.body["business_key"], "zen:ticket:35436");
  EXPECT_EQ(accepted.body["correlation_id"], "corr-credit-1");
  EXPECT_EQ(accepted.body["requested_by"], "agent-1");
  EXPECT_EQ(accepted.body["links"]["workflows"], "/v1/workflows?key=zen%3Aticket%3A35436");
  EXPECT_EQ(accepted.headers.get("Location").value_or(""), accepted.body["links"]["lineage"]);
  ASSERT_EQ(api_raw_events().size(), 1u);
  EXPECT_EQ(events_added_, 1);  // the pipeline is woken

  Answer again = post("/v1/credit-requests", agent, kCredit, idem);
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(again.text, accepted.text);
  EXPECT_EQ(again.headers.get("Idempotent-Replayed").value_or(""), "true");
  EXPECT_EQ(api_raw_events().size(), 1u);

  route();
  const auto events = workflows_.canonical_events("zen:ticket:35436", 10).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, accepted.body["event_id"]);
  const json event = json::parse(events[0].json);
  EXPECT_EQ(event["source_connector"], "api");
  EXPECT_EQ(event["payload"]["requested_by"], "agent-1");
  EXPECT_EQ(event["payload"]["invoice_id"], "in_1PxQ");
  EXPECT_EQ(event["payload"]["amount"], 15000);
  Answer started = call("GET", accepted.body["links"]["workflows"].get<std::string>(), agent);
  ASSERT_EQ(started.body["data"].size(), 1u);
  EXPECT_EQ(started.body["data"][0]["workflow"], "approving");
  EXPECT_EQ(started.body["data"][0]["status"], "waiting");
  const ApprovalRecord approval = pending_approval();
  EXPECT_EQ(approval.requested_by, "agent-1");
  EXPECT_EQ(approval.title, "Credit of 15000");

  // The requester moves to finance: a finance-ops key of the same name still may not decide.
  const std::string decision = "/v1/approvals/" + approval.id + "/decision";
  Answer own = post(decision, agent, {{"decision", "approve"}});
  EXPECT_EQ(own.status, 403);
  EXPECT_NE(own.body["detail"].get<std::string>().find("four-eyes"), std::string::npos);
  ASSERT_TRUE(api_store_
                  .revoke_key("agent-1", AuditRecord{0, clock_->unix_millis(), "test",
                                                     "key.revoke", "", "", "", ""})
                  .value());
  const std::string moved = key("agent-1", Role::finance_ops);
  Answer still_own = post(decision, moved, {{"decision", "approve"}});
  EXPECT_EQ(still_own.status, 403);
  EXPECT_NE(still_own.body["detail"].get<std::string>().find("four-eyes"), std::string::npos);
  Answer approved = post(decision, finance, {{"decision", "approve"}, {"comment", "agreed"}});
  ASSERT_EQ(approved.status, 200) << approved.text;
  executor_->run_due();
  EXPECT_EQ(invoker_.inputs.size(), 1u);  // the credit memo, once

  Answer lineage = call("GET", accepted.body["links"]["lineage"].get<std::string>(), finance);
  ASSERT_EQ(lineage.status, 200) << lineage.text;
  EXPECT_FALSE(lineage.body["entries"].empty());

  // Audited: who asked, for what (once: the replayed answer stored nothing new).
  const auto log = audit_log();  // the request, the key revoked, the decision
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].actor, "agent-1");
  EXPECT_EQ(log[0].action, "credit.request");
  EXPECT_EQ(log[0].target, accepted.body["event_id"]);
  EXPECT_EQ(json::parse(log[0].after_json)["request"], kCredit);
  EXPECT_EQ(log[0].correlation_id, "corr-credit-1");
  EXPECT_EQ(log[2].action, "approval.decide");
}

// A replay of the request routes it to the same event and instance: nothing starts twice.
TEST_F(ApiServerTest, AReplayedRequestStartsNothingTwice) {
  const std::string agent = key("agent-2", Role::support_ops);
  const std::string admin = key("admin", Role::platform_admin);
  ASSERT_EQ(post("/v1/credit-requests", agent, kCredit).status, 202);
  route();
  ASSERT_EQ(post("/v1/replays", admin, {{"connector", "api"}}).status, 202);
  route();
  EXPECT_EQ(workflows_.canonical_events("zen:ticket:35436", 10).value().size(), 1u);
  EXPECT_EQ(workflows_.pending_approvals().value().size(), 1u);
  // A second request (no Idempotency-Key) is a new request: its own event and instance (which
  // waits for the ticket's first one, as instances of one key run in order).
  ASSERT_EQ(post("/v1/credit-requests", agent, kCredit).status, 202);
  route();
  EXPECT_EQ(workflows_.canonical_events("zen:ticket:35436", 10).value().size(), 2u);
  EXPECT_EQ(call("GET", "/v1/workflows?key=zen%3Aticket%3A35436", agent).body["data"].size(), 2u);
}

TEST_F(ApiServerTest, ARefundRequestNeedsNoAmountAndStartsTheRefundWorkflow) {
  const std::string agent = key("agent-3", Role::support_ops);
  Answer accepted = post("/v1/refund-requests", agent,
                         {{"ticket_id", "77"}, {"invoice_id", "in_9"}, {"reason", "charged twice"}});
  ASSERT_EQ(accepted.status, 202) << accepted.text;
  EXPECT_EQ(accepted.body["type"], "case.refund_requested");
  route();
  const ApprovalRecord approval = pending_approval();
  EXPECT_EQ(approval.title, "Refund on ticket 77");
  EXPECT_EQ(approval.requested_by, "agent-3");
  const auto events = workflows_.canonical_events("zen:ticket:77", 10).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(json::parse(events[0].json)["payload"]["amount"].is_null());  // everything left
  EXPECT_EQ(audit_log().at(0).action, "refund.request");
}

// support-ops and platform-admin ask; finance-ops approves what they ask, and read-only reads.
TEST_F(ApiServerTest, OnlySupportOpsAndPlatformAdminMayRequest) {
  const json refund = {{"ticket_id", "78"}, {"invoice_id", "in_9"}, {"amount", 100}, {"reason", "r"}};
  for (Role r : all_roles()) {
    SCOPED_TRACE(to_string(r));
    const std::string k = key(std::string("req-") + to_string(r), r);
    const bool asks = r == Role::support_ops || r == Role::platform_admin;
    for (const auto& [target, body] : {std::pair{"/v1/credit-requests", kCredit},
                                       std::pair{"/v1/refund-requests", refund}}) {
      Answer a = post(target, k, body);
      EXPECT_EQ(a.status, asks ? 202 : 403) << target << ": " << a.text;
    }
  }
  EXPECT_EQ(api_raw_events().size(), 4u);
}

// Malformed input is refused at once, every invalid field listed, and nothing is stored.
TEST_F(ApiServerTest, EveryWrongRequestFieldIsListedAndNothingIsStored) {
  const std::string agent = key("agent-4", Role::support_ops);
  Answer bad = post("/v1/credit-requests", agent,
                    {{"ticket_id", "../35436"},
                     {"invoice_id", "inv_1"},
                     {"amount", 0},
                     {"reason", ""},
                     {"requested_by", "someone-else"}});
  ASSERT_EQ(bad.status, 422) << bad.text;
  EXPECT_EQ(bad.body["type"], "urn:weft:problem:validation");
  std::set<std::string> names;
  for (const json& p : bad.body["invalid_params"]) names.insert(p["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"/", "/ticket_id", "/invoice_id", "/amount", "/reason"}))
      << bad.text;
  Answer missing = post("/v1/credit-requests", agent, json::object());
  EXPECT_EQ(missing.status, 422);
  EXPECT_GE(missing.body["invalid_params"].size(), 1u);
  EXPECT_EQ(post("/v1/credit-requests", agent, {{"ticket_id", 35436}, {"invoice_id", "in_1"},
                                                {"amount", 1.5}, {"reason", "r"}})
                .body["invalid_params"]
                .size(),
            2u);  // the ticket id is text, the amount whole minor units
  EXPECT_EQ(post("/v1/refund-requests", agent,
                 {{"ticket_id", "1"}, {"invoice_id", "in_1"}, {"amount", -5}, {"reason", "r"}})
                .status,
            422);
  EXPECT_EQ(call("POST", "/v1/refund-requests", agent, "{\"ticket_id\": ").status, 400);
  EXPECT_TRUE(api_raw_events().empty());
  EXPECT_TRUE(audit_log().empty());
  EXPECT_EQ(events_added_, 0);
}


// A deployment that made an event's schema stricter (schemas_dir) has requests checked against
// it too, before anything is stored: the pipeline would refuse the event otherwise.
const canonical::EventSchemas& short_reason_schemas() {
  static const canonical::EventSchemas schemas =
      canonical::EventSchemas::load(
          std::nullopt,
          {{"events/case.credit_requested.v1.json", json::parse(R"({
              "$schema": "http://json-schema.org/draft-07/schema#",
              "allOf": [{"$ref": "../common.v1.json#/definitions/case_fields"},
                        {"type": "object", "required": ["requested_by"],
                         "properties": {"reason": {"type": "string", "maxLength": 10}}}]})")}})
          .value();
  return schemas;
}

class StricterSchemaApiTest : public ApiServerTest {
 protected:
  StricterSchemaApiTest() : ApiServerTest({}, short_reason_schemas()) {}
};

TEST_F(StricterSchemaApiTest, ARequestBreakingTheDeploymentsEventSchemaIs422AndNothingIsStored) {
  const std::string agent = key("agent-5", Role::support_ops);
  Answer refused = post("/v1/credit-requests", agent, kCredit);  // a 20-character reason
  ASSERT_EQ(refused.status, 422) << refused.text;
  ASSERT_EQ(refused.body["invalid_params"].size(), 1u);
  EXPECT_EQ(refused.body["invalid_params"][0]["name"], "/reason");
  EXPECT_NE(refused.body["invalid_params"][0]["reason"].get<std::string>().find(
                "events/case.credit_requested.v1.json"),
            std::string::npos);
  EXPECT_TRUE(api_raw_events().empty());
  EXPECT_TRUE(audit_log().empty());
  json brief = kCredit;
  brief["reason"] = "outage";
  EXPECT_EQ(post("/v1/credit-requests", agent, brief).status, 202);
}

}  // namespace
}  // namespace weft::api

namespace weft::api {
namespace {

// --- reconciliation ------------------------------------------------------------------------

class ReconciliationApiTest : public ApiServerTest {
 protected:
  // GET of a run until it is no longer running (it is read on the service's thread).
  Answer finished(const std::string& link, const std::string& bearer) {
    Answer a;
    for (int i = 0; i < 1000; ++i) {
      a = call("GET", link, bearer);
      if (a.status != 200 || a.body["status"] != "running") return a;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "the run is still running: " << a.text;
    return a;
  }
  void platforms_with_one_difference() {
    std::lock_guard lock(invoker_.platforms_mutex);
    invoker_.billing = json::array(
        {{{"id", "in_a"}, {"status", "open"}, {"currency", "usd"}, {"total", 1234}, {"amount_paid", 0}},
         {{"id", "in_b"}, {"status", "paid"}, {"currency", "jpy"}, {"total", 500}, {"amount_paid", 500}},
         {{"id", "in_c"}, {"status", "open"}, {"currency", "usd"}, {"total", 100}, {"amount_paid", 0}}});
    invoker_.erp = json::array(
        {{{"id", "7"}, {"externalid", "in_a"}, {"type", "CustInvc"}, {"foreigntotal", 12.34}, {"currency", "1"}},
         {{"id", "8"}, {"externalid", "in_c"}, {"type", "CustInvc"}, {"foreigntotal", 1}, {"currency", "1"}}});
  }
};

TEST_F(ReconciliationApiTest, ARunStartsInTheBackgroundAndReportsEveryInvoiceWithAVerdict) {
  const std::string finance = key("fin-1", Role::finance_ops);
  const std::string reader = key("reader", Role::read_only);
  platforms_with_one_difference();
  Answer started = post("/v1/reconciliations", finance,
                        {{"from", "2023-11-14T00:00:00Z"}, {"to", "2023-11-15T00:00:00Z"}});
  ASSERT_EQ(started.status, 202) << started.text;
  const std::string link = started.body["links"]["self"];
  EXPECT_EQ(started.headers.get("Location").value_or(""), link);
  EXPECT_EQ(started.body["requested_by"], "fin-1");
  EXPECT_EQ(started.body["from"], "2023-11-14T00:00:00.000Z");

  Answer run = finished(link, reader);
  ASSERT_EQ(run.status, 200) << run.text;
  EXPECT_EQ(run.body["status"], "completed") << run.text;
  EXPECT_EQ(run.body["summary"]["verdicts"]["matched"], 2);
  EXPECT_EQ(run.body["summary"]["verdicts"]["missing_in_erp"], 1);
  EXPECT_EQ(run.body["summary"]["differences"], 1);
  EXPECT_EQ(run.body["summary"]["currencies"]["usd"]["billed"], "13.34");
  EXPECT_EQ(run.body["summary"]["currencies"]["jpy"]["billed"], "500");
  EXPECT_EQ(run.body["summary"]["currencies"]["jpy"]["posted"], "0");
  ASSERT_EQ(run.body["lines"]["data"].size(), 3u);

  Answer missing = call("GET", link + "?verdict=missing_in_erp", reader);
  ASSERT_EQ(missing.status, 200);
  ASSERT_EQ(missing.body["lines"]["data"].size(), 1u);
  EXPECT_EQ(missing.body["lines"]["data"][0]["invoice_id"], "in_b");
  EXPECT_EQ(missing.body["lines"]["data"][0]["billing"]["total"], "500");

  Answer first = call("GET", link + "?limit=2", reader);
  ASSERT_EQ(first.body["lines"]["data"].size(), 2u);
  ASSERT_TRUE(first.body["lines"]["next_cursor"].is_string());
  Answer second = call("GET", link + "?limit=2&cursor=" + first.body["lines"]["next_cursor"].get<std::string>(), reader);
  ASSERT_EQ(second.body["lines"]["data"].size(), 1u);
  EXPECT_EQ(second.body["lines"]["data"][0]["invoice_id"], "in_c");
  EXPECT_TRUE(second.body["lines"]["next_cursor"].is_null());

  Answer list = call("GET", "/v1/reconciliations", reader);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["data"].size(), 1u);
  EXPECT_EQ(list.body["data"][0]["status"], "completed");

  auto log = audit_log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "reconciliation.start");
  EXPECT_EQ(log[0].actor, "fin-1");
}

TEST_F(ReconciliationApiTest, RunsAreListedNewestFirstInPages) {
  const std::string admin = key("admin", Role::platform_admin);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(post("/v1/reconciliations", admin, json::object()).status, 202);
    clock_->advance(1s);
  }
  Answer first = call("GET", "/v1/reconciliations?limit=2", admin);
  ASSERT_EQ(first.body["data"].size(), 2u);
  EXPECT_GT(first.body["data"][0]["started_at"].get<std::string>(),
            first.body["data"][1]["started_at"].get<std::string>());
  Answer rest = call("GET", "/v1/reconciliations?limit=2&cursor=" + first.body["next_cursor"].get<std::string>(), admin);
  ASSERT_EQ(rest.body["data"].size(), 1u);
  EXPECT_TRUE(rest.body["next_cursor"].is_null());
  // Without a period, the last 24 hours.
  EXPECT_EQ(rest.body["data"][0]["to"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(rest.body["data"][0]["from"], "2023-11-13T22:13:20.000Z");
}

TEST_F(ReconciliationApiTest, OnlyFinanceOpsAndPlatformAdminStartRuns) {
  EXPECT_EQ(post("/v1/reconciliations", key("s", Role::support_ops), json::object()).status, 403);
  EXPECT_EQ(post("/v1/reconciliations", key("r", Role::read_only), json::object()).status, 403);
  EXPECT_EQ(call("GET", "/v1/reconciliations", key("s2", Role::support_ops)).status, 200);
  EXPECT_TRUE(reconciliations_.list_runs("", 10).value().empty());
}

TEST_F(ReconciliationApiTest, ABadPeriodIs422ListingEveryFieldAndStoresNothing) {
  const std::string finance = key("fin-1", Role::finance_ops);
  Answer both = post("/v1/reconciliations", finance, {{"from", "yesterday"}, {"to", "soon"}});
  ASSERT_EQ(both.status, 422) << both.text;
  ASSERT_EQ(both.body["invalid_params"].size(), 2u);
  EXPECT_EQ(both.body["invalid_params"][0]["name"], "/from");
  EXPECT_EQ(both.body["invalid_params"][1]["name"], "/to");
  Answer backwards = post("/v1/reconciliations", finance,
                          {{"from", "2023-11-15T00:00:00Z"}, {"to", "2023-11-14T00:00:00Z"}});
  ASSERT_EQ(backwards.status, 422);
  EXPECT_EQ(backwards.body["invalid_params"][0]["name"], "/from");
  EXPECT_EQ(post("/v1/reconciliations", finance, {{"since", "x"}}).status, 422) << "not in the schema";
  EXPECT_TRUE(reconciliations_.list_runs("", 10).value().empty());
  EXPECT_TRUE(audit_log().empty());
}

TEST_F(ReconciliationApiTest, AnUnknownRunIs404AndAnUnknownVerdict422) {
  const std::string reader = key("reader", Role::read_only);
  EXPECT_EQ(call("GET", "/v1/reconciliations/rec_none", reader).status, 404);
  Answer bad = call("GET", "/v1/reconciliations/rec_none?verdict=fine", reader);
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.body["invalid_params"][0]["name"], "verdict");
}

TEST_F(ReconciliationApiTest, ABillingPlatformThatRefusesFailsTheRunWithItsClassAndNoLines) {
  const std::string finance = key("fin-1", Role::finance_ops);
  platforms_with_one_difference();
  {
    std::lock_guard lock(invoker_.platforms_mutex);
    delivery::Failure refused;
    refused.cls = delivery::FailureClass::auth;
    refused.http_status = 401;
    refused.message = "Invalid API Key provided";
    invoker_.billing_refusal = refused;
  }
  Answer started = post("/v1/reconciliations", finance, json::object());
  ASSERT_EQ(started.status, 202);
  Answer run = finished(started.body["links"]["self"], finance);
  EXPECT_EQ(run.body["status"], "failed");
  EXPECT_EQ(run.body["error"], "auth: stripe.list_invoices: Invalid API Key provided");
  EXPECT_TRUE(run.body["summary"].is_null());
  EXPECT_TRUE(run.body["lines"]["data"].empty());
}

}  // namespace
}  // namespace weft::api
