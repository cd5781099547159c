// The shipped service-credit workflow end to end: a Zendesk ticket asking for a credit against a
// Stripe invoice (tag service_credit_request, the invoice and the amount in custom fields, as
// the scenario's tickets ask) is created in `weft sandbox`'s Zendesk through its API, reaches
// the hub as the signed webhook, and the workflow issues the Stripe credit note, posts the
// NetSuite credit memo and writes the outcome back to the ticket. Also: the request delivered
// again and late, Stripe and NetSuite answering 429 and 5xx for a while, both down and back,
// a request over what is left on the invoice or naming another customer's invoice (exceptions
// with their reasons), and a request over the auto-approval limit, which waits for finance-ops
// and is approved through the /v1 API; a credit asked for through the API (POST
// /v1/credit-requests) on a plain ticket, which its requester may not approve.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "shipped_workflow_fixture.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The ticket fields of workflows/service-credit.yaml (and of the scenario's tickets).
constexpr std::int64_t kInvoiceField = 360000101;
constexpr std::int64_t kAmountField = 360000102;
constexpr std::int64_t kCreditNoteField = 360000103;

class ServiceCreditTest : public ShippedWorkflowTest {
 protected:
  ServiceCreditTest() : ShippedWorkflowTest("service-credit") {}

  // A customer in all three platforms, linked by the external-id convention; then an open
  // invoice of `cents` USD for it. Sets stripe_id_, organization_id_, netsuite_id_, invoice_.
  void customer_with_invoice(const std::string& name, std::int64_t cents) {
    const LinkedCustomer customer = hub_.linked_customer(name);
    stripe_id_ = customer.stripe_id;
    organization_id_ = customer.organization_id;
    netsuite_id_ = customer.netsuite_id;
    invoice_ = hub_.invoice(stripe_id_, cents, name);
  }


  // A ticket of the organization asking for `cents` against `invoice` (as a customer's form
  // would create it). Sets ticket_id_.
  void request_credit(const std::string& invoice, std::int64_t cents) {
    const json created = hub_.act("zendesk", "create_ticket",
                                  {{"subject", "Service credit request"},
                                   {"comment", {{"body", "We lost access for hours; please credit us."}}},
                                   {"organization_id", organization_id_},
                                   {"tags", {"service_credit_request"}},
                                   {"custom_fields", {{{"id", kInvoiceField}, {"value", invoice}},
                                                      {{"id", kAmountField}, {"value", cents}}}}},
                                  "test-ticket-" + invoice);
    ticket_id_ = created["ticket"]["id"];
  }

  // A ticket of the organization that asks for nothing itself (no tag, no fields): the
  // request comes through the API. Sets ticket_id_.
  void open_ticket(const std::string& subject) {
    const json created = hub_.act("zendesk", "create_ticket",
                                  {{"subject", subject},
                                   {"comment", {{"body", "Our service was down for hours."}}},
                                   {"organization_id", organization_id_}},
                                  "test-ticket-" + subject);
    ticket_id_ = created["ticket"]["id"];
  }

  json records(const std::string& platform, const std::string& kind) {
    return hub_.state()[platform].value(kind, json::array());
  }

