// The shipped NetSuite and Salesforce mappings (mappings/netsuite.yaml, salesforce.yaml)
// applied to record changes as Weft's relays post them (docs/connectors/netsuite.md,
// salesforce-inbound.md): credit holds, customers, new invoices, closed-won opportunities, and
// what is ignored.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "mapping/canonical_event.hpp"
#include "mapping/mapping_set.hpp"
#include "support/shipped_mappings.hpp"

namespace weft::mapping {
namespace {

using nlohmann::json;

const MappingSet& shipped() { return test::shipped_mappings(); }

// The relays' envelope.
json relayed(const std::string& type, const std::string& record_id, json record,
             json changed_fields = json::array(), json external_id = nullptr) {
  return json{{"id", "evt-" + type + "-" + record_id},
              {"type", type},
              {"occurred_at", "2024-05-31T16:08:37Z"},
              {"record_type", type.substr(0, type.find('.'))},
              {"record_id", record_id},
              {"external_id", std::move(external_id)},
              {"changed_fields", std::move(changed_fields)},
              {"record", std::move(record)}};
}

Result<std::vector<CanonicalEvent>, MappingError> map_event(const std::string& platform,
                                                        const json& body) {
  RawEvent raw;
  raw.connector = platform + "-main";
  raw.event_id = body["id"].get<std::string>();
  raw.event_type = body["type"].get<std::string>();
  raw.body = body.dump();
  raw.occurred_at_ms = 1'700'000'000'000;
  raw.received_at_ms = 1'700'000'005'000;
  raw.seq = 3;
  auto result = shipped().apply(platform, raw);
  if (result) {
    EXPECT_EQ(test::schema_violations(*result), "") << "mapping " << platform << " " << raw.event_type;
  }
  return result;
}

std::vector<CanonicalEvent> events(const Result<std::vector<CanonicalEvent>, MappingError>& r) {
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return {};
  }
  return *r;
}

// A NetSuite customer as the REST record API returns it (select fields as {id, refName}).
json netsuite_customer(json hold) {
  return json{{"links", json::array()},
              {"id", "14"},
              {"entityId", "ACME-001"},
              {"companyName", "Acme GmbH"},
              {"isPerson", false},
              {"email", "ap@acme.example"},
              {"phone", "+49 30 1234"},
              {"externalId", "cus_QXg1o8vcGmoR32"},
              {"subsidiary", {{"id", "1"}, {"refName", "Parent Company"}}},
              {"currency", {{"id", "1"}, {"refName", "USA"}, {"symbol", "USD"}}},
              {"creditLimit", 5000.0},
              {"balance", 6200.5},
              {"overdueBalance", 1200.0},
              {"dateCreated", "2023-01-10T09:00:00Z"},
              {"creditHoldOverride", std::move(hold)}};
}

TEST(RelayedMappings, BothFilesLoadAndEveryEntryIsExercisedBelow) {
  const auto platforms = shipped().platforms();
  EXPECT_TRUE(std::find(platforms.begin(), platforms.end(), "netsuite") != platforms.end());
  EXPECT_TRUE(std::find(platforms.begin(), platforms.end(), "salesforce") != platforms.end());
  const std::set<std::string> sampled{
      "netsuite customer.created",      "netsuite customer.updated",
      "netsuite customer.deleted",      "salesforce Opportunity.created",
      "salesforce Opportunity.updated", "salesforce Account.created",
      "salesforce Account.updated",     "salesforce Opportunity.deleted",
      "salesforce Account.deleted",     "netsuite invoice.*",
      "netsuite customerPayment.*",     "netsuite creditMemo.*",
      "netsuite customerRefund.*",      "netsuite journalEntry.*",
      "netsuite salesOrder.*",          "netsuite invoice.created"};
  std::set<std::string> entries;
  for (const auto& entry : shipped().entries()) {
    if (entry.platform != "netsuite" && entry.platform != "salesforce") continue;
    entries.insert(entry.platform + " " + entry.event);
  }
  EXPECT_EQ(entries, sampled);
}

TEST(RelayedMappings, NetSuiteCreditHoldSetIsCustomerUpsertedThenCreditHoldChanged) {
  const auto out = events(map_event("netsuite", relayed("customer.updated", "14",
                                                     netsuite_customer(json{{"id", "ON"}, {"refName", "On"}}),
                                                     json::array({"creditHoldOverride"}), "cus_QXg1o8vcGmoR32")));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].type, "customer.upserted");
  EXPECT_EQ(out[1].type, "account.credit_hold_set");
  for (const auto& e : out) {
    EXPECT_EQ(e.business_key, "ns:customer:14");
    EXPECT_EQ(e.occurred_at_ms, 1717171717000);
    EXPECT_EQ(e.source_connector, "netsuite-main");
    EXPECT_EQ(e.mapping_version, 1);
  }
  const json& hold = out[1].payload;
  EXPECT_EQ(hold["customer_id"], "14");
  EXPECT_EQ(hold["external_id"], "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(hold["name"], "Acme GmbH");
  EXPECT_EQ(hold["on_hold"], true);
  EXPECT_EQ(hold["credit_hold_override"], "ON");
  EXPECT_EQ(hold["credit_limit"], 500000);  // minor units
  EXPECT_EQ(hold["account_balance"], 620050);
  EXPECT_EQ(hold["overdue_balance"], 120000);
  EXPECT_EQ(hold["currency"], "usd");  // from the symbol, not the record name
  EXPECT_NE(out[0].id, out[1].id);
}

