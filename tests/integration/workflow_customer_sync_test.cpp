// The shipped customer-sync workflow end to end: a customer created or changed on any of
// `weft sandbox`'s four platforms (through the platforms' APIs, as their users would) reaches
// the hub, identity resolution names its canonical customer, and the workflow links or creates
// it on the other platforms — exactly one Stripe customer, NetSuite customer, Zendesk
// organization and Salesforce Account per customer, linked by the Stripe id. Also: a change
// carried everywhere whose echoes write nothing (counted in the sandbox's request log), the
// same event again and an older one late, the targets answering 429 and 5xx for a while, down
// and back, a record linked by another convention (an exception with its reason), and an
// unlinked record that identity resolution matches (linked, not duplicated).

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "connectors/netsuite/oauth1.hpp"
#include "crypto/hmac.hpp"
#include "shipped_workflow_fixture.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// One customer as the sandbox holds it on each platform, found by its Stripe id.
struct Everywhere {
  json stripe, netsuite, zendesk, salesforce;
};

class CustomerSyncTest : public ShippedWorkflowTest {
 protected:
  CustomerSyncTest() : ShippedWorkflowTest("customer-sync") {}

  std::string stripe_customer(const std::string& name, const std::string& email = "") {
    json input = {{"name", name}};
    if (!email.empty()) input["email"] = email;
    return hub_.act("stripe", "create_customer", input, "test-customer-" + name).at("id");
  }

  // Records created without any link, as a person creates them in the platform's own UI or
  // API (Weft's connectors only write by external id, so these go to the APIs directly).
  std::string netsuite_customer(const std::string& name, const std::string& email) {
    const std::string url = hub_.sandbox_url() + "/services/rest/record/v1/customer";
    connectors::netsuite::OAuth1Params params;
    params.consumer_key = "ns_demo_consumer_key";
    params.token = "ns_demo_token_id";
    params.nonce = std::to_string(std::random_device{}()) + std::to_string(std::random_device{}());
    params.timestamp = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
    const std::string signature = connectors::netsuite::signature(
        connectors::netsuite::signature_base_string("POST", url, params), "ns_demo_consumer_secret",
        "ns_demo_token_secret");
    const auto answer = platform_call("POST", "/services/rest/record/v1/customer",
                                      {{"Authorization", connectors::netsuite::authorization_header(
                                                             "1234567_SB1", params, signature)},
                                       {"Content-Type", "application/json"}},
                                      json{{"companyName", name}, {"email", email}}.dump());
    for (const auto& [header, value] : answer.headers) {
      if (header == "Location" || header == "location") return value.substr(value.rfind('/') + 1);
    }
    throw std::runtime_error("NetSuite create: no Location");
  }

  std::string zendesk_organization(const std::string& name) {
    const std::string basic = crypto::base64_encode("demo@weft.example/token:zd_demo_token");
    const auto answer =
        platform_call("POST", "/api/v2/organizations.json",
                      {{"Authorization", "Basic " + basic}, {"Content-Type", "application/json"}},
                      json{{"organization", {{"name", name}}}}.dump());
    return std::to_string(json::parse(answer.body)["organization"]["id"].get<std::int64_t>());
  }

  std::string salesforce_account(const std::string& name) {
    const auto token = platform_call("POST", "/services/oauth2/token",
                                     {{"Content-Type", "application/x-www-form-urlencoded"}},
                                     "grant_type=client_credentials&client_id=sf_demo_client_id&"
                                     "client_secret=sf_demo_client_secret");
    const std::string bearer = json::parse(token.body)["access_token"];
    const auto answer =
        platform_call("POST", "/services/data/v61.0/sobjects/Account",
                      {{"Authorization", "Bearer " + bearer}, {"Content-Type", "application/json"}},
                      json{{"Name", name}}.dump());
    return json::parse(answer.body)["id"];
  }

  HttpResponse platform_call(const std::string& method, const std::string& path,
                             const HeaderList& headers, const std::string& body) {
    HttpClient client(hub_.sandbox_url());
    auto answer = client.request(method, path, headers, body);
    if (!answer.ok() || answer->status >= 300) {
      throw std::runtime_error(method + " " + path + ": " +
                               (answer.ok() ? std::to_string(answer->status) + " " + answer->body
                                            : answer.error().message));
    }
    return std::move(answer).value();
  }

  // The live Stripe customers named `name`.
  json stripe_named(const std::string& name) {
    json out = json::array();
    const json state = hub_.state();  // kept: a range over a temporary's member would dangle
    for (const json& c : state["stripe"]["customers"]) {
      if (!c.value("deleted", false) && c.value("name", json()) == name) out.push_back(c);
    }
    return out;
  }

