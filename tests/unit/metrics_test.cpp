// The Prometheus exposition that operators scrape.
#include <gtest/gtest.h>

#include "weft/metrics.hpp"

namespace weft::metrics {
namespace {

TEST(Metrics, RendersCountersWithLabelsAndHelp) {
  Registry r;
  auto& webhooks = r.counter("weft_webhooks_total", "Webhooks", {"connector", "outcome"});
  webhooks.with({"stripe", "accepted"}).inc();
  webhooks.with({"stripe", "accepted"}).inc(2);
  webhooks.with({"zen\"desk", "duplicate"}).inc();
  const std::string text = r.render();
  EXPECT_NE(text.find("# HELP weft_webhooks_total Webhooks\n# TYPE weft_webhooks_total counter\n"),
            std::string::npos);
  EXPECT_NE(text.find("weft_webhooks_total{connector=\"stripe\",outcome=\"accepted\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("weft_webhooks_total{connector=\"zen\\\"desk\",outcome=\"duplicate\"} 1\n"),
            std::string::npos);
}

TEST(Metrics, ValuesGiveEveryCounterAndGaugeWithItsLabelsButNoHistogram) {
  Registry r;
  r.counter("weft_webhooks_total", "Webhooks", {"connector", "outcome"}).with({"stripe", "accepted"}).inc(3);
  r.gauge("weft_tasks_due", "Due").get().set(7);
  r.histogram("weft_ingest_ack_seconds", "Ack", {}, latency_buckets()).get().observe(0.01);
  const std::vector<Value> values = r.values();
  ASSERT_EQ(values.size(), 2u);
  const auto find = [&](const std::string& name) {
    for (const Value& v : values) {
      if (v.name == name) return v;
    }
    ADD_FAILURE() << name << " missing";
    return Value{};
  };
  const Value webhooks = find("weft_webhooks_total");
  EXPECT_EQ(webhooks.value, 3);
  EXPECT_EQ(webhooks.labels, (std::map<std::string, std::string>{{"connector", "stripe"}, {"outcome", "accepted"}}));
  const Value due = find("weft_tasks_due");
  EXPECT_EQ(due.value, 7);
  EXPECT_TRUE(due.labels.empty());
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  auto& h = r.histogram("weft_batch", "Batch", {}, {1, 4, 16}).get();
  for (double v : {1.0, 2.0, 3.0, 20.0}) h.observe(v);
  const std::string text = r.render();
  EXPECT_NE(text.find("weft_batch_bucket{le=\"1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("weft_batch_bucket{le=\"4\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("weft_batch_bucket{le=\"16\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("weft_batch_bucket{le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("weft_batch_sum 26\n"), std::string::npos);
  EXPECT_NE(text.find("weft_batch_count 4\n"), std::string::npos);
}

TEST(Metrics, QuantileInterpolatesWithinABucket) {
  Histogram h({10, 20});
  for (int i = 0; i < 10; ++i) h.observe(5);
  for (int i = 0; i < 10; ++i) h.observe(15);
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 10.0);
  EXPECT_DOUBLE_EQ(h.quantile(0.75), 15.0);
}

TEST(Metrics, GaugeSetsAndAdds) {
  Registry r;
  auto& g = r.gauge("weft_events_unprocessed", "Unprocessed").get();
  g.set(5);
  g.add(-2);
  EXPECT_NE(r.render().find("weft_events_unprocessed 3\n"), std::string::npos);
}

TEST(Metrics, SameNameReturnsTheSameFamily) {
  Registry r;
  auto& a = r.counter("c_total", "C");
  auto& b = r.counter("c_total", "C");
  EXPECT_EQ(&a, &b);
}

}  // namespace
}  // namespace weft::metrics
