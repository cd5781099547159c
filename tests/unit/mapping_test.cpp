// The mapping layer: jq programs (libjq), mapping files and their errors, and the shipped
// mappings applied to realistic platform events. Stripe objects below are trimmed from
// Stripe's published API fixtures; Zendesk bodies follow its event-subscription envelope.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mapping/canonical_event.hpp"
#include "mapping/jq_program.hpp"
#include "mapping/mapping_set.hpp"
#include "support/process.hpp"
#include "support/shipped_mappings.hpp"

namespace weft::mapping {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------
// JqProgram

JqProgram compile_ok(std::string_view source, JqLimits limits = {}) {
  auto program = JqProgram::compile(source, limits);
  if (!program) {
    std::string all;
    for (const auto& d : program.error()) all += std::to_string(d.line) + ": " + d.message + "\n";
    ADD_FAILURE() << "does not compile: " << source << "\n" << all;
    return JqProgram::compile("empty").value();
  }
  return std::move(program).value();
}

TEST(JqProgram, RunsAProgramAndGivesEveryOutputInOrder) {
  const JqProgram program = compile_ok(".items[] | {id, double: (.n * 2)}");
  auto out = program.run(json{{"items", {{{"id", "a"}, {"n", 1}}, {{"id", "b"}, {"n", 21}}}}});
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0], (json{{"id", "a"}, {"double", 2}}));
  EXPECT_EQ((*out)[1], (json{{"id", "b"}, {"double", 42}}));
}

TEST(JqProgram, RunsOnJsonTextAndKeepsStringsIntact) {
  const JqProgram program = compile_ok("{name: .name, n: .n}");
  auto out = program.run_text(R"({"name": "Zoë \"quoted\" \u00e9", "n": 1234567890})");
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0]["name"], "Zoë \"quoted\" é");
  EXPECT_TRUE((*out)[0]["n"].is_number_integer());
  EXPECT_EQ((*out)[0]["n"], 1234567890);
}

TEST(JqProgram, EmptyIsZeroOutputsNotAnError) {
  const JqProgram program = compile_ok("select(.kind == \"wanted\")");
  auto out = program.run(json{{"kind", "other"}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_TRUE(out->empty());
}

TEST(JqProgram, RuntimeErrorsComeBackWithJqsMessage) {
  const JqProgram program = compile_ok(".a.b");
  auto out = program.run(json{{"a", 5}});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, JqErrc::runtime);
  EXPECT_EQ(out.error().message, R"(Cannot index number with string "b")");

  auto raised = compile_ok(R"(error("customer is missing"))").run(json::object());
  ASSERT_FALSE(raised);
  EXPECT_EQ(raised.error().message, "customer is missing");

  auto raised_object = compile_ok(R"(error({code: 7}))").run(json::object());
  ASSERT_FALSE(raised_object);
  EXPECT_EQ(raised_object.error().message, R"({"code":7})");
}

TEST(JqProgram, HaltErrorIsAnErrorAndHaltIsAnEnd) {
  auto halted_error = compile_ok(R"(1, ("stop here" | halt_error), 2)").run(json::object());
  ASSERT_FALSE(halted_error);
  EXPECT_EQ(halted_error.error().code, JqErrc::runtime);
  EXPECT_EQ(halted_error.error().message, "halt_error: stop here");

  auto halted = compile_ok("1, halt, 2").run(json::object());
  ASSERT_TRUE(halted) << halted.error().message;
  EXPECT_EQ(*halted, std::vector<json>{1});
}

TEST(JqProgram, AProgramThatHaltsOnSomeInputsRunsOnAndIsTornDownCleanly) {
  // libjq 1.6 frees a halt's message at each reset of the state without forgetting it: a
  // state that halted, then ran again, then was torn down freed it twice (a crash, or heap
  // corruption found later). Each run gives its own outcome, and the program goes away cleanly.
  {
    const JqProgram program = compile_ok(R"(if . == 1 then ("one" | halt_error) else . * 10 end)");
    for (int round = 0; round < 3; ++round) {
      auto halted = program.run(1);
      ASSERT_FALSE(halted);
      EXPECT_EQ(halted.error().message, "halt_error: one");
      auto ran = program.run(2);
      ASSERT_TRUE(ran) << ran.error().message;
      EXPECT_EQ(*ran, std::vector<json>{20});
    }
  }
  const JqProgram halting = compile_ok("halt");
  for (int round = 0; round < 3; ++round) EXPECT_TRUE(halting.run(json::object()));
}

TEST(JqProgram, InputThatIsNotJsonIsBadInput) {
  const JqProgram program = compile_ok(".");
  for (const char* text : {"{\"a\":", "", "1 2", "nope"}) {
    auto out = program.run_text(text);
    ASSERT_FALSE(out) << text;
    EXPECT_EQ(out.error().code, JqErrc::bad_input) << text;
  }
  // The state is still usable after a failed run.
  auto out = program.run_text("[1]");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, std::vector<json>{json::array({1})});
}

TEST(JqProgram, CompileErrorsCarryTheLineInsideTheProgram) {
  auto syntax = JqProgram::compile(".a |\n\n  {b: }");
  ASSERT_FALSE(syntax);
  ASSERT_EQ(syntax.error().size(), 1u);
  EXPECT_EQ(syntax.error()[0].line, 3);
  EXPECT_NE(syntax.error()[0].message.find("syntax error"), std::string::npos);
  EXPECT_EQ(syntax.error()[0].message.find("jq: error"), std::string::npos);
  EXPECT_EQ(syntax.error()[0].message.find("shell quoting"), std::string::npos);

  auto undefined = JqProgram::compile("{a: 1,\n b: not_a_function(.x)}");
  ASSERT_FALSE(undefined);
  ASSERT_EQ(undefined.error().size(), 1u);
  EXPECT_EQ(undefined.error()[0].line, 2);
  EXPECT_EQ(undefined.error()[0].message, "not_a_function/1 is not defined");
}

TEST(JqProgram, ReportsEveryCompileError) {
  auto errors = JqProgram::compile("$nope1 +\n$nope2");
  ASSERT_FALSE(errors);
  ASSERT_EQ(errors.error().size(), 2u);
  EXPECT_EQ(errors.error()[0].line, 1);
  EXPECT_EQ(errors.error()[1].line, 2);
}

TEST(JqProgram, OutputsAreCappedAtTheLimit) {
  const JqProgram program = compile_ok("range(0; .)");
  auto at_limit = program.run(json(100));
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->size(), 100u);

  auto over = program.run(json(101));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, JqErrc::too_many_outputs);
  EXPECT_EQ(over.error().message, "program produced more than 100 outputs");

  // A generator far past the cap stops at the cap (does not run to completion), and the
  // state it leaves behind serves the next run.
  auto endless = compile_ok("repeat(1)").run(json(nullptr));
  ASSERT_FALSE(endless);
  EXPECT_EQ(endless.error().code, JqErrc::too_many_outputs);
  auto again = program.run(json(3));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 3u);

  const JqProgram small = compile_ok("range(0; .)", JqLimits{.max_outputs = 2});
  EXPECT_TRUE(small.run(json(2)));
  EXPECT_FALSE(small.run(json(3)));
}

TEST(JqProgram, OneProgramRunsFromManyThreadsAtOnce) {
  // Regexes too: oniguruma's lazy initialisation is the classic race. Two states for four
  // threads: runs also wait for a state to come back.
  const JqProgram program =
      compile_ok(R"({id: .id, sum: ([range(0; .n)] | add), tagged: (.tag | test("^t-[0-9]+$"))})",
                 JqLimits{.max_states = 2});
  constexpr int kThreads = 4;
  constexpr int kRuns = 150;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        const int n = 1 + (t * kRuns + i) % 50;
        const json input{{"id", t * 1000 + i}, {"n", n}, {"tag", "t-" + std::to_string(i)}};
        auto out = program.run(input);
        const json expected{{"id", t * 1000 + i}, {"sum", n * (n - 1) / 2}, {"tagged", true}};
        if (!out || out->size() != 1 || (*out)[0] != expected) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(JqProgram, AProgramKeepingNoStatesStillRuns) {
  const JqProgram program = compile_ok(".n * 2", JqLimits{.max_idle_states = 0});
  for (int n : {1, 2}) {
    auto out = program.run(json{{"n", n}});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ(*out, std::vector<json>{n * 2});
  }
}

TEST(JqProgram, MovesKeepTheCompiledProgram) {
  JqProgram first = compile_ok(". + 1");
  JqProgram second = std::move(first);
  auto out = second.run(json(41));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, std::vector<json>{42});
  EXPECT_EQ(second.source(), ". + 1");
}