TEST(RelayedMappings, NetSuiteCreditHoldOffAndAutoAndPlainStringValues) {
  auto off = events(map_event("netsuite", relayed("customer.updated", "14", netsuite_customer("off"),
                                              json::array({"creditHoldOverride"}))));
  ASSERT_EQ(off.size(), 2u);
  EXPECT_EQ(off[1].payload["on_hold"], false);
  EXPECT_EQ(off[1].payload["credit_hold_override"], "OFF");

  // AUTO: NetSuite holds a customer over its credit limit (6200.5 > 5000 here).
  auto over = events(map_event("netsuite", relayed("customer.updated", "14", netsuite_customer("AUTO"),
                                               json::array({"creditHoldOverride", "email"}))));
  ASSERT_EQ(over.size(), 2u);
  EXPECT_EQ(over[1].payload["on_hold"], true);
  json under_record = netsuite_customer(json{{"id", "AUTO"}, {"refName", "Auto"}});
  under_record["balance"] = 10.0;
  auto under = events(map_event("netsuite", relayed("customer.updated", "14", under_record,
                                                json::array({"creditHoldOverride"}))));
  ASSERT_EQ(under.size(), 2u);
  EXPECT_EQ(under[1].payload["on_hold"], false);
  under_record.erase("creditLimit");
  auto no_limit = events(map_event("netsuite", relayed("customer.updated", "14", under_record,
                                                   json::array({"creditHoldOverride"}))));
  ASSERT_EQ(no_limit.size(), 2u);
  EXPECT_EQ(no_limit[1].payload["on_hold"], false);
}

// A poll cannot say what changed (changed_fields null): the hold is reported as it stands,
// so a hold whose relay was lost still arrives; without the field there is nothing to report.
TEST(RelayedMappings, NetSuitePolledUpdateReportsTheHoldAsItStands) {
  auto polled = events(map_event("netsuite", relayed("customer.updated", "14", netsuite_customer("ON"), nullptr)));
  ASSERT_EQ(polled.size(), 2u);
  EXPECT_EQ(polled[1].type, "account.credit_hold_set");
  EXPECT_EQ(polled[1].payload["on_hold"], true);

  json without_hold = netsuite_customer("ON");
  without_hold.erase("creditHoldOverride");
  auto plain = events(map_event("netsuite", relayed("customer.updated", "14", without_hold, nullptr)));
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].type, "customer.upserted");
}