  // The one record of each platform linked to `stripe_id`, named `name` (throws a readable
  // failure when there is not exactly one).
  Everywhere expect_everywhere_once(const std::string& stripe_id, const std::string& name) {
    const json state = hub_.state();
    auto one = [&](const json& list, const char* field, const char* name_field, const char* what) {
      json found = json::array();
      for (const json& r : list) {
        if (r.value(field, json()) == stripe_id) found.push_back(r);
      }
      EXPECT_EQ(found.size(), 1u) << what << " linked to " << stripe_id << ": " << found.dump();
      if (found.size() != 1) return json::object();
      EXPECT_EQ(found[0].value(name_field, json()), name) << what << ": " << found[0].dump();
      return found[0];
    };
    Everywhere e;
    e.stripe = one(state["stripe"]["customers"], "id", "name", "Stripe customers");
    e.netsuite = one(state["netsuite"].value("customer", json::array()), "externalId",
                     "companyName", "NetSuite customers");
    e.zendesk =
        one(state["zendesk"]["organizations"], "external_id", "name", "Zendesk organizations");
    e.salesforce = one(state["salesforce"].value("Account", json::array()), "External_Id__c",
                       "Name", "Salesforce Accounts");
    EXPECT_TRUE(hub_.open_exceptions("customer-sync").empty());
    return e;
  }

  // Writes the hub made on `platform` (not the test's own calls, not reads, not token or
  // SuiteQL queries, not injected faults): what a loop would keep adding to.
  std::size_t hub_writes(const std::string& platform) {
    std::size_t writes = 0;
    for (const json& r : hub_.requests(platform)) {
      const std::string path = r["path"];
      if (r["method"] == "GET" || r["correlation_id"] == "test-client" || !r["fault"].is_null())
        continue;
      if (path.find("suiteql") != std::string::npos ||
          path.find("oauth2/token") != std::string::npos)
        continue;
      if (r["status"].get<int>() >= 300) continue;
      ++writes;
    }
    return writes;
  }

  json all_hub_writes() {
    return {{"stripe", hub_writes("stripe")},
            {"netsuite", hub_writes("netsuite")},
            {"zendesk", hub_writes("zendesk")},
            {"salesforce", hub_writes("salesforce")}};
  }

  void rename_in_stripe(const std::string& id, const std::string& name) {
    hub_.act("stripe", "update_customer", {{"id", id}, {"name", name}}, "test-rename-" + name);
  }

  // The stored body of the Stripe customer.updated that set the name `name`.
  std::string stripe_update_naming(const std::string& name) {
    RawEventQuery query;
    query.connector = "stripe";
    query.event_type = "customer.updated";
    query.limit = 1000;
    for (const RawEvent& e : hub_.storage().events->query_raw_events(query).value()) {
      if (json::parse(e.body)["data"]["object"].value("name", "") == name) return e.body;
    }
    throw std::runtime_error("no customer.updated naming " + name);
  }
};

TEST_F(CustomerSyncTest, AStripeCustomerReachesTheOtherThreePlatformsOnce) {
  const std::string id = stripe_customer("Acme Sync Works", "billing@acmesync.example");
  ASSERT_NO_THROW(hub_.settle());
  const Everywhere e = expect_everywhere_once(id, "Acme Sync Works");
  EXPECT_EQ(e.netsuite.value("email", json()), "billing@acmesync.example");
  for (const auto& instance : hub_.instances("customer-sync")) {
    EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
  }
  // One canonical customer, linked from all four platforms.
  const auto link = hub_.storage().identity->find_link("customer", "stripe", id).value();
  ASSERT_TRUE(link);
  const auto links = hub_.storage().identity->links_of(link->canonical_id).value();
  std::set<std::string> connectors;
  for (const auto& l : links) connectors.insert(l.connector);
  EXPECT_EQ(connectors, (std::set<std::string>{"netsuite", "salesforce", "stripe", "zendesk"}));
}