// ---------------------------------------------------------------------------------------
// Mapping files: loading and errors

std::vector<std::string> messages(const std::vector<config::ConfigError>& errors) {
  std::vector<std::string> out;
  for (const auto& error : errors) out.push_back(error.to_string());
  return out;
}

std::string joined(const std::vector<config::ConfigError>& errors) {
  return config::format_errors(errors);
}

bool has(const std::vector<config::ConfigError>& errors, const std::string& text) {
  const auto all = messages(errors);
  return std::any_of(all.begin(), all.end(),
                     [&](const std::string& m) { return m.find(text) != std::string::npos; });
}

TEST(MappingFiles, JqCompileErrorIsReportedAtItsLineInTheFile) {
  const std::string text =
      "platform: stripe\n"                // 1
      "version: 3\n"                      // 2
      "mappings:\n"                       // 3
      "  - event: invoice.paid\n"         // 4
      "    jq: |\n"                       // 5
      "      {type: \"invoice.paid\",\n"  // 6
      "       schema_version: 1,\n"       // 7
      "       business_key: nope(.a)}\n"  // 8
      "  - event: invoice.created\n"      // 9
      "    jq: '.a | | .b'\n";            // 10
  auto loaded = MappingSet::from_sources({{"stripe.yaml", text}});
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 2u) << joined(loaded.error());
  EXPECT_EQ(loaded.error()[0].to_string(),
            "stripe.yaml:8: jq for 'invoice.paid': nope/1 is not defined");
  EXPECT_EQ(loaded.error()[1].where.line, 10);
  EXPECT_NE(loaded.error()[1].message.find("jq for 'invoice.created': syntax error"),
            std::string::npos)
      << loaded.error()[1].message;
}

TEST(MappingFiles, EveryStructuralErrorIsReportedWithItsLine) {
  const std::string text =
      "platform: stripe\n"           // 1
      "verison: 3\n"                 // 2  unknown key, and version missing
      "mappings:\n"                  // 3
      "  - event: invoice.paid\n"    // 4
      "    jq: '{}'\n"               // 5
      "    colour: blue\n"           // 6  unknown key
      "  - event: invoice.paid\n"    // 7  duplicate
      "    jq: '{}'\n"               // 8
      "  - event: invoice paid\n"    // 9  space in event
      "    jq: '{}'\n"               // 10
      "  - jq: '{}'\n"               // 11 no event
      "  - event: invoice.voided\n"  // 12 no jq
      "  - event: invoice.sent\n"    // 13
      "    jq: {type: x}\n"          // 14 a YAML map, not a program
      "  - event: in*voice\n"        // 15 bad glob
      "    jq: '  '\n";              // 16 empty program
  auto loaded = MappingSet::from_sources({{"m/stripe.yaml", text}});
  ASSERT_FALSE(loaded);
  const auto& errors = loaded.error();
  EXPECT_TRUE(has(errors, "m/stripe.yaml:2: unknown key 'verison'")) << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:1: missing key 'version'")) << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:6: unknown key 'colour' in a mapping")) << joined(errors);
  EXPECT_TRUE(has(errors,
                  "m/stripe.yaml:7: duplicate mapping for event 'invoice.paid' (first at "
                  "line 4)"))
      << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:9: event must be")) << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:11: mapping without 'event'")) << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:12: mapping for 'invoice.voided' without 'jq'"))
      << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:14: jq must be a string")) << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:15: event must be")) << joined(errors);
  EXPECT_TRUE(has(errors, "m/stripe.yaml:16: jq program is empty")) << joined(errors);
  EXPECT_EQ(errors.size(), 10u) << joined(errors);
}

TEST(MappingFiles, FileLevelErrors) {
  auto bad_yaml = MappingSet::from_sources({{"a.yaml", "platform: stripe\nmappings: [\n"}});
  ASSERT_FALSE(bad_yaml);
  EXPECT_TRUE(has(bad_yaml.error(), "a.yaml:")) << joined(bad_yaml.error());
  EXPECT_TRUE(has(bad_yaml.error(), "YAML syntax")) << joined(bad_yaml.error());

  auto not_a_map = MappingSet::from_sources({{"b.yaml", "- 1\n- 2\n"}});
  ASSERT_FALSE(not_a_map);
  EXPECT_TRUE(has(not_a_map.error(), "a mapping file is a YAML map")) << joined(not_a_map.error());

  auto bad_fields =
      MappingSet::from_sources({{"c.yaml", "platform: chargebee\nversion: two\nmappings: []\n"}});
  ASSERT_FALSE(bad_fields);
  EXPECT_TRUE(has(bad_fields.error(), "c.yaml:1: platform must be one of stripe, zendesk"))
      << joined(bad_fields.error());
  EXPECT_TRUE(has(bad_fields.error(), "c.yaml:2: version must be a positive integer"))
      << joined(bad_fields.error());
  EXPECT_TRUE(has(bad_fields.error(), "c.yaml:3: mappings must be a non-empty list"))
      << joined(bad_fields.error());
}

TEST(MappingFiles, ErrorsFromEveryFileAreReportedTogether) {
  const std::string good =
      "platform: zendesk\nversion: 1\nmappings:\n  - event: a.b\n    jq: empty\n";
  auto loaded = MappingSet::from_sources({
      {"one.yaml", "platform: stripe\nversion: 0\nmappings:\n  - event: x\n    jq: '{'\n"},
      {"two.yaml", good},
      {"three.yaml", good},  // zendesk again
  });
  ASSERT_FALSE(loaded);
  EXPECT_TRUE(has(loaded.error(), "one.yaml:2: version must be")) << joined(loaded.error());
  EXPECT_TRUE(has(loaded.error(), "one.yaml:5: jq for 'x'")) << joined(loaded.error());
  EXPECT_TRUE(has(loaded.error(), "three.yaml:1: platform 'zendesk' is already mapped in two.yaml"))
      << joined(loaded.error());
}

TEST(MappingFiles, LoadDirReadsYamlFilesOnly) {
  test::TempDir dir("weft-mapping");
  test::write_file(dir / "stripe.yaml",
                   "platform: stripe\nversion: 2\nmappings:\n  - event: invoice.paid\n"
                   "    jq: empty\n");
  test::write_file(dir / "zendesk.yml",
                   "platform: zendesk\nversion: 5\nmappings:\n  - event: ticket.created\n"
                   "    jq: empty\n");
  test::write_file(dir / "README.md", "not a mapping");
  test::write_file(dir / "stripe.yaml.bak", "platform: [");
  auto loaded = MappingSet::load_dir(dir.path().string());
  ASSERT_TRUE(loaded) << joined(loaded.error());
  EXPECT_EQ(loaded->platforms(), (std::vector<std::string>{"stripe", "zendesk"}));
  EXPECT_EQ(loaded->version("stripe"), 2);
  EXPECT_EQ(loaded->version("zendesk"), 5);
  EXPECT_EQ(loaded->version("netsuite"), std::nullopt);
  EXPECT_EQ(loaded->size(), 2u);

  test::write_file(dir / "broken.yaml", "platform: netsuite\nversion: 1\nmappings:\n  - jq: 1\n");
  auto broken = MappingSet::load_dir(dir.path().string());
  ASSERT_FALSE(broken);
  EXPECT_TRUE(has(broken.error(), (dir / "broken.yaml").string() + ":4: mapping without 'event'"))
      << joined(broken.error());
}

TEST(MappingFiles, LoadDirOfAMissingDirectoryIsAnError) {
  auto loaded = MappingSet::load_dir("/nonexistent/weft/mappings");
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].where.file, "/nonexistent/weft/mappings");
}

// ---------------------------------------------------------------------------------------
// Applying mappings

RawEvent raw_event(std::string connector, std::string event_id, std::string event_type,
                   std::string body) {
  RawEvent raw;
  raw.connector = std::move(connector);
  raw.event_id = std::move(event_id);
  raw.event_type = std::move(event_type);
  raw.body = std::move(body);
  raw.occurred_at_ms = 1'700'000'000'000;
  raw.received_at_ms = 1'700'000'005'000;
  raw.seq = 7;
  return raw;
}

MappingSet load_text(const std::string& text, const std::string& file = "test.yaml") {
  auto loaded = MappingSet::from_sources({{file, text}});
  if (!loaded) {
    ADD_FAILURE() << joined(loaded.error());
    return MappingSet();
  }
  return std::move(loaded).value();
}

