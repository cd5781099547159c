// The event pipeline: raw events → mappings → canonical events → workflow instances, with
// exceptions for what cannot be routed, all recorded together with "processed", and replays
// that change nothing. In memory, with a ManualClock and the executor driven by run_due().
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>

#include "engine/executor.hpp"
#include "pipeline/event_pipeline.hpp"
#include "store/memory/memory_identity_store.hpp"
#include "store/memory/memory_store.hpp"
#include "store/memory/memory_workflow_store.hpp"
#include "weft/manual_clock.hpp"

namespace weft::pipeline {
namespace {

using nlohmann::json;

constexpr const char* kMappings = R"yaml(
platform: stripe
version: 1
mappings:
  - event: invoice.paid
    jq: |
      {type: "invoice.paid", schema_version: 1, business_key: .data.object.customer,
       payload: {invoice: .data.object.id, amount: .data.object.amount_paid}}
  - event: invoice.updated
    jq: 'empty'
  - event: invoice.voided
    jq: 'error("cannot read a voided invoice")'
  - event: invoice.marked_uncollectible
    jq: |
      {type: "invoice.paid", schema_version: 1, business_key: .data.object.customer,
       payload: {invoice: 42, amount: 1}}
  - event: [customer.created, customer.updated]
    jq: |
      {type: "customer.upserted", schema_version: 1, business_key: .data.object.id,
       sequence: .data.object.version,
       payload: {customer_id: .data.object.id, external_id: .data.object.external_id,
                 name: .data.object.name}}
  - event: invoice.upcoming
    jq: |
      {type: "invoice.teleported", schema_version: 1, business_key: .data.object.customer, payload: {}}
  - event: charge.dispute.closed
    jq: |
      {type: "invoice.dispute_resolved", schema_version: 1, business_key: .data.object.customer,
       payload: {invoice: .data.object.invoice}}
)yaml";

constexpr const char* kPostPayment = R"yaml(
name: post-payment
version: 1
trigger:
  event: invoice.paid
  filter: '.payload.amount > 0'
steps:
  - id: post
    call: erp.create_customer_payment
    with: '{invoice: .event.payload.invoice, amount: .event.payload.amount}'
)yaml";

constexpr const char* kAwaitDispute = R"yaml(
name: await-dispute
version: 1
trigger:
  event: invoice.paid
  filter: '.payload.amount >= 1000'
steps:
  - id: resolved
    wait:
      event: {type: invoice.dispute_resolved, match: '.event.payload.invoice == .state.event.payload.invoice'}
      timeout: 7d
  - id: tell
    call: erp.add_note
    with: '{invoice: .event.payload.invoice}'
)yaml";

// A workflow whose key program fails on the event it is triggered by.
constexpr const char* kBadKey = R"yaml(
name: bad-key
version: 1
trigger:
  event: invoice.paid
  filter: '.payload.amount == 13'
  key: '.payload.invoice | error("no key for you")'
steps:
  - id: never
    call: erp.add_note
    with: '{}'
)yaml";

class RecordingInvoker : public engine::ActionInvoker {
 public:
  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    std::lock_guard lock(mutex_);
    calls.push_back(request);
    return engine::ActionSuccess{json{{"ok", true}}};
  }
  std::mutex mutex_;
  std::vector<engine::ActionRequest> calls;
};

// `version`: the platform's record version (the mapping's `sequence`); null: none.
NewRawEvent customer_event(const std::string& connector, const std::string& id, const std::string& customer,
                           const std::string& name, const json& external_id, const json& version = nullptr) {
  NewRawEvent e;
  e.connector = connector;
  e.event_id = id;
  e.event_type = "customer.created";
  e.business_key = customer;
  e.received_at_ms = 1'700'000'000'000;
  e.body = json{{"id", id},
                {"type", "customer.created"},
                {"data",
                 {{"object", {{"id", customer}, {"name", name}, {"external_id", external_id}, {"version", version}}}}}}
               .dump();
  return e;
}

NewRawEvent stripe_event(const std::string& id, const std::string& type, const std::string& customer,
                         const std::string& invoice, int amount) {
  NewRawEvent e;
  e.connector = "billing";
  e.event_id = id;
  e.event_type = type;
  e.business_key = customer;
  e.received_at_ms = 1'700'000'000'000;
  e.correlation_id = "corr-" + id;
  e.body = json{{"id", id},
                {"type", type},
                {"data", {{"object", {{"id", invoice}, {"customer", customer}, {"amount_paid", amount},
                                      {"invoice", invoice}}}}}}
               .dump();
  return e;
}

class EventPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mappings = mapping::MappingSet::from_sources({{"stripe.yaml", kMappings}});
    ASSERT_TRUE(mappings.ok()) << config::format_errors(mappings.error());
    auto catalog = std::make_shared<engine::WorkflowCatalog>();
    for (const char* text : {kPostPayment, kAwaitDispute, kBadKey}) {
      auto def = engine::load_definition(text, "wf.yaml", engine::ValidationOptions{});
      ASSERT_TRUE(def.ok()) << config::format_errors(def.error());
      ASSERT_TRUE(catalog->add(*def).ok());
    }
    catalog_ = catalog;
    // This test's mappings make payloads of their own: schemas that describe them.
    const json invoice_event = json::parse(R"({"type": "object", "required": ["invoice"],
                                               "properties": {"invoice": {"type": "string"}}})");
    // A customer event whose schema names its customer, for identity resolution.
    const json customer_event = json::parse(R"({"type": "object", "x-weft-identity": [
        {"kind": "customer", "platform_id": "/customer_id", "external_id": "/external_id",
         "name": "/name", "record": true}]})");
    auto schemas = canonical::EventSchemas::load(
        std::nullopt, {{"events/invoice.paid.v1.json", invoice_event},
                       {"events/invoice.dispute_resolved.v1.json", invoice_event},
                       {"events/customer.upserted.v1.json", customer_event}});
    ASSERT_TRUE(schemas.ok()) << config::format_errors(schemas.error());
    auto event_schemas = std::make_shared<const canonical::EventSchemas>(std::move(*schemas));
    // Names this alike are neither the same nor different: a person decides.
    config::IdentityConfig rules;
    rules.name_threshold = 0.999;
    rules.possible_duplicate = 0.5;
    router_ = std::make_unique<RawEventRouter>(
        std::make_shared<mapping::MappingSet>(std::move(*mappings)), catalog_,
        // "erp" stands for a second platform: another connector, the same mappings.
        std::map<std::string, std::string, std::less<>>{{"billing", "stripe"}, {"erp", "stripe"}}, event_schemas,
        std::make_shared<const IdentityStage>(std::make_shared<const identity::Resolver>(identity_, rules),
                                              event_schemas));
    executor_ = std::make_unique<engine::Executor>(workflows_, catalog_, invoker_, engine_metrics_, clock_,
                                                   engine::ExecutorOptions{1, 7, {}});
    ASSERT_TRUE(executor_->start(/*threads=*/false).ok());
    pipeline_ = std::make_unique<EventPipeline>(events_, workflows_, *router_, *executor_, pipeline_metrics_,
                                                clock_, PipelineOptions{2, {}, {}});
  }

  void append(const NewRawEvent& e) {
    ASSERT_TRUE(events_.append_raw_events(std::span<const NewRawEvent>(&e, 1)).ok());
  }

  // Routes every unprocessed event, then runs every due instance.
  void drain() {
    for (int i = 0; i < 100; ++i) {
      auto routed = pipeline_->run_once();
      ASSERT_TRUE(routed.ok()) << routed.error().message;
      if (*routed == 0) break;
    }
    executor_->run_due();
  }

  std::vector<InstanceRecord> instances(const std::string& workflow) {
    InstanceQuery q;
    q.workflow = workflow;
    return workflows_.query_instances(q).value();
  }
  std::vector<ExceptionRecord> open_exceptions() {
    return workflows_.query_exceptions(ExceptionQuery{ExceptionStatus::open, {}, {}, "", 100}).value();
  }
  double routed_count(const std::string& outcome) {
    return pipeline_metrics_.events_routed.with({"billing", outcome}).value();
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  metrics::Registry registry_;
  engine::EngineMetrics engine_metrics_{registry_};
  metrics::Gauge& unprocessed_ = registry_.gauge("weft_events_unprocessed", "test", {}).get();
  PipelineMetrics pipeline_metrics_{registry_, unprocessed_};
  MemoryStore events_;
  MemoryIdentityStore identity_;
  MemoryWorkflowStore workflows_{&events_, &identity_};
  RecordingInvoker invoker_;
  std::shared_ptr<const engine::WorkflowCatalog> catalog_;
  std::unique_ptr<RawEventRouter> router_;
  std::unique_ptr<engine::Executor> executor_;
  std::unique_ptr<EventPipeline> pipeline_;
};

