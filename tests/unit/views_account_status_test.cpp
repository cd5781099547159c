// The account status view: one customer across Stripe, Zendesk and NetSuite, built by routing
// the platforms' own events through the shipped mappings and identity resolution, read by a
// canonical id or any platform's id, against the memory store and SQLite. Every document is
// checked against its schema in api/openapi.json.

#include <algorithm>

#include "unit/views_fixture.hpp"
#include "views/account_status.hpp"

namespace weft::views::test {
namespace {

const std::int64_t kNow = ms("2026-12-03T12:00:00Z");

class AccountStatusTest : public ViewsTest {
 protected:
  json status(const std::string& reference, std::int64_t now_ms = kNow) {
    return document("account_status", [&] { return account_status(store(), reference, now_ms); });
  }

  // Acme: a Stripe customer, its Zendesk organization and NetSuite customer (both carrying the
  // Stripe id as external id, Weft's convention).
  void acme() {
    route("stripe", stripe_event("evt_c1", "customer.created", "2026-11-01T08:00:00Z",
                                 stripe_customer("cus_1", "Acme Widgets")));
    route("zendesk", zendesk_organization("z-org-1", "2026-11-01T08:05:00Z", "361234",
                                          "Acme Widgets", "cus_1"));
    acme_ = canonical_id("customer", "stripe", "cus_1");
  }

  void ticket_created(const std::string& ticket, const char* at, const std::string& status,
                      json priority, const std::string& org = "361234") {
    route("zendesk", zendesk_event("z-" + ticket + "-new", "ticket.created", at,
                                   zendesk_ticket(ticket, org, status, std::move(priority))));
  }
  void ticket_status(const std::string& ticket, const char* at, const std::string& from,
                     const std::string& to) {
    route("zendesk", zendesk_event("z-" + ticket + "-" + to + "-" + at, "ticket.status_changed", at,
                                   zendesk_ticket(ticket, "361234", to, "NORMAL"),
                                   {{"current", to}, {"previous", from}}));
  }
  void credit_hold(const std::string& event_id, const char* at, const std::string& hold) {
    route("netsuite", netsuite_customer(event_id, at, "1234", "cus_1", hold));
  }