TEST(MappingApply, NoMappingIgnoredAndFailedAreThreeDifferentOutcomes) {
  const MappingSet set = load_text(
      "platform: stripe\nversion: 4\nmappings:\n"
      "  - event: invoice.paid\n"
      "    jq: |\n"
      "      select(.data.object.amount_paid > 0)\n"
      "      | {type: \"invoice.paid\", schema_version: 1, business_key: .data.object.customer,\n"
      "         payload: {amount: .data.object.amount_paid}}\n");

  // (a) nothing declared for this event type, or this platform.
  auto unknown_type = set.apply("stripe", raw_event("stripe", "evt_1", "invoice.voided", "{}"));
  ASSERT_FALSE(unknown_type);
  EXPECT_EQ(unknown_type.error().code, MappingErrc::no_mapping);
  EXPECT_EQ(unknown_type.error().message,
            "no mapping for stripe event type 'invoice.voided' in test.yaml (version 4)");
  auto unknown_platform = set.apply("netsuite", raw_event("erp", "1", "customer.update", "{}"));
  ASSERT_FALSE(unknown_platform);
  EXPECT_EQ(unknown_platform.error().code, MappingErrc::no_mapping);
  EXPECT_EQ(unknown_platform.error().message, "no mappings for platform 'netsuite'");

  // (b) the mapping ran and chose to emit nothing.
  auto ignored =
      set.apply("stripe", raw_event("stripe", "evt_2", "invoice.paid",
                                    R"({"data":{"object":{"amount_paid":0,"customer":"cus_1"}}})"));
  ASSERT_TRUE(ignored) << ignored.error().message;
  EXPECT_TRUE(ignored->empty());

  // (c) the mapping ran and its output breaks the contract: the reason names the field and
  // where the mapping is.
  auto failed =
      set.apply("stripe", raw_event("stripe", "evt_3", "invoice.paid",
                                    R"({"data":{"object":{"amount_paid":5,"customer":null}}})"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, MappingErrc::failed);
  EXPECT_EQ(failed.error().message,
            "mapping 'invoice.paid' at test.yaml:5 (version 4): output 1: business_key must be "
            "a non-empty string, got null");

  // (c) again: a runtime error inside the program.
  auto runtime = set.apply(
      "stripe", raw_event("stripe", "evt_4", "invoice.paid", R"({"data":{"object":"in_1"}})"));
  ASSERT_FALSE(runtime);
  EXPECT_EQ(runtime.error().code, MappingErrc::failed);
  EXPECT_NE(runtime.error().message.find("Cannot index string with string \"amount_paid\""),
            std::string::npos)
      << runtime.error().message;

  auto not_json = set.apply("stripe", raw_event("stripe", "evt_5", "invoice.paid", "{oops"));
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().code, MappingErrc::failed);
  EXPECT_NE(not_json.error().message.find("input is not JSON"), std::string::npos);
}

std::string failure_of(const std::string& program) {
  const MappingSet set = load_text(
      "platform: salesforce\nversion: 1\nmappings:\n  - event: '*'\n"
      "    jq: '" +
      program + "'\n");
  auto result = set.apply("salesforce", raw_event("sf", "e1", "Account", R"({"id":"001"})"));
  if (result) return "(no failure)";
  EXPECT_EQ(result.error().code, MappingErrc::failed);
  const std::string& message = result.error().message;
  return message.substr(message.find(": ") + 2);
}

TEST(MappingApply, MalformedOutputsAreNamedField) {
  const std::string base = R"(type: "customer.upserted", schema_version: 1, business_key: .id)";
  EXPECT_EQ(failure_of("[1]"),
            "output 1: must be an object with type, schema_version, business_key and payload, "
            "got [1]");
  EXPECT_EQ(failure_of("{" + base + "}"), "output 1: payload must be an object, got nothing");
  EXPECT_EQ(failure_of("{" + base + ", payload: []}"),
            "output 1: payload must be an object, got []");
  EXPECT_EQ(failure_of(R"({type: "Customer", schema_version: 1, business_key: .id, payload: {}})"),
            "output 1: type must be a string like \"invoice.paid\" (lower-case words joined by "
            "dots), got \"Customer\"");
  EXPECT_EQ(failure_of(R"({type: "a.b", schema_version: "1", business_key: .id, payload: {}})"),
            "output 1: schema_version must be a positive integer, got \"1\"");
  EXPECT_EQ(failure_of(R"({type: "a.b", schema_version: 1, business_key: "", payload: {}})"),
            "output 1: business_key must be a non-empty string, got \"\"");
  EXPECT_EQ(failure_of("{" + base + ", payload: {}, busines_key: 1}"),
            "output 1: unknown field 'busines_key' (expected type, schema_version, business_key, "
            "payload, occurred_at, sequence)");
  EXPECT_EQ(failure_of("{" + base + ", payload: {}, sequence: -1}"),
            "output 1: sequence must be a non-negative integer (the platform's own event or version "
            "counter) or null, got -1");
  EXPECT_EQ(failure_of("{" + base + ", payload: {}, sequence: \"7\"}"),
            "output 1: sequence must be a non-negative integer (the platform's own event or version "
            "counter) or null, got \"7\"");
  EXPECT_EQ(failure_of("{" + base + ", payload: {}, occurred_at: 1700000000000}"),
            "output 1: occurred_at must be Unix seconds or an ISO-8601 string, got "
            "1700000000000 (milliseconds?)");
  EXPECT_EQ(failure_of("{" + base + ", payload: {}, occurred_at: \"yesterday\"}"),
            "output 1: occurred_at must be Unix seconds or an ISO-8601 string, got "
            "\"yesterday\"");
  EXPECT_EQ(failure_of("({" + base + ", payload: {}}), 7"),
            "output 2: must be an object with type, schema_version, business_key and payload, "
            "got 7");
  EXPECT_EQ(failure_of("range(0; 500) as $i | {" + base + ", payload: {}}"),
            "program produced more than 100 outputs");
}

// The platform's own sequence, when a mapping gives one, rides on the event (and survives
// the event's JSON), for canonical records to order events of one second.
TEST(MappingApply, SequenceIsThePlatformSequence) {
  const MappingSet set = load_text(
      "platform: salesforce\nversion: 1\nmappings:\n  - event: '*'\n    jq: |\n"
      "      ({type: \"a.b\", schema_version: 1, business_key: .id, payload: {}, sequence: .version},\n"
      "       {type: \"a.b\", schema_version: 1, business_key: .id, payload: {}, sequence: null})\n");
  auto events = set.apply("salesforce", raw_event("sf", "e1", "Account", R"({"id":"001","version":42})"));
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].platform_seq, 42);
  EXPECT_EQ((*events)[1].platform_seq, 0);
  EXPECT_EQ(nlohmann::json((*events)[0]).get<CanonicalEvent>().platform_seq, 42);
}

TEST(MappingApply, CanonicalFieldsComeFromTheRawEventAndIdsAreDeterministic) {
  const MappingSet set = load_text(
      "platform: salesforce\nversion: 9\nmappings:\n  - event: Opportunity\n    jq: |\n"
      "      ({type: \"order.closed_won\", schema_version: 2, business_key: .account,\n"
      "        occurred_at: \"2024-04-17T17:18:10.250Z\", payload: {n: 1}},\n"
      "       {type: \"order.closed_won\", schema_version: 2, business_key: .account,\n"
      "        payload: {n: 2}})\n");
  RawEvent raw = raw_event("sfdc", "evt-9", "Opportunity", R"({"account":"001A"})");
  raw.correlation_id = "req-123";
  auto events = set.apply("salesforce", raw);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  const CanonicalEvent& first = (*events)[0];
  EXPECT_EQ(first.type, "order.closed_won");
  EXPECT_EQ(first.schema_version, 2);
  EXPECT_EQ(first.business_key, "001A");
  EXPECT_EQ(first.occurred_at_ms, 1713374290250);
  EXPECT_EQ((*events)[1].occurred_at_ms, raw.occurred_at_ms);  // none given: the platform's
  EXPECT_EQ(first.source_connector, "sfdc");
  EXPECT_EQ(first.source_event_id, "evt-9");
  EXPECT_EQ(first.correlation_id, "req-123");
  EXPECT_EQ(first.causation_id, "evt-9");
  EXPECT_EQ(first.mapping_version, 9);
  EXPECT_EQ(first.payload, (json{{"n", 1}}));
  EXPECT_EQ(first.id.size(), 64u);
  EXPECT_NE(first.id, (*events)[1].id);

  auto again = set.apply("salesforce", raw);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)[0].id, first.id);
  EXPECT_EQ((*again)[1].id, (*events)[1].id);

  raw.event_id = "evt-10";
  auto other = set.apply("salesforce", raw);
  ASSERT_TRUE(other);
  EXPECT_NE((*other)[0].id, first.id);

  raw.occurred_at_ms = 0;
  raw.correlation_id.clear();
  auto fallback = set.apply("salesforce", raw);
  ASSERT_TRUE(fallback);
  EXPECT_EQ((*fallback)[1].occurred_at_ms, raw.received_at_ms);
  EXPECT_EQ((*fallback)[1].correlation_id, "evt-10");
}

