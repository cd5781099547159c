// Identity resolution: normalisation, name similarity, the rules in their configured order,
// the possible-duplicate band, determinism, and a batch whose events resolve against what
// earlier events of the same batch planned.

#include "identity/resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "identity/normalise.hpp"
#include "identity/record_planner.hpp"
#include "identity/record_update.hpp"
#include "identity/similarity.hpp"
#include "store/memory/memory_identity_store.hpp"

namespace weft::identity {
namespace {

PlatformRecord record(std::string connector, std::string platform_id, std::string name, std::string email = "",
                      std::string tax = "", std::string external_id = "") {
  return PlatformRecord{std::move(connector), std::move(platform_id), std::move(external_id),
                        std::move(email),     std::move(tax),         std::move(name)};
}

class ResolverTest : public ::testing::Test {
 protected:
  // Resolves one record and writes what it planned, as the pipeline will per batch.
  Resolution resolve(const PlatformRecord& r, const std::string& kind = "customer") {
    IdentityWrites pending;
    auto resolved = resolver().resolve(kind, r, pending, 1000);
    EXPECT_TRUE(resolved.ok()) << resolved.error().message;
    EXPECT_TRUE(store_.write(pending, 1000).ok());
    return resolved.ok() ? *resolved : Resolution{};
  }

  Resolver& resolver() {
    if (!resolver_) resolver_ = std::make_unique<Resolver>(store_, config_);
    return *resolver_;
  }

