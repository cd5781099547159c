// InstanceRuntime: the stored form of where an instance stands. Its text writer must give
// exactly what printing its JSON gives (a transition whose text did not change is skipped, so a
// difference would cost a commit or hide a change), and the reader must take back everything
// the writers write.

#include "engine/instance_runtime.hpp"

#include <gtest/gtest.h>

#include "engine/state_document.hpp"

namespace weft::engine {
namespace {

using nlohmann::json;

// Every member set, with the awkward cases of each: a finished cursor (not written), a retried
// one, a waiting one with an edited input, names that need escapes or are not valid UTF-8.
InstanceRuntime everything() {
  InstanceRuntime rt;
  rt.phase = "compensating";
  InstanceRuntime::Cursor retried;
  retried.path = {2, 1, 0};
  retried.attempt = 3;
  retried.first_attempt_ms = 1'700'000'000'123;
  retried.due_ms = 1'700'000'004'000;
  retried.entered_ms = 1'700'000'000'100;
  InstanceRuntime::Cursor finished;
  finished.path = {1};
  finished.finished = true;
  InstanceRuntime::Cursor waiting;
  waiting.path = {3};
  waiting.waiting = true;
  waiting.wait_deadline_ms = 1'700'000'600'000;
  waiting.input_override = json{{"amount", 12.5}, {"note", "caf\xc3\xa9 \"quoted\"\n"}};
  rt.cursors = {retried, finished, waiting};
  rt.joins = {{"2", 2}, {"4.0.1", 1}};
  rt.done_calls = {{"create_credit", {0}}, {"step \"two\"", {2, 0, 0}}};
  rt.compensations = {{"refund", 1, 1'700'000'000'000, 1'700'000'001'000}, {"void\x01", 0, 0, 0}};
  rt.generation = {{"refund", 2}};
  rt.milestones = {{"approved", 1'700'000'000'500}, {"started", 1'700'000'000'000}};
  rt.sla_breached = {"approval_to_posting", "bad \xff name"};
  rt.failure = {
      {"step", "refund"}, {"class", "validation"}, {"snapshot", {{"cursors", json::array()}}}};
  rt.waits = {{"wf_1", "await_erp", "erp.invoice.posted", "in_\\1"}};
  return rt;
}

TEST(InstanceRuntime, ItsTextIsWhatPrintingItsJsonGives) {
  const InstanceRuntime rt = everything();
  EXPECT_EQ(rt.to_text(), persisted_text(rt.to_json()));
  EXPECT_EQ(InstanceRuntime{}.to_text(), persisted_text(InstanceRuntime{}.to_json()));
}

TEST(InstanceRuntime, AFinishedCursorIsNotWritten) {
  const json stored = json::parse(everything().to_text());
  ASSERT_EQ(stored["cursors"].size(), 2u);
  EXPECT_EQ(stored["cursors"][0]["path"], json({2, 1, 0}));
  EXPECT_EQ(stored["cursors"][1]["path"], json({3}));
}

TEST(InstanceRuntime, AFirstAttemptIsNotWrittenUntilAnAttemptHasFailed) {
  InstanceRuntime rt;
  InstanceRuntime::Cursor& c = rt.cursors.emplace_back();
  c.path = {0};
  c.first_attempt_ms = 1'700'000'000'000;  // the first attempt started: nothing to persist yet
  c.due_ms = c.entered_ms = 1'700'000'000'000;
  EXPECT_EQ(rt.to_text(),
            R"({"compensations":[],"cursors":[{"due":1700000000000,"entered":1700000000000,)"
            R"("path":[0]}],"done_calls":[],"generation":{},"joins":{},"milestones":{},)"
            R"("phase":"forward","sla_breached":[],"waits":[]})");
}

TEST(InstanceRuntime, WhatIsWrittenIsReadBack) {
  const InstanceRuntime rt = everything();
  const InstanceRuntime back = InstanceRuntime::from_json(json::parse(rt.to_text()), "wf_1");
  EXPECT_EQ(back.to_text(), rt.to_text());
  ASSERT_EQ(back.waits.size(), 1u);
  EXPECT_EQ(back.waits[0].instance_id, "wf_1");
  ASSERT_EQ(back.cursors.size(), 2u);
  EXPECT_EQ(back.cursors[0].attempt, 3);
  EXPECT_EQ(back.cursors[0].first_attempt_ms, 1'700'000'000'123);
  EXPECT_TRUE(back.cursors[1].waiting);
  ASSERT_TRUE(back.cursors[1].input_override.has_value());
  EXPECT_EQ((*back.cursors[1].input_override)["amount"], 12.5);
}

TEST(InstanceRuntime, AMemberOfTheWrongShapeIsAnError) {
  EXPECT_THROW(InstanceRuntime::from_json(json::parse(R"({"cursors":[{"due":1}]})"), "wf_1"),
               json::exception);
  EXPECT_THROW(InstanceRuntime::from_json(json::parse(R"({"joins":{"2":"two"}})"), "wf_1"),
               json::exception);
  EXPECT_THROW(InstanceRuntime::from_json(json::parse(R"({"waits":[{"step":"s"}]})"), "wf_1"),
               json::exception);
}

}  // namespace
}  // namespace weft::engine