TEST(MappingApply, ExactBeatsTheLongestGlobWhichBeatsTheCatchAll) {
  const MappingSet set = load_text(
      "platform: stripe\nversion: 1\nmappings:\n"
      "  - event: '*'\n    jq: '{type: \"x.any\", schema_version: 1, business_key: \"k\", "
      "payload: {}}'\n"
      "  - event: invoice.*\n    jq: '{type: \"x.invoice\", schema_version: 1, business_key: "
      "\"k\", payload: {}}'\n"
      "  - event: invoice.payment.*\n    jq: '{type: \"x.payment\", schema_version: 1, "
      "business_key: \"k\", payload: {}}'\n"
      "  - event: [invoice.paid, invoice.created]\n    jq: '{type: \"x.exact\", schema_version: "
      "1, business_key: \"k\", payload: {}}'\n");
  auto type_for = [&](const std::string& event_type) {
    auto events = set.apply("stripe", raw_event("stripe", "e", event_type, "{}"));
    return events && events->size() == 1 ? (*events)[0].type : std::string("?");
  };
  EXPECT_EQ(type_for("invoice.paid"), "x.exact");
  EXPECT_EQ(type_for("invoice.created"), "x.exact");
  EXPECT_EQ(type_for("invoice.payment.failed"), "x.payment");
  EXPECT_EQ(type_for("invoice.voided"), "x.invoice");
  EXPECT_EQ(type_for("invoices"), "x.any");
  EXPECT_EQ(type_for("customer.created"), "x.any");
  EXPECT_EQ(set.size(), 5u);
  auto info = set.find("stripe", "invoice.payment.failed");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->event, "invoice.payment.*");
  EXPECT_EQ(info->where.file, "test.yaml");
  EXPECT_EQ(info->where.line, 9);
}

TEST(MappingApply, ManyThreadsApplyOneMappingSet) {
  const MappingSet set = load_text(
      "platform: zendesk\nversion: 1\nmappings:\n  - event: ticket.created\n    jq: |\n"
      "      {type: \"case.opened\", schema_version: 1, business_key: \"zen:ticket:\\(.n)\",\n"
      "       payload: {n: .n, big: (.n | test(\"^[0-9]{3,}$\"))}}\n");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::string n = std::to_string(t * 1000 + i);
        auto events = set.apply(
            "zendesk", raw_event("zd", "e" + n, "ticket.created", R"({"n":")" + n + R"("})"));
        if (!events || events->size() != 1 || (*events)[0].business_key != "zen:ticket:" + n ||
            (*events)[0].payload["big"] != (n.size() >= 3)) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(CanonicalEvent, JsonRoundTrip) {
  CanonicalEvent event;
  event.id = "abc";
  event.type = "invoice.paid";
  event.schema_version = 2;
  event.business_key = "cus_1";
  event.occurred_at_ms = 1713374290250;
  event.source_connector = "stripe";
  event.source_event_id = "evt_1";
  event.correlation_id = "c";
  event.causation_id = "evt_1";
  event.payload = json{{"amount", 1000}};
  event.mapping_version = 3;
  const json j = event;
  EXPECT_EQ(j["business_key"], "cus_1");
  EXPECT_EQ(j["payload"]["amount"], 1000);
  const auto back = j.get<CanonicalEvent>();
  EXPECT_EQ(json(back), j);

  const auto minimal =
      json::parse(R"({"id":"x","type":"a.b","schema_version":1,"business_key":"k","payload":{}})")
          .get<CanonicalEvent>();
  EXPECT_EQ(minimal.mapping_version, 0);
  EXPECT_EQ(minimal.source_connector, "");
  EXPECT_THROW(json::parse(R"({"id":"x"})").get<CanonicalEvent>(), json::exception);
}

// ---------------------------------------------------------------------------------------
// The shipped mappings (mappings/*.yaml) on realistic events

const MappingSet& shipped() { return test::shipped_mappings(); }

json stripe_event(const std::string& id, const std::string& type, std::int64_t created, json object,
                  json previous_attributes = nullptr) {
  json data{{"object", std::move(object)}};
  if (!previous_attributes.is_null()) data["previous_attributes"] = std::move(previous_attributes);
  return json{{"id", id},
              {"object", "event"},
              {"api_version", "2024-06-20"},
              {"created", created},
              {"data", std::move(data)},
              {"livemode", false},
              {"pending_webhooks", 1},
              {"request", {{"id", "req_8kLmN2"}, {"idempotency_key", nullptr}}},
              {"type", type}};
}

json zendesk_event(const std::string& id, const std::string& type, json detail, json event) {
  const std::string ticket = detail["id"].get<std::string>();
  return json{{"type", "zen:event-type:" + type},
              {"account_id", 12514403},
              {"id", id},
              {"time", "2024-04-17T17:18:10Z"},
              {"zendesk_event_version", "2022-11-06"},
              {"subject", "zen:ticket:" + ticket},
              {"detail", std::move(detail)},
              {"event", std::move(event)}};
}

// Applies a shipped mapping the way the pipeline does: the body as the platform sent it.
Result<std::vector<CanonicalEvent>, MappingError> apply_shipped(const std::string& platform,
                                                                const json& body) {
  std::string event_type = body["type"].get<std::string>();
  if (event_type.starts_with("zen:event-type:")) event_type.erase(0, 15);
  auto result = shipped().apply(platform, raw_event(platform + "-main", body["id"].get<std::string>(),
                                                  event_type, body.dump()));
  if (result) {
    EXPECT_EQ(test::schema_violations(*result), "") << "mapping " << platform << " " << event_type;
  }
  return result;
}

CanonicalEvent only_event(const Result<std::vector<CanonicalEvent>, MappingError>& result) {
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  EXPECT_EQ(result->size(), 1u);
  return result->empty() ? CanonicalEvent{} : result->front();
}

json stripe_invoice(const std::string& status) {
  json invoice = json::parse(R"json({
    "id": "in_1Pgc6tB7WZ01zgkWu9fdqL6I", "object": "invoice", "account_country": "US",
    "amount_due": 1000, "amount_paid": 0, "amount_remaining": 1000, "amount_shipping": 0,
    "attempt_count": 0, "attempted": false, "auto_advance": false,
    "billing_reason": "manual", "collection_method": "charge_automatically",
    "created": 1721954050, "currency": "usd", "customer": "cus_QXg1o8vcGmoR32",
    "customer_email": null, "customer_name": null, "description": null,
    "due_date": 1724546050, "hosted_invoice_url": null, "livemode": false, "metadata": {},
    "next_payment_attempt": 1721957650, "number": "7FE1103-0001",
    "lines": {"object": "list", "has_more": false,
              "url": "/v1/invoices/in_1Pgc6tB7WZ01zgkWu9fdqL6I/lines",
              "data": [{"id": "il_1Pgc6sB7WZ01zgkWFnxLrLCq", "object": "line_item",
                        "amount": 1000, "currency": "usd",
                        "description": "My First Invoice Item (created for API docs)",
                        "invoice": "in_1Pgc6tB7WZ01zgkWu9fdqL6I", "livemode": false,
                        "metadata": {}, "period": {"end": 1721954054, "start": 1721954054},
                        "quantity": 1, "subscription": null,
                        "pricing": {
  "type" : "price_details", "unit_amount_decimal" : "1000", "price_details" : {
    "price" : "price_1PgafmB7WZ01zgkW6dKueIc5", "product" : "prod_QXg1hqf4jFNsqG"
  }}}]
}
, "parent" : {
  "type" : "subscription_details",
  "quote_details" : null,
  "subscription_details" : {"metadata" : {}, "subscription" : "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"}
},
             "period_end" : 1721954050,
             "period_start" : 1719275650,
             "post_payment_credit_notes_amount" : 0,
             "pre_payment_credit_notes_amount" : 0,
             "starting_balance" : 0,
             "status" : "draft",
                        "status_transitions" : {
                          "finalized_at" : null,
                          "marked_uncollectible_at" : null,
                          "paid_at" : null,
                          "voided_at" : null
                        },
                                               "subscription" : null,
                                                                "subtotal" : 1000,
                                                                "total" : 1000,
                                                                "total_excluding_tax" : 1000
})json");
  invoice["status"] = status;
  return invoice;
}