  config::IdentityConfig config_;
  MemoryIdentityStore store_;
  std::unique_ptr<Resolver> resolver_;
};

TEST(IdentityNormalise, EmailDomainsAreLowerCaseWithoutWwwAndFreeMailIsIgnored) {
  const auto& free = default_free_mail_domains();
  EXPECT_EQ(email_domain("Jane.Doe@ACME.de", free), "acme.de");
  EXPECT_EQ(email_domain("https://www.Acme.de/contact", free), "acme.de");
  EXPECT_EQ(email_domain("www.acme.de", free), "acme.de");
  EXPECT_EQ(email_domain("jane@gmail.com", free), std::nullopt);
  EXPECT_EQ(email_domain("jane@GMAIL.COM", free), std::nullopt);
  EXPECT_EQ(email_domain("not an address", free), std::nullopt);
  EXPECT_EQ(email_domain("", free), std::nullopt);
}

TEST(IdentityNormalise, TaxIdsKeepLettersAndDigitsInUpperCase) {
  EXPECT_EQ(tax_id("de 123.456-789"), "DE123456789");
  EXPECT_EQ(tax_id(" - "), "");
}

TEST(IdentityNormalise, NamesLoseCaseAndPunctuationAndLegalForms) {
  EXPECT_EQ(normalised_name("ACME Widgets, Inc."), "acme widgets");
  EXPECT_EQ(normalised_name("Acme Widgets GmbH"), "acme widgets");
  EXPECT_EQ(normalised_name("Müller G.m.b.H."), "m\xc3\xbcller");
  EXPECT_EQ(normalised_name("AT&T Corp"), "att");
  EXPECT_EQ(normalised_name("Coca Cola Co"), "coca cola");
  EXPECT_EQ(normalised_name("Ltd"), "");
}

TEST(IdentitySimilarity, JaroWinklerMatchesKnownValues) {
  EXPECT_DOUBLE_EQ(jaro_winkler("acme", "acme"), 1.0);
  EXPECT_DOUBLE_EQ(jaro_winkler("", "acme"), 0.0);
  EXPECT_DOUBLE_EQ(jaro_winkler("abc", "xyz"), 0.0);
  // The textbook pairs.
  EXPECT_NEAR(jaro_winkler("martha", "marhta"), 0.9611, 1e-4);
  EXPECT_NEAR(jaro_winkler("dwayne", "duane"), 0.84, 1e-4);
  EXPECT_NEAR(jaro_winkler("dixon", "dicksonx"), 0.8133, 1e-4);
}

TEST(IdentitySimilarity, NamesAreComparedWordByWord) {
  EXPECT_DOUBLE_EQ(name_similarity("acme widgets", "widgets acme"), 1.0);
  EXPECT_DOUBLE_EQ(name_similarity("", "acme"), 0.0);
  EXPECT_NEAR(name_similarity("acme widgets", "acme widgetz"), 0.9714, 1e-4);
  // A shared first word does not make two companies alike (whole-string Jaro-Winkler: 0.87).
  EXPECT_NEAR(name_similarity("ironbridge energy", "ironbridge robotics"), 0.7806, 1e-4);
  EXPECT_LT(name_similarity("evergreen foods", "evergreen media"), 0.85);
}

TEST_F(ResolverTest, AKnownPlatformIdResolvesToItsEntity) {
  const Resolution created = resolve(record("stripe", "cus_1", "Acme Widgets"));
  EXPECT_EQ(created.outcome, Outcome::created);
  EXPECT_EQ(created.canonical_id, Resolver::canonical_id("customer", "stripe", "cus_1", 0));
  EXPECT_EQ(created.canonical_id.rfind("customer_", 0), 0u);
  const Resolution again = resolve(record("stripe", "cus_1", "Renamed Completely"));
  EXPECT_EQ(again.outcome, Outcome::linked);
  EXPECT_EQ(again.canonical_id, created.canonical_id);
}

// A new entity's id leads with the place in the log of the raw event that carried its first
// record, so that ids (and the identity tables keyed by them) run in log order; the same
// record at the same place always gives the same id.
TEST_F(ResolverTest, NewEntityIdsRunInTheOrderOfTheLog) {
  std::vector<std::string> ids;
  for (std::int64_t seq : {7, 8, 300, 4096}) {
    PlatformRecord r = record("stripe", "cus_" + std::to_string(seq), "Customer " + std::to_string(seq));
    r.log_position = seq;
    const Resolution created = resolve(r);
    ASSERT_EQ(created.outcome, Outcome::created);
    EXPECT_EQ(created.canonical_id, Resolver::canonical_id("customer", "stripe", r.platform_id, seq));
    EXPECT_EQ(created.canonical_id.size(), std::string("customer_").size() + 24) << "as long as before";
    ids.push_back(created.canonical_id);
  }
  EXPECT_EQ(ids[0].substr(0, 21), "customer_000000000007");
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_NE(Resolver::canonical_id("customer", "stripe", "cus_1", 5),
            Resolver::canonical_id("customer", "stripe", "cus_2", 5))
      << "the records of one raw event get ids of their own";
  EXPECT_NE(Resolver::canonical_id("customer", "stripe", "cus_1", 5),
            Resolver::canonical_id("invoice", "stripe", "cus_1", 5));
}

TEST_F(ResolverTest, EachRuleLinksAnotherPlatformsRecordToTheSameEntity) {
  const std::string id =
      resolve(record("stripe", "cus_1", "Acme Widgets", "billing@acme.de", "DE 123", "CRM-42")).canonical_id;
  const Resolution by_external = resolve(record("netsuite", "7", "Other Name", "", "", "CRM-42"));
  EXPECT_EQ(by_external.outcome, Outcome::matched);
  EXPECT_EQ(by_external.matched_by, "external_id");
  EXPECT_EQ(by_external.canonical_id, id);
  const Resolution by_tax = resolve(record("salesforce", "001A", "Unrelated", "", "de123"));
  EXPECT_EQ(by_tax.matched_by, "tax_id");
  EXPECT_EQ(by_tax.canonical_id, id);
  const Resolution by_domain = resolve(record("zendesk", "org_5", "Something", "https://www.ACME.de"));
  EXPECT_EQ(by_domain.matched_by, "email_domain");
  EXPECT_EQ(by_domain.canonical_id, id);
  const Resolution by_name = resolve(record("zendesk", "org_6", "ACME Widgets GmbH"));
  EXPECT_EQ(by_name.matched_by, "name");
  EXPECT_EQ(by_name.canonical_id, id);
  EXPECT_EQ(store_.links_of(id)->size(), 5u);
}

TEST_F(ResolverTest, FreeMailAddressesLinkNothing) {
  resolve(record("stripe", "cus_1", "Jane Doe", "jane@gmail.com"));
  const Resolution other = resolve(record("stripe", "cus_2", "Bob Stone", "bob@gmail.com"));
  EXPECT_EQ(other.outcome, Outcome::created);
}

TEST_F(ResolverTest, AConfiguredFreeMailListReplacesTheBuiltInOne) {
  config_.free_mail_domains = std::vector<std::string>{"example.org"};
  resolve(record("stripe", "cus_1", "Jane Doe", "jane@gmail.com"));
  EXPECT_EQ(resolve(record("stripe", "cus_2", "Bob Stone", "bob@gmail.com")).matched_by, "email_domain");
  resolve(record("stripe", "cus_3", "Ann Lee", "ann@example.org"));
  EXPECT_EQ(resolve(record("stripe", "cus_4", "Tom Fox", "tom@example.org")).outcome, Outcome::created);
}

TEST(IdentityRules, RulesApplyInTheConfiguredOrderAndOnlyThoseConfigured) {
  // Two entities: one owns the tax id, the other the domain. A record with both follows the
  // first configured rule; with no rules, only its platform id counts.
  const auto resolve_with = [](std::vector<std::string> rules) {
    MemoryIdentityStore store;
    config::IdentityConfig config;
    config.rules = std::move(rules);
    Resolver resolver(store, config);
    IdentityWrites pending;
    EXPECT_TRUE(resolver.create("customer", record("stripe", "cus_1", "Alpha", "", "DE1"), pending, 1).ok());
    EXPECT_TRUE(resolver.create("customer", record("stripe", "cus_2", "Beta", "x@beta.de"), pending, 1).ok());
    EXPECT_TRUE(store.write(pending, 1).ok());
    IdentityWrites next;
    auto r = resolver.resolve("customer", record("zendesk", "org_1", "Gamma", "y@beta.de", "DE1"), next, 1);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Resolution{};
  };
  const std::string taxed = Resolver::canonical_id("customer", "stripe", "cus_1", 0);
  const std::string domained = Resolver::canonical_id("customer", "stripe", "cus_2", 0);
  EXPECT_EQ(resolve_with({"email_domain", "tax_id"}).canonical_id, domained);
  EXPECT_EQ(resolve_with({"tax_id", "email_domain"}).canonical_id, taxed);
  EXPECT_EQ(resolve_with({}).outcome, Outcome::created);
}

TEST_F(ResolverTest, ANameInThePossibleDuplicateBandCreatesNothing) {
  config_.name_threshold = 0.95;
  config_.possible_duplicate = 0.80;
  const std::string acme = resolve(record("stripe", "cus_1", "Acme Widgets")).canonical_id;
  // "acme widgetz" vs "acme widgets": about 0.97, a match.
  EXPECT_EQ(resolve(record("zendesk", "org_1", "Acme Widgetz")).canonical_id, acme);
  // "acme wodgits" is in the band: about 0.91 word by word.
  IdentityWrites pending;
  auto maybe = resolver().resolve("customer", record("zendesk", "org_2", "Acme Wodgits"), pending, 1000);
  ASSERT_TRUE(maybe.ok());
  EXPECT_EQ(maybe->outcome, Outcome::possible_duplicate);
  EXPECT_EQ(maybe->canonical_id, "");
  ASSERT_FALSE(maybe->candidates.empty());
  EXPECT_EQ(maybe->candidates.front().canonical_id, acme);
  EXPECT_GE(maybe->score, 0.80);
  EXPECT_LT(maybe->score, 0.95);
  EXPECT_NE(maybe->reason.find(acme), std::string::npos) << maybe->reason;
  EXPECT_TRUE(pending.empty()) << "a possible duplicate plans no entity and no link";
  // Far below the band: a new entity.
  EXPECT_EQ(resolve(record("zendesk", "org_3", "Zebra Logistics")).outcome, Outcome::created);
}

TEST_F(ResolverTest, APersonResolvesAPossibleDuplicateByLinkOrCreate) {
  config_.name_threshold = 0.99;
  config_.possible_duplicate = 0.5;
  const std::string acme = resolve(record("stripe", "cus_1", "Acme Widgets")).canonical_id;
  const PlatformRecord near = record("zendesk", "org_1", "Acme Widget Works");
  ASSERT_EQ(resolve(near).outcome, Outcome::possible_duplicate);

  IdentityWrites pending;
  auto linked = resolver().link("customer", near, acme, pending, 2000);
  ASSERT_TRUE(linked.ok());
  ASSERT_TRUE(store_.write(pending, 2000).ok());
  EXPECT_EQ(store_.find_link("customer", "zendesk", "org_1")->value().matched_by, "manual");
  EXPECT_EQ(resolve(near).outcome, Outcome::linked);

  IdentityWrites other;
  auto created = resolver().create("customer", record("zendesk", "org_2", "Acme Widget Works"), other, 2000);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->outcome, Outcome::created);
  EXPECT_NE(created->canonical_id, acme);

