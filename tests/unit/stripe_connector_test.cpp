// The Stripe outbound connector: the request each action becomes, how answers are read and
// paged, and how Stripe's error answers are classified.
#include "connectors/stripe/stripe_connector.hpp"

#include <algorithm>
#include <gtest/gtest.h>

#include "connectors/outbound_registry.hpp"
#include "connectors/stripe/stripe_actions.hpp"
#include "weft/manual_clock.hpp"

namespace weft::connectors::stripe {
namespace {

using namespace std::chrono_literals;
using delivery::FailureClass;

// Stripe's own example objects (stripe-mock's fixtures3.json, VENDORS.md §1), as its API
// returns them; line breaks added between members.
constexpr const char* kCustomer = R"json(
{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,
"state":null},"balance":0,"created":1234567890,"currency":"usd","default_source":null,
"delinquent":false,"description":null,"discount":{"checkout_session":null,
"customer":null,"end":null,"id":"obj_123","invoice":null,"invoice_item":null,
"object":"discount","promotion_code":null,"start":109757538,"subscription":null,
"subscription_item":null,"source":{"coupon":null,"type":"coupon"},"customer_account":null},
"email":null,"id":"cus_QXg1o8vcGmoR32","invoice_prefix":"7FE1103","invoice_settings":{"custom_fields":null,
"default_payment_method":null,"footer":null,"rendering_options":{"amount_tax_display":null,
"template":null}},"livemode":false,"metadata":{},"name":null,"next_invoice_sequence":1,
"object":"customer","phone":null,"preferred_locales":[],"shipping":{},"tax_exempt":"none",
"test_clock":null})json";
constexpr const char* kInvoice = R"json(
{"account_country":"US","account_name":null,"account_tax_ids":null,"amount_due":1000,
"amount_paid":0,"amount_remaining":1000,"amount_shipping":0,"application":null,
"attempt_count":0,"attempted":false,"auto_advance":false,"automatic_tax":{"enabled":false,
"liability":{"type":"account"},"status":null,"disabled_reason":null,"provider":null},
"billing_reason":"manual","collection_method":"charge_automatically","created":1234567890,
"currency":"usd","custom_fields":null,"customer":"cus_QXg1o8vcGmoR32","customer_address":{"city":null,
"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},
"customer_email":null,"customer_name":null,"customer_phone":null,"customer_shipping":{},
"customer_tax_exempt":"none","customer_tax_ids":[],"default_payment_method":null,
"default_source":null,"default_tax_rates":[],"description":null,"discounts":[],
"due_date":1234567890,"effective_at":1234567890,"ending_balance":null,"footer":null,
"from_invoice":{"action":"action","invoice":"invoice"},"hosted_invoice_url":null,
"id":"in_1Pgc6tB7WZ01zgkWu9fdqL6I","invoice_pdf":null,"issuer":{"type":"self"},
"last_finalization_error":{"type":"idempotency_error"},"latest_revision":null,
"lines":{"data":[{"amount":1000,"currency":"usd","description":"My First Invoice Item (created for API docs)",
"discount_amounts":[],"discountable":true,"discounts":[],"id":"il_1Pgc6sB7WZ01zgkWFnxLrLCq",
"invoice":"in_1Pgc6tB7WZ01zgkWu9fdqL6I","livemode":false,"metadata":{},"object":"line_item",
"period":{"end":1721954054,"start":1721954054},"quantity":1,"subscription":null,
"pretax_credit_amounts":null,"taxes":null,"parent":{"invoice_item_details":{"invoice_item":"invoice_item",
"proration":true,"proration_details":{"credited_items":{"invoice":"invoice",
"invoice_line_items":["invoice_line_items"]}},"subscription":null},"subscription_item_details":{"invoice_item":null,
"proration":true,"proration_details":{"credited_items":{"invoice":"invoice",
"invoice_line_items":["invoice_line_items"]}},"subscription":"subscription",
"subscription_item":"subscription_item"},"type":"invoice_item_details"},
"pricing":{"type":"price_details","unit_amount_decimal":null},"subtotal":2060319484,
"quantity_decimal":null}],"has_more":false,"object":"list","url":"/v1/invoices/in_1Pgc6tB7WZ01zgkWu9fdqL6I/lines"},
"livemode":false,"metadata":{},"next_payment_attempt":1234567890,"number":null,
"object":"invoice","on_behalf_of":null,"payment_settings":{"default_mandate":null,
"payment_method_options":{"acss_debit":{},"bancontact":{"preferred_language":"fr"},
"card":{"request_three_d_secure":null},"customer_balance":{"funding_type":null},
"konbini":{},"sepa_debit":{},"us_bank_account":{},"payto":{},"pix":{"amount_includes_iof":null},
"upi":{}},"payment_method_types":null},"period_end":1234567890,"period_start":1234567890,
"post_payment_credit_notes_amount":0,"pre_payment_credit_notes_amount":0,
"receipt_number":null,"rendering":{"amount_tax_display":null,"pdf":{"page_size":null},
"template":null,"template_version":null},"shipping_cost":{"amount_subtotal":1555417355,
"amount_tax":1424534716,"amount_total":1117121693,"shipping_rate":null},
"shipping_details":{},"starting_balance":0,"statement_descriptor":null,"status":"draft",
"status_transitions":{"finalized_at":null,"marked_uncollectible_at":null,
"paid_at":null,"voided_at":null},"subscription":null,"subtotal":1000,"subtotal_excluding_tax":1000,
"test_clock":null,"total":1000,"total_discount_amounts":[],"total_excluding_tax":1000,
"webhooks_delivered_at":1234567890,"automatically_finalizes_at":null,"total_pretax_credit_amounts":null,
"total_taxes":null,"amount_overpaid":149300825,"parent":{"quote_details":{"quote":"quote"},
"subscription_details":{"metadata":null,"subscription":"subscription"},"type":"quote_details"},
"customer_account":null})json";
constexpr const char* kCreditNote = R"json(
{"amount":1690,"amount_shipping":0,"created":1234567890,"currency":"usd",
"customer":"cus_QXg1o8vcGmoR32","customer_balance_transaction":null,"discount_amount":0,
"discount_amounts":[],"effective_at":1234567890,"id":"cn_1Pgc75B7WZ01zgkWJMPt5riP",
"invoice":"in_1Pgc75B7WZ01zgkWYv4iMwt7","lines":{"data":[{"amount":1190,
"description":"My First Invoice Item (created for API docs)","discount_amount":0,
"discount_amounts":[],"id":"cnli_1Pgc75B7WZ01zgkWla6u0GdZ","invoice_line_item":"il_1Pgc74B7WZ01zgkWWh45tUBA",
"livemode":false,"object":"credit_note_line_item","quantity":1,"tax_rates":[{"active":true,
"country":"DE","created":1721954066,"description":"VAT Germany","display_name":"VAT",
"effective_percentage":null,"id":"txr_1Pgc74B7WZ01zgkW94BlEhHU","inclusive":false,
"jurisdiction":"DE","jurisdiction_level":null,"livemode":false,"metadata":{},
"object":"tax_rate","percentage":19,"state":null,"tax_type":"vat","flat_amount":{"amount":1413853096,
"currency":"currency"},"rate_type":null}],"type":"invoice_line_item","unit_amount":null,
"unit_amount_decimal":null,"pretax_credit_amounts":[{"amount":1413853096,
"type":"credit_balance_transaction"}],"taxes":null,"metadata":null},{"amount":500,
"description":"Service credit","discount_amount":0,"discount_amounts":[],
"id":"cnli_1Pgc75B7WZ01zgkW9m0EaOVh","livemode":false,"object":"credit_note_line_item",
"quantity":1,"tax_rates":[],"type":"custom_line_item","unit_amount":500,
"unit_amount_decimal":"500","pretax_credit_amounts":[{"amount":1413853096,
"type":"credit_balance_transaction"}],"taxes":null,"metadata":null}],"has_more":false,
"object":"list","url":"/v1/credit_notes/cn_1Pgc75B7WZ01zgkWJMPt5riP/lines"},
"livemode":false,"memo":null,"metadata":{},"number":"ABCD-1234-CN-01","object":"credit_note",
"out_of_band_amount":null,"pdf":"https://sangeekp-15t6ai--manage-mydev.dev.stripe.me/credit_notes/acct_1PgafTB7WZ01zgkW/cnst_123456789/pdf?s=ap",
"shipping_cost":{"amount_subtotal":1555417355,"amount_tax":1424534716,"amount_total":1117121693,
"shipping_rate":null},"status":"issued","subtotal":1690,"subtotal_excluding_tax":1690,
"total":1690,"total_excluding_tax":null,"type":"pre_payment","voided_at":1234567890,
"pretax_credit_amounts":[{"amount":1413853096,"type":"credit_balance_transaction"}],
"total_taxes":null,"refunds":[{"amount_refunded":1387154914,"refund":"refund",
"payment_record_refund":{"payment_record":"payment_record","refund_group":"refund_group"},
"type":null}],"post_payment_amount":1355257296,"pre_payment_amount":251024947,
"reason":null,"customer_account":null})json";
constexpr const char* kRefund = R"json(
{"amount":100,"balance_transaction":null,"charge":"ch_1PgafuB7WZ01zgkWXYmPNZs8",
"created":1234567890,"currency":"usd","destination_details":{"card":{"type":"reversal"},
"type":"card"},"id":"re_1Pgc72B7WZ01zgkWqPvrRrPE","metadata":{},"object":"refund",
"payment_intent":null,"reason":null,"receipt_number":null,"source_transfer_reversal":null,
"status":"succeeded","transfer_reversal":null,"customer":null,"customer_account":null,
"payment_method":null})json";
constexpr const char* kBalanceTransaction = R"json(
{"amount":-500,"created":1234567890,"credit_note":null,"currency":"usd",
"customer":"cus_QXg1o8vcGmoR32","description":null,"ending_balance":-500,
"id":"cbtxn_1Pgc75B7WZ01zgkWgM0DfYYl","invoice":null,"livemode":false,"metadata":null,
"object":"customer_balance_transaction","type":"adjustment","checkout_session":null,
"customer_account":null})json";
constexpr const char* kEvent = R"json(
{"api_version":null,"created":1234567890,"data":{"object":{"active":true,
"aggregate_usage":null,"amount":2000,"amount_decimal":"2000","billing_scheme":"per_unit",
"created":1721948530,"currency":"usd","id":"price_1PgafmB7WZ01zgkW6dKueIc5",
"interval":"month","interval_count":1,"livemode":false,"metadata":{},"meter":null,
"nickname":null,"object":"plan","product":"prod_QXg1hqf4jFNsqG","tiers_mode":null,
"transform_usage":null,"trial_period_days":null,"usage_type":"licensed"}},
"id":"evt_1Pgc76B7WZ01zgkWwyRHS12y","livemode":false,"object":"event","pending_webhooks":0,
"request":{"id":null,"idempotency_key":null},"type":"plan.created"})json";