TEST_F(EventPipelineTest, RawEventBecomesCanonicalEventAndCompletedInstance) {
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 500));
  drain();
  EXPECT_EQ(events_.count_unprocessed().value(), 0);

  const auto canonical = workflows_.canonical_events("cus_1", 10).value();
  ASSERT_EQ(canonical.size(), 1u);
  EXPECT_EQ(canonical[0].type, "invoice.paid");
  EXPECT_EQ(json::parse(canonical[0].json)["payload"]["amount"], 500);
  EXPECT_EQ(canonical[0].correlation_id, "corr-evt_1");

  const auto started = instances("post-payment");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].status, InstanceStatus::completed);
  EXPECT_EQ(started[0].business_key, "cus_1");
  EXPECT_EQ(started[0].trigger_event_id, canonical[0].id);
  EXPECT_EQ(started[0].id, RawEventRouter::instance_id(canonical[0].raw_seq, "post-payment", canonical[0].id));
  ASSERT_EQ(invoker_.calls.size(), 1u);
  EXPECT_EQ(invoker_.calls[0].input, (json{{"invoice", "in_1"}, {"amount", 500}}));
  EXPECT_EQ(invoker_.calls[0].correlation_id, "corr-evt_1");
  EXPECT_TRUE(instances("await-dispute").empty()) << "its filter wants 1000 or more";
  EXPECT_EQ(routed_count("routed"), 1);
}

// Instance ids lead with their raw event's place in the log, so that the indexes on them grow
// at their ends; and an id is the same for the same raw event, workflow and canonical event.
TEST_F(EventPipelineTest, InstanceIdsRunInTheOrderOfTheLog) {
  for (int i = 1; i <= 12; ++i) {
    const std::string n = std::to_string(i);
    append(stripe_event("evt_" + n, "invoice.paid", "cus_" + n, "in_" + n, 500));
  }
  drain();
  std::vector<std::pair<std::int64_t, std::string>> by_seq;  // raw seq → instance id
  for (int i = 1; i <= 12; ++i) {
    const auto canonical = workflows_.canonical_events("cus_" + std::to_string(i), 10).value();
    ASSERT_EQ(canonical.size(), 1u);
    char position[16];
    std::snprintf(position, sizeof position, "%012llx", static_cast<unsigned long long>(canonical[0].raw_seq));
    const std::string id = RawEventRouter::instance_id(canonical[0].raw_seq, "post-payment", canonical[0].id);
    EXPECT_EQ(id.substr(0, 15), std::string("wf_") + position);
    EXPECT_EQ(id.size(), 27u) << "as long as the ids of before";
    by_seq.emplace_back(canonical[0].raw_seq, id);
  }
  std::sort(by_seq.begin(), by_seq.end());
  std::vector<std::string> started;
  for (const InstanceRecord& r : instances("post-payment")) started.push_back(r.id);
  std::sort(started.begin(), started.end());
  ASSERT_EQ(started.size(), by_seq.size());
  for (std::size_t i = 0; i < started.size(); ++i) {
    EXPECT_EQ(started[i], by_seq[i].second) << "sorted by id is sorted by the log, at " << i;
  }
}

TEST_F(EventPipelineTest, TriggerFilterThatDoesNotMatchStartsNothing) {
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 0));
  drain();
  EXPECT_TRUE(instances("post-payment").empty());
  EXPECT_EQ(workflows_.canonical_events("cus_1", 10).value().size(), 1u) << "the fact is still recorded";
  EXPECT_TRUE(open_exceptions().empty());
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
}

TEST_F(EventPipelineTest, EventWithoutMappingOpensAnExceptionAndIsProcessed) {
  append(stripe_event("evt_1", "customer.deleted", "cus_1", "in_1", 0));
  drain();
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].failure_class, "mapping");
  EXPECT_NE(open[0].reason.find("no_mapping"), std::string::npos) << open[0].reason;
  EXPECT_TRUE(open[0].instance_id.empty());
  const json context = json::parse(open[0].context_json);
  EXPECT_EQ(context["event_id"], "evt_1");
  EXPECT_EQ(context["event_type"], "customer.deleted");
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
  EXPECT_EQ(routed_count("exception"), 1);
  EXPECT_EQ(engine_metrics_.exceptions_open.with({"mapping"}).value(), 1);
}

TEST_F(EventPipelineTest, FailingMappingOpensAnExceptionWithItsMessage) {
  append(stripe_event("evt_1", "invoice.voided", "cus_1", "in_1", 0));
  drain();
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].failure_class, "mapping");
  EXPECT_NE(open[0].reason.find("cannot read a voided invoice"), std::string::npos) << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["mapping"]["event"], "invoice.voided");
}

