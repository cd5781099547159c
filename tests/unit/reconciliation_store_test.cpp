// The ReconciliationStore contract (reconciliation_store.hpp), one suite against the memory
// store and SQLite: runs created running and finished once with their lines, newest first,
// lines paged and filtered by verdict, and (SQLite) everything still there after reopening.

#include <gtest/gtest.h>

#include "expect_ok.hpp"
#include "store/memory/memory_reconciliation_store.hpp"
#include "support/process.hpp"
#include "weft/workflow_store.hpp"

namespace weft {
namespace {

enum class Backend { memory, sqlite };

ReconciliationRun run(const std::string& id, std::int64_t started_at_ms) {
  ReconciliationRun r;
  r.id = id;
  r.requested_by = "ops";
  r.from_ms = 1000;
  r.to_ms = 2000;
  r.started_at_ms = started_at_ms;
  return r;
}

std::vector<ReconciliationLine> lines_of(const std::vector<std::string>& verdicts) {
  std::vector<ReconciliationLine> out;
  std::int64_t seq = 0;
  for (const auto& v : verdicts) {
    ++seq;
    out.push_back({seq, v, R"({"n":)" + std::to_string(seq) + "}"});
  }
  return out;
}

class ReconciliationStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::memory) {
      store_ = std::make_unique<MemoryReconciliationStore>();
      return;
    }
    reopen();
  }
  void reopen() {
    store_.reset();
    auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    store_ = std::move(storage->reconciliations);
  }
  ReconciliationStore& store() { return *store_; }

  test::TempDir dir_{"weft-reconstore"};
  ReconciliationStorePtr store_;
};

TEST_P(ReconciliationStoreContract, ARunIsStoredRunningThenFinishedWithItsLines) {
  ok(store().create_run(run("rec_1", 10)));
  auto loaded = ok(store().load_run("rec_1"));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->status, "running");
  EXPECT_EQ(loaded->requested_by, "ops");
  EXPECT_EQ(loaded->from_ms, 1000);
  EXPECT_EQ(loaded->to_ms, 2000);
  EXPECT_TRUE(ok(store().lines({"rec_1", std::nullopt, 0, 100})).empty());

  ReconciliationRun done = run("rec_1", 10);
  done.status = "completed";
  done.finished_at_ms = 20;
  done.summary_json = R"({"lines":3})";
  ok(store().finish_run(done, lines_of({"matched", "missing_in_erp", "matched"})));
  if (GetParam() == Backend::sqlite) reopen();
  loaded = ok(store().load_run("rec_1"));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->status, "completed");
  EXPECT_EQ(loaded->finished_at_ms, 20);
  EXPECT_EQ(loaded->summary_json, R"({"lines":3})");
  auto lines = ok(store().lines({"rec_1", std::nullopt, 0, 100}));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].verdict, "missing_in_erp");
  EXPECT_EQ(lines[1].json, R"({"n":2})");
  EXPECT_FALSE(ok(store().load_run("rec_none")).has_value());
}

TEST_P(ReconciliationStoreContract, AFinishedRunIsNeverRewrittenAndAnUnknownOneIsNotFound) {
  ok(store().create_run(run("rec_1", 10)));
  auto again = store().create_run(run("rec_1", 11));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StoreErrc::conflict);

  ReconciliationRun failed = run("rec_1", 10);
  failed.status = "failed";
  failed.error = "auth: refused";
  ok(store().finish_run(failed, {}));
  ReconciliationRun late = run("rec_1", 10);
  late.status = "completed";
  auto second = store().finish_run(late, lines_of({"matched"}));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, StoreErrc::conflict);
  EXPECT_EQ(ok(store().load_run("rec_1"))->status, "failed");
  EXPECT_EQ(ok(store().load_run("rec_1"))->error, "auth: refused");
  EXPECT_TRUE(ok(store().lines({"rec_1", std::nullopt, 0, 100})).empty());

  auto unknown = store().finish_run(run("rec_x", 1), {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, StoreErrc::not_found);
}

TEST_P(ReconciliationStoreContract, RunsAreListedNewestFirstInPages) {
  for (const char* id : {"rec_02", "rec_01", "rec_03"}) ok(store().create_run(run(id, 1)));
  auto first = ok(store().list_runs("", 2));
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, "rec_03");
  EXPECT_EQ(first[1].id, "rec_02");
  auto rest = ok(store().list_runs(first.back().id, 2));
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, "rec_01");
}

TEST_P(ReconciliationStoreContract, LinesArePagedBySeqAndFilteredByVerdict) {
  ok(store().create_run(run("rec_1", 1)));
  ok(store().create_run(run("rec_2", 2)));
  ReconciliationRun done = run("rec_1", 1);
  done.status = "completed";
  ok(store().finish_run(done,
                        lines_of({"matched", "pending", "matched", "amount_mismatch", "matched"})));
  auto page = ok(store().lines({"rec_1", std::nullopt, 0, 2}));
  ASSERT_EQ(page.size(), 2u);
  page = ok(store().lines({"rec_1", std::nullopt, page.back().seq, 2}));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 3);
  auto matched = ok(store().lines({"rec_1", std::string("matched"), 0, 100}));
  ASSERT_EQ(matched.size(), 3u);
  EXPECT_EQ(matched[1].seq, 3);
  EXPECT_EQ(matched[2].seq, 5);
  EXPECT_TRUE(ok(store().lines({"rec_2", std::nullopt, 0, 100})).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconciliationStoreContract,
                         ::testing::Values(Backend::memory, Backend::sqlite),
                         [](const ::testing::TestParamInfo<Backend>& param) {
                           return param.param == Backend::memory ? "Memory" : "Sqlite";
                         });

}  // namespace
}  // namespace weft