TEST(RelayedMappings, NetSuiteCustomerChangesWithoutTheHoldAreOnlyCustomerUpserted) {
  for (const char* type : {"customer.created", "customer.updated"}) {
    const auto out = events(map_event("netsuite", relayed(type, "14", netsuite_customer("OFF"),
                                                      json::array({"email", "phone"}))));
    ASSERT_EQ(out.size(), 1u) << type;
    const auto& e = out[0];
    EXPECT_EQ(e.type, "customer.upserted");
    EXPECT_EQ(e.schema_version, 1);
    EXPECT_EQ(e.business_key, "ns:customer:14");
    // The keys of stripe.yaml's customer.upserted, then NetSuite's own.
    for (const char* key : {"customer_id", "name", "email", "phone", "currency", "balance",
                            "delinquent", "address", "metadata", "created"}) {
      EXPECT_TRUE(e.payload.contains(key)) << key;
    }
    EXPECT_EQ(e.payload["customer_id"], "14");
    EXPECT_EQ(e.payload["name"], "Acme GmbH");
    EXPECT_EQ(e.payload["email"], "ap@acme.example");
    EXPECT_EQ(e.payload["external_id"], "cus_QXg1o8vcGmoR32");  // from the record
    EXPECT_EQ(e.payload["entity_id"], "ACME-001");
    EXPECT_EQ(e.payload["subsidiary_id"], "1");
    EXPECT_EQ(e.payload["credit_limit"], 500000);
    EXPECT_EQ(e.payload["change"], std::string(type).substr(9));
  }
  // A person: the name from first and last name.
  json person = netsuite_customer("OFF");
  person.erase("companyName");
  person["isPerson"] = true;
  person["firstName"] = "Ada";
  person["lastName"] = "Lovelace";
  const auto out = events(map_event("netsuite", relayed("customer.created", "15", person)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload["name"], "Ada Lovelace");
}

TEST(RelayedMappings, NetSuiteDeletedCustomerIsIgnoredAndOtherRecordsSurface) {
  const auto deleted = map_event("netsuite", relayed("customer.deleted", "14", json::object()));
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_TRUE(deleted->empty());
  // A record type nobody mapped is not dropped silently: it reaches the workbench.
  const auto bill = map_event("netsuite", relayed("vendorBill.updated", "104", json::object()));
  ASSERT_FALSE(bill);
  EXPECT_EQ(bill.error().code, MappingErrc::no_mapping);
  // Weft's own postings coming back are ignored on purpose.
  for (const char* type : {"invoice.updated", "customerPayment.created", "creditMemo.created",
                           "customerRefund.created", "journalEntry.created", "salesOrder.updated"}) {
    const auto echo = map_event("netsuite", relayed(type, "104", json::object()));
    ASSERT_TRUE(echo) << type << ": " << echo.error().message;
    EXPECT_TRUE(echo->empty()) << type;
  }
}

// A new NetSuite invoice is reported (invoice.posted, for workflows waiting for the ERP's
// invoice), keyed by its externalId — the Stripe invoice id — else by its internal id.
TEST(RelayedMappings, NetSuiteNewInvoiceIsInvoicePostedKeyedByItsExternalId) {
  const json record = {{"id", "104"},
                       {"tranId", "INV104"},
                       {"externalId", "in_1PgcAB"},
                       {"entity", {{"id", "14"}, {"refName", "Acme GmbH"}}},
                       {"tranDate", "2024-05-31"}};
  const auto out = events(map_event("netsuite", relayed("invoice.created", "104", record, json::array(), "in_1PgcAB")));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, "invoice.posted");
  EXPECT_EQ(out[0].business_key, "in_1PgcAB");
  EXPECT_EQ(out[0].payload, (json{{"invoice_id", "104"}, {"external_id", "in_1PgcAB"}, {"number", "INV104"},
                                  {"customer_id", "14"}, {"tran_date", "2024-05-31"}}));

  json without = record;
  without.erase("externalId");
  const auto unlinked = events(map_event("netsuite", relayed("invoice.created", "105", without)));
  ASSERT_EQ(unlinked.size(), 1u);
  EXPECT_EQ(unlinked[0].business_key, "ns:invoice:105");
  EXPECT_EQ(unlinked[0].payload["external_id"], nullptr);
}

