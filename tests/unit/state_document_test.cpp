// An instance's state kept three ways (value, each member's text, libjq's value) says the same
// thing in each: its text is exactly what printing the whole value gives, and a jq program sees
// every member set so far.

#include "engine/state_document.hpp"

#include <gtest/gtest.h>

#include <string>

#include "engine/instance_run.hpp"
#include "mapping/jq_program.hpp"

namespace weft::engine {
namespace {

using nlohmann::json;

json run(const char* program, const mapping::JqValue& input) {
  auto compiled = mapping::JqProgram::compile(program);
  EXPECT_TRUE(compiled.ok()) << program;
  auto out = compiled->run(input);
  EXPECT_TRUE(out.ok()) << program;
  return out && !out->empty() ? out->front() : json();
}

json sample_state() {
  return json::parse(R"({
    "event": {"id": "ev_1", "payload": {"amount": 1900, "currency": "usd", "lines": [1, 2.5, null]},
              "type": "invoice.paid"},
    "instance": {"id": "wf_1", "key": "cus_1"},
    "vars": {},
    "zeta \"quoted\" \u00e9": "ünïcode ✓"
  })");
}

TEST(StateDocument, ItsTextIsWhatPrintingTheWholeValueGives) {
  StateDocument state(sample_state());
  EXPECT_EQ(state.text(), persisted_text(sample_state()));
  state.set("first", {{"id", "eff_1"}});
  state.set("a_before_everything", json::array({1, "two"}));
  json expected = sample_state();
  expected["first"] = {{"id", "eff_1"}};
  expected["a_before_everything"] = json::array({1, "two"});
  EXPECT_EQ(state.text(), persisted_text(expected));
  EXPECT_EQ(state.value(), expected);
}

TEST(StateDocument, AReplacedMemberIsPrintedAfresh) {
  StateDocument state(sample_state());
  (void)state.text();  // every member printed and kept
  state.set("vars", {{"limit", 10}});
  json expected = sample_state();
  expected["vars"] = {{"limit", 10}};
  EXPECT_EQ(state.text(), persisted_text(expected));
}

TEST(StateDocument, InvalidUtf8IsReplacedAsInEveryOtherPersistedText) {
  StateDocument state(json::object());
  state.set("bad", std::string("caf\xc3", 4));
  state.set(std::string("k\xff", 2), 1);
  json expected = json::object();
  expected["bad"] = std::string("caf\xc3", 4);
  expected[std::string("k\xff", 2)] = 1;
  EXPECT_EQ(state.text(), persisted_text(expected));
  EXPECT_TRUE(json::accept(state.text()));
}

TEST(StateDocument, AnEmptyStateIsAnEmptyObject) {
  EXPECT_EQ(StateDocument().text(), "{}");
  EXPECT_EQ(StateDocument(json::object()).text(), "{}");
}

TEST(StateDocument, OnlyAnObjectIsAState) {
  EXPECT_THROW(StateDocument(json::array()), std::logic_error);
  EXPECT_THROW(StateDocument(json("text")), std::logic_error);
}

TEST(StateDocument, JqProgramsSeeEveryMemberSetBeforeAndAfterTheFirstConversion) {
  StateDocument state(sample_state());
  state.set("first", {{"id", "eff_1"}});
  EXPECT_EQ(run("[.event.payload.amount, .first.id]", state.for_jq()),
            json::array({1900, "eff_1"}));
  state.set("second", {{"id", "eff_2"}});
  state.set("first", {{"id", "eff_1b"}});
  EXPECT_EQ(run("[.first.id, .second.id, (keys | length)]", state.for_jq()),
            json::array({"eff_1b", "eff_2", 6}));
  EXPECT_EQ(run(".", state.for_jq()), state.value());
}

// Every run of an instance reads its state back from the stored text.
TEST(StateDocumentFromText, TheStoredTextComesBackAsItWasWithTheSameValue) {
  const std::string stored = persisted_text(sample_state());
  auto state = StateDocument::from_text(stored);
  ASSERT_TRUE(state.ok()) << state.error();
  EXPECT_EQ(state->text(), stored);
  EXPECT_EQ(state->value(), sample_state());
  EXPECT_EQ(run(".", state->for_jq()), sample_state());
  EXPECT_EQ(run("[.event.payload.amount, .event.payload.lines[1]]", state->for_jq()),
            json::array({1900, 2.5}));
}

TEST(StateDocumentFromText, MembersSetAfterwardsAreSeenEverywhereWhicheverIsAskedFirst) {
  const std::string stored = persisted_text(sample_state());
  json expected = sample_state();
  expected["first"] = {{"id", "eff_1"}};
  expected["vars"] = {{"limit", 10}};
  for (const bool tree_first : {false, true}) {
    auto state = StateDocument::from_text(stored);
    ASSERT_TRUE(state.ok());
    if (tree_first) {
      EXPECT_EQ(state->value(), sample_state());
    }
    state->set("first", {{"id", "eff_1"}});
    state->set("vars", {{"limit", 10}});
    EXPECT_EQ(state->text(), persisted_text(expected)) << tree_first;
    EXPECT_EQ(state->value(), expected) << tree_first;
    EXPECT_EQ(run(".", state->for_jq()), expected) << tree_first;
  }
}

// Not what Weft writes, but what it must still read right: spaces, members out of order, a
// repeated key (the last one counts, as for every parser here).
TEST(StateDocumentFromText, AnyJsonObjectIsReadWithTheSameValue) {
  const std::string text = R"( { "b" : [1, 2] , "a" : "x" , "n" : 12.5 , "a" : true } )";
  auto state = StateDocument::from_text(text);
  ASSERT_TRUE(state.ok()) << state.error();
  const json expected = {{"a", true}, {"b", {1, 2}}, {"n", 12.5}};
  EXPECT_EQ(state->value(), expected);
  EXPECT_EQ(json::parse(state->text()), expected);
  EXPECT_EQ(run(".", state->for_jq()), expected);
}

TEST(StateDocumentFromText, TextThatIsNoJsonObjectIsRefused) {
  for (const char* text :
       {"", "[1,2]", "\"text\"", "{\"a\":", "{\"a\":1} trailing", "{\"a\":nul}"}) {
    EXPECT_FALSE(StateDocument::from_text(text).ok()) << text;
  }
}

// A new instance's stored state is composed around its event's text as the mapping stage
// printed it: it must be exactly what printing the whole state gives — key order, escapes,
// replaced invalid UTF-8 and unreadable vars included.
TEST(InstanceStart, TheStateComposedAroundTheEventsTextIsWhatPrintingTheWholeStateGives) {
  json event = sample_state()["event"];
  event["payload"]["note"] = std::string("bad \xff byte, \"quoted\" \u00e9");
  for (const std::string vars : {R"({"limit":500,"who":"\u00e9"})", "{}", "not json"}) {
    SCOPED_TRACE(vars);
    WorkflowDefinition definition;
    definition.name = "billing";
    definition.version = 3;
    definition.vars_json = vars;
    const InstanceRecord r =
        InstanceRun::start(definition, "wf_1", event, "cus_\"1\"", "ce_1", 1024, "corr-1", 5000);
    json parsed_vars = json::parse(vars, nullptr, false);
    if (parsed_vars.is_discarded()) parsed_vars = json::object();
    const json whole = {
        {"vars", parsed_vars},
        {"instance",
         {{"workflow", "billing"}, {"version", 3}, {"key", "cus_\"1\""}, {"id", "wf_1"}}},
        {"event", event}};
    EXPECT_EQ(r.state_json, persisted_text(whole));
    EXPECT_EQ(json::parse(r.state_json)["event"]["payload"]["note"],
              "bad \xef\xbf\xbd byte, \"quoted\" \u00e9");
  }
}

TEST(JqValue, ACopyKeepsWhatItHeldWhenTheOriginalChanges) {
  mapping::JqValue original(json{{"a", 1}, {"b", {{"deep", true}}}});
  const mapping::JqValue copy = original;
  original.set("a", 2);
  original.set("c", "new");
  EXPECT_EQ(run(".", copy), (json{{"a", 1}, {"b", {{"deep", true}}}}));
  EXPECT_EQ(run(".", original), (json{{"a", 2}, {"b", {{"deep", true}}}, {"c", "new"}}));
}

TEST(JqValue, SettingAMemberOfSomethingElseThanAnObjectIsRefused) {
  mapping::JqValue list(json::array({1}));
  EXPECT_THROW(list.set("a", 1), std::logic_error);
  mapping::JqValue moved_from(json::object());
  mapping::JqValue taker = std::move(moved_from);
  EXPECT_EQ(run(".", taker), json::object());
}

TEST(JqValue, NoRunKeepsAReferenceToItsInput) {
  // libjq counts references without atomics: one kept by a state that then runs on another
  // thread would race with the owner's. A run stopped by `halt`, by an error or by too many
  // outputs leaves its stack as it was unless it is released (the last program holds its input
  // in a variable while it overflows: without the release this sees 2 holders).
  mapping::JqValue input(json{{"n", 1}, {"list", json::array({1, 2})}});
  ASSERT_EQ(input.holders(), 1);
  const char* const programs[] = {".n", "halt", "error(\"no\")", ".list[] | select(. > 1)",
                                  ". as $in | range(1000) | $in.n"};
  for (const char* program : programs) {
    auto compiled = mapping::JqProgram::compile(program, mapping::JqLimits{.max_outputs = 3});
    ASSERT_TRUE(compiled.ok()) << program;
    (void)compiled->run(input);
    EXPECT_EQ(input.holders(), 1) << program;
  }
  const mapping::JqValue copy = input;
  EXPECT_EQ(input.holders(), 2);
}

// A stored instance this code cannot read is reported at once, saying which and why; the
// executor then opens an exception for it instead of running on a guess.
TEST(InstanceStart, AStoredInstanceThatCannotBeReadSaysWhichAndWhy) {
  WorkflowDefinition definition;
  definition.name = "billing";
  definition.version = 1;
  definition.steps.resize(1);
  JqCache jq;
  const InstanceRecord good = InstanceRun::start(definition, "wf_7", sample_state()["event"],
                                                 "cus_1", "ce_1", 1024, "corr-1", 5000);
  EXPECT_TRUE(InstanceRun(definition, jq, good).valid());

  const auto error_of = [&](const std::string& state, const std::string& cursors) {
    InstanceRecord r = good;
    r.state_json = state;
    r.cursor_json = cursors;
    InstanceRun run(definition, jq, r);
    EXPECT_FALSE(run.valid()) << state << " " << cursors;
    return run.error();
  };
  for (const std::string state : {"", "[1]", R"({"event":)", R"({"a":tru})"}) {
    const std::string error = error_of(state, good.cursor_json);
    EXPECT_NE(error.find("the stored state of instance wf_7 is not a JSON object: "),
              std::string::npos)
        << error;
  }
  EXPECT_EQ(error_of(good.state_json, "[]"),
            "the stored cursors of instance wf_7 are not a JSON object");
  const std::string elsewhere =
      error_of(good.state_json, R"({"cursors":[{"path":[5],"due":0,"entered":0}]})");
  EXPECT_NE(elsewhere.find("the stored cursors of instance wf_7 are unreadable"), std::string::npos)
      << elsewhere;
  EXPECT_NE(elsewhere.find("cursor path 5 is not in this definition"), std::string::npos)
      << elsewhere;
}

}  // namespace
}  // namespace weft::engine
