// The seeded scenario plan: the same seed gives the same operations, byte for byte; the
// activity scales with --customers; every customer is linked across the four platforms by its
// Stripe customer id; references name only earlier operations and resolve.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "scenario/scenario_plan.hpp"

namespace weft::scenario {
namespace {

using nlohmann::json;

json as_json(const Plan& plan) {
  json out = json::array();
  for (const Operation& o : plan.operations) {
    out.push_back({{"id", o.id}, {"platform", o.platform}, {"action", o.action}, {"input", o.input},
                   {"key", o.idempotency_key}, {"channel", o.channel == Channel::api ? "api" : "helper"}});
  }
  return out;
}

Plan planned(std::uint64_t seed, int customers) {
  auto plan = plan_scenario({seed, customers});
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error());
  return std::move(plan).value();
}

const Operation& find(const Plan& plan, const std::string& id) {
  for (const Operation& o : plan.operations) {
    if (o.id == id) return o;
  }
  throw std::runtime_error("no operation " + id);
}

TEST(ScenarioPlan, SameSeedGivesTheSameOperationsByteForByte) {
  EXPECT_EQ(as_json(planned(42, 50)).dump(), as_json(planned(42, 50)).dump());
}

TEST(ScenarioPlan, AnotherSeedGivesAnotherScenario) {
  EXPECT_NE(as_json(planned(42, 50)).dump(), as_json(planned(43, 50)).dump());
}

TEST(ScenarioPlan, ActivityScalesWithCustomers) {
  const Plan small = planned(9, 20), large = planned(9, 400);
  EXPECT_EQ(small.counts.at("customers"), 20);
  EXPECT_EQ(large.counts.at("customers"), 400);
  for (const char* what : {"invoices", "invoices_paid", "subscriptions", "credit_requests"}) {
    // Each customer has 1–3 invoices and the other activities by chance: 20x the customers,
    // well over 10x the activity.
    EXPECT_GT(large.counts.at(what), 10 * small.counts.at(what)) << what;
  }
  EXPECT_GE(large.counts.at("invoices"), 400);
  EXPECT_LE(large.counts.at("invoices"), 1200);
  for (const char* rare : {"upgrades", "invoice_disputes", "chargebacks", "refund_requests", "credit_holds",
                           "credit_releases", "closed_won", "subscriptions_unpaid", "invoices_open",
                           "chargebacks_closed", "invoice_disputes_solved", "replacement_requests"}) {
    EXPECT_GT(large.counts.count(rare) ? large.counts.at(rare) : 0, 0) << rare;
  }
}

TEST(ScenarioPlan, EveryCustomerIsLinkedByItsStripeCustomerId) {
  const Plan plan = planned(5, 30);
  for (int i = 1; i <= 30; ++i) {
    char tag[8];
    std::snprintf(tag, sizeof tag, "c%04d", i);
    const std::string stripe_id = reference(std::string(tag) + ".stripe_customer", "/id");
    const Operation& netsuite = find(plan, std::string(tag) + ".netsuite_customer");
    EXPECT_EQ(netsuite.platform, "netsuite");
    EXPECT_EQ(netsuite.action, "upsert_customer");
    EXPECT_EQ(netsuite.input["external_id"], stripe_id);
    const Operation& zendesk = find(plan, std::string(tag) + ".zendesk_organization");
    EXPECT_EQ(zendesk.action, "upsert_organization");
    EXPECT_EQ(zendesk.input["external_id"], stripe_id);
    const Operation& salesforce = find(plan, std::string(tag) + ".salesforce_account");
    EXPECT_EQ(salesforce.action, "upsert_account");
    EXPECT_EQ(salesforce.input["external_id_field"], kSalesforceExternalIdField);
    EXPECT_EQ(salesforce.input["external_id"], stripe_id);
  }
}

TEST(ScenarioPlan, IdsAndKeysAreUniqueAndReferencesPointBackwards) {
  const Plan plan = planned(11, 60);
  std::set<std::string> ids, keys, names;
  std::map<std::string, json> outputs;  // stand-in outputs: every operation "returns" its id
  for (const Operation& o : plan.operations) {
    // Resolving against the operations before this one only: a forward reference fails.
    auto resolved = resolve_references(o.input, outputs);
    ASSERT_TRUE(resolved.ok()) << o.id << ": " << resolved.error();
    auto action = resolve_references(json(o.action), outputs);  // a helper's path may refer too
    ASSERT_TRUE(action.ok()) << o.id << ": " << action.error();
    EXPECT_TRUE(ids.insert(o.id).second) << o.id;
    EXPECT_TRUE(keys.insert(o.idempotency_key).second) << o.idempotency_key;
    EXPECT_EQ(o.idempotency_key, "scenario-11-" + o.id);
    if (o.action == "upsert_organization") {
      EXPECT_TRUE(names.insert(o.input["name"]).second) << o.input["name"];
    }
    json fake = {{"id", o.id}, {"number", "N-" + o.id}, {"items", {{"data", json::array({{{"id", "si"}}})}}},
                 {"organization", {{"id", 1}}}, {"user", {{"id", 2}}}, {"ticket", {{"id", 3}}}};
    outputs[o.id] = fake;
  }
}

TEST(ScenarioPlan, TicketsAreTaggedAndNameTheirInvoiceOrTheItemToReplace) {
  const Plan plan = planned(3, 80);
  int credit = 0, replacement = 0;
  for (const Operation& o : plan.operations) {
    if (o.action != "create_ticket") continue;
    const std::string tag = o.input["tags"][0];
    EXPECT_TRUE(tag == kCreditRequestTag || tag == kInvoiceDisputeTag || tag == kRefundRequestTag ||
                tag == kReplacementRequestTag)
        << tag;
    if (tag == kReplacementRequestTag) {
      ++replacement;
      EXPECT_EQ(o.input["custom_fields"][0]["id"], kReplacementItemFieldId);
      EXPECT_TRUE(o.input["custom_fields"][0]["value"].is_string());
      EXPECT_EQ(o.input["custom_fields"][1]["id"], kReplacementQuantityFieldId);
      EXPECT_GE(o.input["custom_fields"][1]["value"].get<int>(), 1);
      continue;
    }
    EXPECT_EQ(o.input["custom_fields"][0]["id"], kInvoiceFieldId);
    if (tag == kCreditRequestTag) {
      ++credit;
      EXPECT_EQ(o.input["custom_fields"][1]["id"], kCreditAmountFieldId);
      EXPECT_GT(o.input["custom_fields"][1]["value"].get<int>(), 0);
    }
  }
  EXPECT_EQ(credit, plan.counts.at("credit_requests"));
  EXPECT_EQ(replacement, plan.counts.count("replacement_requests") ? plan.counts.at("replacement_requests") : 0);
}

// A subscribed customer's replacement request comes after its subscription (in that chain):
// the workflow then finds the customer entitled, unless something else stands in the way.
TEST(ScenarioPlan, AReplacementRequestComesAfterTheCustomersSubscription) {
  const Plan plan = planned(7, 400);
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < plan.operations.size(); ++i) position[plan.operations[i].id] = i;
  int after_subscription = 0;
  for (const auto& [id, at] : position) {
    if (!id.ends_with(".replacement_request")) continue;
    const std::string customer = id.substr(0, id.find('.'));
    const auto subscription = position.find(customer + ".subscription");
    if (subscription == position.end()) continue;
    EXPECT_LT(subscription->second, at) << id;
    if (const auto upgrade = position.find(customer + ".upgrade"); upgrade != position.end()) {
      EXPECT_LT(upgrade->second, at) << id;
    }
    ++after_subscription;
  }
  EXPECT_GT(after_subscription, 0);
}