// A customer created in Stripe, NetSuite or Zendesk ends up on all four platforms once. A
// Salesforce Account without a Stripe link is a prospect: it is left alone until a deal is won
// (quote-to-cash then creates its billing customer).
TEST_F(CustomerSyncTest, ACustomerCreatedOnEachPlatformEndsUpLinkedOnAllFourExactlyOnce) {
  const std::string from_stripe = stripe_customer("Birch Analytics", "ap@birch.example");
  const std::string netsuite_id = netsuite_customer("Cobalt Freight", "ap@cobaltfreight.example");
  const std::string organization_id = zendesk_organization("Dune Robotics");
  const std::string account_id = salesforce_account("Ember Foods");
  ASSERT_NO_THROW(hub_.settle(120s));

  expect_everywhere_once(from_stripe, "Birch Analytics");
  for (const std::string name : {"Cobalt Freight", "Dune Robotics"}) {
    const json named = stripe_named(name);
    ASSERT_EQ(named.size(), 1u) << name << ": " << named.dump();
    const std::string id = named[0]["id"];
    EXPECT_TRUE(named[0]["metadata"].contains("weft_customer")) << named[0].dump();
    const Everywhere e = expect_everywhere_once(id, name);
    // The record the person created is the one linked: none was created beside it.
    if (name == "Cobalt Freight") {
      EXPECT_EQ(e.netsuite.value("id", json()), netsuite_id);
      EXPECT_EQ(e.stripe.value("email", json()), "ap@cobaltfreight.example");
    }
    if (name == "Dune Robotics") {
      EXPECT_EQ(std::to_string(e.zendesk.value("id", std::int64_t{0})), organization_id);
    }
  }
  EXPECT_TRUE(stripe_named("Ember Foods").empty()) << "a prospect got a billing customer";
  const json state = hub_.state();
  EXPECT_EQ(state["stripe"]["customers"].size(), 3u);
  EXPECT_EQ(state["netsuite"]["customer"].size(), 3u);
  EXPECT_EQ(state["zendesk"]["organizations"].size(), 3u);
  EXPECT_EQ(state["salesforce"]["Account"].size(), 4u);
  for (const json& account : state["salesforce"]["Account"]) {
    if (account["Id"] == account_id) {
      EXPECT_TRUE(account.value("External_Id__c", json()).is_null()) << account.dump();
    }
  }
}

TEST_F(CustomerSyncTest, AChangeIsCarriedEverywhereAndItsEchoesWriteNothing) {
  const std::string id = stripe_customer("Fjord Energy");
  ASSERT_NO_THROW(hub_.settle());
  expect_everywhere_once(id, "Fjord Energy");
  const json before = all_hub_writes();
  const std::size_t instances_before = hub_.instances("customer-sync").size();

  rename_in_stripe(id, "Fjord Energy Group");
  ASSERT_NO_THROW(hub_.settle());
  expect_everywhere_once(id, "Fjord Energy Group");
  // One write on each other platform, none back to Stripe: the three echoes (NetSuite's relay,
  // Zendesk's name_changed, Salesforce's relay) found nothing that differs.
  const json after = all_hub_writes();
  EXPECT_EQ(after["stripe"], before["stripe"]) << after.dump();
  EXPECT_EQ(after["netsuite"].get<int>(), before["netsuite"].get<int>() + 1) << after.dump();
  EXPECT_EQ(after["zendesk"].get<int>(), before["zendesk"].get<int>() + 1) << after.dump();
  EXPECT_EQ(after["salesforce"].get<int>(), before["salesforce"].get<int>() + 1) << after.dump();
  // The rename and its three echoes: four instances, and nothing started after them.
  EXPECT_EQ(hub_.instances("customer-sync").size(), instances_before + 4);

  // A change made in support goes the other way, to billing, the ERP and the CRM, once.
  hub_.act("zendesk", "upsert_organization",
           {{"external_id", id}, {"name", "Fjord Energy Holdings"}});
  ASSERT_NO_THROW(hub_.settle());
  expect_everywhere_once(id, "Fjord Energy Holdings");
  const json last = all_hub_writes();
  EXPECT_EQ(last["stripe"].get<int>(), after["stripe"].get<int>() + 1) << last.dump();
  EXPECT_EQ(last["netsuite"].get<int>(), after["netsuite"].get<int>() + 1) << last.dump();
  EXPECT_EQ(last["zendesk"], after["zendesk"]) << last.dump();
  EXPECT_EQ(last["salesforce"].get<int>(), after["salesforce"].get<int>() + 1) << last.dump();
}

TEST_F(CustomerSyncTest, TheSameEventAgainAndAnOlderOneLateChangeNothing) {
  const std::string id = stripe_customer("Garnet Labs");
  ASSERT_NO_THROW(hub_.settle());
  rename_in_stripe(id, "Garnet Labs Two");
  ASSERT_NO_THROW(hub_.settle());
  std::this_thread::sleep_for(1100ms);  // Stripe stamps events to the second: the next is newer
  rename_in_stripe(id, "Garnet Labs Three");
  ASSERT_NO_THROW(hub_.settle());
  const json writes = all_hub_writes();
  const std::size_t instances = hub_.instances("customer-sync").size();

  const std::string older = stripe_update_naming("Garnet Labs Two");
  EXPECT_EQ(hub_.post_webhook("stripe", older), 200);  // the same event again: kept once
  json late = json::parse(older);
  late["id"] = "evt_late_" + id;  // the older state late, under an id the hub has not seen
  EXPECT_EQ(hub_.post_webhook("stripe", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());

  expect_everywhere_once(id, "Garnet Labs Three");
  EXPECT_EQ(all_hub_writes(), writes);
  EXPECT_EQ(hub_.instances("customer-sync").size(),
            instances + 1);  // the late one, which wrote nothing
}

TEST_F(CustomerSyncTest, TargetsAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  hub_.flaky({"netsuite", "zendesk", "salesforce"}, 502);
  const std::string id = stripe_customer("Harbor Logistics");
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("netsuite") + hub_.faulted_requests("zendesk") +
                hub_.faulted_requests("salesforce"),
            0u)
      << "no fault injected";
  expect_everywhere_once(id, "Harbor Logistics");
}