TEST(ShippedMappings, EveryFileLoads) {
  const MappingSet& set = shipped();
  // netsuite and salesforce: relayed_mapping_test.cpp.
  EXPECT_EQ(set.platforms(),
            (std::vector<std::string>{"netsuite", "salesforce", "stripe", "zendesk"}));
  EXPECT_GE(set.version("stripe").value_or(0), 1);
  EXPECT_GE(set.version("zendesk").value_or(0), 1);
}

// Every shipped entry has a sample below; a new entry without one fails here.
TEST(ShippedMappings, EveryEntryIsExercisedBelow) {
  const std::set<std::string> sampled{"stripe invoice.created",
                                      "stripe invoice.finalized",
                                      "stripe invoice.paid",
                                      "stripe invoice.payment_failed",
                                      "stripe charge.dispute.created",
                                      "stripe charge.dispute.closed",
                                      "stripe customer.subscription.created",
                                      "stripe customer.subscription.updated",
                                      "stripe customer.subscription.deleted",
                                      "stripe customer.created",
                                      "stripe customer.updated",
                                      "stripe credit_note.created",
                                      "zendesk ticket.created",
                                      "zendesk ticket.tags_changed",
                                      "zendesk ticket.status_changed",
                                      "zendesk ticket.priority_changed",
                                      "zendesk ticket.custom_field_changed",
                                      "zendesk organization.created",
                                      "zendesk organization.name_changed",
                                      "zendesk organization.external_id_changed",
                                      "zendesk ticket.comment_added",
                                      "zendesk ticket.subject_changed",
                                      "zendesk ticket.description_changed",
                                      "zendesk ticket.type_changed",
                                      "zendesk ticket.agent_assignment_changed",
                                      "zendesk ticket.group_assignment_changed",
                                      "zendesk organization.tags_changed",
                                      "zendesk organization.custom_field_changed",
                                      "zendesk user.*",
                                      "stripe charge.succeeded",
                                      "stripe charge.updated",
                                      "stripe charge.dispute.updated",
                                      "stripe payment_intent.*",
                                      "stripe invoice.payment_succeeded",
                                      "stripe invoice.sent",
                                      "stripe invoice.updated",
                                      "stripe invoice.deleted",
                                      "stripe invoiceitem.*",
                                      "stripe product.*",
                                      "stripe price.*",
                                      "stripe credit_note.updated",
                                      "stripe refund.updated"};
  std::set<std::string> shipped_entries;
  for (const auto& entry : shipped().entries()) {
    // The relayed platforms' samples are in relayed_mapping_test.cpp, which checks the same.
    if (entry.platform == "netsuite" || entry.platform == "salesforce") continue;
    shipped_entries.insert(entry.platform + " " + entry.event);
    EXPECT_TRUE(sampled.count(entry.platform + " " + entry.event))
        << entry.where.file << ":" << entry.where.line << ": " << entry.event
        << " has no sample in mapping_test";
  }
  EXPECT_EQ(shipped_entries, sampled);
}