constexpr const char* kApiKey = "sk_test_51WeftUnitKeyDoNotLog0123456789";

class StripeConnectorTest : public ::testing::Test {
 protected:
  StripeConnectorTest() : connector(make_config("2024-06-20"), clock) {}

  static config::ConnectorConfig make_config(std::string api_version) {
    config::ConnectorConfig c;
    c.name = "billing";
    c.type = "stripe";
    c.base_url = "https://api.stripe.test";
    c.api_key = config::Secret(kApiKey);
    c.api_version = std::move(api_version);
    c.timeout_seconds = 12;
    return c;
  }

  static engine::ActionRequest action(std::string name, nlohmann::json input,
                                      std::string key = "wf-7:credit") {
    engine::ActionRequest r;
    r.connector = "billing";
    r.action = std::move(name);
    r.input = std::move(input);
    r.idempotency_key = std::move(key);
    return r;
  }

  delivery::OutboundRequest prepared(const std::string& name, nlohmann::json input) {
    auto r = connector.prepare(action(name, std::move(input)));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : delivery::OutboundRequest{};
  }

  std::string error_of(const std::string& name, nlohmann::json input,
                       std::string key = "wf-7:credit") {
    auto r = connector.prepare(action(name, std::move(input), std::move(key)));
    if (r) return "(prepared)";
    EXPECT_EQ(r.error().cls, FailureClass::validation);
    return r.error().message;
  }

  Result<nlohmann::json, delivery::Failure> read(const std::string& name, std::string body,
                                                 int status = 200) {
    http::Response response;
    response.status = status;
    response.body = std::move(body);
    return connector.read_success(action(name, nlohmann::json::object()), response);
  }

