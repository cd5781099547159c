// The tree conversions across the libjq boundary give what the JSON text round trip gave
// (libjq's own parser in, its printer out), which is the reference here.

#include "mapping/jv_values.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mapping/jq_program.hpp"

namespace weft::mapping {
namespace {

using nlohmann::json;

// The reference: libjq parses the text, prints its value, nlohmann parses what it printed.
json through_text(const std::string& text) {
  jv parsed = jv_parse_sized(text.data(), static_cast<int>(text.size()));
  EXPECT_TRUE(jv_is_valid(parsed)) << text;
  jv printed = jv_dump_string(parsed, 0);
  json out = json::parse(jv_string_value(printed));
  jv_free(printed);
  return out;
}

json through_trees(const std::string& text) { return from_jv(parse_jv(text)); }

const char* const kDocuments[] = {
    "null",
    "true",
    "[false, true, null]",
    "0",
    "-0",
    "42",
    "-17",
    "1.5",
    "0.1",
    "1e-7",
    "123456789012",
    "9007199254740992",
    "-9007199254740992",
    R"("plain")",
    R"("caf\u00e9 \ud83d\ude00 tab\t quote\" slash\\ nul\u0000end")",
    R"({})",
    R"([])",
    R"({"b": 1, "a": [1, 2, {"c": null}], "nested": {"deeper": {"deepest": [[[]]]}}})",
    R"({"id": "evt_1", "type": "invoice.paid", "data": {"object": {"amount_due": 2000,
        "currency": "usd", "lines": {"data": [{"amount": 1500, "description": "Seat"},
        {"amount": 500, "description": "Tax", "tax_rates": []}], "has_more": false},
        "metadata": {"zendesk_ticket": "4711"}, "paid": true, "total": 2000.0}}})",
};

TEST(JvValuesTest, ParsedDocumentsMatchLibjqsOwnParser) {
  for (const char* document : kDocuments) {
    EXPECT_EQ(through_trees(document), through_text(document)) << document;
  }
}

TEST(JvValuesTest, ValuesGoInAndComeOutUnchanged) {
  for (const char* document : kDocuments) {
    const json value = json::parse(document);
    EXPECT_EQ(from_jv(to_jv(value)), through_text(document)) << document;
  }
}

TEST(JvValuesTest, ARepeatedKeyKeepsTheLastValueAsJqDoes) {
  const std::string document = R"({"a": 1, "a": 2})";
  EXPECT_EQ(through_trees(document), through_text(document));
  EXPECT_EQ(through_trees(document), json({{"a", 2}}));
}

TEST(JvValuesTest, NumbersFollowJqsDoubles) {
  // Beyond 2^53 an integer is a double inside jq; it comes back as one.
  EXPECT_EQ(through_trees("12345678901234567890"), json(12345678901234567890.0));
  EXPECT_TRUE(through_trees("12345678901234567890").is_number_float());
  EXPECT_TRUE(through_trees("2").is_number_integer());
  EXPECT_TRUE(through_trees("2.0").is_number_integer());  // jq prints 2.0 as 2
  EXPECT_TRUE(through_trees("2.5").is_number_float());
}

TEST(JvValuesTest, NotJsonGetsLibjqsOwnMessage) {
  for (const std::string text : {"{", "[1,]", "tru", "{\"a\" 1}", ""}) {
    jv ours = parse_jv(text);
    jv theirs = jv_parse_sized(text.data(), static_cast<int>(text.size()));
    ASSERT_FALSE(jv_is_valid(ours)) << text;
    ASSERT_FALSE(jv_is_valid(theirs)) << text;
    jv our_message = jv_invalid_get_msg(ours);
    jv their_message = jv_invalid_get_msg(theirs);
    EXPECT_EQ(jv_get_kind(our_message), jv_get_kind(their_message)) << text;
    if (jv_get_kind(our_message) == JV_KIND_STRING) {
      EXPECT_STREQ(jv_string_value(our_message), jv_string_value(their_message)) << text;
    }
    jv_free(our_message);
    jv_free(their_message);
  }
}

TEST(JvValuesTest, ADocumentDeeperThanJqAcceptsIsRefusedAsJqRefusesIt) {
  const std::string deep = std::string(300, '[') + std::string(300, ']');
  jv ours = parse_jv(deep);
  EXPECT_FALSE(jv_is_valid(ours));
  jv message = jv_invalid_get_msg(ours);
  ASSERT_EQ(jv_get_kind(message), JV_KIND_STRING);
  EXPECT_NE(std::string(jv_string_value(message)).find("depth"), std::string::npos);
  jv_free(message);

  const std::string allowed = std::string(200, '[') + std::string(200, ']');
  EXPECT_EQ(through_trees(allowed), through_text(allowed));
}

TEST(JvValuesTest, OutputsJqCannotPrintAsNumbersComeBackAsJqPrintsThem) {
  auto program = JqProgram::compile("[nan, infinite, -infinite, 1/3]");
  ASSERT_TRUE(program);
  auto outputs = program->run(json(nullptr));
  ASSERT_TRUE(outputs);
  ASSERT_EQ(outputs->size(), 1u);
  const json& out = outputs->front();
  EXPECT_TRUE(out[0].is_null());
  EXPECT_EQ(out[1].get<double>(), 1.7976931348623157e308);
  EXPECT_EQ(out[2].get<double>(), -1.7976931348623157e308);
  EXPECT_DOUBLE_EQ(out[3].get<double>(), 1.0 / 3.0);
}

TEST(JvValuesTest, AProgramSeesTheSameInputFromTextAndFromAValue) {
  auto program = JqProgram::compile(R"({total: (.data.object.lines.data | map(.amount) | add),
                                        ticket: .data.object.metadata.zendesk_ticket, keys: keys})");
  ASSERT_TRUE(program);
  const std::string document = kDocuments[std::size(kDocuments) - 1];
  auto from_text = program->run_text(document);
  auto from_value = program->run(json::parse(document));
  ASSERT_TRUE(from_text);
  ASSERT_TRUE(from_value);
  EXPECT_EQ(*from_text, *from_value);
  EXPECT_EQ(from_text->front(), json({{"total", 2000}, {"ticket", "4711"}, {"keys", {"data", "id", "type"}}}));
}

}  // namespace
}  // namespace weft::mapping