TEST_F(EventPipelineTest, EventBreakingItsSchemaOpensAnExceptionNamingTheSchemaPathAndTriggersNothing) {
  append(stripe_event("evt_1", "invoice.marked_uncollectible", "cus_1", "in_1", 0));
  drain();
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].failure_class, "schema");
  EXPECT_NE(open[0].reason.find("/invoice: is an integer, must be string "
                                "(events/invoice.paid.v1.json#/properties/invoice/type)"),
            std::string::npos)
      << open[0].reason;
  const json context = json::parse(open[0].context_json);
  EXPECT_EQ(context["schema"], "events/invoice.paid.v1.json");
  EXPECT_EQ(context["violations"][0]["instance_path"], "/invoice");
  EXPECT_EQ(context["canonical_event"]["payload"]["invoice"], 42);
  EXPECT_TRUE(instances("post-payment").empty());
  EXPECT_TRUE(workflows_.canonical_events("cus_1", 10).value().empty()) << "nothing is kept";
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
}

TEST_F(EventPipelineTest, EventOfATypeWithoutASchemaOpensAnException) {
  append(stripe_event("evt_1", "invoice.upcoming", "cus_1", "in_1", 0));
  drain();
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].failure_class, "schema");
  EXPECT_NE(open[0].reason.find("no schema for event type 'invoice.teleported' version 1"), std::string::npos)
      << open[0].reason;
  EXPECT_TRUE(workflows_.canonical_events("cus_1", 10).value().empty());
}

TEST_F(EventPipelineTest, OneCustomerOnTwoPlatformsGetsOneCanonicalIdAndOneRecord) {
  append(customer_event("billing", "evt_1", "cus_1", "Acme GmbH", "ACME-1"));
  append(customer_event("erp", "ns_1", "14", "ACME GmbH", "ACME-1"));  // the same external id
  append(customer_event("billing", "evt_2", "cus_2", "Globex", nullptr));
  drain();
  EXPECT_TRUE(open_exceptions().empty());

  auto canonical_id = [&](const std::string& key) {
    const auto stored = workflows_.canonical_events(key, 10).value();
    EXPECT_EQ(stored.size(), 1u) << key;
    return stored.empty() ? std::string() : json::parse(stored[0].json)["canonical_ids"].value("customer", "");
  };
  const std::string acme = canonical_id("cus_1");
  ASSERT_FALSE(acme.empty());
  EXPECT_EQ(canonical_id("14"), acme) << "matched by external id";
  EXPECT_NE(canonical_id("cus_2"), acme);

  const auto links = identity_.links_of(acme).value();
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].connector, "billing");
  EXPECT_EQ(links[1].connector, "erp");
  EXPECT_EQ(links[1].matched_by, "external_id");
  const auto record = identity_.load_record(acme).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->fields.at("external_id").value_json, "\"ACME-1\"");
}

// Three versions of one record in the same millisecond, arriving 1, 3, 2: the platform's
// sequence decides, so version 3 stands and the late version 2 does not overwrite it (without
// the sequence the first of a tie would have stayed).
TEST_F(EventPipelineTest, EventsOfOneSecondAreOrderedByThePlatformSequence) {
  append(customer_event("billing", "evt_1", "cus_1", "Acme v1", "ACME-1", 1));
  append(customer_event("billing", "evt_3", "cus_1", "Acme v3", "ACME-1", 3));
  append(customer_event("billing", "evt_2", "cus_1", "Acme v2", "ACME-1", 2));
  drain();
  EXPECT_TRUE(open_exceptions().empty());
  const auto stored = workflows_.canonical_events("cus_1", 10).value();
  ASSERT_EQ(stored.size(), 3u);
  const std::string id = json::parse(stored[0].json)["canonical_ids"].value("customer", "");
  const auto record = identity_.load_record(id).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->fields.at("name").value_json, "\"Acme v3\"");
  EXPECT_EQ(record->fields.at("name").platform_seq, 3);
}