  std::optional<delivery::Failure> classify(int status, std::string body,
                                            std::vector<std::pair<std::string, std::string>>
                                                headers = {}) {
    delivery::Attempt attempt;
    attempt.response.status = status;
    attempt.response.body = std::move(body);
    for (auto& [name, value] : headers) attempt.response.headers.add(name, value);
    return connector.classifier().classify(attempt);
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  StripeConnector connector;
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- requests -------------------------------------------------------------------------------

TEST_F(StripeConnectorTest, CreateCustomerPostsAFormBodyInBracketNotationWithAllHeaders) {
  const auto r = prepared("create_customer", {{"email", "ada@example.com"},
                                              {"name", "Ada Lovelace"},
                                              {"metadata", {{"order_id", "6735"},
                                                            {"weft id", "a&b=c"}}}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.stripe.test/v1/customers");
  EXPECT_EQ(r.body,
            "email=ada%40example.com&metadata%5Border_id%5D=6735&"
            "metadata%5Bweft%20id%5D=a%26b%3Dc&name=Ada%20Lovelace");
  EXPECT_EQ(r.headers.get("Authorization").value_or(""), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(r.headers.get("Stripe-Version").value_or(""), "2024-06-20");
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
  EXPECT_EQ(r.headers.get("Idempotency-Key").value_or(""), "wf-7:credit");
  EXPECT_EQ(r.timeout, 12s);
}

TEST_F(StripeConnectorTest, UpdateSubscriptionSendsItemsProrationPauseAndUnsetsMetadata) {
  const auto r = prepared(
      "update_subscription",
      {{"id", "sub_1MowQVLkdIwHu7ix"},
       {"items", {{{"id", "si_1"}, {"price", "price_2"}, {"quantity", 3}},
                  {{"id", "si_0"}, {"deleted", true}}}},
       {"proration_behavior", "none"},
       {"pause_collection", {{"behavior", "void"}}},
       {"metadata", {{"plan_note", nullptr}}}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.stripe.test/v1/subscriptions/sub_1MowQVLkdIwHu7ix");
  EXPECT_EQ(r.body,
            "items%5B0%5D%5Bid%5D=si_1&items%5B0%5D%5Bprice%5D=price_2&"
            "items%5B0%5D%5Bquantity%5D=3&items%5B1%5D%5Bdeleted%5D=true&"
            "items%5B1%5D%5Bid%5D=si_0&metadata%5Bplan_note%5D=&"
            "pause_collection%5Bbehavior%5D=void&proration_behavior=none");
}

TEST_F(StripeConnectorTest, CreateCreditNoteSendsTheInvoiceAndLinesAsParameters) {
  const auto r = prepared("create_credit_note",
                          {{"invoice", "in_1Pgc75"},
                           {"lines", {{{"type", "invoice_line_item"},
                                       {"invoice_line_item", "il_1"},
                                       {"quantity", 1}}}},
                           {"reason", "order_change"},
                           {"credit_amount", 1190}});
  EXPECT_EQ(r.url, "https://api.stripe.test/v1/credit_notes");
  EXPECT_EQ(r.body,
            "credit_amount=1190&invoice=in_1Pgc75&"
            "lines%5B0%5D%5Binvoice_line_item%5D=il_1&lines%5B0%5D%5Bquantity%5D=1&"
            "lines%5B0%5D%5Btype%5D=invoice_line_item&reason=order_change");
}

TEST_F(StripeConnectorTest, VoidCreditNotePostsToItsVoidPathWithAnEmptyBody) {
  const auto r = prepared("void_credit_note", {{"id", "cn_1Pgc75"}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.stripe.test/v1/credit_notes/cn_1Pgc75/void");
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.headers.get("Idempotency-Key"));
}

TEST_F(StripeConnectorTest, CreateBalanceTransactionPutsTheCustomerInThePath) {
  const auto r = prepared("create_balance_transaction", {{"customer", "cus_QXg1o8vcGmoR32"},
                                                         {"amount", -500},
                                                         {"currency", "usd"},
                                                         {"description", "Goodwill credit"}});
  EXPECT_EQ(r.url,
            "https://api.stripe.test/v1/customers/cus_QXg1o8vcGmoR32/balance_transactions");
  EXPECT_EQ(r.body, "amount=-500&currency=usd&description=Goodwill%20credit");
}

TEST_F(StripeConnectorTest, CreateRefundTakesAPaymentIntentOrACharge) {
  EXPECT_EQ(prepared("create_refund", {{"payment_intent", "pi_1"},
                                       {"amount", 250},
                                       {"reason", "requested_by_customer"},
                                       {"metadata", {{"ticket", "Z-9"}}}})
                .body,
            "amount=250&metadata%5Bticket%5D=Z-9&payment_intent=pi_1&"
            "reason=requested_by_customer");
  EXPECT_EQ(prepared("create_refund", {{"charge", "ch_1"}}).body, "charge=ch_1");
}

TEST_F(StripeConnectorTest, GetCustomerIsAGetWithQueryAndNoBodyOrIdempotencyKey) {
  const auto r = prepared("get_customer", {{"id", "cus_QXg1o8vcGmoR32"},
                                           {"expand", {"subscriptions", "tax"}}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "https://api.stripe.test/v1/customers/cus_QXg1o8vcGmoR32"
            "?expand%5B0%5D=subscriptions&expand%5B1%5D=tax");
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.headers.get("Idempotency-Key"));
  EXPECT_FALSE(r.headers.get("Content-Type"));
  EXPECT_EQ(r.headers.get("Authorization").value_or(""), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(r.headers.get("Stripe-Version").value_or(""), "2024-06-20");
}

TEST_F(StripeConnectorTest, ListEventsPutsTheBackfillFiltersInTheQueryString) {
  const auto r = prepared("list_events", {{"types", {"invoice.paid", "invoice.voided"}},
                                          {"created", {{"gt", 1700000000}}},
                                          {"limit", 100}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "https://api.stripe.test/v1/events?created%5Bgt%5D=1700000000&limit=100&"
            "types%5B0%5D=invoice.paid&types%5B1%5D=invoice.voided");
  EXPECT_FALSE(r.headers.get("Idempotency-Key"));
}

TEST_F(StripeConnectorTest, ListActionsNeedNoInputAtAll) {
  EXPECT_EQ(prepared("list_customers", nullptr).url, "https://api.stripe.test/v1/customers");
  EXPECT_EQ(prepared("list_invoices", {{"customer", "cus_1"}, {"status", "open"}}).url,
            "https://api.stripe.test/v1/invoices?customer=cus_1&status=open");
  EXPECT_EQ(prepared("list_subscriptions", {{"customer", "cus_1"}, {"limit", 100}}).url,
            "https://api.stripe.test/v1/subscriptions?customer=cus_1&limit=100");
}

TEST_F(StripeConnectorTest, CancelSubscriptionIsADeleteWithParametersInTheQuery) {
  const auto r = prepared("cancel_subscription", {{"id", "sub_1"}, {"invoice_now", true}});
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url, "https://api.stripe.test/v1/subscriptions/sub_1?invoice_now=true");
  EXPECT_EQ(r.body, "");
  EXPECT_FALSE(r.headers.get("Idempotency-Key"));
}

TEST_F(StripeConnectorTest, DeleteCustomerAndUpdatePriceAddressTheObjectById) {
  const auto deleted = prepared("delete_customer", {{"id", "cus_1"}});
  EXPECT_EQ(deleted.method, "DELETE");
  EXPECT_EQ(deleted.url, "https://api.stripe.test/v1/customers/cus_1");
  const auto price = prepared("update_price", {{"id", "price_1"}, {"active", false}});
  EXPECT_EQ(price.method, "POST");
  EXPECT_EQ(price.url, "https://api.stripe.test/v1/prices/price_1");
  EXPECT_EQ(price.body, "active=false");
}

TEST_F(StripeConnectorTest, PathIdsArePercentEncoded) {
  EXPECT_EQ(prepared("get_invoice", {{"id", "in_\xC3\xA4+1%"}}).url,
            "https://api.stripe.test/v1/invoices/in_%C3%A4%2B1%25");
  EXPECT_EQ(prepared("get_event", {{"id", "evt_1"}}).url, "https://api.stripe.test/v1/events/evt_1");
}

TEST_F(StripeConnectorTest, ADisputeIsReadWithItsChargeExpandedAndAnInvoiceUpdatedByItsId) {
  const auto dispute = prepared("get_dispute", {{"id", "dp_1"}, {"expand", {"charge.customer"}}});
  EXPECT_EQ(dispute.method, "GET");
  EXPECT_EQ(dispute.url, "https://api.stripe.test/v1/disputes/dp_1?expand%5B0%5D=charge.customer");
  const auto invoice = prepared("update_invoice", {{"id", "in_1"}, {"metadata", {{"dispute_status", "won"}}}});
  EXPECT_EQ(invoice.method, "POST");
  EXPECT_EQ(invoice.url, "https://api.stripe.test/v1/invoices/in_1");
  EXPECT_EQ(invoice.body, "metadata%5Bdispute_status%5D=won");
  EXPECT_TRUE(invoice.headers.get("Idempotency-Key"));
}

TEST_F(StripeConnectorTest, SearchCustomersSendsTheQueryAsItIs) {
  const auto r = prepared("search_customers", {{"query", "email:'ada@example.com'"}, {"limit", 5}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url,
            "https://api.stripe.test/v1/customers/search?limit=5&"
            "query=email%3A%27ada%40example.com%27");
}

TEST_F(StripeConnectorTest, FindCustomersByMetadataBuildsAQuotedEscapedSearch) {
  const auto r = prepared("find_customers_by_metadata",
                          {{"key", "netsuite_id"}, {"value", "12'3\\x"}, {"limit", 2}});
  // metadata['netsuite_id']:'12\'3\\x'
  EXPECT_EQ(r.url,
            "https://api.stripe.test/v1/customers/search?limit=2&"
            "query=metadata%5B%27netsuite_id%27%5D%3A%2712%5C%273%5C%5Cx%27");
  EXPECT_EQ(prepared("find_customers_by_metadata", {{"key", "erp_id"}, {"value", 42}}).url,
            "https://api.stripe.test/v1/customers/search?"
            "query=metadata%5B%27erp_id%27%5D%3A%2742%27");
}

TEST(StripeMetadataQuery, AValueCannotWidenTheSearch) {
  EXPECT_EQ(metadata_query("order", "6735"), "metadata['order']:'6735'");
  EXPECT_EQ(metadata_query("order", "x' OR created>0 OR name:'y"),
            "metadata['order']:'x\\' OR created>0 OR name:\\'y'");
  EXPECT_EQ(metadata_query("o'k", "a\\"), "metadata['o\\'k']:'a\\\\'");
}

TEST_F(StripeConnectorTest, StripeVersionIsLeftOutWhenNotConfigured) {
  const StripeConnector unpinned(make_config(""), clock);
  auto r = unpinned.prepare(action("get_customer", {{"id", "cus_1"}}));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->headers.get("Stripe-Version"));
  EXPECT_TRUE(r->headers.get("Authorization"));
}

// --- idempotency ----------------------------------------------------------------------------

TEST_F(StripeConnectorTest, IdempotencyKeyIsTheStepsKeyOnEveryAttempt) {
  const auto input = nlohmann::json{{"invoice", "in_1"}, {"amount", 500}};
  const auto first = prepared("create_credit_note", input);
  const auto second = prepared("create_credit_note", input);
  EXPECT_EQ(first.headers.get("Idempotency-Key").value_or(""), "wf-7:credit");
  EXPECT_EQ(first.headers.get("Idempotency-Key"), second.headers.get("Idempotency-Key"));
  EXPECT_EQ(first.body, second.body);
}

TEST(StripeIdempotencyKey, LongOrUnprintableKeysAreHashedDeterministically) {
  EXPECT_EQ(idempotency_key("wf-1:s"), "wf-1:s");
  const std::string at_limit(255, 'k');
  EXPECT_EQ(idempotency_key(at_limit), at_limit);

  const std::string long_key(300, 'k');
  const std::string hashed = idempotency_key(long_key);
  // "weft-sha256-" + hex(SHA-256(key)), as docs/connectors/stripe.md says (hash from Python's
  // hashlib).
  EXPECT_EQ(hashed, "weft-sha256-17b16d8ef494060fefa36a6a41567b8c32d213a17e02b7eeae86158cc4495461");
  EXPECT_EQ(hashed.size(), 76u);
  EXPECT_EQ(hashed, idempotency_key(long_key));               // stable across attempts
  EXPECT_NE(hashed, idempotency_key(std::string(300, 'j')));  // distinct keys stay distinct
  EXPECT_NE(hashed, idempotency_key(std::string(256, 'k')));
  // Keys a header cannot carry are hashed too.
  EXPECT_EQ(idempotency_key("wf-1\r\nX-Injected: 1").rfind("weft-sha256-", 0), 0u);
  EXPECT_EQ(idempotency_key(std::string("abc") + '\x01').size(), 76u);
}

TEST_F(StripeConnectorTest, AnOverlongStepKeyIsSentHashed) {
  auto r = connector.prepare(action("create_customer", {{"email", "a@b.c"}},
                                    std::string(400, 'x')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers.get("Idempotency-Key").value_or(""),
            idempotency_key(std::string(400, 'x')));
}

// --- bad input ------------------------------------------------------------------------------

TEST_F(StripeConnectorTest, AnUnknownActionIsRefusedWithASuggestionAndTheKnownActions) {
  const std::string e = error_of("create_custmer", {{"email", "a@b.c"}});
  EXPECT_TRUE(has(e, "has no action 'create_custmer'")) << e;
  EXPECT_TRUE(has(e, "did you mean 'create_customer'")) << e;
  EXPECT_TRUE(has(e, "known: create_customer, update_customer")) << e;
  EXPECT_TRUE(has(e, "get_event")) << e;
}

TEST_F(StripeConnectorTest, PathIdsMustBePresentStringsOfOneSegment) {
  EXPECT_TRUE(has(error_of("get_customer", nlohmann::json::object()), "id is required")) ;
  EXPECT_TRUE(has(error_of("get_customer", {{"id", 42}}), "id is required (a string"));
  EXPECT_TRUE(has(error_of("create_balance_transaction", {{"amount", 1}, {"currency", "usd"}}),
                  "customer is required"));
  for (const char* bad : {"", "cus_1/../../v1/charges", "cus_1?expand=x", "cus#1", "cus 1",
                          "cus\t1", "cus\n1"}) {
    EXPECT_TRUE(has(error_of("update_customer", {{"id", bad}}), "id must be a non-empty Stripe id"))
        << bad;
  }
}

TEST_F(StripeConnectorTest, RequiredParametersAreNamed) {
  EXPECT_TRUE(has(error_of("create_credit_note", {{"amount", 100}}), "invoice is required"));
  EXPECT_TRUE(has(error_of("search_customers", nlohmann::json::object()), "query is required"));
  EXPECT_TRUE(has(error_of("create_subscription", {{"items", {{{"price", "p"}}}}}),
                  "customer is required"));
  EXPECT_TRUE(has(error_of("create_balance_transaction",
                           {{"customer", "cus_1"}, {"amount", "500"}, {"currency", "usd"}}),
                  "amount is required (an integer"));
  EXPECT_TRUE(has(error_of("create_balance_transaction", {{"customer", "cus_1"}, {"amount", 5}}),
                  "currency is required"));
  EXPECT_TRUE(has(error_of("create_refund", {{"amount", 5}}), "exactly one of payment_intent and charge"));
  EXPECT_TRUE(has(error_of("create_refund", {{"charge", "ch_1"}, {"payment_intent", "pi_1"}}),
                  "exactly one of payment_intent and charge"));
  EXPECT_TRUE(has(error_of("create_refund", {{"charge", 7}}), "charge must be a non-empty string"));
  EXPECT_TRUE(has(error_of("find_customers_by_metadata", {{"value", "1"}}), "key is required"));
  EXPECT_TRUE(has(error_of("find_customers_by_metadata", {{"key", "a[b]"}, {"value", "1"}}),
                  "without '[' or ']'"));
  EXPECT_TRUE(has(error_of("find_customers_by_metadata", {{"key", "k"}}), "value is required"));
  EXPECT_TRUE(has(error_of("find_customers_by_metadata",
                           {{"key", "k"}, {"value", "1"}, {"query", "email:'x'"}}),
                  "give no query"));
  EXPECT_TRUE(has(error_of("create_customer", nlohmann::json::array()), "input must be an object"));
}

TEST_F(StripeConnectorTest, AWriteWithoutAnIdempotencyKeyIsRefused) {
  EXPECT_TRUE(has(error_of("create_customer", {{"email", "a@b.c"}}, ""), "idempotency key"));
  // Reads need none.
  EXPECT_EQ(error_of("get_customer", {{"id", "cus_1"}}, ""), "(prepared)");
}

// --- reading answers ------------------------------------------------------------------------

TEST_F(StripeConnectorTest, ReadsStripesObjectsAsTheyCome) {
  const std::vector<std::pair<std::string, const char*>> cases{
      {"get_customer", kCustomer},
      {"create_customer", kCustomer},
      {"get_invoice", kInvoice},
      {"create_credit_note", kCreditNote},
      {"void_credit_note", kCreditNote},
      {"create_refund", kRefund},
      {"get_refund", kRefund},
      {"create_balance_transaction", kBalanceTransaction},
      {"get_event", kEvent}};
  for (const auto& [name, fixture] : cases) {
    auto out = read(name, fixture);
    ASSERT_TRUE(out) << name << ": " << out.error().message;
    EXPECT_EQ(*out, nlohmann::json::parse(fixture)) << name;
  }
  auto customer = read("get_customer", kCustomer);
  EXPECT_EQ((*customer)["id"], "cus_QXg1o8vcGmoR32");
  EXPECT_EQ((*customer)["balance"], 0);
  auto note = read("create_credit_note", kCreditNote);
  EXPECT_EQ((*note)["invoice"], "in_1Pgc75B7WZ01zgkWYv4iMwt7");
  EXPECT_EQ((*note)["lines"]["data"].size(), 2u);
}

nlohmann::json list_of(std::vector<nlohmann::json> items, bool has_more) {
  return {{"object", "list"}, {"url", "/v1/customers"}, {"has_more", has_more},
          {"data", std::move(items)}};
}

TEST_F(StripeConnectorTest, ReadsAListEnvelopeOfFixtures) {
  const auto body = list_of({nlohmann::json::parse(kCustomer)}, false).dump();
  auto out = read("list_customers", body);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ((*out)["data"][0]["id"], "cus_QXg1o8vcGmoR32");
}

// --- pagination -----------------------------------------------------------------------------

TEST_F(StripeConnectorTest, NextPageOfAListStartsAfterTheLastItem) {
  auto newer = nlohmann::json::parse(kCustomer);
  newer["id"] = "cus_Newer";
  const auto page = list_of({newer, nlohmann::json::parse(kCustomer)}, true);
  const auto request = action("list_customers", {{"limit", 2}, {"email", "a@b.c"},
                                                 {"ending_before", "cus_X"}});
  const auto next = connector.next_page(request, page);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, (nlohmann::json{{"limit", 2}, {"email", "a@b.c"},
                                   {"starting_after", "cus_QXg1o8vcGmoR32"}}));
  // The next page's request is a plain list call with the cursor.
  EXPECT_EQ(prepared("list_customers", *next).url,
            "https://api.stripe.test/v1/customers?email=a%40b.c&limit=2&"
            "starting_after=cus_QXg1o8vcGmoR32");
}

TEST_F(StripeConnectorTest, NextPageOfEventsKeepsTheFilters) {
  const auto page = nlohmann::json{{"object", "list"}, {"has_more", true},
                                   {"data", {nlohmann::json::parse(kEvent)}}};
  const auto next = connector.next_page(
      action("list_events", {{"type", "invoice.*"}, {"created", {{"gt", 1}}}}), page);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, (nlohmann::json{{"type", "invoice.*"},
                                   {"created", {{"gt", 1}}},
                                   {"starting_after", "evt_1Pgc76B7WZ01zgkWwyRHS12y"}}));
}

TEST_F(StripeConnectorTest, TheLastPageHasNoNextPage) {
  const auto request = action("list_invoices", nlohmann::json::object());
  EXPECT_FALSE(connector.next_page(request, list_of({nlohmann::json::parse(kInvoice)}, false)));
  EXPECT_FALSE(connector.next_page(request, list_of({}, true)));  // nothing to start after
  EXPECT_FALSE(connector.next_page(request, nlohmann::json{{"object", "list"}}));
  // Object actions never page, whatever their output holds.
  EXPECT_FALSE(connector.next_page(action("get_invoice", {{"id", "in_1"}}),
                                   list_of({nlohmann::json::parse(kInvoice)}, true)));
}

TEST_F(StripeConnectorTest, NextPageOfASearchFollowsNextPage) {
  const auto result = nlohmann::json{{"object", "search_result"},
                                     {"url", "/v1/customers/search"},
                                     {"has_more", true},
                                     {"next_page", "WzE3MDAwMDAwMDBd"},
                                     {"data", {nlohmann::json::parse(kCustomer)}}};
  const auto request = action("find_customers_by_metadata", {{"key", "erp_id"}, {"value", "42"}});
  const auto next = connector.next_page(request, result);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, (nlohmann::json{{"key", "erp_id"}, {"value", "42"},
                                   {"page", "WzE3MDAwMDAwMDBd"}}));
  EXPECT_EQ(prepared("find_customers_by_metadata", *next).url,
            "https://api.stripe.test/v1/customers/search?page=WzE3MDAwMDAwMDBd&"
            "query=metadata%5B%27erp_id%27%5D%3A%2742%27");

  auto last = result;
  last["has_more"] = false;
  last["next_page"] = nullptr;
  EXPECT_FALSE(connector.next_page(request, last));
  EXPECT_FALSE(connector.next_page(action("search_customers", {{"query", "name:'x'"}}),
                                   nlohmann::json{{"object", "search_result"},
                                                  {"has_more", true},
                                                  {"next_page", nullptr},
                                                  {"data", nlohmann::json::array()}}));
}

// --- 2xx answers that cannot be read --------------------------------------------------------

TEST_F(StripeConnectorTest, A2xxThatIsNotJsonFailsAsUnknownOutcomeForAWrite) {
  auto out = read("create_credit_note", "<html>upstream proxy</html>");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().cls, FailureClass::unknown_outcome);
  EXPECT_EQ(out.error().http_status, 200);
  EXPECT_TRUE(has(out.error().message, "not JSON or is truncated")) << out.error().message;
  EXPECT_TRUE(has(out.error().message, "create_credit_note"));
}

TEST_F(StripeConnectorTest, ATruncated2xxFailsAsUnknownOutcomeForWritesAndTransientForReads) {
  const std::string full = kCreditNote;
  const std::string cut = full.substr(0, full.size() / 2);
  auto write = read("create_credit_note", cut);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.error().cls, FailureClass::unknown_outcome);
  auto cancel = read("cancel_subscription", cut);
  ASSERT_FALSE(cancel);
  EXPECT_EQ(cancel.error().cls, FailureClass::unknown_outcome);  // DELETE
  auto get = read("get_credit_note", cut);
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().cls, FailureClass::transient);
  EXPECT_TRUE(has(get.error().message, "truncated")) << get.error().message;
  auto empty = read("get_customer", "");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().cls, FailureClass::transient);
}

TEST_F(StripeConnectorTest, A2xxOfTheWrongShapeIsAFailureToo) {
  auto array = read("update_customer", "[1,2]");
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error().cls, FailureClass::unknown_outcome);
  EXPECT_TRUE(has(array.error().message, "not an object"));
  auto list = read("list_customers", R"({"object":"customer","id":"cus_1"})");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().cls, FailureClass::transient);
  EXPECT_TRUE(has(list.error().message, "without a data array"));
}

// --- error answers --------------------------------------------------------------------------

TEST_F(StripeConnectorTest, ACardErrorIsValidationWithTheDeclineInTheMessage) {
  const auto f = classify(402, R"({"error":{"charge":"ch_3","code":"card_declined",
    "decline_code":"insufficient_funds","doc_url":"https://stripe.com/docs/error-codes/card-declined",
    "message":"Your card has insufficient funds.","param":"","type":"card_error"}})",
                          {{"Request-Id", "req_8fLh3kQ"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::validation);
  EXPECT_EQ(f->platform_code, "card_declined");
  EXPECT_EQ(f->http_status, 402);
  EXPECT_EQ(f->message,
            "card_error: Your card has insufficient funds. (decline_code: insufficient_funds) "
            "(Request-Id: req_8fLh3kQ)");
}

