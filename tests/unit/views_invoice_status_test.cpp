// The invoice status view: a Stripe invoice's balance, and its posting in NetSuite — the ERP
// invoice whose externalId is the Stripe invoice id resolves to the same canonical invoice —
// from the platforms' own events routed through the shipped mappings and identity resolution.
// Every document is checked against its schema in api/openapi.json.

#include "unit/views_fixture.hpp"
#include "views/invoice_status.hpp"

namespace weft::views::test {
namespace {

const std::int64_t kNow = ms("2026-12-03T12:00:00Z");

class InvoiceStatusTest : public ViewsTest {
 protected:
  void SetUp() override {
    ViewsTest::SetUp();
    route("stripe", stripe_event("evt_c1", "customer.created", "2026-11-01T08:00:00Z",
                                 stripe_customer("cus_1", "Acme Widgets")));
    invoice_ = stripe_invoice("in_1", "cus_1", 1000, unix_s("2026-11-20T00:00:00Z"),
                              "2026-11-05T00:00:00Z");
    route("stripe", stripe_event("evt_i1", "invoice.finalized", "2026-11-05T00:00:00Z", invoice_));
    customer_ = canonical_id("customer", "stripe", "cus_1");
    id_ = canonical_id("invoice", "stripe", "in_1");
  }

  json status(const std::string& reference) {
    return document("invoice_status", [&] { return invoice_status(store(), reference, kNow); });
  }

  json billing(json number, std::string status, std::int64_t paid, std::int64_t remaining,
               json paid_at, json overdue_days, const char* as_of, std::int64_t age) {
    return {{"connector", "stripe"},
            {"platform_id", "in_1"},
            {"number", std::move(number)},
            {"status", std::move(status)},
            {"currency", "usd"},
            {"total", 1000},
            {"amount_due", 1000},
            {"amount_paid", paid},
            {"amount_remaining", remaining},
            {"due_date", "2026-11-20T00:00:00Z"},
            {"paid_at", std::move(paid_at)},
            {"overdue_days", std::move(overdue_days)},
            {"freshness", {{"sources", {"stripe"}}, {"as_of", as_of}, {"age_seconds", age}}}};
  }

  json invoice_;
  std::string customer_, id_;
};

TEST_P(InvoiceStatusTest, AnIssuedInvoiceNotYetPostedIsOpenAndOverdueInBillingAndAbsentInTheErp) {
  EXPECT_EQ(status("stripe:in_1"),
            (json{{"invoice",
                   {{"id", id_}, {"links", {{{"connector", "stripe"}, {"platform_id", "in_1"}}}}}},
                  {"customer", {{"id", customer_}, {"name", "Acme Widgets"}}},
                  {"billing", billing("NR-1", "open", 0, 1000, nullptr, 13,
                                      "2026-11-05T00:00:00.000Z", 2'462'400)},
                  {"erp", nullptr},
                  {"as_of", "2026-12-03T12:00:00.000Z"}}));
}

TEST_P(InvoiceStatusTest, ThePostingInTheErpAndThePaymentShowOnTheSameInvoice) {
  route("netsuite", netsuite_invoice("ns-inv-1", "2026-11-06T00:00:00Z", "987", "in_1", "1234"));
  route("stripe", stripe_event("evt_i1p", "invoice.paid", "2026-11-21T00:00:00Z",
                               stripe_paid(invoice_, "2026-11-21T00:00:00Z")));
  EXPECT_EQ(canonical_id("invoice", "netsuite", "987"), id_) << "matched by its externalId";

  const json expected = {{"invoice",
                          {{"id", id_},
                           {"links",
                            {{{"connector", "netsuite"}, {"platform_id", "987"}},
                             {{"connector", "stripe"}, {"platform_id", "in_1"}}}}}},
                         {"customer", {{"id", customer_}, {"name", "Acme Widgets"}}},
                         // The record keeps one number, the newest: Stripe's (invoice.paid, 21 Nov)
                         // over NetSuite's tranId (6 Nov), so the ERP's shows null.
                         {"billing", billing("NR-1", "paid", 1000, 0, "2026-11-21T00:00:00Z",
                                             nullptr, "2026-11-21T00:00:00.000Z", 1'080'000)},
                         {"erp",
                          {{"connector", "netsuite"},
                           {"platform_id", "987"},
                           {"posted", true},
                           {"number", nullptr},
                           {"tran_date", "2026-11-02"},
                           {"freshness",
                            {{"sources", {"netsuite"}},
                             {"as_of", "2026-11-06T00:00:00.000Z"},
                             {"age_seconds", 2'376'000}}}}},
                         {"as_of", "2026-12-03T12:00:00.000Z"}};
  EXPECT_EQ(status(id_), expected);
  EXPECT_EQ(status("stripe:in_1"), expected);
  EXPECT_EQ(status("netsuite:987"), expected);
}

TEST_P(InvoiceStatusTest, ALateIssuedEventDoesNotUndoThePayment) {
  route("stripe", stripe_event("evt_i1p", "invoice.paid", "2026-11-21T00:00:00Z",
                               stripe_paid(invoice_, "2026-11-21T00:00:00Z")));
  // Stripe's invoice.created of the finalized invoice, delivered late: its time is the
  // finalization's.
  route("stripe", stripe_event("evt_i1c", "invoice.created", "2026-11-04T00:00:00Z", invoice_));
  const json billing = status("stripe:in_1")["billing"];
  EXPECT_EQ(billing["status"], "paid");
  EXPECT_EQ(billing["amount_remaining"], 0);
  EXPECT_EQ(billing["overdue_days"], nullptr);
}

TEST_P(InvoiceStatusTest, UnknownAndMalformedReferences) {
  EXPECT_EQ(error([&] { return invoice_status(store(), "stripe:in_404", kNow); }).code,
            ViewErrc::not_found);
  EXPECT_EQ(error([&] { return invoice_status(store(), customer_, kNow); }).code,
            ViewErrc::not_found);
  EXPECT_EQ(error([&] { return invoice_status(store(), "stripe:cus_1", kNow); }).code,
            ViewErrc::not_found)
      << "a customer's platform id names no invoice";
  EXPECT_EQ(error([&] { return invoice_status(store(), "in 1:x", kNow); }).code,
            ViewErrc::invalid_reference);
  EXPECT_EQ(error([&] { return invoice_status(store(), std::string("in_1\x7f"), kNow); }).code,
            ViewErrc::invalid_reference);
}

INSTANTIATE_TEST_SUITE_P(AllStores, InvoiceStatusTest,
                         ::testing::Values(Backend::memory, Backend::sqlite), backend_name);

}  // namespace
}  // namespace weft::views::test
