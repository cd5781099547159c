// The consistency checks of `weft scenario verify`, fed with hand-made sandbox states and
// request logs: a clean state passes; a duplicated customer, a doubled effect, a dangling
// link and an over-credited invoice are each caught by their check; workflow checks are
// skipped (not passed) when the workflow is not loaded. And the hub's /metrics as read.

#include <gtest/gtest.h>

#include "scenario/consistency_checks.hpp"
#include "scenario/hub_metrics.hpp"

namespace weft::scenario {
namespace {

using nlohmann::json;

json clean_state() {
  return json::parse(R"({
    "stripe": {
      "customers": [
        {"id": "cus_A", "email": "a@x.example", "metadata": {"scenario_customer": "c0001"}},
        {"id": "cus_B", "email": "b@y.example", "metadata": {"scenario_customer": "c0002"}}],
      "invoices": [
        {"id": "in_1", "customer": "cus_A", "status": "paid", "total": 12345, "currency": "usd"},
        {"id": "in_2", "customer": "cus_B", "status": "draft", "total": 500, "currency": "eur"}],
      "credit_notes": [{"id": "cn_1", "invoice": "in_1", "status": "issued", "total": 2000, "currency": "usd",
                        "metadata": {"zendesk_ticket_id": "10"}}],
      "charges": [{"id": "ch_1", "amount": 12345}],
      "refunds": [{"id": "re_1", "charge": "ch_1", "amount": 345, "currency": "usd", "status": "succeeded"}]
    },
    "netsuite": {
      "customer": [{"id": "101", "externalId": "cus_A"}, {"id": "102", "externalId": "cus_B"}],
      "invoice": [{"id": "201", "externalId": "in_1", "total": 123.45, "currency": {"id": "1", "refName": "USA"}}],
      "creditMemo": [{"id": "301", "externalId": "cn_1", "total": 20.0, "currency": "usd"}],
      "customerRefund": [{"id": "401", "externalId": "re_1", "total": 3.45, "currency": {"id": "1"}}]
    },
    "zendesk": {
      "organizations": [{"id": 1, "external_id": "cus_A"}, {"id": 2, "external_id": "cus_B"}],
      "tickets": [{"id": 10, "external_id": null, "tags": ["service_credit_request", "service_credit_issued"],
                   "custom_fields": [{"id": 360000101, "value": "in_1"}, {"id": 360000103, "value": "cn_1"}]},
                  {"id": 11, "external_id": null, "tags": ["invoice_dispute"]}]
    },
    "salesforce": {
      "Account": [{"Id": "001A", "External_Id__c": "cus_A"}, {"Id": "001B", "External_Id__c": "cus_B"}]
    }
  })");
}

json request(int seq, const char* platform, const char* path, const char* key, int status, bool replayed) {
  return {{"seq", seq}, {"platform", platform}, {"method", "POST"}, {"path", path}, {"idempotency_key", key},
          {"status", status}, {"replayed", replayed}, {"fault", nullptr}};
}

json clean_requests() {
  return {{"dropped", 0},
          {"requests", json::array({request(1, "stripe", "/v1/customers", "k1", 200, false),
                                    // a retry answered from the saved response: no new effect
                                    request(2, "stripe", "/v1/customers", "k1", 200, true),
                                    // a fault, then the retry that applied it
                                    request(3, "zendesk", "/api/v2/tickets.json", "k2", 503, false),
                                    request(4, "zendesk", "/api/v2/tickets.json", "k2", 201, false),
                                    // NetSuite logs an upsert's external id: two upserts are one record
                                    request(5, "netsuite", "/services/rest/record/v1/customer/eid:cus_A", "cus_A", 204, false),
                                    request(6, "netsuite", "/services/rest/record/v1/customer/eid:cus_A", "cus_A", 204, false)})}};
}

json webhooks(int pending = 0, int failed = 0) {
  return {{"hub_url", "http://127.0.0.1:7070"}, {"counts", {{"pending", pending}, {"failed", failed}, {"delivered", 9}}}};
}

ConsistencyInput input(json state, json requests = clean_requests(), std::set<std::string> workflows = {}) {
  return {std::move(state), std::move(requests), webhooks(), std::move(workflows)};
}

const Check& named(const Consistency& c, const std::string& name) {
  for (const Check& check : c.checks) {
    if (check.name == name) return check;
  }
  throw std::runtime_error("no check " + name + " in " + to_json(c).dump());
}

std::vector<std::string> failing(const Consistency& c) {
  std::vector<std::string> out;
  for (const Check& check : c.checks) {
    if (!check.ok) out.push_back(check.name);
  }
  return out;
}

TEST(ScenarioChecks, CleanStatePasses) {
  const Consistency c =
      check_consistency(input(clean_state(), clean_requests(),
                              {"invoice-posting", "service-credit", "credit-hold", "invoice-dispute", "refund",
                               "quote-to-cash", "replacement-order", "customer-sync"}));
  EXPECT_TRUE(c.ok()) << to_json(c).dump(2);
  EXPECT_TRUE(c.skipped.empty());
  EXPECT_EQ(named(c, "invoice-posting.stripe_invoices_posted_once").actual, 1);  // in_2 is a draft
  EXPECT_EQ(named(c, "service-credit.credit_notes_posted_once").actual, 1);
  EXPECT_EQ(named(c, "refund.refunds_posted_once").actual, 1);
  const json report = to_json(c);
  EXPECT_EQ(report["ok"], true);
  for (const json& check : report["checks"]) {
    for (const char* field : {"name", "ok", "expected", "actual"}) EXPECT_TRUE(check.contains(field)) << check;
  }
}

TEST(ScenarioChecks, EmptySandboxDoesNotPass) {
  const Consistency c = check_consistency(input(json::object(), {{"requests", json::array()}}));
  EXPECT_FALSE(c.ok());
  EXPECT_EQ(failing(c), std::vector<std::string>{"sandbox.scenario_present"});
}

TEST(ScenarioChecks, DuplicateCustomerIsCaughtOnEachPlatform) {
  json state = clean_state();
  state["stripe"]["customers"].push_back({{"id", "cus_C"}, {"email", "A@X.example"}});  // same email, other case
  state["zendesk"]["organizations"].push_back({{"id", 3}, {"external_id", "cus_A"}});
  state["salesforce"]["Account"].push_back({{"Id", "001C"}, {"External_Id__c", "cus_B"}});
  const Consistency c = check_consistency(input(state));
  EXPECT_EQ(failing(c), (std::vector<std::string>{"stripe.customers_unique_by_email",
                                                  "zendesk.organizations_unique_by_external_id",
                                                  "salesforce.accounts_unique_by_external_id",
                                                  "effects.salesforce_one_record_per_external_id"}));
  const Check& stripe = named(c, "stripe.customers_unique_by_email");
  EXPECT_EQ(stripe.actual, 1);
  EXPECT_EQ(stripe.examples[0]["key"], "a@x.example");
  EXPECT_EQ(stripe.examples[0]["records"], 2);
}

TEST(ScenarioChecks, EffectAppliedTwiceUnderOneKeyIsCaught) {
  json requests = clean_requests();
  requests["requests"].push_back(request(7, "stripe", "/v1/customers", "k1", 200, false));
  const Consistency c = check_consistency(input(clean_state(), requests));
  EXPECT_EQ(failing(c), std::vector<std::string>{"effects.applied_once_per_idempotency_key"});
  const Check& once = named(c, "effects.applied_once_per_idempotency_key");
  EXPECT_EQ(once.actual, 1);
  EXPECT_EQ(once.examples[0]["applied"], 2);
}

TEST(ScenarioChecks, DroppedLogEntriesFailTheCompletenessCheck) {
  json requests = clean_requests();
  requests["dropped"] = 12;
  const Consistency c = check_consistency(input(clean_state(), requests));
  EXPECT_EQ(failing(c), std::vector<std::string>{"sandbox.request_log_complete"});
}

TEST(ScenarioChecks, DanglingLinkAndMissingPlatformAreCaught) {
  json state = clean_state();
  state["netsuite"]["customer"][1]["externalId"] = "cus_GONE";
  const Consistency c = check_consistency(input(state));
  EXPECT_EQ(failing(c), (std::vector<std::string>{"links.resolve_to_stripe_customers",
                                                  "links.scenario_customers_on_every_platform"}));
  EXPECT_EQ(named(c, "links.resolve_to_stripe_customers").examples[0]["stripe_customer"], "cus_GONE");
}

TEST(ScenarioChecks, DoubledCreditNoteOrRefundIsCaught) {
  json state = clean_state();
  state["stripe"]["credit_notes"].push_back({{"id", "cn_2"}, {"invoice", "in_1"}, {"status", "issued"}, {"total", 12000}});
  state["stripe"]["refunds"].push_back({{"id", "re_2"}, {"charge", "ch_1"}, {"amount", 12345}, {"status", "succeeded"}});
  const Consistency c = check_consistency(input(state));
  EXPECT_EQ(failing(c), (std::vector<std::string>{"effects.stripe_credit_notes_within_invoice_total",
                                                  "effects.stripe_refunds_within_charge"}));
}

TEST(ScenarioChecks, WorkflowChecksAreSkippedWhenNotLoadedAndCompareWhenLoaded) {
  json state = clean_state();
  state["netsuite"]["invoice"][0]["total"] = 123.40;  // posted with the wrong amount
  const Consistency unloaded = check_consistency(input(state));
  EXPECT_TRUE(unloaded.ok());
  ASSERT_EQ(unloaded.skipped.size(), 9u);
  EXPECT_NE(unloaded.skipped[0].reason.find("not loaded"), std::string::npos);

  const Consistency loaded = check_consistency(input(state, clean_requests(), {"invoice-posting"}));
  EXPECT_EQ(failing(loaded), std::vector<std::string>{"invoice-posting.stripe_invoices_posted_once"});
  const Check& posted = named(loaded, "invoice-posting.stripe_invoices_posted_once");
  EXPECT_EQ(posted.expected, 1);
  EXPECT_EQ(posted.actual, 0);
  EXPECT_EQ(posted.examples[0]["netsuite_total"], 123.40);
}

TEST(ScenarioChecks, AHoldThatDidNotReachBillingIsCaught) {
  json state = clean_state();
  state["netsuite"]["customer"][0]["creditHoldOverride"] = {{"id", "ON"}, {"refName", "On"}};
  state["netsuite"]["customer"][1]["creditHoldOverride"] = "OFF";
  state["stripe"]["customers"][0]["metadata"]["credit_hold"] = "on";
  const Consistency held = check_consistency(input(state, clean_requests(), {"credit-hold"}));
  EXPECT_TRUE(held.ok());
  EXPECT_EQ(named(held, "credit-hold.holds_reached_billing").expected, 2);

  state["stripe"]["customers"][0]["metadata"].erase("credit_hold");  // the hold was lost on the way
  const Consistency lost = check_consistency(input(state, clean_requests(), {"credit-hold"}));
  EXPECT_EQ(failing(lost), std::vector<std::string>{"credit-hold.holds_reached_billing"});
  const Check& check = named(lost, "credit-hold.holds_reached_billing");
  EXPECT_EQ(check.actual, 1);
  EXPECT_EQ(check.examples[0]["stripe"], "cus_A");
  EXPECT_EQ(check.examples[0]["creditHoldOverride"], "ON");
}

TEST(ScenarioChecks, AReplacementTicketHasExactlyOneOutcome) {
  json state = clean_state();
  auto& tickets = state["zendesk"]["tickets"];
  tickets.push_back({{"id", 20}, {"tags", {"replacement_request", "replacement_ordered"}}});
  tickets.push_back({{"id", 21}, {"tags", {"replacement_request", "replacement_refused"}}});
  state["netsuite"]["salesOrder"] = json::array({{{"id", "401"}, {"externalId", "zd-20-replacement"}}});
  const Consistency good = check_consistency(input(state, clean_requests(), {"replacement-order"}));
  EXPECT_TRUE(good.ok()) << to_json(good).dump(2);
  EXPECT_EQ(named(good, "replacement-order.one_outcome_per_ticket").expected, 2);

  // Refused, yet ordered; an order doubled; a request left without an outcome.
  state["netsuite"]["salesOrder"].push_back({{"id", "402"}, {"externalId", "zd-21-replacement"}});
  state["netsuite"]["salesOrder"].push_back({{"id", "403"}, {"externalId", "zd-20-replacement"}});
  tickets.push_back({{"id", 22}, {"tags", {"replacement_request"}}});
  const Consistency bad = check_consistency(input(state, clean_requests(), {"replacement-order"}));
  EXPECT_EQ(failing(bad), (std::vector<std::string>{"effects.netsuite_one_record_per_external_id",
                                                    "replacement-order.one_outcome_per_ticket"}));
  const Check& check = named(bad, "replacement-order.one_outcome_per_ticket");
  EXPECT_EQ(check.expected, 3);
  EXPECT_EQ(check.actual, 0);
  ASSERT_EQ(check.examples.size(), 3u);
  EXPECT_EQ(check.examples[0]["netsuite_sales_orders"], 2);
  EXPECT_EQ(check.examples[1]["refused_tag"], true);
  EXPECT_EQ(check.examples[1]["netsuite_sales_orders"], 1);
  EXPECT_EQ(check.examples[2]["ordered_tag"], false);
  EXPECT_EQ(check.examples[2]["refused_tag"], false);
}

TEST(ScenarioChecks, CreditOutcomesMustMatchCreditNotesOnTickets) {
  const json clean = clean_state();
  const Consistency ok = check_consistency(input(clean, clean_requests(), {"service-credit"}));
  EXPECT_TRUE(ok.ok()) << to_json(ok).dump(2);
  EXPECT_EQ(named(ok, "service-credit.ticket_outcomes_match_credit_notes").actual, 1);

  json unwritten = clean;  // the credit note was issued, the ticket never told
  unwritten["zendesk"]["tickets"][0]["custom_fields"].erase(1);
  const Consistency missing = check_consistency(input(unwritten, clean_requests(), {"service-credit"}));
  EXPECT_EQ(failing(missing), std::vector<std::string>{"service-credit.ticket_outcomes_match_credit_notes"});
  EXPECT_EQ(named(missing, "service-credit.ticket_outcomes_match_credit_notes").examples[0]["credit_note"], "cn_1");

  json unbacked = clean;  // a ticket says issued, no credit note names it
  unbacked["zendesk"]["tickets"][1]["tags"].push_back("service_credit_issued");
  const Consistency orphan = check_consistency(input(unbacked, clean_requests(), {"service-credit"}));
  EXPECT_EQ(failing(orphan), std::vector<std::string>{"service-credit.ticket_outcomes_match_credit_notes"});
  const Check& check = named(orphan, "service-credit.ticket_outcomes_match_credit_notes");
  EXPECT_EQ(check.expected, 2);
  EXPECT_EQ(check.actual, 1);

  json voided = clean;  // a void credit note needs no outcome
  voided["stripe"]["credit_notes"][0]["status"] = "void";
  voided["zendesk"]["tickets"][0]["tags"] = json::array();
  EXPECT_TRUE(check_consistency(input(voided, clean_requests(), {"service-credit"})).ok());
}

// in_1 charged back (won) and disputed on a support ticket (open), both linked and written
// back as workflows/invoice-dispute.yaml does.
json disputed_state() {
  json state = clean_state();
  state["stripe"]["charges"][0]["invoice"] = "in_1";
  state["stripe"]["disputes"] = json::parse(R"([{"id": "dp_1", "charge": "ch_1", "status": "won"}])");
  state["stripe"]["invoices"][0]["metadata"] = json::parse(R"({
    "chargeback_dispute": "dp_1", "chargeback_zendesk_ticket": "12", "chargeback_status": "won",
    "chargeback_resolution": "Stripe closed the dispute: won",
    "dispute_zendesk_ticket": "13", "dispute_status": "open"})");
  json& erp = state["netsuite"]["invoice"][0];
  erp["custbody_weft_chargeback_ticket"] = "12";
  erp["custbody_weft_chargeback_status"] = "won";
  erp["custbody_weft_chargeback_resolution"] = "Stripe closed the dispute: won";
  erp["custbody_weft_dispute_ticket"] = "13";
  erp["custbody_weft_dispute_status"] = "open";
  erp["custbody_weft_dispute_resolution"] = nullptr;
  state["zendesk"]["tickets"].push_back(json::parse(R"({"id": 12, "external_id": "dp_1", "status": "open",
    "tags": ["invoice_dispute", "chargeback", "invoice_dispute_linked", "invoice_dispute_resolved"],
    "custom_fields": [{"id": 360000101, "value": "in_1"}]})"));
  state["zendesk"]["tickets"].push_back(json::parse(R"({"id": 13, "external_id": null, "status": "open",
    "tags": ["invoice_dispute", "invoice_dispute_linked"], "custom_fields": [{"id": 360000101, "value": "in_1"}]})"));
  return state;
}

