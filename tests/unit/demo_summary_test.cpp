// weft demo's per-workflow summary: counts by outcome, exact percentiles of completed
// instances' durations, SLA breaches, and the table and JSON shapes.

#include "demo/demo_summary.hpp"

#include <gtest/gtest.h>

namespace weft::demo {
namespace {

using nlohmann::json;

InstanceRecord instance(const std::string& workflow, InstanceStatus status, std::int64_t millis) {
  InstanceRecord r;
  r.workflow = workflow;
  r.status = status;
  r.created_at_ms = 1'000'000;
  r.updated_at_ms = 1'000'000 + millis;
  return r;
}

TEST(DemoSummary, PercentileIsNearestRank) {
  EXPECT_FALSE(percentile({}, 50).has_value());
  EXPECT_EQ(percentile({7}, 99), 7);
  EXPECT_EQ(percentile({4, 1, 3, 2}, 50), 2);
  EXPECT_EQ(percentile({4, 1, 3, 2}, 75), 3);
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);
  EXPECT_EQ(percentile(hundred, 50), 50);
  EXPECT_EQ(percentile(hundred, 99), 99);
  EXPECT_EQ(percentile(hundred, 100), 100);
}

TEST(DemoSummary, CountsByOutcomeAndTimesOnlyCompletedInstances) {
  const std::vector<InstanceRecord> instances{
      instance("refund", InstanceStatus::completed, 2000), instance("refund", InstanceStatus::completed, 500),
      instance("refund", InstanceStatus::completed, 1000), instance("refund", InstanceStatus::waiting, 90'000),
      instance("refund", InstanceStatus::failed, 60'000),  instance("credit-hold", InstanceStatus::running, 10),
      instance("credit-hold", InstanceStatus::discarded, 10)};
  const auto rows = summarise(instances, {"credit-hold", "refund", "quote-to-cash"}, {{"refund", 2}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].workflow, "credit-hold");
  EXPECT_EQ(rows[0].running, 1);
  EXPECT_EQ(rows[0].discarded, 1);
  EXPECT_FALSE(rows[0].p50_seconds.has_value());
  EXPECT_EQ(rows[1].workflow, "quote-to-cash");  // loaded, never started: a row of zeros
  EXPECT_EQ(rows[1].completed, 0);
  const WorkflowSummary& refund = rows[2];
  EXPECT_EQ(refund.completed, 3);
  EXPECT_EQ(refund.waiting, 1);
  EXPECT_EQ(refund.failed, 1);
  EXPECT_EQ(refund.p50_seconds, 1.0);
  EXPECT_EQ(refund.p99_seconds, 2.0);
  EXPECT_EQ(refund.sla_breaches, 2);
}

TEST(DemoSummary, TableAlignsColumnsUnderTheirHeadings) {
  const auto rows = summarise({instance("invoice-posting", InstanceStatus::completed, 1234)}, {"credit-hold"}, {});
  const std::string table = format_table(rows);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(table.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].rfind("workflow", 0), 0u);
  EXPECT_EQ(lines[1].rfind("credit-hold ", 0), 0u);
  EXPECT_EQ(lines[2].rfind("invoice-posting", 0), 0u);
  EXPECT_EQ(lines[0].size(), lines[1].size());
  EXPECT_EQ(lines[1].size(), lines[2].size());
  EXPECT_NE(lines[2].find("1.23s"), std::string::npos) << table;
  EXPECT_NE(lines[1].find(" - "), std::string::npos) << table;  // no duration without completions
}

TEST(DemoSummary, JsonHasEveryFieldAndNullDurationsWithoutCompletions) {
  const json out = to_json(summarise({instance("refund", InstanceStatus::failed, 5)}, {}, {}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["workflow"], "refund");
  EXPECT_EQ(out[0]["failed"], 1);
  EXPECT_EQ(out[0]["completed"], 0);
  EXPECT_TRUE(out[0]["p50_seconds"].is_null());
  EXPECT_TRUE(out[0]["p99_seconds"].is_null());
  EXPECT_EQ(out[0]["sla_breaches"], 0);
}

}  // namespace
}  // namespace weft::demo