  // What a credit of `cents` leaves everywhere: one issued credit note on the invoice, one
  // NetSuite credit memo with the credit note id as externalId and the amount in major
  // units, the ticket tagged and its credit note field set, one private outcome comment.
  void expect_credited_once(std::int64_t cents) {
    json notes = json::array();
    for (const json& note : records("stripe", "credit_notes")) {
      if (note["invoice"] == invoice_) notes.push_back(note);
    }
    ASSERT_EQ(notes.size(), 1u) << notes.dump();
    const json& note = notes[0];
    EXPECT_EQ(note["status"], "issued");
    EXPECT_EQ(note["amount"], cents);
    EXPECT_EQ(note["metadata"].value("zendesk_ticket_id", ""), std::to_string(ticket_id_));

    json memos = json::array();
    for (const json& memo : records("netsuite", "creditMemo")) {
      if (memo.value("externalId", json()) == note["id"]) memos.push_back(memo);
    }
    ASSERT_EQ(memos.size(), 1u) << memos.dump();
    EXPECT_EQ(memos[0]["entity"]["id"], netsuite_id_);
    EXPECT_EQ(memos[0]["currency"]["id"], "1");  // usd in the workflow's vars
    EXPECT_EQ(std::lround(memos[0]["total"].get<double>() * 100), cents);

    const json zendesk = hub_.state()["zendesk"];
    int tickets = 0;
    for (const json& ticket : zendesk["tickets"]) {
      if (ticket["id"] != ticket_id_) continue;
      ++tickets;
      EXPECT_NE(ticket["tags"].dump().find("service_credit_issued"), std::string::npos) << ticket["tags"].dump();
      bool field_set = false;
      for (const json& field : ticket["custom_fields"]) {
        if (field["id"] == kCreditNoteField) field_set = field["value"] == note["id"];
      }
      EXPECT_TRUE(field_set) << ticket["custom_fields"].dump();
    }
    EXPECT_EQ(tickets, 1);
    int outcome_comments = 0;
    for (const json& comment : zendesk["ticket_comments"][std::to_string(ticket_id_)]) {
      if (comment.value("body", "").starts_with("Service credit issued: Stripe credit note")) {
        ++outcome_comments;
        EXPECT_FALSE(comment.value("public", true));
        EXPECT_NE(comment["body"].get<std::string>().find(note["id"].get<std::string>()), std::string::npos);
      }
    }
    EXPECT_EQ(outcome_comments, 1);
    EXPECT_TRUE(hub_.open_exceptions("service-credit").empty());
  }

  // A request refused by a business rule: one open exception of the `fail` step `step`,
  // whose reason says `reason`, and nothing credited or posted.
  void expect_refused(const std::string& step, const std::string& reason) {
    const auto open = hub_.open_exceptions("service-credit");
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].step_id, step);
    EXPECT_EQ(open[0].failure_class, "validation");
    EXPECT_NE(open[0].reason.find(reason), std::string::npos) << open[0].reason;
    EXPECT_EQ(json::parse(open[0].context_json)["business_key"], "zen:ticket:" + std::to_string(ticket_id_));
    EXPECT_TRUE(records("stripe", "credit_notes").empty());
    EXPECT_TRUE(records("netsuite", "creditMemo").empty());
  }

  std::string stripe_id_;
  std::int64_t organization_id_ = 0;
  std::string netsuite_id_;
  std::string invoice_;
  std::int64_t ticket_id_ = 0;
};

TEST_F(ServiceCreditTest, ARequestUnderTheLimitIsCreditedPostedAndToldOnTheTicket) {
  customer_with_invoice("Credit Happy", 2500);
  ASSERT_NO_THROW(hub_.settle());
  request_credit(invoice_, 1000);
  ASSERT_NO_THROW(hub_.settle());
  expect_credited_once(1000);
  const auto instances = hub_.instances("service-credit");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::completed);
  EXPECT_EQ(instances[0].business_key, "zen:ticket:" + std::to_string(ticket_id_));
}

TEST_F(ServiceCreditTest, TheRequestDeliveredAgainAndLateCreditsNothingTwice) {
  customer_with_invoice("Credit Twice", 2500);
  ASSERT_NO_THROW(hub_.settle());
  request_credit(invoice_, 1000);
  ASSERT_NO_THROW(hub_.settle());

  // The same signed webhook again: the hub keeps one copy.
  const std::string created = hub_.raw_event("zendesk", "ticket.created").body;
  EXPECT_EQ(hub_.post_webhook("zendesk", created), 200);
  // An older copy of the request late (a relay that lagged; Zendesk's event ids derive from
  // the ticket's updated_at, so it is a new event): a new instance, which reads the ticket as
  // it is now (already credited) and does nothing.
  json late = json::parse(created);
  late["id"] = late["id"].get<std::string>() + "-late";
  late["detail"]["updated_at"] = "2020-01-01T00:00:00Z";
  EXPECT_EQ(hub_.post_webhook("zendesk", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());

  expect_credited_once(1000);
  const auto instances = hub_.instances("service-credit");
  EXPECT_EQ(instances.size(), 2u);
  for (const auto& instance : instances) EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
}

TEST_F(ServiceCreditTest, StripeAndNetSuiteAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  customer_with_invoice("Credit Flaky", 2500);
  ASSERT_NO_THROW(hub_.settle());
  hub_.flaky({"stripe", "netsuite"});
  request_credit(invoice_, 1000);
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("netsuite"), 0u) << "no fault injected";
  expect_credited_once(1000);
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());  // each keyed write once
}