TEST_F(EventPipelineTest, APossibleDuplicateOpensAnIdentityExceptionAndKeepsNothing) {
  // One batch: the duplicate's decisions are taken back, the event before it keeps its own.
  append(customer_event("billing", "evt_1", "cus_1", "Acme Widgets", nullptr));
  append(customer_event("erp", "ns_1", "14", "Acme Widgetz", nullptr));
  append(customer_event("billing", "evt_2", "cus_3", "Zebra Logistics", nullptr));
  drain();
  EXPECT_TRUE(identity_.find_link("customer", "billing", "cus_1").value().has_value());
  EXPECT_TRUE(identity_.find_link("customer", "billing", "cus_3").value().has_value());
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].failure_class, "identity");
  EXPECT_NE(open[0].reason.find("possible duplicate customer (erp 14)"), std::string::npos) << open[0].reason;
  const json context = json::parse(open[0].context_json);
  EXPECT_EQ(context["identity"]["record"]["name"], "Acme Widgetz");
  ASSERT_EQ(context["identity"]["candidates"].size(), 1u);
  EXPECT_TRUE(workflows_.canonical_events("14", 10).value().empty()) << "nothing is kept";
  EXPECT_FALSE(identity_.find_link("customer", "erp", "14").value().has_value()) << "no second customer";
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
}

TEST_F(EventPipelineTest, IgnoredEventIsProcessedWithoutException) {
  append(stripe_event("evt_1", "invoice.updated", "cus_1", "in_1", 0));
  drain();
  EXPECT_TRUE(open_exceptions().empty());
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
  EXPECT_EQ(routed_count("ignored"), 1);
}

TEST_F(EventPipelineTest, EventOfAConnectorNoLongerConfiguredOpensAnException) {
  NewRawEvent e = stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 5);
  e.connector = "old-billing";
  append(e);
  drain();
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].reason.find("old-billing"), std::string::npos);
  EXPECT_TRUE(instances("post-payment").empty());
}

TEST_F(EventPipelineTest, FailingTriggerKeyOpensAnExceptionNamingTheWorkflow) {
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 13));
  drain();
  const auto open = open_exceptions();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].failure_class, "trigger");
  EXPECT_EQ(open[0].workflow, "bad-key");
  EXPECT_NE(open[0].reason.find("no key for you"), std::string::npos) << open[0].reason;
  EXPECT_EQ(instances("post-payment").size(), 1u) << "other workflows still start";
}

TEST_F(EventPipelineTest, RoutingTheSameRawEventAgainWritesNothingNew) {
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 500));
  append(stripe_event("evt_2", "customer.deleted", "cus_1", "in_1", 0));
  drain();
  const auto raw = events_.query_raw_events(RawEventQuery{}).value();
  ASSERT_EQ(raw.size(), 2u);
  // A replay: route both again and record them again.
  std::vector<MappingRecord> again;
  for (const RawEvent& r : raw) again.push_back(router_->route(r, clock_->unix_millis()).record);
  auto outcomes = workflows_.record_mappings(again, IdentityWrites{}, clock_->unix_millis());
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ((*outcomes)[0].size(), 1u);
  EXPECT_EQ((*outcomes)[0][0], TransitionOutcome::duplicate);
  ASSERT_EQ((*outcomes)[1].size(), 1u);
  EXPECT_EQ((*outcomes)[1][0], TransitionOutcome::duplicate) << "the exception is open already";
  EXPECT_EQ(instances("post-payment").size(), 1u);
  EXPECT_EQ(workflows_.canonical_events("cus_1", 10).value().size(), 1u);
  EXPECT_EQ(open_exceptions().size(), 1u);
  EXPECT_EQ(invoker_.calls.size(), 1u);
}

TEST_F(EventPipelineTest, InstancesOfOneKeyStartInEventOrder) {
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 1));
  append(stripe_event("evt_2", "invoice.paid", "cus_1", "in_2", 2));
  append(stripe_event("evt_3", "invoice.paid", "cus_1", "in_3", 3));
  drain();
  ASSERT_EQ(invoker_.calls.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(invoker_.calls[static_cast<std::size_t>(i)].input["amount"], i + 1);
  auto started = instances("post-payment");
  std::sort(started.begin(), started.end(), [](auto& a, auto& b) { return a.order_seq < b.order_seq; });
  ASSERT_EQ(started.size(), 3u);
  EXPECT_LT(started[0].order_seq, started[1].order_seq);
  EXPECT_LT(started[1].order_seq, started[2].order_seq);
}

TEST_F(EventPipelineTest, CanonicalEventResumesAnInstanceWaitingForIt) {
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_9", 2000));
  drain();
  const auto waiting = instances("await-dispute");
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].status, InstanceStatus::waiting);

  append(stripe_event("evt_2", "charge.dispute.closed", "cus_1", "in_9", 0));
  drain();
  EXPECT_EQ(instances("await-dispute")[0].status, InstanceStatus::completed);
  bool noted = false;
  for (const auto& c : invoker_.calls) noted = noted || c.action == "add_note";
  EXPECT_TRUE(noted);
}