  IdentityWrites wrong_kind;
  EXPECT_FALSE(resolver().link("invoice", near, acme, wrong_kind, 2000).ok());
}

TEST_F(ResolverTest, AnExactRuleMatchingTwoEntitiesIsAPossibleDuplicate) {
  config_.rules = {"email_domain"};
  IdentityWrites two;
  for (const char* id : {"cus_1", "cus_2"}) {
    ASSERT_TRUE(resolver().create("customer", record("stripe", id, id, "a@acme.de"), two, 1000).ok());
  }
  ASSERT_TRUE(store_.write(two, 1000).ok());
  IdentityWrites pending;
  auto r = resolver().resolve("customer", record("zendesk", "org_1", "x", "b@acme.de"), pending, 1000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, Outcome::possible_duplicate);
  EXPECT_EQ(r->candidates.size(), 2u);
}

TEST_F(ResolverTest, AnotherExternalIdIsAnotherCustomerHoweverAlikeTheNames) {
  // The demo's case: a NetSuite customer routed before its own Stripe customer, named like
  // another customer but carrying another Stripe id, joined that customer by name.
  const std::string first =
      resolve(record("stripe", "cus_A", "Brightwater Energy 108 Inc", "a@brightwater108.example", "", "cus_A")).canonical_id;
  const Resolution second = resolve(record("netsuite", "248", "Brightwater Energy 148 Inc", "", "", "cus_B"));
  EXPECT_EQ(second.outcome, Outcome::created);
  EXPECT_NE(second.canonical_id, first);
  // Its own Stripe customer, routed later, finds it by the external id.
  const Resolution own = resolve(record("stripe", "cus_B", "Brightwater Energy 148 Inc", "", "", "cus_B"));
  EXPECT_EQ(own.matched_by, "external_id");
  EXPECT_EQ(own.canonical_id, second.canonical_id);
  // Nor is it a possible duplicate in the band below the threshold.
  config_.name_threshold = 0.99;
  config_.possible_duplicate = 0.5;
  resolver_.reset();
  EXPECT_EQ(resolve(record("zendesk", "org_9", "Brightwater Energies", "", "", "cus_C")).outcome, Outcome::created);
  // The same name with the same domain but another external id: still another customer.
  EXPECT_EQ(resolve(record("zendesk", "org_10", "Brightwater Energy 108 Inc", "b@brightwater108.example", "", "cus_D"))
                .outcome,
            Outcome::created);
}

TEST_F(ResolverTest, ARecordWithoutAnExternalIdStillMatchesByName) {
  const std::string acme = resolve(record("stripe", "cus_1", "Acme Widgets", "", "", "cus_1")).canonical_id;
  EXPECT_EQ(resolve(record("zendesk", "org_1", "ACME Widgets GmbH")).canonical_id, acme);
  // An entity without an external id does not contradict one that has it.
  const std::string zebra = resolve(record("zendesk", "org_2", "Zebra Logistics")).canonical_id;
  EXPECT_EQ(resolve(record("netsuite", "7", "Zebra Logistics Ltd", "", "", "cus_9")).canonical_id, zebra);
}

TEST_F(ResolverTest, AnotherTaxIdVetoesADomainOrNameMatchButNotAnExternalIdMatch) {
  const std::string acme = resolve(record("stripe", "cus_1", "Acme Widgets", "a@acme.de", "DE1", "CRM-1")).canonical_id;
  EXPECT_EQ(resolve(record("zendesk", "org_1", "Acme Widgets", "b@acme.de", "DE2")).outcome, Outcome::created);
  EXPECT_EQ(resolve(record("netsuite", "7", "Acme Widgets", "", "DE3", "CRM-1")).canonical_id, acme);
}

TEST_F(ResolverTest, ABatchSeesWhatItsEarlierEventsPlanned) {
  IdentityWrites pending;
  auto first = resolver().resolve("customer", record("stripe", "cus_1", "Acme", "a@acme.de"), pending, 1000);
  auto same_id = resolver().resolve("customer", record("stripe", "cus_1", "Acme"), pending, 1000);
  auto by_domain = resolver().resolve("customer", record("zendesk", "org_1", "ACME", "b@acme.de"), pending, 1000);
  ASSERT_TRUE(first.ok() && same_id.ok() && by_domain.ok());
  EXPECT_EQ(same_id->outcome, Outcome::linked);
  EXPECT_EQ(same_id->canonical_id, first->canonical_id);
  EXPECT_EQ(by_domain->canonical_id, first->canonical_id);
  EXPECT_EQ(pending.entities.size(), 1u);
  ASSERT_TRUE(store_.write(pending, 1000).ok());
  EXPECT_EQ(store_.links_of(first->canonical_id)->size(), 2u);
}

TEST_F(ResolverTest, TheSameRecordsInTheSameOrderGiveTheSameIds) {
  const std::vector<PlatformRecord> records{
      record("stripe", "cus_1", "Acme Widgets", "a@acme.de"), record("zendesk", "org_1", "Acme Widgets Inc"),
      record("netsuite", "9", "Zebra Ltd", "", "GB 99"),      record("salesforce", "001", "Zebra", "", "gb99"),
      record("stripe", "cus_2", "Other", "x@gmail.com")};
  const auto run = [&] {
    MemoryIdentityStore store;
    Resolver resolver(store, config_);
    std::vector<std::string> ids;
    for (const PlatformRecord& r : records) {
      IdentityWrites pending;
      auto resolved = resolver.resolve("customer", r, pending, 1000);
      EXPECT_TRUE(resolved.ok() && store.write(pending, 1000).ok());
      ids.push_back(resolved.ok() ? resolved->canonical_id : "");
    }
    return ids;
  };
  const auto ids = run();
  EXPECT_EQ(ids, run());
  EXPECT_EQ(ids[0], ids[1]);
  EXPECT_EQ(ids[2], ids[3]);
  EXPECT_NE(ids[0], ids[2]);
  EXPECT_NE(ids[4], ids[0]);
}

TEST_F(ResolverTest, KindsAreSeparate) {
  const std::string customer = resolve(record("stripe", "x_1", "Acme")).canonical_id;
  const Resolution invoice = resolve(record("stripe", "x_1", "Acme"), "invoice");
  EXPECT_EQ(invoice.outcome, Outcome::created);
  EXPECT_NE(invoice.canonical_id, customer);
}

TEST_F(ResolverTest, ARecordWithoutAPlatformIdIsRefused) {
  IdentityWrites pending;
  auto r = resolver().resolve("customer", record("stripe", "", "Acme"), pending, 1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, StoreErrc::invalid_argument);
}

TEST(IdentityRecordUpdate, ACanonicalEventBecomesAFieldUpdateOfItsEntity) {
  mapping::CanonicalEvent event;
  event.id = "ce_1";
  event.source_connector = "stripe";
  event.occurred_at_ms = 42'000;
  event.payload = {{"name", "Acme"}, {"balance", 1200}};
  const RecordUpdate u = record_update(event, "customer", "customer_abc", 7);
  EXPECT_EQ(u.canonical_id, "customer_abc");
  EXPECT_EQ(u.connector, "stripe");
  EXPECT_EQ(u.platform_time_ms, 42'000);
  EXPECT_EQ(u.platform_seq, 7);
  EXPECT_EQ(u.fields, (std::map<std::string, std::string>{{"balance", "1200"}, {"name", "\"Acme\""}}));
}

TEST(IdentityRecordPlanner, ChangesAreKnownBeforeTheWriteAndAgreeWithIt) {
  MemoryIdentityStore store;
  IdentityWrites setup;
  setup.entities = {IdentityEntity{"customer_a", "customer", 1, ""}};
  setup.updates = {RecordUpdate{"customer_a", "customer", "stripe", "ce_0", 10'000, 0, {{"status", "\"active\""}}}};
  ASSERT_TRUE(store.write(setup, 1).ok());

  // One batch: a newer status, then an older event (out of order), then a same-value repeat.
  IdentityWrites batch;
  const auto plan = [&](std::int64_t time_ms, const char* status, const char* event_id) {
    auto change = plan_record_update(
        store, RecordUpdate{"customer_a", "customer", "stripe", event_id, time_ms, 0, {{"status", status}}}, batch, 2);
    EXPECT_TRUE(change.ok());
    return change.ok() ? change->changed_fields : std::vector<std::string>{};
  };
  EXPECT_EQ(plan(12'000, "\"past_due\"", "ce_2"), std::vector<std::string>{"status"});
  EXPECT_TRUE(plan(11'000, "\"trial\"", "ce_1").empty()) << "older than ce_2, planned earlier in the batch";
  EXPECT_TRUE(plan(13'000, "\"past_due\"", "ce_3").empty()) << "newer, but the same value";

  auto written = store.write(batch, 2);
  ASSERT_TRUE(written.ok());
  ASSERT_EQ(written->size(), 3u);
  EXPECT_EQ((*written)[0].changed_fields, std::vector<std::string>{"status"});
  EXPECT_TRUE((*written)[1].changed_fields.empty());
  EXPECT_TRUE((*written)[2].changed_fields.empty());
  EXPECT_EQ(store.load_record("customer_a")->value().fields.at("status").event_id, "ce_3");
}

}  // namespace
}  // namespace weft::identity