// Some chargebacks are closed by Stripe (won or lost) and some dispute tickets solved with a
// resolution, each after what it resolves; the others stay open.
TEST(ScenarioPlan, SomeDisputesAreResolvedAfterTheyAreOpened) {
  const Plan plan = planned(5, 200);
  std::set<std::string> seen;
  int closed = 0, solved = 0;
  for (const Operation& o : plan.operations) {
    if (o.id.ends_with(".chargeback_close")) {
      const std::string opened = o.id.substr(0, o.id.size() - 6);  // c0001.invoice1.chargeback
      EXPECT_TRUE(seen.count(opened)) << o.id << " before " << opened;
      EXPECT_EQ(o.channel, Channel::sandbox_helper);
      EXPECT_EQ(o.action, "/_sandbox/stripe/disputes/" + reference(opened, "/id") + "/close");
      EXPECT_TRUE(o.input["status"] == "won" || o.input["status"] == "lost") << o.input.dump();
      ++closed;
    }
    if (o.id.ends_with(".invoice_dispute_solved")) {
      const std::string opened = o.id.substr(0, o.id.size() - 7);  // c0001.invoice_dispute
      EXPECT_TRUE(seen.count(opened)) << o.id << " before " << opened;
      EXPECT_EQ(o.action, "update_ticket");
      EXPECT_EQ(o.input["id"], reference(opened, "/ticket/id"));
      EXPECT_EQ(o.input["status"], "solved");
      EXPECT_EQ(o.input["custom_fields"][0]["id"], kDisputeResolutionFieldId);
      EXPECT_FALSE(o.input["custom_fields"][0]["value"].get<std::string>().empty());
      ++solved;
    }
    seen.insert(o.id);
  }
  EXPECT_EQ(closed, plan.counts.at("chargebacks_closed"));
  EXPECT_EQ(solved, plan.counts.at("invoice_disputes_solved"));
  EXPECT_LT(closed, plan.counts.at("chargebacks"));        // some stay open
  EXPECT_LT(solved, plan.counts.at("invoice_disputes"));
}

TEST(ScenarioPlan, CustomersOutOfRangeAreRefused) {
  for (int customers : {0, -3, kMaxCustomers + 1}) {
    auto plan = plan_scenario({1, customers});
    ASSERT_FALSE(plan.ok());
    EXPECT_NE(plan.error().find("--customers"), std::string::npos) << plan.error();
  }
}

TEST(ScenarioReferences, WholeStringKeepsTypeAndEmbeddedIsText) {
  const std::map<std::string, json> outputs{{"a", {{"id", 7}, {"name", "x"}}}};
  EXPECT_EQ(resolve_references("{{a#/id}}", outputs).value(), json(7));
  EXPECT_EQ(resolve_references("id {{a#/id}} of {{a#/name}}", outputs).value(), json("id 7 of x"));
  EXPECT_EQ(resolve_references(json{{"k", json::array({"{{a#/name}}"})}}, outputs).value(),
            (json{{"k", json::array({"x"})}}));
}

TEST(ScenarioReferences, UnknownOperationOrMissingFieldIsAnError) {
  const std::map<std::string, json> outputs{{"a", {{"id", 7}}}};
  auto unknown = resolve_references("{{b#/id}}", outputs);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("no output of operation b"), std::string::npos);
  auto missing = resolve_references("{{a#/nope}}", outputs);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("nothing there"), std::string::npos);
  EXPECT_FALSE(resolve_references("{{a#/id", outputs).ok());
}

}  // namespace
}  // namespace weft::scenario