TEST_F(ServiceCreditTest, StripeAndNetSuiteDownForAWhileThenBackCreditOnce) {
  customer_with_invoice("Credit Outage", 2500);
  ASSERT_NO_THROW(hub_.settle());
  hub_.down({"stripe", "netsuite"});
  request_credit(invoice_, 1000);
  std::this_thread::sleep_for(5s);
  EXPECT_TRUE(hub_.open_exceptions("service-credit").empty());
  for (const auto& instance : hub_.instances("service-credit")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("stripe"), 0u);
  expect_credited_once(1000);
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());  // each keyed write once
}

TEST_F(ServiceCreditTest, ARequestOverWhatIsLeftOnTheInvoiceIsAnExceptionWithItsReason) {
  customer_with_invoice("Credit Greedy", 2500);
  ASSERT_NO_THROW(hub_.settle());
  request_credit(invoice_, 3000);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("amount_over_remaining", "the requested credit is more than what is left to credit on the invoice");
}

TEST_F(ServiceCreditTest, AnInvoiceOfAnotherCustomerIsAnExceptionWithItsReason) {
  customer_with_invoice("Credit Other", 2500);
  const std::string others_invoice = invoice_;
  customer_with_invoice("Credit Asker", 2500);
  ASSERT_NO_THROW(hub_.settle());
  request_credit(others_invoice, 1000);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("not_the_customers_invoice",
                 "the invoice named on the ticket belongs to another Stripe customer than the ticket's organization");
}

// Over the limit the workflow waits for finance-ops and posts nothing; a finance-ops key then
// approves through /v1 (a support-ops key may not), and the credit note, the credit memo and
// the outcome on the ticket follow, once.
TEST_F(ServiceCreditTest, ARequestOverTheLimitWaitsForFinanceOpsThenPostsOnceApprovedThroughTheApi) {
  customer_with_invoice("Credit Large", 50000);
  ASSERT_NO_THROW(hub_.settle());
  request_credit(invoice_, 15000);  // 150.00 USD, over the 100.00 limit
  ASSERT_NO_THROW(hub_.settle());
  const auto instances = hub_.instances("service-credit");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::waiting);
  const auto pending = hub_.pending_approvals(instances[0].id);
  ASSERT_EQ(pending.size(), 1u);
  const std::string approval_id = pending[0].id;
  EXPECT_EQ(pending[0].step_id, "approval");
  EXPECT_EQ(pending[0].role, "finance-ops");
  EXPECT_NE(pending[0].title.find(std::to_string(ticket_id_)), std::string::npos) << pending[0].title;
  EXPECT_TRUE(records("stripe", "credit_notes").empty());
  EXPECT_TRUE(records("netsuite", "creditMemo").empty());
  EXPECT_TRUE(hub_.open_exceptions("service-credit").empty());

  // The approval asks for finance-ops: a support-ops key is refused.
  const HttpResponse refused =
      hub_.decide(approval_id, hub_.api_key("support-agent", "support-ops"), {{"decision", "approve"}});
  EXPECT_EQ(refused.status, 403) << refused.body;
  const HttpResponse approved =
      hub_.decide(approval_id, hub_.api_key("finance-lead", "finance-ops"),
                  {{"decision", "approve"}, {"comment", "contract section 4.2"}}, "approve-" + approval_id);
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(json::parse(approved.body)["decided_by"], "finance-lead");
  ASSERT_NO_THROW(hub_.settle());
  expect_credited_once(15000);
  EXPECT_EQ(hub_.instances("service-credit")[0].status, InstanceStatus::completed);
}