TEST(RelayedMappings, NetSuiteBodiesWithoutWhatTheMappingNeedsFailNamingIt) {
  json body = relayed("customer.updated", "14", netsuite_customer("ON"), json::array({"creditHoldOverride"}));
  body.erase("record_id");
  const auto no_id = map_event("netsuite", body);
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().code, MappingErrc::failed);
  EXPECT_NE(no_id.error().message.find("record_id is missing"), std::string::npos)
      << no_id.error().message;

  json record = netsuite_customer("ON");
  record.erase("creditHoldOverride");
  const auto no_hold =
      map_event("netsuite", relayed("customer.updated", "14", record, json::array({"creditHoldOverride"})));
  ASSERT_FALSE(no_hold);
  EXPECT_NE(no_hold.error().message.find("creditHoldOverride is missing"), std::string::npos)
      << no_hold.error().message;
}

json opportunity(bool won) {
  return json{{"attributes", {{"type", "Opportunity"}}},
              {"Id", "0065g00000AbCdEAAZ"},
              {"AccountId", "0015g00000XyZwVAAV"},
              {"Name", "Acme - 200 seats"},
              {"Amount", 48000.0},
              {"CurrencyIsoCode", "EUR"},
              {"CloseDate", "2024-06-28"},
              {"StageName", won ? "Closed Won" : "Negotiation/Review"},
              {"IsClosed", won},
              {"IsWon", won},
              {"Type", "New Business"},
              {"OwnerId", "0055g00000OwNeRAAA"},
              {"OpportunityLineItems",
               {{"totalSize", 1},
                {"done", true},
                {"records",
                 {{{"Id", "00k5g00000LiNeAAAA"},
                   {"Product2Id", "01t5g00000PrOdAAAA"},
                   {"PricebookEntryId", "01u5g00000PbEnAAAA"},
                   {"ProductCode", "SEAT"},
                   {"Name", "Seat licence"},
                   {"Quantity", 200},
                   {"UnitPrice", 240.0},
                   {"TotalPrice", 48000.0}}}}}}};
}

TEST(RelayedMappings, SalesforceOpportunityWonIsOpportunityClosedWon) {
  const auto out = events(map_event("salesforce", relayed("Opportunity.updated", "0065g00000AbCdEAAZ",
                                                      opportunity(true), json::array({"StageName", "IsWon"}))));
  ASSERT_EQ(out.size(), 1u);
  const auto& e = out[0];
  EXPECT_EQ(e.type, "order.closed_won");
  EXPECT_EQ(e.business_key, "0015g00000XyZwVAAV");  // the account
  const json& p = e.payload;
  EXPECT_EQ(p["opportunity_id"], "0065g00000AbCdEAAZ");
  EXPECT_EQ(p["account_id"], "0015g00000XyZwVAAV");
  EXPECT_EQ(p["name"], "Acme - 200 seats");
  EXPECT_EQ(p["amount"], 4800000);  // minor units
  EXPECT_EQ(p["currency"], "eur");
  EXPECT_EQ(p["close_date"], "2024-06-28");
  ASSERT_EQ(p["line_items"].size(), 1u);
  EXPECT_EQ(p["line_items"][0]["product_id"], "01t5g00000PrOdAAAA");
  EXPECT_EQ(p["line_items"][0]["quantity"], 200);
  EXPECT_EQ(p["line_items"][0]["total_price"], 4800000);

  // Created already won, or without changed_fields: won too. A plain array of lines works.
  json plain = opportunity(true);
  plain["OpportunityLineItems"] = plain["OpportunityLineItems"]["records"];
  const auto created = events(map_event("salesforce", relayed("Opportunity.created", "0065g00000AbCdEAAZ", plain)));
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].payload["line_items"].size(), 1u);
  json no_fields = relayed("Opportunity.updated", "0065g00000AbCdEAAZ", opportunity(true));
  no_fields["changed_fields"] = nullptr;
  EXPECT_EQ(events(map_event("salesforce", no_fields)).size(), 1u);
}