TEST(ShippedMappings, StripeInvoiceFinalizedIsInvoiceIssued) {
  json invoice = stripe_invoice("open");
  invoice["status_transitions"]["finalized_at"] = 1721954090;
  const json body =
      stripe_event("evt_1PgcAAB7WZ01zgkWfin0001", "invoice.finalized", 1721954091, invoice);
  const CanonicalEvent event = only_event(apply_shipped("stripe", body));
  EXPECT_EQ(event.type, "invoice.issued");
  EXPECT_EQ(event.schema_version, 1);
  EXPECT_EQ(event.business_key, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(event.occurred_at_ms, 1721954090000);
  EXPECT_EQ(event.source_connector, "stripe-main");
  EXPECT_EQ(event.source_event_id, "evt_1PgcAAB7WZ01zgkWfin0001");
  EXPECT_EQ(event.mapping_version, shipped().version("stripe"));
  const json& p = event.payload;
  EXPECT_EQ(p["invoice_id"], "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
  EXPECT_EQ(p["number"], "7FE1103-0001");
  EXPECT_EQ(p["customer_id"], "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(p["subscription_id"], "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
  EXPECT_EQ(p["status"], "open");
  EXPECT_EQ(p["currency"], "usd");
  EXPECT_EQ(p["total"], 1000);
  EXPECT_EQ(p["amount_due"], 1000);
  EXPECT_EQ(p["due_date"], "2024-08-25T00:34:10Z");
  ASSERT_EQ(p["lines"].size(), 1u);
  EXPECT_EQ(p["lines"][0]["line_id"], "il_1Pgc6sB7WZ01zgkWFnxLrLCq");
  EXPECT_EQ(p["lines"][0]["price_id"], "price_1PgafmB7WZ01zgkW6dKueIc5");
  EXPECT_EQ(p["lines"][0]["amount"], 1000);
}

TEST(ShippedMappings, StripeDraftInvoiceCreatedIsIgnoredButAnOpenOneIsIssued) {
  auto draft = apply_shipped(
      "stripe", stripe_event("evt_c1", "invoice.created", 1721954050, stripe_invoice("draft")));
  ASSERT_TRUE(draft) << draft.error().message;
  EXPECT_TRUE(draft->empty());

  const CanonicalEvent open = only_event(apply_shipped(
      "stripe", stripe_event("evt_c2", "invoice.created", 1721954050, stripe_invoice("open"))));
  EXPECT_EQ(open.type, "invoice.issued");
  EXPECT_EQ(open.occurred_at_ms, 1721954050000);  // no finalized_at: the event's time
}

TEST(ShippedMappings, StripeInvoicePaid) {
  json invoice = stripe_invoice("paid");
  invoice["amount_paid"] = 1000;
  invoice["amount_remaining"] = 0;
  invoice["status_transitions"]["paid_at"] = 1721960000;
  invoice["payment_intent"] = "pi_3PgcB2B7WZ01zgkW0xRH1r7s";
  invoice["charge"] = {{"id", "ch_1PgafuB7WZ01zgkWXYmPNZs8"}, {"object", "charge"}};  // expanded
  const CanonicalEvent event = only_event(
      apply_shipped("stripe", stripe_event("evt_p1", "invoice.paid", 1721960001, invoice)));
  EXPECT_EQ(event.type, "invoice.paid");
  EXPECT_EQ(event.business_key, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(event.occurred_at_ms, 1721960000000);
  EXPECT_EQ(event.payload["invoice_id"], "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
  EXPECT_EQ(event.payload["amount_paid"], 1000);
  EXPECT_EQ(event.payload["amount_remaining"], 0);
  EXPECT_EQ(event.payload["currency"], "usd");
  EXPECT_EQ(event.payload["payment_intent_id"], "pi_3PgcB2B7WZ01zgkW0xRH1r7s");
  EXPECT_EQ(event.payload["charge_id"], "ch_1PgafuB7WZ01zgkWXYmPNZs8");
  EXPECT_EQ(event.payload["paid_out_of_band"], false);
}

TEST(ShippedMappings, StripeInvoicePaymentFailedIsPaymentFailed) {
  json invoice = stripe_invoice("open");
  invoice["attempt_count"] = 2;
  invoice["attempted"] = true;
  const CanonicalEvent event = only_event(apply_shipped(
      "stripe", stripe_event("evt_f1", "invoice.payment_failed", 1721957700, invoice)));
  EXPECT_EQ(event.type, "payment.failed");
  EXPECT_EQ(event.business_key, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(event.occurred_at_ms, 1721957700000);
  EXPECT_EQ(event.payload["attempt_count"], 2);
  EXPECT_EQ(event.payload["amount_due"], 1000);
  EXPECT_EQ(event.payload["next_payment_attempt"], "2024-07-26T01:34:10Z");
}

TEST(ShippedMappings, StripeInvoiceWithoutCustomerFailsNamingTheField) {
  json invoice = stripe_invoice("open");
  invoice["customer"] = nullptr;
  auto result =
      apply_shipped("stripe", stripe_event("evt_x", "invoice.finalized", 1721954091, invoice));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, MappingErrc::failed);
  EXPECT_NE(result.error().message.find("stripe.yaml:"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("business_key must be a non-empty string, got null"),
            std::string::npos)
      << result.error().message;
}

json stripe_dispute() {
  return json::parse(R"json({
    "id": "dp_1Pgc71B7WZ01zgkWMevJiAUx", "object": "dispute", "amount": 1000,
    "balance_transactions": [], "charge": "ch_1PgafuB7WZ01zgkWXYmPNZs8",
    "created": 1721954300, "currency": "usd",
    "evidence_details": {"due_by": 1723679999, "has_evidence": false, "past_due": false,
                         "submission_count": 0},
    "is_charge_refundable": true, "livemode": false, "metadata": {},
    "payment_intent": null,
    "payment_method_details": {"card": {"brand": "visa", "case_type": "inquiry",
                                        "network_reason_code": "10.4"}, "type": "card"},
    "reason": "general", "status": "warning_needs_response"
  })json");
}

TEST(ShippedMappings, StripeDisputeCreatedIsInvoiceDisputed) {
  // As Stripe sends it: the charge is an id, so the charge keys the event.
  const CanonicalEvent plain = only_event(apply_shipped(
      "stripe", stripe_event("evt_d1", "charge.dispute.created", 1721954301, stripe_dispute())));
  EXPECT_EQ(plain.type, "invoice.disputed");
  EXPECT_EQ(plain.business_key, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
  EXPECT_EQ(plain.occurred_at_ms, 1721954300000);
  EXPECT_EQ(plain.payload["dispute_id"], "dp_1Pgc71B7WZ01zgkWMevJiAUx");
  EXPECT_EQ(plain.payload["charge_id"], "ch_1PgafuB7WZ01zgkWXYmPNZs8");
  EXPECT_EQ(plain.payload["amount"], 1000);
  EXPECT_EQ(plain.payload["reason"], "general");
  EXPECT_EQ(plain.payload["status"], "warning_needs_response");
  EXPECT_EQ(plain.payload["evidence_due_by"], "2024-08-14T23:59:59Z");
  EXPECT_TRUE(plain.payload["invoice_id"].is_null());

  // With the charge expanded: its customer and invoice.
  json dispute = stripe_dispute();
  dispute["charge"] = {{"id", "ch_1PgafuB7WZ01zgkWXYmPNZs8"},
                       {"object", "charge"},
                       {"customer", "cus_QXg1o8vcGmoR32"},
                       {"invoice", "in_1Pgc6tB7WZ01zgkWu9fdqL6I"}};
  const CanonicalEvent expanded = only_event(apply_shipped(
      "stripe", stripe_event("evt_d2", "charge.dispute.created", 1721954301, dispute)));
  EXPECT_EQ(expanded.business_key, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(expanded.payload["invoice_id"], "in_1Pgc6tB7WZ01zgkWu9fdqL6I");
  EXPECT_EQ(expanded.payload["charge_id"], "ch_1PgafuB7WZ01zgkWXYmPNZs8");
}

TEST(ShippedMappings, StripeDisputeClosedIsDisputeResolved) {
  json dispute = stripe_dispute();
  dispute["status"] = "won";
  const CanonicalEvent event = only_event(apply_shipped(
      "stripe", stripe_event("evt_d3", "charge.dispute.closed", 1722000000, dispute)));
  EXPECT_EQ(event.type, "invoice.dispute_resolved");
  EXPECT_EQ(event.payload["status"], "won");
  EXPECT_EQ(event.business_key, "ch_1PgafuB7WZ01zgkWXYmPNZs8");
}

json stripe_subscription() {
  return json::parse(R"json({
    "id": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw", "object": "subscription",
    "billing_cycle_anchor": 1721954053, "cancel_at": null, "cancel_at_period_end": false,
    "canceled_at": null, "collection_method": "charge_automatically", "created": 1721954053,
    "currency": "usd", "customer": "cus_QXg1o8vcGmoR32", "ended_at": null,
    "items": {"object": "list", "has_more": false,
              "url": "/v1/subscription_items?subscription=sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
              "data": [{"id": "si_QXhVnC2h0Jczwc", "object": "subscription_item",
                        "created": 1721954054, "metadata": {}, "quantity": 5,
                        "subscription": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
                        "current_period_start": 1721954053, "current_period_end": 1724632453,
                        "price": {"id": "price_1PgafmB7WZ01zgkW6dKueIc5", "object": "price",
                                  "active": true, "currency": "usd",
                                  "product": "prod_QXg1hqf4jFNsqG", "type": "recurring",
                                  "recurring": {"interval": "month", "interval_count": 1,
                                                "usage_type": "licensed"},
                                  "unit_amount": 2000}}]},
    "latest_invoice": "in_1Pgc6tB7WZ01zgkWu9fdqL6I", "livemode": false, "metadata": {},
    "start_date": 1721954053, "status": "active", "trial_end": null, "trial_start": null
  })json");
}

TEST(ShippedMappings, StripeSubscriptionUpdatedIsSubscriptionChanged) {
  const json previous = json::parse(R"json({
    "status": "trialing",
    "items": {"object": "list", "data": [{"id": "si_QXhVnC2h0Jczwc", "quantity": 2,
              "price": {"id": "price_1PgafmB7WZ01zgkW6dKueIc5", "product": "prod_QXg1hqf4jFNsqG",
                        "recurring": {"interval": "month"}}}]}
  })json");
  const CanonicalEvent event = only_event(
      apply_shipped("stripe", stripe_event("evt_s1", "customer.subscription.updated", 1721990000,
                                           stripe_subscription(), previous)));
  EXPECT_EQ(event.type, "subscription.changed");
  EXPECT_EQ(event.business_key, "cus_QXg1o8vcGmoR32");
  const json& p = event.payload;
  EXPECT_EQ(p["subscription_id"], "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw");
  EXPECT_EQ(p["change"], "updated");
  EXPECT_EQ(p["status"], "active");
  EXPECT_EQ(p["previous_status"], "trialing");
  EXPECT_EQ(p["changed_fields"], (json{"items", "status"}));
  ASSERT_EQ(p["items"].size(), 1u);
  EXPECT_EQ(p["items"][0]["price_id"], "price_1PgafmB7WZ01zgkW6dKueIc5");
  EXPECT_EQ(p["items"][0]["product_id"], "prod_QXg1hqf4jFNsqG");
  EXPECT_EQ(p["items"][0]["quantity"], 5);
  EXPECT_EQ(p["items"][0]["interval"], "month");
  EXPECT_EQ(p["previous_items"][0]["quantity"], 2);
}

TEST(ShippedMappings, StripeSubscriptionCreatedAndDeleted) {
  const CanonicalEvent created =
      only_event(apply_shipped("stripe", stripe_event("evt_s2", "customer.subscription.created",
                                                      1721954054, stripe_subscription())));
  EXPECT_EQ(created.type, "subscription.changed");
  EXPECT_EQ(created.payload["change"], "created");
  EXPECT_TRUE(created.payload["previous_items"].is_null());
  EXPECT_EQ(created.payload["changed_fields"], json::array());

  json ended = stripe_subscription();
  ended["status"] = "canceled";
  ended["ended_at"] = 1722000000;
  const CanonicalEvent deleted = only_event(apply_shipped(
      "stripe", stripe_event("evt_s3", "customer.subscription.deleted", 1722000001, ended)));
  EXPECT_EQ(deleted.payload["change"], "deleted");
  EXPECT_EQ(deleted.payload["status"], "canceled");
  EXPECT_EQ(deleted.payload["ended_at"], "2024-07-26T13:20:00Z");
}

TEST(ShippedMappings, StripeCustomerCreatedAndUpdatedAreCustomerUpserted) {
  json customer = json::parse(R"json({
    "id": "cus_QXg1o8vcGmoR32", "object": "customer",
    "address": {"city": "Berlin", "country": "DE", "line1": "Torstr. 1", "line2": null,
                "postal_code": "10119", "state": null},
    "balance": -500, "created": 1721948530, "currency": "usd", "default_source": null,
    "delinquent": false, "description": null, "email": "ap@acme.example",
    "invoice_prefix": "7FE1103", "livemode": false, "metadata": {"weft_account_id": "acct-42"},
    "name": "Acme GmbH", "next_invoice_sequence": 2, "phone": null, "preferred_locales": [],
    "tax_exempt": "none", "test_clock": null
  })json");
  for (const char* type : {"customer.created", "customer.updated"}) {
    const CanonicalEvent event =
        only_event(apply_shipped("stripe", stripe_event("evt_cu", type, 1721948531, customer)));
    EXPECT_EQ(event.type, "customer.upserted") << type;
    EXPECT_EQ(event.business_key, "cus_QXg1o8vcGmoR32");
    EXPECT_EQ(event.payload["name"], "Acme GmbH");
    EXPECT_EQ(event.payload["email"], "ap@acme.example");
    EXPECT_EQ(event.payload["balance"], -500);
    EXPECT_EQ(event.payload["address"]["country"], "DE");
    EXPECT_EQ(event.payload["metadata"]["weft_account_id"], "acct-42");
    EXPECT_EQ(event.payload["external_id"], "cus_QXg1o8vcGmoR32") << "without metadata.external_id";
  }
  customer["metadata"]["external_id"] = "ACME-7781";
  const CanonicalEvent numbered =
      only_event(apply_shipped("stripe", stripe_event("evt_cu2", "customer.updated", 1721948532, customer)));
  EXPECT_EQ(numbered.payload["external_id"], "ACME-7781");
}

TEST(ShippedMappings, StripeEventsNoCanonicalEventNeedsAreIgnoredNotExceptions) {
  for (const char* type : {"charge.succeeded", "charge.updated", "charge.dispute.updated",
                           "payment_intent.succeeded", "payment_intent.created", "invoice.payment_succeeded",
                           "invoice.sent", "invoice.updated", "invoice.deleted", "invoiceitem.created",
                           "product.created", "price.updated", "credit_note.updated", "refund.updated"}) {
    const auto result = apply_shipped("stripe", stripe_event("evt_x", type, 1721948531, {{"id", "x_1"}}));
    ASSERT_TRUE(result.ok()) << type << ": " << result.error().message;
    EXPECT_TRUE(result->empty()) << type;
  }
  // What matters but has no canonical event yet still surfaces.
  EXPECT_FALSE(apply_shipped("stripe", stripe_event("evt_r", "refund.created", 1721948531, {{"id", "re_1"}})).ok());
}

TEST(ShippedMappings, StripeCreditNoteCreatedIsCreditMemoPosted) {
  const json note = json::parse(R"json({
    "id": "cn_1Pgc75B7WZ01zgkWJMPt5riP", "object": "credit_note", "amount": 1690,
    "amount_shipping": 0, "created": 1721954066, "currency": "usd",
    "customer": "cus_QXg1o8vcGmoR32", "customer_balance_transaction": null,
    "discount_amount": 0, "effective_at": 1721954067, "invoice": "in_1Pgc75B7WZ01zgkWYv4iMwt7",
    "lines": {"object": "list", "has_more": false,
              "data": [{"id": "cnli_1Pgc75B7WZ01zgkWla6u0GdZ", "object": "credit_note_line_item",
                        "amount": 1190, "description": "My First Invoice Item (created for API docs)",
                        "invoice_line_item": "il_1Pgc74B7WZ01zgkWWh45tUBA", "quantity": 1,
                        "type": "invoice_line_item"},
                       {"id": "cnli_1Pgc75B7WZ01zgkWp2Xq9Yhc", "object": "credit_note_line_item",
                        "amount": 500, "description": "Service credit", "quantity": 1,
                        "type": "custom_line_item"}]
}
, "livemode" : false,
               "memo" : "SLA breach, case 35436",
                        "metadata" : {"zendesk_ticket" : "35436"},
                                     "number" : "ABCD-1234-CN-01",
                                                "out_of_band_amount" : null,
                                                                       "reason"
    : "product_unsatisfactory",
      "status" : "issued",
                 "subtotal" : 1690,
                 "total" : 1690,
                 "type" : "pre_payment",
                          "voided_at" : null
})json");
  const CanonicalEvent event = only_event(
      apply_shipped("stripe", stripe_event("evt_cn", "credit_note.created", 1721954068, note)));
  EXPECT_EQ(event.type, "credit_memo.posted");
  EXPECT_EQ(event.business_key, "cus_QXg1o8vcGmoR32");
  EXPECT_EQ(event.occurred_at_ms, 1721954067000);
  const json& p = event.payload;
  EXPECT_EQ(p["credit_note_id"], "cn_1Pgc75B7WZ01zgkWJMPt5riP");
  EXPECT_EQ(p["invoice_id"], "in_1Pgc75B7WZ01zgkWYv4iMwt7");
  EXPECT_EQ(p["amount"], 1690);
  EXPECT_EQ(p["credit_type"], "pre_payment");
  EXPECT_EQ(p["reason"], "product_unsatisfactory");
  EXPECT_EQ(p["memo"], "SLA breach, case 35436");
  EXPECT_EQ(p["metadata"]["zendesk_ticket"], "35436");
  ASSERT_EQ(p["lines"].size(), 2u);
  EXPECT_EQ(p["lines"][0]["invoice_line_id"], "il_1Pgc74B7WZ01zgkWWh45tUBA");
  EXPECT_TRUE(p["lines"][1]["invoice_line_id"].is_null());
}

json zendesk_ticket(json tags) {
  return json{{"actor_id", "20978392"},
              {"assignee_id", "235323"},
              {"brand_id", "123"},
              {"created_at", "2024-04-17T17:18:09Z"},
              {"custom_status", "17"},
              {"description", "We were down for 6 hours on Monday; please credit us."},
              {"external_id", "ACME-7781"},
              {"form_id", "6876543"},
              {"group_id", "98738"},
              {"id", "35436"},
              {"is_public", true},
              {"organization_id", "10002"},
              {"priority", "HIGH"},
              {"requester_id", "20978392"},
              {"status", "NEW"},
              {"subject", "Outage on Monday - service credit"},
              {"submitter_id", "20978392"},
              {"tags", std::move(tags)},
              {"type", "INCIDENT"},
              {"updated_at", "2024-04-17T17:18:10Z"},
              {"via", {{"channel", "web_form"}}}};
}

json sequence_meta() {
  return json{{"meta", {{"sequence", {{"id", "01HVJ4K0A5X"}, {"position", 1}, {"total", 1}}}}}};
}

TEST(ShippedMappings, ZendeskOrganizationIsCustomerUpserted) {
  for (const char* type : {"organization.created", "organization.name_changed", "organization.external_id_changed"}) {
    const json body{{"type", std::string("zen:event-type:") + type},
                    {"account_id", 12514403},
                    {"id", "0b1f6a2c-1111-4c1d-9e7b-1f2a3b4c5d6e"},
                    {"time", "2024-04-17T17:18:10Z"},
                    {"zendesk_event_version", "2022-11-06"},
                    {"subject", "zen:organization:10002"},
                    {"detail",
                     {{"id", "10002"},
                      {"name", "Acme GmbH"},
                      {"external_id", "cus_QXg1o8vcGmoR32"},
                      {"created_at", "2024-04-01T08:00:00Z"},
                      {"updated_at", "2024-04-17T17:18:10Z"},
                      {"shared_comments", false},
                      {"shared_tickets", false},
                      {"group_id", nullptr}}},
                    {"event", json::object()}};
    const CanonicalEvent event = only_event(apply_shipped("zendesk", body));
    EXPECT_EQ(event.type, "customer.upserted") << type;
    EXPECT_EQ(event.business_key, "zen:organization:10002");
    EXPECT_EQ(event.payload["customer_id"], "10002");
    EXPECT_EQ(event.payload["external_id"], "cus_QXg1o8vcGmoR32");
    EXPECT_EQ(event.payload["name"], "Acme GmbH");
    EXPECT_EQ(event.payload["change"], std::string(type).substr(13));
  }
}

TEST(ShippedMappings, ZendeskEventsNoCanonicalEventNeedsAreIgnoredNotExceptions) {
  for (const char* type : {"ticket.comment_added", "ticket.subject_changed", "ticket.description_changed",
                           "ticket.type_changed", "ticket.agent_assignment_changed",
                           "ticket.group_assignment_changed", "organization.tags_changed",
                           "organization.custom_field_changed", "user.created", "user.email_changed"}) {
    const json body = zendesk_event("5c1d2e3f-0000-4c1d-9e7b-1f2a3b4c5d6e", type, zendesk_ticket({}),
                                    json::object());
    const auto result = apply_shipped("zendesk", body);
    ASSERT_TRUE(result.ok()) << type << ": " << result.error().message;
    EXPECT_TRUE(result->empty()) << type;
  }
}

TEST(ShippedMappings, ZendeskTicketCreatedIsCaseOpened) {
  const json body = zendesk_event("2b24ef10-4a2c-4c1d-9e7b-1f2a3b4c5d6e", "ticket.created",
                                  zendesk_ticket({"enterprise"}), sequence_meta());
  const CanonicalEvent event = only_event(apply_shipped("zendesk", body));
  EXPECT_EQ(event.type, "case.opened");
  EXPECT_EQ(event.business_key, "zen:ticket:35436");
  EXPECT_EQ(event.occurred_at_ms, 1713374290000);
  EXPECT_EQ(event.source_event_id, "2b24ef10-4a2c-4c1d-9e7b-1f2a3b4c5d6e");
  const json& p = event.payload;
  EXPECT_EQ(p["ticket_id"], "35436");
  EXPECT_EQ(p["status"], "new");
  EXPECT_EQ(p["priority"], "high");
  EXPECT_EQ(p["ticket_type"], "incident");
  EXPECT_EQ(p["organization_id"], "10002");
  EXPECT_EQ(p["requester_id"], "20978392");
  EXPECT_EQ(p["external_id"], "ACME-7781");
  EXPECT_EQ(p["tags"], (json{"enterprise"}));
  EXPECT_EQ(p["channel"], "web_form");
}

TEST(ShippedMappings, ZendeskTicketCreatedWithTheCreditTagIsAlsoACreditRequest) {
  const json body =
      zendesk_event("c0ffee00-0000-4000-8000-000000000001", "ticket.created",
                    zendesk_ticket({"enterprise", "service_credit_request"}), sequence_meta());
  auto events = apply_shipped("zendesk", body);
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, "case.opened");
  EXPECT_EQ((*events)[1].type, "case.credit_requested");
  EXPECT_EQ((*events)[1].business_key, "zen:ticket:35436");
  EXPECT_EQ((*events)[1].payload["organization_id"], "10002");
  EXPECT_EQ((*events)[1].payload["requested_by"], "tag");
  EXPECT_NE((*events)[0].id, (*events)[1].id);
}

TEST(ShippedMappings, ZendeskCreditTagAddedIsTagsChangedThenCreditRequested) {
  json ticket = zendesk_ticket({"enterprise", "service_credit_request"});
  ticket["status"] = "OPEN";
  json change = sequence_meta();
  change["tags_added"] = {"service_credit_request"};
  change["tags_removed"] = json::array();
  auto events = apply_shipped("zendesk", zendesk_event("d1e2f3a4-0000-4000-8000-000000000002",
                                                       "ticket.tags_changed", ticket, change));
  ASSERT_TRUE(events) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].type, "case.tags_changed");
  EXPECT_EQ((*events)[0].payload["tags_added"], (json{"service_credit_request"}));
  EXPECT_EQ((*events)[0].payload["tags_removed"], json::array());
  const CanonicalEvent& event = (*events)[1];
  EXPECT_EQ(event.type, "case.credit_requested");
  EXPECT_EQ(event.business_key, "zen:ticket:35436");
  EXPECT_EQ(event.payload["ticket_id"], "35436");
  EXPECT_EQ(event.payload["status"], "open");
  EXPECT_EQ(event.payload["tags"], (json{"enterprise", "service_credit_request"}));
  EXPECT_NE((*events)[0].id, event.id);

  // The same change told as current/previous lists.
  json lists = sequence_meta();
  lists["current"] = {"enterprise", "service_credit_request"};
  lists["previous"] = {"enterprise", "vip"};
  auto from_lists = apply_shipped("zendesk", zendesk_event("d1e2f3a4-0000-4000-8000-000000000003",
                                                           "ticket.tags_changed", ticket, lists));
  ASSERT_TRUE(from_lists) << from_lists.error().message;
  ASSERT_EQ(from_lists->size(), 2u);
  EXPECT_EQ((*from_lists)[0].payload["tags_added"], (json{"service_credit_request"}));
  EXPECT_EQ((*from_lists)[0].payload["tags_removed"], (json{"vip"}));
  EXPECT_EQ((*from_lists)[1].type, "case.credit_requested");
}