  std::string acme_;
};

TEST_P(AccountStatusTest, OneAnswerAcrossThePlatformsWithTheSourceAndAgeOfEachPart) {
  acme();
  credit_hold("ns-1", "2026-11-20T10:00:00Z", "ON");
  // Support: high, no priority (normal), low then solved, normal then escalated to urgent.
  ticket_created("101", "2026-11-10T09:00:00Z", "OPEN", "HIGH");
  ticket_created("102", "2026-11-11T09:00:00Z", "NEW", nullptr);
  ticket_created("103", "2026-11-12T09:00:00Z", "OPEN", "LOW");
  ticket_status("103", "2026-11-13T09:00:00Z", "OPEN", "SOLVED");
  ticket_created("104", "2026-11-14T09:00:00Z", "OPEN", "NORMAL");
  route("zendesk", zendesk_event("z-104-urgent", "ticket.priority_changed", "2026-11-15T09:00:00Z",
                                 zendesk_ticket("104", "361234", "OPEN", "URGENT"),
                                 {{"current", "URGENT"}, {"previous", "NORMAL"}}));
  // Billing: one overdue, one not yet due, one paid.
  route("stripe", stripe_event("evt_i1", "invoice.finalized", "2026-11-05T00:00:00Z",
                               stripe_invoice("in_1", "cus_1", 1000, unix_s("2026-11-20T00:00:00Z"),
                                              "2026-11-05T00:00:00Z")));
  route("stripe", stripe_event("evt_i2", "invoice.finalized", "2026-11-25T00:00:00Z",
                               stripe_invoice("in_2", "cus_1", 2500, unix_s("2026-12-10T00:00:00Z"),
                                              "2026-11-25T00:00:00Z")));
  const json in_3 = stripe_invoice("in_3", "cus_1", 700, nullptr, "2026-11-06T00:00:00Z");
  route("stripe", stripe_event("evt_i3", "invoice.finalized", "2026-11-06T00:00:00Z", in_3));
  route("stripe", stripe_event("evt_i3p", "invoice.paid", "2026-11-07T00:00:00Z",
                               stripe_paid(in_3, "2026-11-07T00:00:00Z")));
  // Subscriptions: gold active, silver canceled.
  route("stripe", stripe_event("evt_s1", "customer.subscription.created", "2026-11-01T09:00:00Z",
                               stripe_subscription("sub_1", "cus_1", "active", "prod_gold", 5)));
  route("stripe",
        stripe_event("evt_s2", "customer.subscription.deleted", "2026-10-01T09:00:00Z",
                     stripe_subscription("sub_2", "cus_1", "canceled", "prod_silver", 2)));

  const std::string sub_1 = canonical_id("subscription", "stripe", "sub_1");
  const std::string sub_2 = canonical_id("subscription", "stripe", "sub_2");
  const auto subscription = [](const std::string& id, const std::string& platform_id,
                               const std::string& status, const std::string& product,
                               int quantity) {
    return json{{"id", id},
                {"links", {{{"connector", "stripe"}, {"platform_id", platform_id}}}},
                {"status", status},
                {"cancel_at_period_end", false},
                {"items",
                 {{{"price_id", "price_" + product},
                   {"product_id", product},
                   {"quantity", quantity},
                   {"interval", "month"},
                   {"current_period_end", "2026-08-01T00:00:00Z"}}}}};
  };
  json subscriptions = {subscription(sub_1, "sub_1", "active", "prod_gold", 5),
                        subscription(sub_2, "sub_2", "canceled", "prod_silver", 2)};
  if (sub_2 < sub_1) std::swap(subscriptions[0], subscriptions[1]);  // ordered by canonical id
  const json subscriptions_fresh = {
      {"sources", {"stripe"}}, {"as_of", "2026-11-01T09:00:00.000Z"}, {"age_seconds", 2'775'600}};

  const json expected = {
      {"account",
       {{"id", acme_},
        {"name", "Acme Widgets Inc."},  // NetSuite's, the newest
        {"links",
         {{{"connector", "netsuite"}, {"platform_id", "1234"}},
          {{"connector", "stripe"}, {"platform_id", "cus_1"}},
          {{"connector", "zendesk"}, {"platform_id", "361234"}}}}}},
      {"support",
       {{"open_cases", {{"urgent", 1}, {"high", 1}, {"normal", 1}, {"low", 0}}},
        {"total_open", 3},
        {"status_unknown", 0},
        {"freshness",
         {{"sources", {"zendesk"}},
          {"as_of", "2026-11-15T09:00:00.000Z"},
          {"age_seconds", 1'566'000}}}}},
      {"billing",
       {{"unpaid", {{{"currency", "usd"}, {"amount", 3500}}}},
        {"open_invoices", 2},
        {"overdue_invoices", 1},
        {"oldest_overdue_days", 13},
        {"freshness",
         {{"sources", {"stripe"}},
          {"as_of", "2026-11-25T00:00:00.000Z"},
          {"age_seconds", 734'400}}}}},
      {"subscription",
       {{"state", "active"}, {"subscriptions", subscriptions}, {"freshness", subscriptions_fresh}}},
      {"credit_hold",
       {{"on_hold", true},
        {"override", "ON"},
        {"freshness",
         {{"sources", {"netsuite"}},
          {"as_of", "2026-11-20T10:00:00.000Z"},
          {"age_seconds", 1'130'400}}}}},
      {"entitlements",
       {{"entitled", true},
        {"products", {"prod_gold"}},
        {"seats", 5},
        {"freshness", subscriptions_fresh}}},
      {"as_of", "2026-12-03T12:00:00.000Z"}};
  EXPECT_EQ(status(acme_), expected) << status(acme_).dump(2);
}

TEST_P(AccountStatusTest, ACaseKnownOnlyByAFieldChangeHasNoStatusAndIsCountedApart) {
  acme();
  route("zendesk",
        zendesk_event(
            "z-105-field", "ticket.custom_field_changed", "2026-11-16T09:00:00Z",
            zendesk_ticket("105", "361234", "OPEN", "HIGH"),
            {{"custom_field", {{"id", "360000101"}, {"title", "Invoice"}, {"type", "text"}}},
             {"current", "NR-1"},
             {"previous", nullptr}}));
  EXPECT_EQ(status(acme_)["support"],
            (json{{"open_cases", {{"urgent", 0}, {"high", 0}, {"normal", 0}, {"low", 0}}},
                  {"total_open", 0},
                  {"status_unknown", 1},
                  {"freshness", nullptr}}));
}

TEST_P(AccountStatusTest, TheSchemaRefusesADocumentOutsideTheContract) {
  acme();
  json doc = status(acme_);
  ASSERT_EQ(violations("account_status", doc), "");
  doc["billing"] = {{"unpaid", {{{"currency", "usd"}, {"amount", "12.50"}}}},
                    {"open_invoices", 1},
                    {"overdue_invoices", 0},
                    {"oldest_overdue_days", nullptr},
                    {"freshness", nullptr}};
  EXPECT_NE(violations("account_status", doc), "") << "an amount in major units as text";
  doc["billing"] = nullptr;
  doc["surprise"] = true;
  EXPECT_NE(violations("account_status", doc), "") << "a member the contract lacks";
}

TEST_P(AccountStatusTest, ACanonicalIdAndEachPlatformsIdGiveTheSameAnswer) {
  acme();
  credit_hold("ns-1", "2026-11-20T10:00:00Z", "ON");
  ticket_created("101", "2026-11-10T09:00:00Z", "OPEN", "HIGH");
  const json by_id = status(acme_);
  ASSERT_EQ(by_id["account"]["id"], acme_);
  EXPECT_EQ(status("stripe:cus_1"), by_id);
  EXPECT_EQ(status("zendesk:361234"), by_id);
  EXPECT_EQ(status("netsuite:1234"), by_id);
}

TEST_P(AccountStatusTest, ACustomerWithNothingKnownYetSaysSoInEveryPart) {
  route("stripe", stripe_event("evt_c9", "customer.created", "2026-11-01T08:00:00Z",
                               stripe_customer("cus_9", "Quiet Corp")));
  const std::string id = canonical_id("customer", "stripe", "cus_9");
  EXPECT_EQ(status("stripe:cus_9"),
            (json{{"account",
                   {{"id", id},
                    {"name", "Quiet Corp"},
                    {"links", {{{"connector", "stripe"}, {"platform_id", "cus_9"}}}}}},
                  {"support", nullptr},
                  {"billing", nullptr},
                  {"subscription", nullptr},
                  {"credit_hold", nullptr},
                  {"entitlements", nullptr},
                  {"as_of", "2026-12-03T12:00:00.000Z"}}));
}

// The credit-hold workflow's promise: the status says "on hold" as soon as NetSuite's event is
// routed (no workflow runs here at all), and "released" as soon as that one is.
TEST_P(AccountStatusTest, ACreditHoldSetThenReleasedShowsAtOnce) {
  acme();
  credit_hold("ns-1", "2026-11-20T10:00:00Z", "ON");
  EXPECT_EQ(status("stripe:cus_1")["credit_hold"], (json{{"on_hold", true},
                                                         {"override", "ON"},
                                                         {"freshness",
                                                          {{"sources", {"netsuite"}},
                                                           {"as_of", "2026-11-20T10:00:00.000Z"},
                                                           {"age_seconds", 1'130'400}}}}));
  credit_hold("ns-2", "2026-11-22T10:00:00Z", "OFF");
  EXPECT_EQ(status("stripe:cus_1")["credit_hold"], (json{{"on_hold", false},
                                                         {"override", "OFF"},
                                                         {"freshness",
                                                          {{"sources", {"netsuite"}},
                                                           {"as_of", "2026-11-22T10:00:00.000Z"},
                                                           {"age_seconds", 957'600}}}}));
}

TEST_P(AccountStatusTest, AnOlderEventDoesNotOverwriteNewerState) {
  acme();
  credit_hold("ns-2", "2026-11-22T10:00:00Z", "OFF");
  credit_hold("ns-1", "2026-11-20T10:00:00Z", "ON");  // a late relay retry of the older hold
  ticket_created("101", "2026-11-10T09:00:00Z", "OPEN", "HIGH");
  ticket_status("101", "2026-11-20T09:00:00Z", "OPEN", "SOLVED");
  ticket_status("101", "2026-11-18T09:00:00Z", "NEW", "OPEN");  // arrives after, happened before

  const json now = status(acme_);
  EXPECT_EQ(now["credit_hold"]["on_hold"], false);
  EXPECT_EQ(now["credit_hold"]["freshness"]["as_of"], "2026-11-22T10:00:00.000Z");
  EXPECT_EQ(now["support"]["total_open"], 0);
  EXPECT_EQ(now["support"]["freshness"]["as_of"], "2026-11-20T09:00:00.000Z");
}

TEST_P(AccountStatusTest, OverdueDaysCountFromTheInjectedNow) {
  acme();
  route("stripe", stripe_event("evt_i1", "invoice.finalized", "2026-11-05T00:00:00Z",
                               stripe_invoice("in_1", "cus_1", 1000, unix_s("2026-11-20T00:00:00Z"),
                                              "2026-11-05T00:00:00Z")));
  const auto billing = [&](const char* now) {
    const json b = status(acme_, ms(now))["billing"];
    return std::make_pair(b["overdue_invoices"], b["oldest_overdue_days"]);
  };
  EXPECT_EQ(billing("2026-11-19T23:59:59Z"), std::make_pair(json(0), json()));
  EXPECT_EQ(billing("2026-11-20T00:00:00Z"), std::make_pair(json(0), json()))
      << "due now is not overdue";
  EXPECT_EQ(billing("2026-11-20T00:00:01Z"), std::make_pair(json(1), json(0)));
  EXPECT_EQ(billing("2026-11-21T00:00:00Z"), std::make_pair(json(1), json(1)));
  EXPECT_EQ(billing("2026-12-03T12:00:00Z"), std::make_pair(json(1), json(13)));
}

TEST_P(AccountStatusTest, AMergedCustomerResolvesToTheSurvivorWithEverythingItHad) {
  acme();
  // The same company, known to Zendesk under a name and no external id that link it.
  route("zendesk",
        zendesk_organization("z-org-2", "2026-11-02T08:00:00Z", "777", "Northwind Depot", ""));
  const std::string northwind = canonical_id("customer", "zendesk", "777");
  ASSERT_NE(northwind, acme_);
  ticket_created("201", "2026-11-10T09:00:00Z", "OPEN", "URGENT", "777");
  ASSERT_EQ(status(acme_)["support"], nullptr);

  ASSERT_TRUE(
      store()
          .merge(northwind, acme_, "ops@example.com", "same company", ms("2026-11-30T00:00:00Z"))
          .ok());
  const json merged = status(northwind);
  EXPECT_EQ(merged["account"]["id"], acme_);
  EXPECT_EQ(merged["account"]["links"], (json{{{"connector", "stripe"}, {"platform_id", "cus_1"}},
                                              {{"connector", "zendesk"}, {"platform_id", "361234"}},
                                              {{"connector", "zendesk"}, {"platform_id", "777"}}}));
  EXPECT_EQ(merged["support"]["open_cases"]["urgent"], 1);
  EXPECT_EQ(status("zendesk:777"), merged);
  EXPECT_EQ(status(acme_), merged);
}

TEST_P(AccountStatusTest, AnUnknownReferenceIsNotFound) {
  acme();
  route("stripe",
        stripe_event("evt_i1", "invoice.finalized", "2026-11-05T00:00:00Z",
                     stripe_invoice("in_1", "cus_1", 1000, nullptr, "2026-11-05T00:00:00Z")));
  for (const std::string reference : {"customer_000000000000000000000000", "stripe:cus_unknown",
                                      "zendesk:999", "salesforce:001XX"}) {
    const ViewError e = error([&] { return account_status(store(), reference, kNow); });
    EXPECT_EQ(e.code, ViewErrc::not_found) << reference;
  }
  const std::string invoice = canonical_id("invoice", "stripe", "in_1");
  const ViewError e = error([&] { return account_status(store(), invoice, kNow); });
  EXPECT_EQ(e.code, ViewErrc::not_found);
  EXPECT_EQ(e.message, invoice + " is of kind invoice, not customer");
  EXPECT_EQ(error([&] { return account_status(store(), "stripe:in_1", kNow); }).message,
            "no customer is linked to stripe:in_1");
}

TEST_P(AccountStatusTest, AMalformedReferenceIsRefusedWithTheReason) {
  acme();
  const std::pair<std::string, std::string> cases[] = {
      {"", "the reference is empty: give a canonical id or connector:platform_id"},
      {std::string("cus\n1"), "the reference contains a control character"},
      {std::string(257, 'a'), "the reference is longer than 256 characters"},
      {"Stripe:cus_1",
       "'Stripe' is not a connector name (a-z, 0-9, '_', '-'): write connector:platform_id, e.g. "
       "stripe:cus_123"},
      {":cus_1",
       "'' is not a connector name (a-z, 0-9, '_', '-'): write connector:platform_id, e.g. "
       "stripe:cus_123"},
      {"stripe:", "the reference names connector stripe but no platform id"},
  };
  for (const auto& [reference, message] : cases) {
    const ViewError e = error([&] { return account_status(store(), reference, kNow); });
    EXPECT_EQ(e.code, ViewErrc::invalid_reference) << reference;
    EXPECT_EQ(e.message, message);
  }
}

INSTANTIATE_TEST_SUITE_P(AllStores, AccountStatusTest,
                         ::testing::Values(Backend::memory, Backend::sqlite), backend_name);

}  // namespace
}  // namespace weft::views::test