TEST(ScenarioChecks, DisputesLinkedAndResolvedEverywherePass) {
  const Consistency c = check_consistency(input(disputed_state(), clean_requests(), {"invoice-dispute"}));
  EXPECT_TRUE(c.ok()) << to_json(c).dump(2);
  const Check& check = named(c, "invoice-dispute.linked_and_resolved_everywhere");
  EXPECT_EQ(check.expected, 2);
  EXPECT_EQ(check.actual, 2);
}

TEST(ScenarioChecks, AResolutionNotWrittenBackOrADisputeNotLinkedIsCaught) {
  json state = disputed_state();
  state["netsuite"]["invoice"][0].erase("custbody_weft_chargeback_resolution");  // lost on the way to NetSuite
  state["zendesk"]["tickets"][3]["status"] = "solved";                           // solved, never written back
  const Consistency c = check_consistency(input(state, clean_requests(), {"invoice-dispute"}));
  EXPECT_EQ(failing(c), std::vector<std::string>{"invoice-dispute.linked_and_resolved_everywhere"});
  const Check& check = named(c, "invoice-dispute.linked_and_resolved_everywhere");
  EXPECT_EQ(check.actual, 0);
  ASSERT_EQ(check.examples.size(), 2u);
  EXPECT_EQ(check.examples[0]["dispute"], "dp_1");
  EXPECT_EQ(check.examples[0]["problems"], json::array({"resolution missing in Stripe or NetSuite"}));
  EXPECT_EQ(check.examples[1]["ticket"], 13);
  EXPECT_NE(check.examples[1]["problems"].dump().find("invoice_dispute_resolved"), std::string::npos)
      << check.examples[1].dump();

  state = disputed_state();
  state["zendesk"]["tickets"].erase(2);  // the chargeback never got its ticket
  const Consistency without_ticket = check_consistency(input(state, clean_requests(), {"invoice-dispute"}));
  const Check& unlinked = named(without_ticket, "invoice-dispute.linked_and_resolved_everywhere");
  EXPECT_EQ(unlinked.actual, 1);
  EXPECT_EQ(unlinked.examples[0]["problems"], json::array({"no ticket with the dispute as external_id"}));
}