TEST_F(StripeConnectorTest, InvalidRequestErrorsFollowTheirStatus) {
  const auto missing = classify(404, R"({"error":{"code":"resource_missing",
    "doc_url":"https://stripe.com/docs/error-codes/resource-missing",
    "message":"No such customer: 'cus_nope'","param":"id","type":"invalid_request_error"}})");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->cls, FailureClass::validation);
  EXPECT_EQ(missing->platform_code, "resource_missing");
  EXPECT_EQ(missing->message, "invalid_request_error: No such customer: 'cus_nope' (param: id)");

  const auto bad = classify(400, R"({"error":{"message":"Received unknown parameter: colour",
    "param":"colour","type":"invalid_request_error"}})");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->cls, FailureClass::validation);
  EXPECT_EQ(bad->platform_code, "invalid_request_error");  // no code: the type

  const auto forbidden = classify(403, R"({"error":{"message":"The provided key 'rk_test_****abcd' does not have the required permissions for this endpoint on account 'acct_1'.","type":"invalid_request_error"}})");
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->cls, FailureClass::auth);
  EXPECT_EQ(forbidden->platform_code, "invalid_request_error");
  EXPECT_TRUE(has(forbidden->message, "invalid_request_error: The provided key 'rk_test_****abcd'"))
      << forbidden->message;
}

