// The AlertStore contract (alert_store.hpp), one suite against the memory store and SQLite:
// SLO states saved with the alert they call for, the delivery queue by due time, attempts
// recorded, and (SQLite) everything still there after reopening.

#include <gtest/gtest.h>

#include "expect_ok.hpp"
#include "store/memory/memory_alert_store.hpp"
#include "support/process.hpp"
#include "weft/workflow_store.hpp"

namespace weft {
namespace {

enum class Backend { memory, sqlite };

AlertRecord alert(const std::string& id, const std::string& slo, std::int64_t at_ms) {
  AlertRecord a;
  a.id = id;
  a.slo = slo;
  a.kind = "breached";
  a.body = R"({"id":")" + id + R"("})";
  a.created_at_ms = at_ms;
  a.next_attempt_ms = at_ms;
  return a;
}

class AlertStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::memory) {
      store_ = std::make_unique<MemoryAlertStore>();
      return;
    }
    reopen();
  }
  // SQLite: closes and opens the database file again.
  void reopen() {
    store_.reset();
    auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    store_ = std::move(storage->alerts);
  }
  AlertStore& store() { return *store_; }

  test::TempDir dir_{"weft-alertstore"};
  AlertStorePtr store_;
};

TEST_P(AlertStoreContract, StatesAreSavedWithTheirAlertAndReadBack) {
  EXPECT_TRUE(ok(store().slo_states()).empty());
  ok(store().save_slo_state(SloStateRecord{"fast", "breached", 1000, 1000},
                            alert("a1", "fast", 1000)));
  ok(store().save_slo_state(SloStateRecord{"backlog", "ok", 500, 0}, std::nullopt));
  auto states = ok(store().slo_states());
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states[1].slo, "fast");
  EXPECT_EQ(states[1].state, "breached");
  EXPECT_EQ(states[1].since_ms, 1000);
  EXPECT_EQ(states[1].alerted_at_ms, 1000);

  // A second save replaces the state; an alert id queued again is kept as it was.
  AlertRecord again = alert("a1", "fast", 1000);
  again.body = "changed";
  ok(store().save_slo_state(SloStateRecord{"fast", "ok", 2000, 0}, again));
  states = ok(store().slo_states());
  EXPECT_EQ(states[1].state, "ok");
  EXPECT_EQ(states[1].since_ms, 2000);
  auto alerts = ok(store().alerts("fast", 10));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].body, R"({"id":"a1"})");
  EXPECT_EQ(alerts[0].status, "pending");
}

TEST_P(AlertStoreContract, DueAlertsArePendingOnesWhoseTimeHasComeOldestFirst) {
  ok(store().save_slo_state(SloStateRecord{"s", "breached", 10, 10}, alert("b", "s", 20)));
  ok(store().save_slo_state(SloStateRecord{"s", "breached", 10, 10}, alert("a", "s", 10)));
  AlertRecord later = alert("c", "t", 30);
  later.next_attempt_ms = 100;
  ok(store().save_slo_state(SloStateRecord{"t", "breached", 30, 30}, later));

  auto due = ok(store().due_alerts(50, 10));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, "a");
  EXPECT_EQ(due[1].id, "b");
  EXPECT_EQ(ok(store().due_alerts(100, 10)).size(), 3u);
  EXPECT_EQ(ok(store().due_alerts(100, 1)).size(), 1u);
  EXPECT_TRUE(ok(store().due_alerts(100, 0)).empty());

  // Attempts recorded: a failure moves it later, a delivery takes it out of the queue.
  AlertRecord a = due[0];
  a.attempts = 1;
  a.next_attempt_ms = 200;
  a.last_error = "connection refused";
  ok(store().update_alert(a));
  AlertRecord b = due[1];
  b.attempts = 1;
  b.status = "delivered";
  b.delivered_at_ms = 55;
  ok(store().update_alert(b));
  due = ok(store().due_alerts(150, 10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, "c");
  due = ok(store().due_alerts(200, 10));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, "a");
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].last_error, "connection refused");

  // Newest first, per SLO or all.
  auto of_s = ok(store().alerts("s", 10));
  ASSERT_EQ(of_s.size(), 2u);
  EXPECT_EQ(of_s[0].id, "b");
  EXPECT_EQ(of_s[0].status, "delivered");
  EXPECT_EQ(of_s[0].delivered_at_ms, 55);
  EXPECT_EQ(ok(store().alerts("", 10)).size(), 3u);
}

TEST_P(AlertStoreContract, UpdatingAnUnknownAlertIsNotFoundAndChangesNothing) {
  auto updated = store().update_alert(alert("nope", "s", 1));
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.error().code, StoreErrc::not_found);
  EXPECT_TRUE(ok(store().alerts("", 10)).empty());
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& param) {
  return param.param == Backend::memory ? "Memory" : "Sqlite";
}

INSTANTIATE_TEST_SUITE_P(AllStores, AlertStoreContract,
                         ::testing::Values(Backend::memory, Backend::sqlite), backend_name);

using DurableAlertStore = AlertStoreContract;

TEST_P(DurableAlertStore, StatesAndPendingAlertsSurviveReopening) {
  ok(store().save_slo_state(SloStateRecord{"fast", "breached", 1000, 1000},
                            alert("a1", "fast", 1000)));
  reopen();
  auto states = ok(store().slo_states());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].alerted_at_ms, 1000);
  auto due = ok(store().due_alerts(1000, 10));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, "a1");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DurableAlertStore, ::testing::Values(Backend::sqlite));

}  // namespace
}  // namespace weft