TEST(ScenarioChecks, ARefundNotPostedOnceWithItsAmountIsCaught) {
  json state = clean_state();
  // A failed refund gave nothing back: nothing to post.
  state["stripe"]["refunds"].push_back(
      {{"id", "re_failed"}, {"charge", "ch_1"}, {"amount", 100}, {"currency", "usd"}, {"status", "failed"}});
  const Consistency posted = check_consistency(input(state, clean_requests(), {"refund"}));
  EXPECT_TRUE(posted.ok()) << to_json(posted).dump(2);
  EXPECT_EQ(named(posted, "refund.refunds_posted_once").expected, 1);
  EXPECT_EQ(named(posted, "refund.refunds_posted_once").actual, 1);

  state["netsuite"]["customerRefund"][0]["total"] = 3.40;  // posted with the wrong amount
  EXPECT_EQ(failing(check_consistency(input(state, clean_requests(), {"refund"}))),
            std::vector<std::string>{"refund.refunds_posted_once"});
  state["netsuite"]["customerRefund"] = json::array();  // not posted
  const Consistency missing = check_consistency(input(state, clean_requests(), {"refund"}));
  EXPECT_EQ(failing(missing), std::vector<std::string>{"refund.refunds_posted_once"});
  EXPECT_EQ(named(missing, "refund.refunds_posted_once").examples[0]["stripe"], "re_1");
}