TEST(RelayedMappings, SalesforceOpportunityNotWonOrAlreadyWonIsIgnored) {
  const auto open = map_event("salesforce", relayed("Opportunity.updated", "0065g00000AbCdEAAZ",
                                                opportunity(false), json::array({"StageName"})));
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_TRUE(open->empty());
  // An edit of a deal won earlier (IsWon did not change) does not repeat closed_won.
  const auto edit = map_event("salesforce", relayed("Opportunity.updated", "0065g00000AbCdEAAZ",
                                                opportunity(true), json::array({"Description"})));
  ASSERT_TRUE(edit) << edit.error().message;
  EXPECT_TRUE(edit->empty());
  // Without line items and without an account: no lines, keyed by the opportunity.
  json bare = opportunity(true);
  bare.erase("OpportunityLineItems");
  bare["AccountId"] = nullptr;
  const auto out = events(map_event("salesforce", relayed("Opportunity.created", "0065g00000AbCdEAAZ", bare)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].business_key, "0065g00000AbCdEAAZ");
  EXPECT_EQ(out[0].payload["line_items"], json::array());
  for (const char* type : {"Opportunity.deleted", "Account.deleted"}) {
    const auto deleted = map_event("salesforce", relayed(type, "0065g00000AbCdEAAZ", json::object()));
    ASSERT_TRUE(deleted) << type;
    EXPECT_TRUE(deleted->empty()) << type;
  }
}

TEST(RelayedMappings, SalesforceAccountIsCustomerUpserted) {
  const json account = {{"attributes", {{"type", "Account"}}},
                        {"Id", "0015g00000XyZwVAAV"},
                        {"Name", "Acme GmbH"},
                        {"Phone", "+49 30 1234"},
                        {"CurrencyIsoCode", "EUR"},
                        {"AccountNumber", "A-1001"},
                        {"Type", "Customer"},
                        {"Website", "https://acme.example"},
                        {"CreatedDate", "2023-01-10T09:00:00.000+0000"},
                        {"BillingAddress",
                         {{"street", "Torstr. 1"}, {"city", "Berlin"}, {"postalCode", "10119"},
                          {"country", "Germany"}, {"countryCode", "DE"}, {"state", nullptr}}}};
  for (const char* type : {"Account.created", "Account.updated"}) {
    const auto out = events(map_event("salesforce", relayed(type, "0015g00000XyZwVAAV", account,
                                                        json::array({"Name"}), "cus_QXg1o8vcGmoR32")));
    ASSERT_EQ(out.size(), 1u) << type;
    const auto& e = out[0];
    EXPECT_EQ(e.type, "customer.upserted");
    EXPECT_EQ(e.business_key, "0015g00000XyZwVAAV");
    for (const char* key : {"customer_id", "name", "email", "phone", "currency", "balance",
                            "delinquent", "address", "metadata", "created"}) {
      EXPECT_TRUE(e.payload.contains(key)) << key;
    }
    EXPECT_EQ(e.payload["customer_id"], "0015g00000XyZwVAAV");
    EXPECT_EQ(e.payload["name"], "Acme GmbH");
    EXPECT_EQ(e.payload["address"]["country"], "DE");
    EXPECT_EQ(e.payload["address"]["line1"], "Torstr. 1");
    EXPECT_EQ(e.payload["external_id"], "cus_QXg1o8vcGmoR32");
  }
  // An sObject nobody mapped reaches the workbench.
  const auto contact = map_event("salesforce", relayed("Contact.updated", "0035g00000CoNtAAAA", json::object()));
  ASSERT_FALSE(contact);
  EXPECT_EQ(contact.error().code, MappingErrc::no_mapping);
}

}  // namespace
}  // namespace weft::mapping