TEST_F(StripeConnectorTest, AnIdempotencyErrorIsAConflict) {
  const auto f = classify(400, R"({"error":{"message":"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'wf-7:credit' if you meant to execute a different request.","type":"idempotency_error"}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::conflict);
  EXPECT_EQ(f->platform_code, "idempotency_error");
  EXPECT_TRUE(has(f->message, "idempotency_error: Keys for idempotent requests")) << f->message;
  EXPECT_FALSE(delivery::default_handling(f->cls).retryable);
}

TEST_F(StripeConnectorTest, AConcurrentDuplicateIsTransient) {
  const auto f = classify(409, R"({"error":{"code":"idempotency_key_in_use","message":"There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): wf-7:credit. Please try again later.","type":"invalid_request_error"}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::transient);
  EXPECT_EQ(f->platform_code, "idempotency_key_in_use");
  // Any other 409 stays a conflict.
  const auto other = classify(409, R"({"error":{"code":"resource_already_exists","message":"exists","type":"invalid_request_error"}})");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->cls, FailureClass::conflict);
}

TEST_F(StripeConnectorTest, ALockTimeoutIsTransientAndDoesNotHoldTheWholeConnector) {
  const auto f = classify(429, R"({"error":{"code":"lock_timeout","doc_url":"https://stripe.com/docs/error-codes/lock-timeout","message":"This object cannot be accessed right now because another API request or Stripe process is currently accessing it. If you see this error intermittently, retry the request. If you see this error frequently and are making multiple concurrent requests to a single object, make your requests serially or at a lower rate.","type":"invalid_request_error"}})",
                          {{"Retry-After", "1"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::transient);
  EXPECT_EQ(f->platform_code, "lock_timeout");
  EXPECT_FALSE(f->retry_after);
  EXPECT_FALSE(delivery::penalises_connector(*f));
}

TEST_F(StripeConnectorTest, ARateLimitKeepsRetryAfter) {
  const auto f = classify(429, R"({"error":{"code":"rate_limit","message":"Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.","type":"invalid_request_error"}})",
                          {{"Retry-After", "2"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::rate_limited);
  EXPECT_EQ(f->platform_code, "rate_limit");
  EXPECT_EQ(f->retry_after, std::chrono::milliseconds(2000));
  EXPECT_TRUE(delivery::penalises_connector(*f));
}

TEST_F(StripeConnectorTest, AnApiErrorIsTransientSoTheSameKeyIsRetried) {
  const auto f = classify(500, R"({"error":{"message":"An unknown error occurred","type":"api_error"}})",
                          {{"Request-Id", "req_500"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::transient);
  EXPECT_EQ(f->platform_code, "api_error");
  EXPECT_EQ(f->message, "api_error: An unknown error occurred (Request-Id: req_500)");
}

TEST_F(StripeConnectorTest, StripeShouldRetryOverridesTheStatus) {
  const std::string body =
      R"({"error":{"message":"Something went wrong on our side","type":"invalid_request_error"}})";
  const auto retry = classify(400, body, {{"Stripe-Should-Retry", "true"}});
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->cls, FailureClass::transient);
  EXPECT_TRUE(has(retry->message, "Stripe-Should-Retry: true"));

  const auto no_retry = classify(503, R"({"error":{"message":"x","type":"api_error"}})",
                                 {{"Stripe-Should-Retry", "false"}, {"Retry-After", "30"}});
  ASSERT_TRUE(no_retry);
  EXPECT_EQ(no_retry->cls, FailureClass::validation);
  EXPECT_FALSE(no_retry->retry_after);

  const auto locked = classify(429, R"({"error":{"code":"lock_timeout","message":"m","type":"invalid_request_error"}})",
                               {{"Stripe-Should-Retry", "false"}});
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->cls, FailureClass::validation);

  // Not retried anyway: auth and conflict keep their class.
  const auto auth = classify(401, R"({"error":{"message":"m","type":"invalid_request_error"}})",
                             {{"Stripe-Should-Retry", "false"}});
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->cls, FailureClass::auth);
  const auto conflict = classify(400, R"({"error":{"message":"m","type":"idempotency_error"}})",
                                 {{"Stripe-Should-Retry", "false"}});
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->cls, FailureClass::conflict);
}

TEST_F(StripeConnectorTest, AnInvalidKeyIsAuthAndTheMessageNeverHoldsTheKey) {
  const auto f = classify(401, R"({"error":{"message":"Invalid API Key provided: sk_test_****","type":"invalid_request_error"}})");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::auth);
  EXPECT_EQ(f->platform_code, "invalid_request_error");
  EXPECT_EQ(f->message, "invalid_request_error: Invalid API Key provided: sk_test_****");
  EXPECT_FALSE(has(f->message, kApiKey));

  // Even a body that echoed our key whole (a proxy, an old API version) does not leak it.
  const auto echoed = classify(
      401, std::string(R"({"error":{"message":"Invalid API Key provided: )") + kApiKey +
               R"(","type":"invalid_request_error"}})");
  ASSERT_TRUE(echoed);
  EXPECT_FALSE(has(echoed->message, kApiKey)) << echoed->message;
  EXPECT_FALSE(has(echoed->message, "DoNotLog")) << echoed->message;
  const auto plain = classify(401, std::string("Unauthorized: ") + kApiKey);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(has(plain->message, "DoNotLog")) << plain->message;
}