// Opportunities closed won: 006A billed (live subscription written back, one sales order),
// 006B failed for good (marked `exception`, its subscription canceled, no order); 006C lost.
json quote_to_cash_state() {
  json state = clean_state();
  state["salesforce"]["Opportunity"] = json::parse(R"([
    {"Id": "006A", "IsWon": true, "Stripe_Subscription_Id__c": "sub_1", "Weft_Billing_Status__c": "active"},
    {"Id": "006B", "IsWon": true, "Stripe_Subscription_Id__c": null, "Weft_Billing_Status__c": "exception"},
    {"Id": "006C", "IsWon": false}])");
  state["stripe"]["subscriptions"] = json::parse(R"([
    {"id": "sub_1", "status": "active", "metadata": {"salesforce_opportunity_id": "006A"}},
    {"id": "sub_2", "status": "canceled", "metadata": {"salesforce_opportunity_id": "006B"}},
    {"id": "sub_9", "status": "incomplete", "metadata": {}}])");
  state["netsuite"]["salesOrder"] = json::parse(R"([
    {"id": "401", "externalId": "sub_1", "item": {"items": [{"isClosed": false}]}},
    {"id": "409", "externalId": "sub_9", "item": {"items": [{"isClosed": false}]}}])");
  return state;
}

TEST(ScenarioChecks, ClosedWonOpportunitiesAreBilledOnceOrExceptions) {
  const std::string name = "quote-to-cash.closed_won_billed_once";
  const Consistency clean = check_consistency(input(quote_to_cash_state(), clean_requests(), {"quote-to-cash"}));
  EXPECT_TRUE(clean.ok()) << to_json(clean).dump(2);
  EXPECT_EQ(named(clean, name).expected, 2);
  EXPECT_EQ(named(clean, name).actual, 2);

  json state = quote_to_cash_state();
  state["stripe"]["subscriptions"][1]["status"] = "active";  // the failed run's subscription left live
  Consistency c = check_consistency(input(state, clean_requests(), {"quote-to-cash"}));
  EXPECT_EQ(failing(c), std::vector<std::string>{name});
  EXPECT_EQ(named(c, name).examples[0]["opportunity"], "006B");

  state = quote_to_cash_state();
  state["stripe"]["subscriptions"].push_back(
      {{"id", "sub_3"}, {"status", "active"}, {"metadata", {{"salesforce_opportunity_id", "006A"}}}});  // billed twice
  EXPECT_EQ(named(check_consistency(input(state, clean_requests(), {"quote-to-cash"})), name).actual, 1);

  state = quote_to_cash_state();
  state["netsuite"]["salesOrder"].push_back({{"id", "402"}, {"externalId", "sub_1"}});  // two orders
  EXPECT_EQ(named(check_consistency(input(state, clean_requests(), {"quote-to-cash"})), name).actual, 1);

  state = quote_to_cash_state();
  state["netsuite"]["salesOrder"].push_back(
      {{"id", "403"}, {"externalId", "sub_2"}, {"item", {{"items", json::array({{{"isClosed", false}}})}}}});
  c = check_consistency(input(state, clean_requests(), {"quote-to-cash"}));  // posted without billing
  EXPECT_EQ(named(c, name).actual, 2);
  EXPECT_FALSE(named(c, name).ok);
  EXPECT_EQ(named(c, name).examples[0]["open_sales_order"], "403");

  state = quote_to_cash_state();
  state["salesforce"]["Opportunity"][2]["IsWon"] = true;  // won, never billed, no exception
  EXPECT_EQ(failing(check_consistency(input(state, clean_requests(), {"quote-to-cash"}))),
            std::vector<std::string>{name});
}