// Any other tag change is a case.tags_changed only (workflows filter on the tags they start on).
TEST(ShippedMappings, ZendeskOtherTagChangesAreTagsChangedOnly) {
  json change = sequence_meta();
  change["tags_added"] = {"vip"};
  change["tags_removed"] = {"service_credit_request"};
  const CanonicalEvent event = only_event(apply_shipped(
      "zendesk", zendesk_event("e0000000-0000-4000-8000-000000000004", "ticket.tags_changed",
                               zendesk_ticket({"vip"}), change)));
  EXPECT_EQ(event.type, "case.tags_changed");
  EXPECT_EQ(event.business_key, "zen:ticket:35436");
  EXPECT_EQ(event.payload["tags_added"], (json{"vip"}));
  EXPECT_EQ(event.payload["tags_removed"], (json{"service_credit_request"}));
  EXPECT_EQ(event.payload["tags"], (json{"vip"}));
}

TEST(ShippedMappings, ZendeskStatusChangedIsCaseStatusChanged) {
  json ticket = zendesk_ticket({"enterprise"});
  ticket["status"] = "SOLVED";
  json change = sequence_meta();
  change["current"] = "SOLVED";
  change["previous"] = "OPEN";
  const CanonicalEvent event =
      only_event(apply_shipped("zendesk", zendesk_event("f0000000-0000-4000-8000-000000000005",
                                                        "ticket.status_changed", ticket, change)));
  EXPECT_EQ(event.type, "case.status_changed");
  EXPECT_EQ(event.payload["status"], "solved");
  EXPECT_EQ(event.payload["previous_status"], "open");
}