TEST(StripeRedaction, MasksTheConfiguredKeyAndAnythingShapedLikeASecretKey) {
  const config::Secret key("custom-key-123");
  EXPECT_EQ(redact_keys("a custom-key-123 b", key), "a [redacted] b");
  EXPECT_EQ(redact_keys("k=sk_live_abcDEF123, r=rk_test_xyz9.", key), "k=sk_live_****, r=rk_test_****.");
  EXPECT_EQ(redact_keys("Invalid API Key provided: sk_test_****1234", key),
            "Invalid API Key provided: sk_test_****1234");
}

TEST_F(StripeConnectorTest, AnErrorWithoutStripesEnvelopeKeepsTheGenericReading) {
  const auto f = classify(502, "<html><body>Bad Gateway</body></html>", {{"Request-Id", "req_gw"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::transient);
  EXPECT_EQ(f->platform_code, "");
  EXPECT_TRUE(has(f->message, "HTTP 502: <html>")) << f->message;
  EXPECT_TRUE(has(f->message, "(Request-Id: req_gw)")) << f->message;
}

TEST_F(StripeConnectorTest, SuccessesAndTransportFailuresAreLeftAsTheyAre) {
  EXPECT_FALSE(classify(200, kCustomer));
  delivery::Attempt attempt;
  attempt.transport = delivery::Transport::timeout_after_send;
  attempt.transport_detail = "operation timed out";
  const auto f = connector.classifier().classify(attempt);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::unknown_outcome);
  EXPECT_EQ(f->message, "timeout_after_send: operation timed out");
}

// --- registration ---------------------------------------------------------------------------

TEST(StripeConnectorRegistry, StripeConnectorsAreBuiltFromTheConfig) {
  const auto parsed = config::parse(R"(connectors:
  billing: {type: stripe, base_url: "http://127.0.0.1:7171", api_key: sk_test_x,
            api_version: "2024-06-20", webhook_secret: whsec_x}
)",
                                    "test.yaml");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  std::vector<std::string> skipped;
  const auto built = make_outbound_connectors(*parsed, std::make_shared<ManualClock>(), &skipped);
  ASSERT_EQ(built.count("billing"), 1u);
  EXPECT_TRUE(skipped.empty());
  const auto& c = *built.at("billing");
  EXPECT_EQ(c.type(), "stripe");
  EXPECT_EQ(c.name(), "billing");
  engine::ActionRequest r;
  r.action = "get_customer";
  r.input = {{"id", "cus_1"}};
  auto prepared = c.prepare(r);
  ASSERT_TRUE(prepared) << prepared.error().message;
  EXPECT_EQ(prepared->url, "http://127.0.0.1:7171/v1/customers/cus_1");
  EXPECT_EQ(prepared->headers.get("Stripe-Version").value_or(""), "2024-06-20");
}

