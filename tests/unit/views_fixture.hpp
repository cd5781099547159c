#pragma once
// What the views tests share: platform events as the platforms send them, routed the way the
// pipeline routes them (shipped mappings, schema checks, identity resolution, one write per
// raw event) into an identity store — memory or SQLite — and the documents' JSON Schemas
// (components/schemas of api/openapi.json), against which every document a test reads is checked.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "api/openapi.hpp"
#include "core/time_format.hpp"
#include "engine/workflow_catalog.hpp"
#include "pipeline/identity_stage.hpp"
#include "pipeline/raw_event_router.hpp"
#include "store/memory/memory_identity_store.hpp"
#include "support/process.hpp"
#include "support/shipped_mappings.hpp"
#include "views/view_common.hpp"
#include "weft/workflow_store.hpp"

namespace weft::views::test {

using nlohmann::json;

inline std::int64_t ms(const char* rfc3339) { return parse_iso8601_ms(rfc3339).value(); }
inline std::int64_t unix_s(const char* rfc3339) { return ms(rfc3339) / 1000; }

// ---- Platform events, in each platform's wire shape (mappings/*.yaml read them) ----

inline json stripe_event(const std::string& id, const std::string& type, const char* at,
                         json object) {
  return {{"id", id},          {"object", "event"},
          {"type", type},      {"created", unix_s(at)},
          {"livemode", false}, {"data", {{"object", std::move(object)}}}};
}

inline json stripe_customer(const std::string& id, const std::string& name) {
  return {{"id", id},
          {"object", "customer"},
          {"name", name},
          {"email", "billing@acme.example"},
          {"phone", nullptr},
          {"currency", "usd"},
          {"balance", 0},
          {"delinquent", false},
          {"address", nullptr},
          {"metadata", json::object()},
          {"created", 1'700'000'000}};
}

// An open invoice as Stripe finalizes it; `due` may be null (charged automatically).
inline json stripe_invoice(const std::string& id, const std::string& customer, std::int64_t amount,
                           json due, const char* finalized_at) {
  return {{"id", id},
          {"object", "invoice"},
          {"number", "NR-" + id.substr(3)},
          {"customer", customer},
          {"subscription", nullptr},
          {"status", "open"},
          {"billing_reason", "manual"},
          {"collection_method", "send_invoice"},
          {"currency", "usd"},
          {"subtotal", amount},
          {"total", amount},
          {"amount_due", amount},
          {"amount_paid", 0},
          {"amount_remaining", amount},
          {"due_date", std::move(due)},
          {"period_start", 1'700'000'000},
          {"period_end", 1'700'000'000},
          {"hosted_invoice_url", nullptr},
          {"status_transitions", {{"finalized_at", unix_s(finalized_at)}, {"paid_at", nullptr}}},
          {"lines",
           {{"object", "list"},
            {"has_more", false},
            {"data",
             {{{"id", "il_" + id.substr(3)},
               {"amount", amount},
               {"currency", "usd"},
               {"description", "Widgets"},
               {"quantity", 1},
               {"price", {{"id", "price_w"}}}}}}}}};
}

inline json stripe_paid(json invoice, const char* paid_at) {
  invoice["status"] = "paid";
  invoice["amount_paid"] = invoice["amount_due"];
  invoice["amount_remaining"] = 0;
  invoice["status_transitions"]["paid_at"] = unix_s(paid_at);
  invoice["charge"] = "ch_1";
  invoice["payment_intent"] = "pi_1";
  return invoice;
}

inline json stripe_subscription(const std::string& id, const std::string& customer,
                                const std::string& status, const std::string& product,
                                int quantity) {
  return {{"id", id},
          {"object", "subscription"},
          {"customer", customer},
          {"status", status},
          {"currency", "usd"},
          {"cancel_at_period_end", false},
          {"cancel_at", nullptr},
          {"canceled_at", nullptr},
          {"ended_at", nullptr},
          {"items",
           {{"object", "list"},
            {"data",
             {{{"id", "si_" + id.substr(4)},
               {"quantity", quantity},
               {"current_period_start", 1'782'864'000},
               {"current_period_end", 1'785'542'400},
               {"price",
                {{"id", "price_" + product},
                 {"product", product},
                 {"recurring", {{"interval", "month"}}}}}}}}}}};
}

inline json zendesk_organization(const std::string& event_id, const char* at,
                                 const std::string& org, const std::string& name,
                                 const std::string& external_id) {
  return {
      {"type", "zen:event-type:organization.created"},
      {"id", event_id},
      {"time", at},
      {"subject", "zen:organization:" + org},
      {"detail", {{"id", org}, {"name", name}, {"external_id", external_id}, {"created_at", at}}},
      {"event", json::object()}};
}

inline json zendesk_ticket(const std::string& ticket, const std::string& org,
                           const std::string& status, json priority) {
  return {{"id", ticket},
          {"subject", "Widget broken"},
          {"status", status},
          {"priority", priority},
          {"type", "INCIDENT"},
          {"requester_id", "9001"},
          {"organization_id", org},
          {"assignee_id", nullptr},
          {"group_id", nullptr},
          {"external_id", nullptr},
          {"tags", json::array()},
          {"via", {{"channel", "web"}}},
          {"description", "It broke."},
          {"created_at", "2026-11-01T09:00:00Z"}};
}

inline json zendesk_event(const std::string& event_id, const std::string& type, const char* at,
                          json detail, json change = json::object()) {
  const std::string ticket = detail["id"].get<std::string>();
  return {{"type", "zen:event-type:" + type},
          {"id", event_id},
          {"time", at},
          {"subject", "zen:ticket:" + ticket},
          {"detail", std::move(detail)},
          {"event", std::move(change)}};
}

// Weft's SuiteScript relay: a NetSuite customer change; `hold` is creditHoldOverride.
inline json netsuite_customer(const std::string& event_id, const char* at, const std::string& id,
                              const std::string& external_id, const std::string& hold) {
  return {{"id", event_id},
          {"type", "customer.updated"},
          {"occurred_at", at},
          {"record_type", "customer"},
          {"record_id", id},
          {"external_id", external_id},
          {"changed_fields", {"creditHoldOverride"}},
          {"record",
           {{"companyName", "Acme Widgets Inc."},
            {"email", "ap@acme.example"},
            {"creditHoldOverride", {{"id", hold}, {"refName", hold}}},
            {"creditLimit", 1000},
            {"balance", 1500.5},
            {"overdueBalance", 200},
            {"currency", {{"id", "1"}, {"refName", "USA"}, {"symbol", "USD"}}},
            {"entityId", "CUST-" + id}}}};
}

inline json netsuite_invoice(const std::string& event_id, const char* at, const std::string& id,
                             const std::string& external_id, const std::string& customer) {
  return {{"id", event_id},
          {"type", "invoice.created"},
          {"occurred_at", at},
          {"record_type", "invoice"},
          {"record_id", id},
          {"external_id", external_id},
          {"record",
           {{"tranId", "INV" + id}, {"entity", {{"id", customer}}}, {"tranDate", "2026-11-02"}}}};
}

// ---- Routing and checking ----

enum class Backend { memory, sqlite };

inline std::string backend_name(const ::testing::TestParamInfo<Backend>& param) {
  return param.param == Backend::memory ? "Memory" : "Sqlite";
}

// Every violation of `document` against its schema in the /v1 OpenAPI document (the API's
// contract: what GET /v1/accounts/{id}/status, /v1/invoices/{id} and /v1/xref/… promise).
inline std::string violations(const std::string& view, const json& document) {
  static const std::map<std::string, std::string> component{{"account_status", "AccountStatus"},
                                                            {"invoice_status", "InvoiceStatus"},
                                                            {"xref_entity", "XrefEntity"}};
  std::string out;
  for (const auto& f : api::OpenApi::builtin().validate(component.at(view), document)) {
    out += f.name + ": " + f.reason + "\n";
  }
  return out;
}

class ViewsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::memory) {
      store_ = std::make_unique<MemoryIdentityStore>();
    } else {
      auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
      ASSERT_TRUE(storage.ok()) << storage.error().message;
      store_ = std::move(storage->identity);
    }
    auto schemas = std::make_shared<const canonical::EventSchemas>(weft::test::shipped_schemas());
    resolver_ = std::make_shared<const identity::Resolver>(*store_, config::IdentityConfig{});
    router_ = std::make_unique<pipeline::RawEventRouter>(
        // The shipped set lives as long as the process: shared without ownership.
        std::shared_ptr<const mapping::MappingSet>(std::shared_ptr<void>(),
                                                   &weft::test::shipped_mappings()),
        std::make_shared<engine::WorkflowCatalog>(),
        std::map<std::string, std::string, std::less<>>{
            {"stripe", "stripe"}, {"zendesk", "zendesk"}, {"netsuite", "netsuite"}},
        schemas, std::make_shared<const pipeline::IdentityStage>(resolver_, schemas));
  }

  // Routes one platform event as the pipeline does and writes what resolution planned.
  void route(const std::string& connector, const json& body) {
    RawEvent raw;
    raw.connector = connector;
    raw.event_id = body["id"].get<std::string>();
    raw.event_type = body["type"].get<std::string>();
    if (raw.event_type.starts_with("zen:event-type:")) raw.event_type.erase(0, 15);
    raw.body = body.dump();
    raw.seq = ++seq_;
    IdentityWrites writes;
    const auto routed = router_->route(raw, 1'000, &writes);
    ASSERT_FALSE(routed.error.has_value()) << routed.error->message;
    for (const auto& start : routed.record.starts) {
      for (const auto& e : start.open_exceptions)
        ADD_FAILURE() << connector << " " << raw.event_type << ": " << e.reason;
    }
    ASSERT_FALSE(routed.record.events.empty())
        << connector << " " << raw.event_type << " mapped to nothing";
    auto written = store_->write(writes, 1'000);
    ASSERT_TRUE(written.ok()) << written.error().message;
  }

  // A view's document, checked against its schema; a failure is reported and gives null.
  template <class View>
  json document(const std::string& schema, View view) {
    auto result = view();
    if (!result.ok()) {
      ADD_FAILURE() << to_string(result.error().code) << ": " << result.error().message;
      return nullptr;
    }
    EXPECT_EQ(violations(schema, *result), "") << result->dump(2);
    return *result;
  }

  // The error code and message of a view that must fail.
  template <class View>
  ViewError error(View view) {
    auto result = view();
    if (result.ok()) {
      ADD_FAILURE() << "expected an error, got " << result->dump();
      return {};
    }
    return result.error();
  }

  std::string canonical_id(const std::string& kind, const std::string& connector,
                           const std::string& platform_id) {
    auto link = store_->find_link(kind, connector, platform_id);
    EXPECT_TRUE(link.ok() && link->has_value()) << kind << " " << connector << ":" << platform_id;
    return link.ok() && link->has_value() ? (*link)->canonical_id : std::string();
  }

  IdentityStore& store() { return *store_; }

  weft::test::TempDir dir_{"weft-views"};
  IdentityStorePtr store_;
  std::shared_ptr<const identity::Resolver> resolver_;
  std::unique_ptr<pipeline::RawEventRouter> router_;
  std::int64_t seq_ = 0;
};

}  // namespace weft::views::test