TEST_F(EventPipelineTest, StorageFailureLeavesEventsUnprocessedForTheNextRound) {
  FaultInjectingStore faulty(events_);
  EventPipeline pipeline(faulty, workflows_, *router_, *executor_, pipeline_metrics_, clock_, PipelineOptions{});
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 5));
  faulty.fail_with(StoreError{StoreErrc::unavailable, "disk went away"});
  auto routed = pipeline.run_once();
  ASSERT_FALSE(routed.ok());
  EXPECT_EQ(events_.count_unprocessed().value(), 1);
  EXPECT_TRUE(instances("post-payment").empty());

  faulty.fail_with(std::nullopt);
  ASSERT_EQ(pipeline.run_once().value(), 1u);
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
  EXPECT_EQ(instances("post-payment").size(), 1u);
}

TEST_F(EventPipelineTest, ThreadRoutesEventsWhenNotified) {
  pipeline_->start();
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 5));
  pipeline_->notify();
  for (int i = 0; i < 2000 && events_.count_unprocessed().value() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  pipeline_->stop();
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
  EXPECT_EQ(instances("post-payment").size(), 1u);
}

TEST_F(EventPipelineTest, ANewEventWaitsForTheOnesRightBehindItToShareItsBatch) {
  // A long linger, so that the two appends below fall inside it on any machine, and no poll
  // meanwhile (a poll maps what it finds at once).
  EventPipeline lingering(events_, workflows_, *router_, *executor_, pipeline_metrics_, clock_,
                          PipelineOptions{256, std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000),
                                          std::chrono::milliseconds(2000)});
  // What is in the log at start is a backlog, mapped at once without lingering; once its batch
  // is counted (just after its commit, which is what makes the event processed), the stage's
  // first pass is over (started later than the appends below, on a loaded machine, it would
  // have taken evt_1 as backlog too).
  append(stripe_event("evt_0", "invoice.paid", "cus_0", "in_0", 4));
  lingering.start();
  for (int i = 0; i < 10000 && pipeline_metrics_.batch_seconds.count() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(pipeline_metrics_.batch_seconds.count(), 1u);
  ASSERT_EQ(events_.count_unprocessed().value(), 0);
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 5));
  lingering.notify();
  append(stripe_event("evt_2", "invoice.paid", "cus_2", "in_2", 6));
  lingering.notify();
  append(stripe_event("evt_3", "invoice.paid", "cus_3", "in_3", 7));
  lingering.notify();
  for (int i = 0; i < 10000 && events_.count_unprocessed().value() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  lingering.stop();
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
  EXPECT_EQ(pipeline_metrics_.batch_seconds.count(), 2u);  // the backlog, then one for the three
  EXPECT_EQ(instances("post-payment").size(), 4u);
}


TEST_F(EventPipelineTest, DuringABurstOfIngestMappingWaitsAtMostItsMaximumDeferral) {
  PipelineOptions options{256, std::chrono::milliseconds(0), std::chrono::milliseconds(1000),
                          std::chrono::milliseconds(1000)};
  options.burst_commit = 32;
  options.burst_window = std::chrono::milliseconds(60'000);  // the burst goes on for the test
  options.burst_max_deferral = std::chrono::milliseconds(3000);
  EventPipeline giving_way(events_, workflows_, *router_, *executor_, pipeline_metrics_, clock_,
                           options);
  giving_way.start();
  giving_way.notify(64);  // a full group commit: a burst, before anything is in the log
  append(stripe_event("evt_1", "invoice.paid", "cus_1", "in_1", 5));
  giving_way.notify(64);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(events_.count_unprocessed().value(), 1) << "mapped during the burst";
  for (int i = 0; i < 10000 && events_.count_unprocessed().value() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(events_.count_unprocessed().value(), 0) << "not mapped once the deferral was up";

  // A trickle (commits of one event) is mapped at once.
  append(stripe_event("evt_2", "invoice.paid", "cus_2", "in_2", 6));
  giving_way.notify(1);
  for (int i = 0; i < 2000 && events_.count_unprocessed().value() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  giving_way.stop();
  EXPECT_EQ(events_.count_unprocessed().value(), 0);
  EXPECT_EQ(instances("post-payment").size(), 2u);
}

}  // namespace
}  // namespace weft::pipeline