TEST_F(CustomerSyncTest, TargetsDownForAWhileThenBackGetTheCustomerOnce) {
  hub_.down({"netsuite", "zendesk", "salesforce"});
  const std::string id = stripe_customer("Iris Textiles");
  std::this_thread::sleep_for(5s);
  EXPECT_TRUE(hub_.open_exceptions("customer-sync").empty());
  const auto waiting = hub_.instances("customer-sync");
  ASSERT_FALSE(waiting.empty());
  for (const auto& instance : waiting)
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("netsuite"), 0u);
  expect_everywhere_once(id, "Iris Textiles");
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());
}

TEST_F(CustomerSyncTest, ARecordLinkedByAnotherConventionIsAnExceptionWithItsReason) {
  const std::string netsuite_id =
      hub_.act("netsuite", "upsert_customer",
               {{"external_id", "legacy-7"}, {"body", {{"companyName", "Jade Legacy"}}}})
          .at("id");
  ASSERT_NO_THROW(hub_.settle());
  const auto open = hub_.open_exceptions("customer-sync");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "foreign_link");
  EXPECT_EQ(open[0].failure_class, "validation");
  EXPECT_NE(
      open[0].reason.find("the record carries an external id that is not a Stripe customer id"),
      std::string::npos)
      << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["business_key"],
            hub_.instances("customer-sync").at(0).business_key);
  // Nothing was created for it, and its own link is untouched.
  EXPECT_TRUE(stripe_named("Jade Legacy").empty());
  const json state = hub_.state();
  EXPECT_TRUE(state["zendesk"]["organizations"].empty());
  EXPECT_TRUE(state["salesforce"].value("Account", json::array()).empty());
  ASSERT_EQ(state["netsuite"]["customer"].size(), 1u);
  EXPECT_EQ(state["netsuite"]["customer"][0]["externalId"], "legacy-7");
  EXPECT_EQ(state["netsuite"]["customer"][0]["id"], netsuite_id);
}

TEST_F(CustomerSyncTest, AnUnlinkedRecordIdentityResolutionMatchesIsLinkedNotDuplicated) {
  // A support agent creates the organization while billing is down, so the customer's
  // Stripe customer is still to be created when finance enters the same company in NetSuite.
  hub_.down({"stripe"});
  const std::string organization_id = zendesk_organization("Kestrel Dynamics");
  const std::string netsuite_id = netsuite_customer("Kestrel Dynamics", "ap@kestrel.example");
  // Identity resolution matches the two records to one customer (the same name) before
  // billing is back.
  std::optional<IdentityLink> zendesk_link, netsuite_link;
  for (int i = 0; i < 200 && !(zendesk_link && netsuite_link); ++i) {
    std::this_thread::sleep_for(100ms);
    zendesk_link =
        hub_.storage().identity->find_link("customer", "zendesk", organization_id).value();
    netsuite_link = hub_.storage().identity->find_link("customer", "netsuite", netsuite_id).value();
  }
  ASSERT_TRUE(zendesk_link && netsuite_link);
  EXPECT_EQ(netsuite_link->canonical_id, zendesk_link->canonical_id);
  // Whichever webhook the hub routed second was matched to the first one's customer.
  EXPECT_EQ(std::set<std::string>({netsuite_link->matched_by, zendesk_link->matched_by}),
            (std::set<std::string>{"new", "name"}));
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));

  // One Stripe customer for both, and both records linked to it: no second NetSuite customer.
  const json named = stripe_named("Kestrel Dynamics");
  ASSERT_EQ(named.size(), 1u) << hub_.state()["stripe"]["customers"].dump();
  const Everywhere e = expect_everywhere_once(named[0]["id"], "Kestrel Dynamics");
  EXPECT_EQ(e.stripe.value("email", json()), "ap@kestrel.example");  // from the NetSuite entry
  EXPECT_EQ(e.netsuite.value("id", json()), netsuite_id);
  EXPECT_EQ(std::to_string(e.zendesk.value("id", std::int64_t{0})), organization_id);
  EXPECT_EQ(hub_.state()["netsuite"]["customer"].size(), 1u);
}

}  // namespace
}  // namespace weft::test
