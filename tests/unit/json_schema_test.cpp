// SchemaSet against the official JSON-Schema-Test-Suite (draft-07, from Debian's
// json-schema-test-suite package, which `make test` installs), plus what the suite does not
// cover: load errors, cross-document $ref, readable violations, asserted formats.

#include "canonical/json_schema.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace weft::canonical {
namespace {

using nlohmann::json;

const char* suite_dir() {
  const char* env = std::getenv("JSON_SCHEMA_TEST_SUITE");
  return env != nullptr ? env : "/usr/share/json-schema-test-suite/tests/draft7";
}

// The suite's files for the keywords SchemaSet supports. Not run: dependencies (a keyword the
// canonical schemas do not use, so the validator refuses it), definitions and refRemote (they
// fetch remote documents over HTTP), the rest of optional/ (other formats, bignum extras).
const char* const kSuiteFiles[] = {
    "additionalItems", "additionalProperties", "allOf", "anyOf", "boolean_schema", "const",
    "contains", "default", "enum", "exclusiveMaximum", "exclusiveMinimum", "if-then-else",
    "items", "maxItems", "maxLength", "maxProperties", "maximum", "minItems", "minLength",
    "minProperties", "minimum", "multipleOf", "not", "oneOf", "pattern", "patternProperties",
    "properties", "propertyNames", "ref", "required", "type", "uniqueItems",
    // The formats SchemaSet asserts.
    "optional/format/date-time", "optional/format/date", "optional/format/email"};

// Groups of ref.json that rely on what SchemaSet deliberately does not do: fetching remote
// (http) documents and base-URI changes by $id, and — since it refuses unknown keywords so that a
// typo never weakens a schema — a schema whose targets sit under non-keyword members. Each must
// fail to compile, with a clear load error, never pass silently; the test checks that too.
const std::set<std::string> kUnsupportedGroups = {
    "escaped pointer ref",
    "remote ref, containing refs itself",
    "Recursive references between schemas",
};

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

TEST(JsonSchemaSuite, EveryCaseOfTheSupportedKeywordsPasses) {
  const std::filesystem::path dir = suite_dir();
  ASSERT_TRUE(std::filesystem::is_directory(dir))
      << dir << " is missing: install Debian's json-schema-test-suite (make test-deps does)";
  int cases = 0;
  std::set<std::string> unsupported_seen;
  for (const char* file : kSuiteFiles) {
    const json groups = read_json(dir / (std::string(file) + ".json"));
    for (const auto& group : groups) {
      const std::string description = group.at("description").get<std::string>();
      auto set = SchemaSet::compile({{"schema.json", group.at("schema")}});
      if (kUnsupportedGroups.count(description)) {
        unsupported_seen.insert(description);
        EXPECT_FALSE(set) << file << ": " << description << " compiles: take it off the unsupported list";
        continue;
      }
      ASSERT_TRUE(set) << file << ": " << description << ": " << set.error().front().to_string();
      for (const auto& test : group.at("tests")) {
        const auto violations = set->validate("schema.json", test.at("data"));
        EXPECT_EQ(violations.empty(), test.at("valid").get<bool>())
            << file << ": " << description << ": " << test.at("description")
            << (violations.empty() ? "" : " — " + violations.front().to_string());
        ++cases;
      }
    }
  }
  EXPECT_EQ(unsupported_seen, kUnsupportedGroups);  // the list names groups that exist
  // The suite really ran (a packaging change that emptied it must not pass silently).
  EXPECT_GE(cases, 372);
}

TEST(JsonSchema, UnknownKeywordsAndBadValuesAreLoadErrorsWithTheirPlace) {
  auto set = SchemaSet::compile({{"a.json", json::parse(R"({"type": "object",
      "properties": {"x": {"type": "strnig"}, "y": {"dependencies": {}}, "z": {"pattern": "("}}})")}});
  ASSERT_FALSE(set);
  std::map<std::string, std::string> by_place;
  for (const auto& e : set.error()) by_place[e.schema_path] = e.message;
  ASSERT_EQ(by_place.size(), 3u);
  EXPECT_NE(by_place["/properties/x/type"].find("must name JSON types"), std::string::npos);
  EXPECT_NE(by_place["/properties/y/dependencies"].find("unsupported keyword 'dependencies'"), std::string::npos);
  EXPECT_NE(by_place["/properties/z/pattern"].find("not a valid regular expression"), std::string::npos);
}

TEST(JsonSchema, RefsMustResolve) {
  auto set = SchemaSet::compile({{"a.json", json::parse(R"({"properties": {
      "x": {"$ref": "missing.json"}, "y": {"$ref": "#/definitions/nope"}, "z": {"$ref": "#foo"}}})")}});
  ASSERT_FALSE(set);
  ASSERT_EQ(set.error().size(), 3u);
  for (const auto& e : set.error()) EXPECT_EQ(e.document, "a.json");
}

TEST(JsonSchema, RefsReachOtherDocumentsOfTheSet) {
  auto set = SchemaSet::compile(
      {{"money.json", json::parse(R"({"definitions": {"amount": {"type": "integer", "minimum": 0},
                                     "currency": {"type": "string", "pattern": "^[a-z]{3}$"}}})")},
       {"events/invoice.json", json::parse(R"({"type": "object", "required": ["amount", "currency"],
           "properties": {"amount": {"$ref": "../money.json#/definitions/amount"},
                          "currency": {"$ref": "./../money.json#/definitions/currency"}},
           "additionalProperties": false})")}});
  ASSERT_TRUE(set) << set.error().front().to_string();
  EXPECT_TRUE(set->validate("events/invoice.json", json{{"amount", 1200}, {"currency", "usd"}}).empty());

  const auto violations =
      set->validate("events/invoice.json", json{{"amount", -5}, {"currency", "USD"}, {"note", "x"}});
  ASSERT_EQ(violations.size(), 3u);
  std::map<std::string, SchemaViolation> by_path;
  for (const auto& v : violations) by_path[v.instance_path + "|" + v.schema_path] = v;
  ASSERT_TRUE(by_path.count("/amount|money.json#/definitions/amount/minimum"));
  EXPECT_EQ(by_path["/amount|money.json#/definitions/amount/minimum"].message, "must be >= 0");
  ASSERT_TRUE(by_path.count("/currency|money.json#/definitions/currency/pattern"));
  ASSERT_TRUE(by_path.count("|events/invoice.json#/additionalProperties"));
  EXPECT_EQ(by_path["|events/invoice.json#/additionalProperties"].message, "property 'note' is not allowed");
}

TEST(JsonSchema, ViolationsReadWellAndAreCapped) {
  auto set = SchemaSet::compile({{"e.json", json::parse(R"({"type": "object",
      "required": ["a", "b", "c"], "properties": {"kind": {"enum": ["x", "y"]}}})")}});
  ASSERT_TRUE(set);
  const auto all = set->validate("e.json", json{{"kind", "z"}});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].to_string(), "(the event payload): missing required property 'a' (e.json#/required)");
  EXPECT_EQ(all[3].to_string(), "/kind: must be one of [\"x\",\"y\"], is \"z\" (e.json#/properties/kind/enum)");
  EXPECT_EQ(set->validate("e.json", json{{"kind", "z"}}, 2).size(), 2u);
  EXPECT_EQ(set->validate("e.json", json::array()).front().message, "is an array, must be object");
  const auto unknown = set->validate("nope.json", json::object());
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].message, "no schema named 'nope.json'");
}

TEST(JsonSchema, FormatsAreAsserted) {
  auto set = SchemaSet::compile({{"f.json", json::parse(R"({"properties": {
      "at": {"format": "date-time"}, "on": {"format": "date"}, "mail": {"format": "email"}}})")}});
  ASSERT_TRUE(set);
  auto ok = [&](const json& v) { return set->validate("f.json", v).empty(); };
  EXPECT_TRUE(ok({{"at", "2024-02-29T23:59:60.123Z"}, {"on", "2024-02-29"}, {"mail", "ap@acme.example"}}));
  EXPECT_TRUE(ok({{"at", "2024-06-28t09:30:00+02:00"}}));
  EXPECT_FALSE(ok({{"at", "2023-02-29T10:00:00Z"}}));  // not a leap year
  EXPECT_FALSE(ok({{"at", "2024-06-28T24:00:00Z"}}));
  EXPECT_FALSE(ok({{"at", "2024-06-28T09:30:00"}}));   // no offset
  EXPECT_FALSE(ok({{"at", "2024-06-28 09:30:00Z"}}));
  EXPECT_FALSE(ok({{"on", "2024-13-01"}}));
  EXPECT_FALSE(ok({{"mail", "a@b@c"}}));
  EXPECT_TRUE(ok({{"at", 17}}));  // formats apply to strings only
  EXPECT_FALSE(SchemaSet::compile({{"g.json", json::parse(R"({"format": "uri"})")}}));
}

}  // namespace
}  // namespace weft::canonical
