// The canonical entity schemas (schemas/canonical/entities/<kind>.v1.json) kept honest against
// the event schemas: every kind some event writes a record of (`record: true` in its
// x-weft-identity) has one, declaring every field those events write and nothing else, and
// requiring only what every one of them requires; they compile with the shipped schemas and
// check a record's values. (Records made from the shipped mappings' sample events are checked
// against them too: test::schema_violations, in mapping_test and relayed_mapping_test.)

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "canonical/event_schemas.hpp"
#include "core/embedded_file.hpp"
#include "support/shipped_mappings.hpp"

namespace weft::canonical {
namespace {

using nlohmann::json;

std::map<std::string, json> shipped_documents() {
  std::map<std::string, json> documents;
  for (const auto& file : embedded_canonical_schemas())
    documents[std::string(file.path)] = json::parse(file.contents);
  return documents;
}

// The payload's top-level fields an event schema declares, with whether it requires each: its
// own properties and those of its allOf parts, following a part's $ref into common.v1.json.
std::map<std::string, bool> payload_fields(const json& schema, const json& common) {
  std::map<std::string, bool> fields;
  auto add = [&](const json& part) {
    const json* p = &part;
    if (part.contains("$ref")) {
      const std::string ref = part["$ref"];
      const auto hash = ref.find('#');
      EXPECT_EQ(ref.substr(0, hash), "../common.v1.json") << ref;
      p = &common.at(json::json_pointer(ref.substr(hash + 1)));
    }
    const json properties = p->value("properties", json::object());
    const json required = p->value("required", json::array());
    for (const auto& [name, _] : properties.items()) fields.emplace(name, false);
    for (const auto& name : required) fields[name.get<std::string>()] = true;
  };
  add(schema);
  for (const json& part : schema.value("allOf", json::array())) add(part);
  return fields;
}

struct Writer {
  std::string event;                   // "events/invoice.paid.v1.json"
  std::map<std::string, bool> fields;  // field → required
};

// Entity kind → the event schemas that write its record.
std::map<std::string, std::vector<Writer>> record_writers(
    const std::map<std::string, json>& documents) {
  std::map<std::string, std::vector<Writer>> writers;
  for (const auto& [name, schema] : documents) {
    if (!name.starts_with("events/")) continue;
    for (const json& role : schema.value("x-weft-identity", json::array())) {
      if (role.value("record", false)) {
        writers[role["kind"]].push_back(
            {name, payload_fields(schema, documents.at("common.v1.json"))});
      }
    }
  }
  return writers;
}

TEST(EntitySchemas, EveryRecordKindHasOneDeclaringExactlyTheFieldsItsEventsWrite) {
  const auto documents = shipped_documents();
  const auto writers = record_writers(documents);
  EXPECT_EQ(writers.size(),
            7u);  // customer, case, credit_memo, dispute, invoice, order, subscription
  for (const auto& [kind, events] : writers) {
    const std::string document = EventSchemas::entity_document_for(kind);
    ASSERT_TRUE(documents.count(document))
        << kind << " has record: true events but no " << document;
    const json& entity = documents.at(document);
    EXPECT_EQ(entity.value("title", ""), kind + " v1");
    EXPECT_FALSE(entity.value("description", "").empty()) << document;
    EXPECT_EQ(entity.value("additionalProperties", json()), false) << document;
    const json& declared = entity.at("properties");

    std::map<std::string, int> required_by;  // field → how many writers require it
    std::set<std::string> written;
    for (const Writer& writer : events) {
      for (const auto& [field, required] : writer.fields) {
        written.insert(field);
        if (required) ++required_by[field];
        EXPECT_TRUE(declared.contains(field))
            << writer.event << " writes " << field << " into the " << kind << " record, which "
            << document << " does not declare";
      }
    }
    for (const auto& [field, schema] : declared.items()) {
      EXPECT_TRUE(written.count(field))
          << document << " declares " << field << ", which no event writes";
      EXPECT_FALSE(schema.value("description", "").empty())
          << document << ": " << field << " has no description";
    }
    // A record holds at least one event's fields: it can only count on what all of them carry.
    for (const json& field : entity.value("required", json::array())) {
      EXPECT_EQ(required_by[field.get<std::string>()], static_cast<int>(events.size()))
          << document << " requires " << field
          << ", which not every event writing the record requires";
    }
  }
  for (const auto& [name, _] : documents) {
    if (!name.starts_with("entities/")) continue;
    const std::string kind = name.substr(9, name.find(".v") - 9);
    EXPECT_TRUE(writers.count(kind)) << name << " describes a record no event writes";
  }
}

TEST(EntitySchemas, CompileWithTheShippedSchemasAndCheckARecordsValues) {
  const EventSchemas& schemas = test::shipped_schemas();
  const json held = {{"customer_id", "1042"},
                     {"external_id", "cus_QXg1o8vcGmoR32"},
                     {"on_hold", true},
                     {"credit_hold_override", "ON"},
                     {"credit_limit", 500000},
                     {"currency", "usd"},
                     {"email", "ap@acme.example"},
                     {"balance", -500},
                     {"metadata", {{"tier", "gold"}}}};
  EXPECT_TRUE(schemas.validate_record("customer", held).empty());

  json unknown = held;
  unknown["plan"] = "gold";  // no event writes it
  ASSERT_EQ(schemas.validate_record("customer", unknown).size(), 1u);
  json wrong = held;
  wrong["credit_limit"] = "5000.00";  // money is integer minor units
  const auto violations = schemas.validate_record("customer", wrong);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].instance_path, "/credit_limit");
  EXPECT_FALSE(
      schemas.validate_record("customer", {{"name", "Acme"}}).empty());  // customer_id is required

  const auto none = schemas.validate_record("contract", json::object());
  ASSERT_EQ(none.size(), 1u);
  EXPECT_NE(none[0].message.find("entities/contract.v1.json"), std::string::npos)
      << none[0].message;
}

}  // namespace
}  // namespace weft::canonical