TEST(ShippedMappings, ZendeskStatusChangedWithoutATicketIdFails) {
  json ticket = zendesk_ticket({});
  json body = zendesk_event("f0000000-0000-4000-8000-000000000006", "ticket.status_changed", ticket,
                            sequence_meta());
  body["detail"].erase("id");
  auto result = apply_shipped("zendesk", body);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, MappingErrc::failed);
  EXPECT_NE(result.error().message.find("detail.id is missing"), std::string::npos)
      << result.error().message;
}

TEST(ShippedMappings, ZendeskRaisedToUrgentIsCaseEscalated) {
  json ticket = zendesk_ticket({"enterprise"});
  ticket["priority"] = "URGENT";
  json change = sequence_meta();
  change["current"] = "URGENT";
  change["previous"] = "HIGH";
  const CanonicalEvent event = only_event(
      apply_shipped("zendesk", zendesk_event("a0000000-0000-4000-8000-000000000007",
                                             "ticket.priority_changed", ticket, change)));
  EXPECT_EQ(event.type, "case.escalated");
  EXPECT_EQ(event.payload["priority"], "urgent");
  EXPECT_EQ(event.payload["previous_priority"], "high");

  change["current"] = "LOW";
  auto lowered = apply_shipped("zendesk", zendesk_event("a0000000-0000-4000-8000-000000000008",
                                                        "ticket.priority_changed", ticket, change));
  ASSERT_TRUE(lowered) << lowered.error().message;
  EXPECT_TRUE(lowered->empty());
}

TEST(ShippedMappings, ZendeskCustomFieldChangedIsCaseFieldChanged) {
  json change = sequence_meta();
  change["current"] = "INV-2024-0042";
  change["previous"] = nullptr;
  change["custom_field"] = {{"id", "27642"}, {"title", "Invoice number"}, {"type", "TEXT"}};
  const CanonicalEvent event = only_event(apply_shipped(
      "zendesk", zendesk_event("b0000000-0000-4000-8000-000000000009",
                               "ticket.custom_field_changed", zendesk_ticket({}), change)));
  EXPECT_EQ(event.type, "case.field_changed");
  EXPECT_EQ(event.payload["field_id"], "27642");
  EXPECT_EQ(event.payload["field_title"], "Invoice number");
  EXPECT_EQ(event.payload["value"], "INV-2024-0042");
  EXPECT_TRUE(event.payload["previous_value"].is_null());
}

TEST(ShippedMappings, UnmappedPlatformEventsAreNoMapping) {
  auto result = apply_shipped(
      "stripe", stripe_event("evt_v", "invoice.voided", 1722000000, stripe_invoice("void")));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, MappingErrc::no_mapping);
  EXPECT_NE(result.error().message.find("'invoice.voided'"), std::string::npos);
}

}  // namespace
}  // namespace weft::mapping