TEST(ScenarioChecks, ACustomerMissingOrDoubledOnAPlatformIsCaughtByCustomerSync) {
  json state = clean_state();
  state["stripe"]["customers"].push_back({{"id", "cus_GONE"}, {"deleted", true}});  // deleted: not counted
  const Consistency synced = check_consistency(input(state, clean_requests(), {"customer-sync"}));
  EXPECT_TRUE(synced.ok());
  EXPECT_EQ(named(synced, "customer-sync.customers_on_every_platform").expected, 2);

  // A customer created outside the scenario with no Salesforce Account, and a second Zendesk
  // organization for cus_A: neither is once on every platform.
  state["stripe"]["customers"].push_back({{"id", "cus_C"}});
  state["netsuite"]["customer"].push_back({{"id", "103"}, {"externalId", "cus_C"}});
  state["zendesk"]["organizations"].push_back({{"id", 3}, {"external_id", "cus_C"}});
  state["zendesk"]["organizations"].push_back({{"id", 4}, {"external_id", "cus_A"}});
  const Consistency broken = check_consistency(input(state, clean_requests(), {"customer-sync"}));
  const Check& check = named(broken, "customer-sync.customers_on_every_platform");
  EXPECT_FALSE(check.ok);
  EXPECT_EQ(check.expected, 3);
  EXPECT_EQ(check.actual, 1);
  ASSERT_EQ(check.examples.size(), 2u);
  EXPECT_EQ(check.examples[0], (json{{"stripe_customer", "cus_A"},
                                     {"linked_records", {{"netsuite", 1}, {"zendesk", 2}, {"salesforce", 1}}}}));
  EXPECT_EQ(check.examples[1]["linked_records"]["salesforce"], 0);
}