// --- set_customer_collection -----------------------------------------------------------------

// A subscription as Stripe lists it, cut to what the action reads.
nlohmann::json subscription(const std::string& id, const std::string& status,
                            nlohmann::json pause = nullptr) {
  return {{"id", id}, {"object", "subscription"}, {"status", status}, {"pause_collection", std::move(pause)}};
}

http::Response answer(const nlohmann::json& body) {
  http::Response r;
  r.status = 200;
  r.body = body.dump();
  return r;
}

http::Response page(nlohmann::json data, bool more) {
  return answer({{"object", "list"}, {"url", "/v1/subscriptions"}, {"has_more", more}, {"data", std::move(data)}});
}

// The answer to a write: the subscription with its new pause_collection.
http::Response written(const delivery::OutboundRequest& write, const std::string& status) {
  const std::string id = write.url.substr(write.url.rfind('/') + 1);
  return answer(subscription(id, status,
                             write.body == "pause_collection="
                                 ? nlohmann::json()
                                 : nlohmann::json{{"behavior", "keep_as_draft"}, {"resumes_at", nullptr}}));
}

const nlohmann::json kDraft = {{"behavior", "keep_as_draft"}, {"resumes_at", nullptr}};

TEST_F(StripeConnectorTest, SetCustomerCollectionFirstListsTheCustomersSubscriptions) {
  const auto r = prepared("set_customer_collection",
                          {{"customer", "cus_1"}, {"paused", true}, {"behavior", "keep_as_draft"}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, "https://api.stripe.test/v1/subscriptions?customer=cus_1&limit=100");
  EXPECT_FALSE(r.headers.get("Idempotency-Key"));
  EXPECT_EQ(r.headers.get("Authorization").value_or(""), std::string("Bearer ") + kApiKey);
  EXPECT_EQ(prepared("set_customer_collection", {{"customer", "cus_1"}, {"paused", false}}).url,
            "https://api.stripe.test/v1/subscriptions?customer=cus_1&limit=100");

  EXPECT_TRUE(has(error_of("set_customer_collection", {{"paused", true}, {"behavior", "void"}}),
                  "customer is required"));
  EXPECT_TRUE(has(error_of("set_customer_collection", {{"customer", "cus_1"}, {"behavior", "void"}}),
                  "paused is required"));
  EXPECT_TRUE(has(error_of("set_customer_collection", {{"customer", "cus_1"}, {"paused", "yes"}}),
                  "paused is required"));
  EXPECT_TRUE(has(error_of("set_customer_collection", {{"customer", "cus_1"}, {"paused", true}}),
                  "behavior is required to pause"));
  EXPECT_TRUE(has(error_of("set_customer_collection",
                           {{"customer", "cus_1"}, {"paused", true}, {"behavior", "later"}}),
                  "behavior is required to pause"));
  EXPECT_TRUE(has(error_of("set_customer_collection",
                           {{"customer", "cus_1"}, {"paused", false}, {"status", "active"}}),
                  "unknown parameter 'status'"));
}

TEST_F(StripeConnectorTest, SetCustomerCollectionPausesEachCollectingSubscriptionNotPausedYetUnderItsOwnKey) {
  const auto request = action("set_customer_collection",
                              {{"customer", "cus_1"}, {"paused", true}, {"behavior", "keep_as_draft"}},
                              "inst-9:billing_collection");
  std::vector<http::Response> answers{
      page({subscription("sub_a", "active"), subscription("sub_b", "trialing", kDraft),
            subscription("sub_c", "incomplete"), subscription("sub_d", "paused")},
           true)};
  auto reading = connector.read_exchange(request, answers);
  ASSERT_TRUE(reading) << reading.error().message;
  const auto& next_page = std::get<FollowUp>(reading.value()).request;
  EXPECT_EQ(next_page.method, "GET");
  EXPECT_EQ(next_page.url,
            "https://api.stripe.test/v1/subscriptions?customer=cus_1&limit=100&starting_after=sub_d");
  EXPECT_EQ(next_page.headers.get("Stripe-Version").value_or(""), "2024-06-20");

  answers.push_back(page({subscription("sub_e", "past_due", {{"behavior", "void"}, {"resumes_at", nullptr}}),
                          subscription("sub_f", "unpaid"),
                          subscription("sub_g", "active", {{"behavior", "keep_as_draft"}, {"resumes_at", 1767225600}})},
                         false));
  // sub_a, sub_e (another behavior), sub_f and sub_g (resumes by itself) are written, in
  // list order; sub_b is paused already, sub_c and sub_d do not collect.
  std::vector<std::string> keys;
  for (const char* id : {"sub_a", "sub_e", "sub_f", "sub_g"}) {
    reading = connector.read_exchange(request, answers);
    ASSERT_TRUE(reading) << reading.error().message;
    const auto& write = std::get<FollowUp>(reading.value()).request;
    EXPECT_EQ(write.method, "POST");
    EXPECT_EQ(write.url, std::string("https://api.stripe.test/v1/subscriptions/") + id);
    EXPECT_EQ(write.body, "pause_collection%5Bbehavior%5D=keep_as_draft");
    EXPECT_EQ(write.headers.get("Content-Type").value_or(""), "application/x-www-form-urlencoded");
    EXPECT_EQ(write.headers.get("Idempotency-Key").value_or(""), std::string("inst-9:billing_collection/") + id);
    answers.push_back(written(write, "active"));
  }
  reading = connector.read_exchange(request, answers);
  ASSERT_TRUE(reading) << reading.error().message;
  const auto& output = std::get<nlohmann::json>(reading.value());
  EXPECT_EQ(output["customer"], "cus_1");
  EXPECT_EQ(output["paused"], true);
  EXPECT_EQ(output["behavior"], "keep_as_draft");
  EXPECT_EQ(output["changed"], 4);
  ASSERT_EQ(output["subscriptions"].size(), 5u);  // the collecting ones
  EXPECT_EQ(output["subscriptions"][0],
            (nlohmann::json{{"id", "sub_a"}, {"status", "active"}, {"pause_collection", kDraft}, {"changed", true}}));
  EXPECT_EQ(output["subscriptions"][1],
            (nlohmann::json{{"id", "sub_b"}, {"status", "trialing"}, {"pause_collection", kDraft}, {"changed", false}}));
  EXPECT_EQ(output["subscriptions"][4]["id"], "sub_g");
}

TEST_F(StripeConnectorTest, SetCustomerCollectionResumesOnlyPausedOnesAndAnswersAtOnceWhenNothingIsToDo) {
  const auto request = action("set_customer_collection", {{"customer", "cus_1"}, {"paused", false}});
  std::vector<http::Response> answers{page({subscription("sub_a", "active", kDraft), subscription("sub_b", "active")}, false)};
  auto reading = connector.read_exchange(request, answers);
  ASSERT_TRUE(reading);
  const auto& write = std::get<FollowUp>(reading.value()).request;
  EXPECT_EQ(write.url, "https://api.stripe.test/v1/subscriptions/sub_a");
  EXPECT_EQ(write.body, "pause_collection=");
  EXPECT_EQ(write.headers.get("Idempotency-Key").value_or(""), "wf-7:credit/sub_a");
  answers.push_back(written(write, "active"));
  reading = connector.read_exchange(request, answers);
  ASSERT_TRUE(reading);
  EXPECT_EQ(std::get<nlohmann::json>(reading.value())["changed"], 1);
  EXPECT_TRUE(std::get<nlohmann::json>(reading.value())["behavior"].is_null());

  // The same step again (a repeated attempt): everything is resumed, nothing is written.
  reading = connector.read_exchange(request, {page({subscription("sub_a", "active"), subscription("sub_b", "active")}, false)});
  ASSERT_TRUE(reading);
  const auto& output = std::get<nlohmann::json>(reading.value());
  EXPECT_EQ(output["changed"], 0);
  EXPECT_EQ(output["subscriptions"].size(), 2u);
  reading = connector.read_exchange(request, {page(nlohmann::json::array(), false)});
  ASSERT_TRUE(reading);
  EXPECT_EQ(std::get<nlohmann::json>(reading.value())["subscriptions"], nlohmann::json::array());
}

TEST_F(StripeConnectorTest, SetCustomerCollectionBeyondOneAttemptsRequestsFailsTransientlyAfterItsWrites) {
  const auto request = action("set_customer_collection",
                              {{"customer", "cus_1"}, {"paused", true}, {"behavior", "void"}});
  nlohmann::json data = nlohmann::json::array();
  for (int i = 0; i < 9; ++i) data.push_back(subscription("sub_" + std::to_string(i), "active"));
  std::vector<http::Response> answers{page(data, false)};
  for (;;) {
    auto reading = connector.read_exchange(request, answers);
    if (!reading) {
      EXPECT_EQ(reading.error().cls, FailureClass::transient);
      EXPECT_TRUE(has(reading.error().message, "changed 7 of 9 subscriptions of customer cus_1"))
          << reading.error().message;
      break;
    }
    ASSERT_LT(answers.size(), static_cast<std::size_t>(kMaxExchanges));
    answers.push_back(written(std::get<FollowUp>(reading.value()).request, "active"));
  }
  EXPECT_EQ(answers.size(), static_cast<std::size_t>(kMaxExchanges));
}

TEST_F(StripeConnectorTest, SetCustomerCollectionReadsAnUnreadableWriteAsAnUnknownOutcome) {
  const auto request = action("set_customer_collection",
                              {{"customer", "cus_1"}, {"paused", true}, {"behavior", "void"}});
  http::Response cut;
  cut.status = 200;
  cut.body = "{\"id\":\"sub_a\",";
  auto reading = connector.read_exchange(request, {page({subscription("sub_a", "active")}, false), cut});
  ASSERT_FALSE(reading);
  EXPECT_EQ(reading.error().cls, FailureClass::unknown_outcome);
  EXPECT_TRUE(has(reading.error().message, "subscription sub_a")) << reading.error().message;
  reading = connector.read_exchange(request, {cut});
  ASSERT_FALSE(reading);
  EXPECT_EQ(reading.error().cls, FailureClass::transient);  // the list: a read, made again
}

TEST(StripeConnectorActions, NamesEveryActionOnce) {
  const auto& names = StripeConnector::action_names();
  EXPECT_EQ(names.size(), 34u);
  for (const char* expected :
       {"create_product", "create_price", "create_invoice_item", "create_invoice", "finalize_invoice",
        "pay_invoice", "create_customer", "update_customer", "get_customer", "search_customers",
        "find_customers_by_metadata", "list_customers", "get_invoice", "list_invoices",
        "create_credit_note", "void_credit_note", "get_credit_note", "create_refund",
        "get_subscription", "create_subscription", "update_subscription", "cancel_subscription",
        "create_balance_transaction", "list_events", "get_event", "get_dispute", "update_invoice", "get_charge",
         "list_refunds", "get_refund", "delete_customer", "update_price", "list_subscriptions",
         "set_customer_collection"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), expected), 1) << expected;
  }
}

}  // namespace
}  // namespace weft::connectors::stripe
