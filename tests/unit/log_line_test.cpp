// Log lines: one JSON object each, whose own keys (ts, level, event) no field can replace.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "weft/log.hpp"

namespace weft::log {
namespace {

TEST(LogLine, IsOneJsonObjectWithTheEventNameAndEveryField) {
  const std::string line = format_line(Level::warn, "engine.deliver_failed",
                                       {{"instance", "wf_1"},
                                        {"attempt", std::int64_t{3}},
                                        {"detail", "a \"quoted\"\nline"},
                                        {"retry", true}},
                                       0);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["ts"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(parsed["level"], "warn");
  EXPECT_EQ(parsed["event"], "engine.deliver_failed");
  EXPECT_EQ(parsed["instance"], "wf_1");
  EXPECT_EQ(parsed["attempt"], 3);
  EXPECT_EQ(parsed["detail"], "a \"quoted\"\nline");
  EXPECT_EQ(parsed["retry"], true);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LogLine, AFieldNamedLikeTheLinesOwnKeysKeepsItsValueUnderAnotherName) {
  const std::string line =
      format_line(Level::info, "workflow.started",
                  {{"event", "ce_1"}, {"level", "gold"}, {"ts", "yesterday"}}, 0);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["event"], "workflow.started");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["ts"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(parsed["event_field"], "ce_1");
  EXPECT_EQ(parsed["level_field"], "gold");
  EXPECT_EQ(parsed["ts_field"], "yesterday");
  // Exactly one of each key: a reader that keeps the first, or the last, gets the same line.
  EXPECT_EQ(line.find("\"event\":"), line.rfind("\"event\":"));
}

}  // namespace
}  // namespace weft::log