TEST(ScenarioChecks, UndeliveredWebhooksFail) {
  ConsistencyInput in = input(clean_state());
  in.webhooks = webhooks(0, 2);
  EXPECT_EQ(failing(check_consistency(in)), std::vector<std::string>{"sandbox.webhooks_delivered"});
}

TEST(HubMetrics, ReadsWorkflowsExceptionsAndIdleness) {
  const std::string text =
      "# HELP weft_workflows_running Workflow instances not yet finished\n"
      "# TYPE weft_workflows_running gauge\n"
      "weft_workflows_running{workflow=\"service-credit\"} 2\n"
      "weft_workflows_running{workflow=\"invoice-posting\"} 0\n"
      "weft_workflows_total{workflow=\"service-credit\",status=\"completed\"} 14\n"
      "weft_workflows_total{workflow=\"service-credit\",status=\"failed\"} 1\n"
      "weft_exceptions_open{class=\"transient\"} 3\n"
      "weft_events_unprocessed 0\n"
      "weft_tasks_due 1\n"
      "weft_outbound_requests_total{connector=\"a\\\"b\",action=\"x\",outcome=\"success\"} 5\n";
  auto samples = parse_prometheus(text);
  ASSERT_TRUE(samples.ok()) << samples.error();
  EXPECT_EQ(samples->back().labels.at("connector"), "a\"b");
  const HubStatus status = hub_status(*samples);
  EXPECT_EQ(status.loaded(), (std::set<std::string>{"invoice-posting", "service-credit"}));
  EXPECT_EQ(status.workflows.at("service-credit"), (json{{"running", 2}, {"completed", 14}, {"failed", 1}}));
  EXPECT_EQ(status.workflows.at("invoice-posting"), (json{{"running", 0}}));
  EXPECT_EQ(status.exceptions_open.at("transient"), 3);
  EXPECT_FALSE(status.idle());  // a task is due
}

TEST(HubMetrics, ALineThatIsNotASampleIsAnError) {
  auto samples = parse_prometheus("weft_x 1\nweft_y{a=\"1\" 2\n");
  ASSERT_FALSE(samples.ok());
  EXPECT_NE(samples.error().find("line 2"), std::string::npos);
}

}  // namespace
}  // namespace weft::scenario