// Through the API: a support-ops key asks for a credit over the limit on a ticket that asks for
// nothing itself. The request waits for finance-ops; the requester's key may not approve it
// (four-eyes); a finance-ops key does, and the credit note, the credit memo and the outcome on
// the ticket follow, once. The request sent again under its Idempotency-Key changes nothing; a
// new request on the credited ticket is refused with its reason.
TEST_F(ServiceCreditTest, ACreditAskedThroughTheApiWaitsForFinanceOpsAndItsRequesterCannotApproveIt) {
  customer_with_invoice("Credit Api", 50000);
  open_ticket("Outage on Monday");
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(hub_.instances("service-credit").empty());

  HttpClient api(hub_.hub_url());
  const std::string support = hub_.api_key("support-agent", "support-ops");
  const json request = {{"ticket_id", std::to_string(ticket_id_)},
                        {"invoice_id", invoice_},
                        {"amount", 15000},  // 150.00 USD, over the 100.00 limit
                        {"reason", "four hours of outage"}};
  const HeaderList asking{{"Authorization", "Bearer " + support}, {"Idempotency-Key", "credit-" + invoice_}};
  auto accepted = api.post("/v1/credit-requests", request.dump(), asking);
  ASSERT_TRUE(accepted.ok());
  ASSERT_EQ(accepted->status, 202) << accepted->body;
  const json answer = json::parse(accepted->body);
  EXPECT_EQ(answer["business_key"], "zen:ticket:" + std::to_string(ticket_id_));
  EXPECT_EQ(answer["requested_by"], "support-agent");
  ASSERT_NO_THROW(hub_.settle());
  auto again = api.post("/v1/credit-requests", request.dump(), asking);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 202);
  EXPECT_EQ(again->body, accepted->body);
  ASSERT_NO_THROW(hub_.settle());

  const auto instances = hub_.instances("service-credit");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::waiting);
  EXPECT_EQ(instances[0].trigger_event_id, answer["event_id"]);
  const auto pending = hub_.pending_approvals(instances[0].id);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].requested_by, "support-agent");
  EXPECT_NE(pending[0].title.find("minor units: 15000"), std::string::npos) << pending[0].title;
  EXPECT_TRUE(records("stripe", "credit_notes").empty());

  const HttpResponse own = hub_.decide(pending[0].id, support, {{"decision", "approve"}});
  EXPECT_EQ(own.status, 403) << own.body;
  EXPECT_NE(own.body.find("four-eyes"), std::string::npos) << own.body;
  const std::string finance = hub_.api_key("finance-lead", "finance-ops");
  const HttpResponse approved =
      hub_.decide(pending[0].id, finance, {{"decision", "approve"}, {"comment", "outage confirmed"}});
  ASSERT_EQ(approved.status, 200) << approved.body;
  ASSERT_NO_THROW(hub_.settle());
  expect_credited_once(15000);
  const json comments = hub_.state()["zendesk"]["ticket_comments"][std::to_string(ticket_id_)];
  bool told = false;
  for (const json& comment : comments) {
    told = told || comment.value("body", "").find("Requested through the API by support-agent: four hours of "
                                                  "outage") != std::string::npos;
  }
  EXPECT_TRUE(told) << comments.dump();
  auto workflows = api.get(answer["links"]["workflows"].get<std::string>(), {{"Authorization", "Bearer " + finance}});
  ASSERT_TRUE(workflows.ok());
  EXPECT_EQ(json::parse(workflows->body)["data"][0]["status"], "completed") << workflows->body;

  // One credit per ticket: another request on it is an exception saying so, and credits nothing.
  auto another = api.post("/v1/credit-requests", request.dump(), {{"Authorization", "Bearer " + support}});
  ASSERT_TRUE(another.ok());
  ASSERT_EQ(another->status, 202) << another->body;
  ASSERT_NO_THROW(hub_.settle());
  const auto open = hub_.open_exceptions("service-credit");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "already_credited");
  EXPECT_EQ(records("stripe", "credit_notes").size(), 1u);
}

}  // namespace
}  // namespace weft::test
