// The xref view: an entity's platform ids (and how each was linked), its merges, what it
// belongs to and its canonical record field by field, from the platforms' own events routed
// through the shipped mappings and identity resolution. Every document is checked against
// its schema in api/openapi.json.

#include "unit/views_fixture.hpp"
#include "views/xref_entity.hpp"

namespace weft::views::test {
namespace {

class XrefEntityTest : public ViewsTest {
 protected:
  json xref(const std::string& kind, const std::string& reference) {
    return document("xref_entity", [&] { return xref_entity(store(), kind, reference); });
  }

  // The canonical event that last set a field of an entity's record.
  std::string event_of(const std::string& canonical_id, const std::string& field) {
    auto record = store().load_record(canonical_id);
    EXPECT_TRUE(record.ok() && record->has_value());
    return record.ok() && record->has_value() ? (*record)->fields.at(field).event_id
                                              : std::string();
  }
};

TEST_P(XrefEntityTest, ACustomerWithItsPlatformIdsMergesAndRecord) {
  route("stripe", stripe_event("evt_c1", "customer.created", "2026-11-01T08:00:00Z",
                               stripe_customer("cus_1", "Acme Widgets")));
  route("zendesk",
        zendesk_organization("z-org-1", "2026-11-01T08:05:00Z", "361234", "Acme Widgets", "cus_1"));
  route("zendesk",
        zendesk_organization("z-org-2", "2026-11-02T08:00:00Z", "777", "Northwind Depot", ""));
  const std::string acme = canonical_id("customer", "stripe", "cus_1");
  const std::string northwind = canonical_id("customer", "zendesk", "777");
  auto merge =
      store().merge(northwind, acme, "ops@example.com", "same company", ms("2026-11-30T00:00:00Z"));
  ASSERT_TRUE(merge.ok());

  const json doc = xref("customer", northwind);
  EXPECT_EQ(doc["id"], acme);
  EXPECT_EQ(doc["kind"], "customer");
  EXPECT_EQ(doc["created_at"], "1970-01-01T00:00:01.000Z")
      << "the routing clock of the fixture: 1000 ms";
  EXPECT_EQ(doc["requested_id"], northwind);
  EXPECT_EQ(doc["links"], (json{{{"connector", "stripe"},
                                 {"platform_id", "cus_1"},
                                 {"matched_by", "new"},
                                 {"linked_at", "1970-01-01T00:00:01.000Z"}},
                                {{"connector", "zendesk"},
                                 {"platform_id", "361234"},
                                 {"matched_by", "external_id"},
                                 {"linked_at", "1970-01-01T00:00:01.000Z"}},
                                {{"connector", "zendesk"},
                                 {"platform_id", "777"},
                                 {"matched_by", "new"},
                                 {"linked_at", "1970-01-01T00:00:01.000Z"}}}));
  EXPECT_EQ(doc["merges"], (json{{{"id", merge->id},
                                  {"from", northwind},
                                  {"into", acme},
                                  {"by", "ops@example.com"},
                                  {"reason", "same company"},
                                  {"at", "2026-11-30T00:00:00.000Z"},
                                  {"links_moved", 1}}}));
  EXPECT_EQ(doc["relations"], json::array());
  // Field by field, the newest: Northwind's name (Zendesk, 2 Nov) over Acme's (1 Nov).
  EXPECT_EQ(doc["record"]["fields"]["name"], (json{{"value", "Northwind Depot"},
                                                   {"connector", "zendesk"},
                                                   {"event_id", event_of(acme, "name")},
                                                   {"as_of", "2026-11-02T08:00:00.000Z"},
                                                   {"platform_seq", 0}}));
  std::vector<std::string> fields;
  for (const auto& [name, field] : doc["record"]["fields"].items()) fields.push_back(name);
  EXPECT_EQ(fields, (std::vector<std::string>{"address", "balance", "change", "created", "currency",
                                              "customer_id", "delinquent", "email", "external_id",
                                              "metadata", "name", "phone"}));

  // By a platform id, or the survivor's id: the same entity, nothing merged away was asked for.
  json by_link = xref("customer", "zendesk:777");
  EXPECT_EQ(by_link["requested_id"], nullptr);
  by_link["requested_id"] = northwind;
  EXPECT_EQ(by_link, doc);
  EXPECT_EQ(xref("customer", acme)["requested_id"], nullptr);
}

TEST_P(XrefEntityTest, ACaseBelongsToItsCustomerAsItsNewestEventSaid) {
  route("stripe", stripe_event("evt_c1", "customer.created", "2026-11-01T08:00:00Z",
                               stripe_customer("cus_1", "Acme Widgets")));
  route("zendesk",
        zendesk_organization("z-org-1", "2026-11-01T08:05:00Z", "361234", "Acme Widgets", "cus_1"));
  route("zendesk", zendesk_event("z-101-new", "ticket.created", "2026-11-10T09:00:00Z",
                                 zendesk_ticket("101", "361234", "OPEN", "HIGH")));
  const std::string acme = canonical_id("customer", "stripe", "cus_1");
  const std::string ticket = canonical_id("case", "zendesk", "101");

  const json doc = xref("case", "zendesk:101");
  EXPECT_EQ(doc["id"], ticket);
  EXPECT_EQ(doc["relations"], (json{{{"kind", "customer"},
                                     {"id", acme},
                                     {"connector", "zendesk"},
                                     {"event_id", event_of(ticket, "status")},
                                     {"as_of", "2026-11-10T09:00:00.000Z"}}}));
  EXPECT_EQ(doc["record"]["fields"]["status"]["value"], "open");
  EXPECT_EQ(doc["record"]["fields"]["priority"]["value"], "high");
  EXPECT_EQ(doc["record"]["updated_at"], "1970-01-01T00:00:01.000Z");
}

TEST_P(XrefEntityTest, UnknownAndMalformedReferences) {
  route("stripe", stripe_event("evt_c1", "customer.created", "2026-11-01T08:00:00Z",
                               stripe_customer("cus_1", "Acme Widgets")));
  const ViewError unknown = error([&] { return xref_entity(store(), "invoice", "stripe:cus_1"); });
  EXPECT_EQ(unknown.code, ViewErrc::not_found);
  EXPECT_EQ(unknown.message, "no invoice is linked to stripe:cus_1");
  EXPECT_EQ(error([&] { return xref_entity(store(), "customer", "customer_nope"); }).message,
            "no customer has the id customer_nope");
  const ViewError kind = error([&] { return xref_entity(store(), "Customer", "stripe:cus_1"); });
  EXPECT_EQ(kind.code, ViewErrc::invalid_reference);
  EXPECT_EQ(kind.message, "'Customer' is not an entity kind (a-z, _)");
  EXPECT_EQ(error([&] { return xref_entity(store(), "customer", ""); }).code,
            ViewErrc::invalid_reference);
}

INSTANTIATE_TEST_SUITE_P(AllStores, XrefEntityTest,
                         ::testing::Values(Backend::memory, Backend::sqlite), backend_name);

}  // namespace
}  // namespace weft::views::test
