// The WorkflowStore contract, run against every implementation: the in-memory one (engine
// tests) and SQLite on a file and in memory. Then what only a durable store can show: data
// that survives a restart, a database from an older build, a full disk.

#include "weft/workflow_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/raw_event_router.hpp"
#include "store/memory/memory_store.hpp"
#include "store/memory/memory_workflow_store.hpp"
#include "store/sqlite/migrations.hpp"
#include "support/process.hpp"
#include "support/raw_event_log.hpp"
#include "unit/expect_ok.hpp"
#include "weft/store.hpp"

namespace weft {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using Ids = std::vector<std::string>;
using Outcomes = std::vector<TransitionOutcome>;
constexpr auto kApplied = TransitionOutcome::applied;
constexpr auto kDuplicate = TransitionOutcome::duplicate;
constexpr auto kConflict = TransitionOutcome::conflict;
constexpr std::int64_t kPerRaw = pipeline::kEventsPerRawEvent;

// The log position of a test instance's trigger: distinct ids get distinct positions, as
// distinct triggers do in the hub.
std::int64_t position_of(const std::string& id) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const char c : id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(hash >> 24) + 1;
}

InstanceRecord instance(const std::string& id, const std::string& workflow = "billing",
                        const std::string& business_key = "cus_1") {
  InstanceRecord r;
  r.id = id;
  r.workflow = workflow;
  r.version = 3;
  r.business_key = business_key;
  r.trigger_event_id = "ce_" + id;
  r.order_seq = position_of(id);
  r.status = InstanceStatus::running;
  r.state_json = R"({"amount":12.5,"id":")" + id + R"("})";
  r.cursor_json = R"({"step":"post"})";
  r.correlation_id = "corr-" + id;
  r.created_at_ms = 1000;
  r.updated_at_ms = 1000;
  r.due_at_ms = 2000;
  return r;
}

Transition create(InstanceRecord r) {
  Transition t;
  t.create = std::move(r);
  return t;
}

Transition update(InstanceRecord r, std::int64_t expected_revision) {
  Transition t;
  t.update = std::move(r);
  t.expected_revision = expected_revision;
  return t;
}

StepEventRecord step_event(const std::string& instance_id, const std::string& step,
                           const std::string& kind, std::int64_t at_ms) {
  StepEventRecord e;
  e.instance_id = instance_id;
  e.step_id = step;
  e.kind = kind;
  e.attempt = 1;
  e.at_ms = at_ms;
  e.detail_json = R"({"kind":")" + kind + R"("})";
  return e;
}

ExceptionRecord exception(const std::string& id, const std::string& instance_id,
                          const std::string& workflow = "billing") {
  ExceptionRecord e;
  e.id = id;
  e.instance_id = instance_id;
  e.workflow = workflow;
  e.step_id = "post";
  e.failure_class = "validation";
  e.reason = "amount is negative";
  e.context_json = R"({"amount":-1})";
  e.created_at_ms = 1500;
  return e;
}

ApprovalRecord approval(const std::string& id, const std::string& instance_id) {
  ApprovalRecord a;
  a.id = id;
  a.instance_id = instance_id;
  a.step_id = "approve";
  a.role = "finance";
  a.title = "Refund 500 EUR";
  a.context_json = R"({"amount":500})";
  a.requested_by = "alice";
  a.created_at_ms = 1200;
  return a;
}

EventWaitRecord wait_for(const std::string& step, const std::string& type, const std::string& key) {
  return EventWaitRecord{"", step, type, key};
}

NewRawEvent raw_event(const std::string& connector, const std::string& id,
                      const std::string& type = "invoice.paid", const std::string& key = "cus_1",
                      std::int64_t received_at_ms = 1000) {
  NewRawEvent e;
  e.connector = connector;
  e.event_id = id;
  e.event_type = type;
  e.business_key = key;
  e.received_at_ms = received_at_ms;
  e.correlation_id = "corr-" + id;
  e.body = "{}";
  return e;
}

// The index-th output of mapping raw event raw_seq.
CanonicalEventRecord canonical(const std::string& id, std::int64_t raw_seq,
                               const std::string& key = "cus_1", std::int64_t index = 0) {
  CanonicalEventRecord e;
  e.id = id;
  e.type = "invoice.paid";
  e.business_key = key;
  e.raw_seq = raw_seq;
  e.order_seq = raw_seq * kPerRaw + index;
  e.occurred_at_ms = 900;
  e.correlation_id = "corr-" + id;
  e.json = R"({"id":")" + id + R"("})";
  return e;
}

Outcomes apply_to(WorkflowStore& store, const std::vector<Transition>& batch) {
  return ok(store.apply(batch));
}

template <class Record>
Ids ids_of(const std::vector<Record>& records) {
  Ids ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

enum class Backend { memory, sqlite_file, sqlite_in_memory };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::memory:
      return "Memory";
    case Backend::sqlite_file:
      return "SqliteFile";
    case Backend::sqlite_in_memory:
      return "SqliteInMemory";
  }
  return "Unknown";
}

class WorkflowStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::memory) {
      events_ = std::make_unique<MemoryStore>();
      workflows_ = std::make_unique<MemoryWorkflowStore>(events_.get());
      return;
    }
    const std::string url =
        GetParam() == Backend::sqlite_file ? "sqlite:" + (dir_ / "weft.db").string() : ":memory:";
    auto storage = open_storage(url);
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    events_ = std::move(storage->events);
    workflows_ = std::move(storage->workflows);
  }

  WorkflowStore& store() { return *workflows_; }
  Store& events() { return *events_; }

  Outcomes apply(std::vector<Transition> batch) { return ok(store().apply(batch)); }

  std::optional<InstanceRecord> load(const std::string& id) {
    return ok(store().load_instance(id));
  }

  // Appends a raw event to the log; its seq.
  std::int64_t append(const NewRawEvent& e) {
    EXPECT_TRUE(events().append_raw_events({&e, 1}).ok());
    auto found = ok(events().find_raw_event(e.connector, e.event_id));
    EXPECT_TRUE(found.has_value());
    return found ? found->seq : 0;
  }

  std::optional<std::int64_t> processed_at(const std::string& event_id) {
    auto found = ok(events().find_raw_event("stripe", event_id));
    EXPECT_TRUE(found.has_value()) << event_id;
    return found ? found->processed_at_ms : std::nullopt;
  }

  TempDir dir_{"weft-wfstore"};
  StorePtr events_;  // declared first: the memory workflow store points into it
  WorkflowStorePtr workflows_;
};

TEST_P(WorkflowStoreContract, CreateStartsAtRevisionOneAndReadsBackEveryField) {
  InstanceRecord r = instance("wf_1");
  r.revision = 42;  // the store assigns revisions
  InstanceRecord undue = instance("wf_2");
  undue.due_at_ms.reset();
  undue.status = InstanceStatus::waiting;
  ASSERT_EQ(apply({create(r), create(undue)}), (Outcomes{kApplied, kApplied}));

  auto got = load("wf_1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->id, "wf_1");
  EXPECT_EQ(got->workflow, "billing");
  EXPECT_EQ(got->version, 3);
  EXPECT_EQ(got->business_key, "cus_1");
  EXPECT_EQ(got->trigger_event_id, "ce_wf_1");
  EXPECT_EQ(got->order_seq, position_of("wf_1"));
  EXPECT_EQ(got->status, InstanceStatus::running);
  EXPECT_EQ(got->state_json, r.state_json);
  EXPECT_EQ(got->cursor_json, r.cursor_json);
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->correlation_id, "corr-wf_1");
  EXPECT_EQ(got->created_at_ms, 1000);
  EXPECT_EQ(got->updated_at_ms, 1000);
  EXPECT_EQ(got->due_at_ms, std::optional<std::int64_t>(2000));

  auto waiting = load("wf_2");
  ASSERT_TRUE(waiting.has_value());
  EXPECT_EQ(waiting->status, InstanceStatus::waiting);
  EXPECT_FALSE(waiting->due_at_ms.has_value());

  EXPECT_FALSE(load("wf_none").has_value());
  EXPECT_TRUE(ok(store().apply({})).empty());
}

TEST_P(WorkflowStoreContract, SecondCreateForTheSameTriggerIsADuplicate) {
  ASSERT_EQ(apply({create(instance("wf_1"))}), Outcomes{kApplied});

  InstanceRecord same_trigger = instance("wf_other");
  same_trigger.trigger_event_id = "ce_wf_1";
  same_trigger.order_seq = position_of("wf_1");
  InstanceRecord same_id = instance("wf_1");
  same_id.trigger_event_id = "ce_else";
  same_id.order_seq = position_of("else");
  same_id.state_json = R"({"second":true})";
  InstanceRecord other_workflow = instance("wf_3", "onboarding");
  other_workflow.trigger_event_id = "ce_wf_1";  // the same event may start another workflow
  other_workflow.order_seq = position_of("wf_1");
  EXPECT_EQ(apply({create(same_trigger), create(same_id), create(other_workflow)}),
            (Outcomes{kDuplicate, kDuplicate, kApplied}));

  EXPECT_FALSE(load("wf_other").has_value());
  EXPECT_EQ(load("wf_1")->state_json, instance("wf_1").state_json);
  EXPECT_EQ(load("wf_1")->trigger_event_id, "ce_wf_1");
  EXPECT_EQ(load("wf_3")->revision, 1);
}

// A create without a log position could not be told from a replay of another trigger: the
// batch is refused whole, with a reason.
TEST_P(WorkflowStoreContract, ACreateWithoutAPositionFailsTheBatchAndWritesNothing) {
  InstanceRecord unplaced = instance("wf_2");
  unplaced.order_seq = 0;
  auto result = store().apply(std::vector<Transition>{create(instance("wf_1")), create(unplaced)});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::invalid_argument);
  EXPECT_NE(result.error().message.find("wf_2"), std::string::npos) << result.error().message;
  EXPECT_FALSE(load("wf_1").has_value());
  EXPECT_FALSE(load("wf_2").has_value());
}

TEST_P(WorkflowStoreContract, UpdateAppliesOnlyAtTheExpectedRevision) {
  ASSERT_EQ(apply({create(instance("wf_1"))}), Outcomes{kApplied});

  InstanceRecord next = instance("wf_1");
  next.status = InstanceStatus::waiting;
  next.state_json = R"({"posted":true})";
  next.cursor_json = R"({"step":"wait"})";
  next.updated_at_ms = 5000;
  next.due_at_ms.reset();
  // What identifies the instance stays as created, whatever an update carries.
  next.workflow = "renamed";
  next.business_key = "cus_other";
  next.trigger_event_id = "ce_other";
  next.version = 9;
  next.order_seq = 99;
  next.created_at_ms = 4000;
  next.correlation_id = "corr-later";
  EXPECT_EQ(apply({update(next, 1)}), Outcomes{kApplied});

  auto got = load("wf_1");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->revision, 2);
  EXPECT_EQ(got->status, InstanceStatus::waiting);
  EXPECT_EQ(got->state_json, R"({"posted":true})");
  EXPECT_EQ(got->cursor_json, R"({"step":"wait"})");
  EXPECT_EQ(got->updated_at_ms, 5000);
  EXPECT_FALSE(got->due_at_ms.has_value());
  EXPECT_EQ(got->workflow, "billing");
  EXPECT_EQ(got->business_key, "cus_1");
  EXPECT_EQ(got->trigger_event_id, "ce_wf_1");
  EXPECT_EQ(got->version, 3);
  EXPECT_EQ(got->order_seq, position_of("wf_1"));
  EXPECT_EQ(got->created_at_ms, 1000);
  EXPECT_EQ(got->correlation_id, "corr-wf_1");

  // A stale revision (another writer got there first) and an unknown instance are conflicts.
  InstanceRecord stale = instance("wf_1");
  stale.state_json = R"({"stale":true})";
  EXPECT_EQ(apply({update(stale, 1), update(instance("wf_none"), 1)}),
            (Outcomes{kConflict, kConflict}));
  EXPECT_EQ(load("wf_1")->state_json, R"({"posted":true})");
  EXPECT_EQ(load("wf_1")->revision, 2);
  EXPECT_FALSE(load("wf_none").has_value());

  EXPECT_EQ(apply({update(next, 2), update(next, 3)}), (Outcomes{kApplied, kApplied}));
  EXPECT_EQ(load("wf_1")->revision, 4);
}

TEST_P(WorkflowStoreContract, RefusedTransitionsLeaveNothingAndTheRestOfTheBatchApplies) {
  ASSERT_EQ(apply({create(instance("wf_old"))}), Outcomes{kApplied});

  // Everything a transition can carry, on transitions that are refused.
  auto loaded = [](Transition t, const std::string& tag) {
    t.history.push_back(step_event("wf_old", "post", "refused_" + tag, 3000));
    t.open_exceptions.push_back(exception("ex_" + tag, "wf_old"));
    t.upsert_approvals.push_back(approval("ap_" + tag, "wf_old"));
    t.event_waits = std::vector<EventWaitRecord>{wait_for("wait", "refused." + tag, "cus_1")};
    return t;
  };
  InstanceRecord duplicate = instance("wf_old");
  Transition only_exception;
  only_exception.open_exceptions.push_back(exception("ex_unmapped", ""));
  only_exception.history.push_back(step_event("wf_old", "map", "noted", 3100));
  InstanceRecord fresh_next = instance("wf_new");
  fresh_next.status = InstanceStatus::completed;

  const Outcomes outcomes = apply({
      create(instance("wf_new")),                      // applied
      loaded(create(duplicate), "dup"),                // duplicate
      loaded(update(instance("wf_old"), 7), "stale"),  // conflict
      update(fresh_next, 1),  // applied: sees the create earlier in the batch
      only_exception,         // applied: records its exception
  });
  EXPECT_EQ(outcomes, (Outcomes{kApplied, kDuplicate, kConflict, kApplied, kApplied}));

  EXPECT_EQ(load("wf_new")->revision, 2);
  EXPECT_EQ(load("wf_new")->status, InstanceStatus::completed);
  EXPECT_EQ(load("wf_old")->revision, 1);
  auto history = ok(store().history("wf_old"));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].kind, "noted");
  for (const std::string tag : {"dup", "stale"}) {
    EXPECT_FALSE(ok(store().load_exception("ex_" + tag)).has_value()) << tag;
    EXPECT_FALSE(ok(store().load_approval("ap_" + tag)).has_value()) << tag;
    EXPECT_TRUE(ok(store().event_waits("refused." + tag, "cus_1")).empty()) << tag;
  }
  auto unmapped = ok(store().load_exception("ex_unmapped"));
  ASSERT_TRUE(unmapped.has_value());
  EXPECT_EQ(unmapped->instance_id, "");
}

TEST_P(WorkflowStoreContract, HistoryIsPerInstanceInTheOrderWritten) {
  Transition first = create(instance("wf_1"));
  first.history = {step_event("wf_1", "fetch", "started", 10),
                   step_event("wf_1", "fetch", "completed", 20)};
  Transition other = create(instance("wf_2"));
  other.history = {step_event("wf_2", "fetch", "started", 15)};
  ASSERT_EQ(apply({first, other}), (Outcomes{kApplied, kApplied}));
  Transition second = update(instance("wf_1"), 1);
  StepEventRecord failed =
      step_event("wf_1", "post", "failed", 5);  // earlier clock: order is by write
  failed.attempt = 3;
  failed.detail_json = R"({"status":422,"body":"\u00e9"})";
  second.history = {failed};
  ASSERT_EQ(apply({second}), Outcomes{kApplied});

  auto history = ok(store().history("wf_1"));
  ASSERT_EQ(history.size(), 3u);
  std::vector<std::string> kinds;
  for (const auto& h : history) kinds.push_back(h.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"started", "completed", "failed"}));
  EXPECT_LT(history[0].seq, history[1].seq);
  EXPECT_LT(history[1].seq, history[2].seq);
  EXPECT_GT(history[0].seq, 0);
  EXPECT_EQ(history[2].instance_id, "wf_1");
  EXPECT_EQ(history[2].step_id, "post");
  EXPECT_EQ(history[2].attempt, 3);
  EXPECT_EQ(history[2].at_ms, 5);
  EXPECT_EQ(history[2].detail_json, failed.detail_json);

  EXPECT_EQ(ok(store().history("wf_2")).size(), 1u);
  EXPECT_TRUE(ok(store().history("wf_none")).empty());
}

TEST_P(WorkflowStoreContract, ExceptionsAreQueriedPagedAndResolvedOnce) {
  Transition t = create(instance("wf_1"));
  t.open_exceptions = {exception("ex_a", "wf_1"), exception("ex_b", "wf_1")};
  Transition u = create(instance("wf_2", "onboarding"));
  u.open_exceptions = {exception("ex_c", "wf_2", "onboarding")};
  Transition unmapped;
  unmapped.open_exceptions = {exception("ex_d", "", "")};
  ASSERT_EQ(apply({t, u, unmapped}), (Outcomes{kApplied, kApplied, kApplied}));

  auto query = [&](ExceptionQuery q) { return ids_of(ok(store().query_exceptions(q))); };
  EXPECT_EQ(query({}), (Ids{"ex_a", "ex_b", "ex_c", "ex_d"}));
  ExceptionQuery q;
  q.workflow = "onboarding";
  EXPECT_EQ(query(q), Ids{"ex_c"});
  q = {};
  q.instance_id = "wf_1";
  EXPECT_EQ(query(q), (Ids{"ex_a", "ex_b"}));
  q = {};
  q.limit = 2;
  EXPECT_EQ(query(q), (Ids{"ex_a", "ex_b"}));
  q.after_id = "ex_b";
  EXPECT_EQ(query(q), (Ids{"ex_c", "ex_d"}));
  q.limit = 0;  // clamped to 1
  EXPECT_EQ(query(q), Ids{"ex_c"});

  auto a = ok(store().load_exception("ex_a"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->instance_id, "wf_1");
  EXPECT_EQ(a->workflow, "billing");
  EXPECT_EQ(a->step_id, "post");
  EXPECT_EQ(a->failure_class, "validation");
  EXPECT_EQ(a->reason, "amount is negative");
  EXPECT_EQ(a->context_json, R"({"amount":-1})");
  EXPECT_EQ(a->status, ExceptionStatus::open);
  EXPECT_EQ(a->created_at_ms, 1500);

  EXPECT_TRUE(ok(
      store().resolve_exception("ex_a", ExceptionStatus::discarded, "bob", "paid by hand", 9000)));
  EXPECT_FALSE(
      ok(store().resolve_exception("ex_a", ExceptionStatus::retried, "eve", "again", 9500)));
  EXPECT_FALSE(ok(store().resolve_exception("ex_none", ExceptionStatus::retried, "eve", "", 9500)));
  auto reopen = store().resolve_exception("ex_b", ExceptionStatus::open, "eve", "", 9500);
  ASSERT_FALSE(reopen.ok());
  EXPECT_EQ(reopen.error().code, StoreErrc::invalid_argument);

  a = ok(store().load_exception("ex_a"));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, ExceptionStatus::discarded);
  EXPECT_EQ(a->resolved_by, "bob");
  EXPECT_EQ(a->resolution, "paid by hand");
  EXPECT_EQ(a->resolved_at_ms, 9000);

  q = {};
  q.status = ExceptionStatus::open;
  EXPECT_EQ(query(q), (Ids{"ex_b", "ex_c", "ex_d"}));
  q.status = ExceptionStatus::discarded;
  EXPECT_EQ(query(q), Ids{"ex_a"});

  // Opening an exception whose id is recorded (a replay) keeps the one there, and a
  // transition that only did that changed nothing: a duplicate.
  Transition again;
  ExceptionRecord replayed = exception("ex_a", "wf_1");
  replayed.reason = "changed";
  again.open_exceptions = {replayed};
  ASSERT_EQ(apply({again}), Outcomes{TransitionOutcome::duplicate});
  EXPECT_EQ(ok(store().load_exception("ex_a"))->reason, "amount is negative");
  EXPECT_EQ(ok(store().load_exception("ex_a"))->status, ExceptionStatus::discarded);
}

TEST_P(WorkflowStoreContract, ApprovalKeepsItsRequestAndIsDecidedOnce) {
  Transition t = create(instance("wf_1"));
  t.upsert_approvals = {approval("ap_1", "wf_1"), approval("ap_2", "wf_1")};
  ASSERT_EQ(apply({t}), Outcomes{kApplied});
  EXPECT_EQ(ids_of(ok(store().pending_approvals())), (Ids{"ap_1", "ap_2"}));

  ApprovalRecord decision = approval("ap_1", "wf_1");
  decision.title = "rewritten";  // request fields are not the decision's to change
  decision.requested_by = "mallory";
  decision.status = "approved";
  decision.decided_by = "carol";
  decision.comment = "ok";
  decision.decided_at_ms = 7000;
  Transition decide = update(instance("wf_1"), 1);
  decide.upsert_approvals = {decision};
  ASSERT_EQ(apply({decide}), Outcomes{kApplied});

  auto got = ok(store().load_approval("ap_1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, "approved");
  EXPECT_EQ(got->decided_by, "carol");
  EXPECT_EQ(got->comment, "ok");
  EXPECT_EQ(got->decided_at_ms, 7000);
  EXPECT_EQ(got->title, "Refund 500 EUR");
  EXPECT_EQ(got->requested_by, "alice");
  EXPECT_EQ(got->role, "finance");
  EXPECT_EQ(got->instance_id, "wf_1");
  EXPECT_EQ(got->step_id, "approve");
  EXPECT_EQ(got->context_json, R"({"amount":500})");
  EXPECT_EQ(got->created_at_ms, 1200);

  // A decided request stays decided: a late second decision changes nothing.
  ApprovalRecord late = decision;
  late.status = "rejected";
  late.decided_by = "dave";
  Transition again = update(instance("wf_1"), 2);
  again.upsert_approvals = {late};
  ASSERT_EQ(apply({again}), Outcomes{kApplied});
  got = ok(store().load_approval("ap_1"));
  EXPECT_EQ(got->status, "approved");
  EXPECT_EQ(got->decided_by, "carol");

  EXPECT_EQ(ids_of(ok(store().pending_approvals())), Ids{"ap_2"});
  EXPECT_FALSE(ok(store().load_approval("ap_none")).has_value());
}

TEST_P(WorkflowStoreContract, EventWaitsAreReplacedPerInstanceAndFoundByEvent) {
  Transition a = create(instance("wf_a"));
  a.event_waits = std::vector<EventWaitRecord>{wait_for("w1", "invoice.paid", "in_1"),
                                               wait_for("w2", "invoice.voided", "in_1")};
  Transition b = create(instance("wf_b"));
  b.event_waits = std::vector<EventWaitRecord>{wait_for("w1", "invoice.paid", "in_1")};
  ASSERT_EQ(apply({a, b}), (Outcomes{kApplied, kApplied}));

  auto waiting = ok(store().event_waits("invoice.paid", "in_1"));
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].instance_id, "wf_a");
  EXPECT_EQ(waiting[0].step_id, "w1");
  EXPECT_EQ(waiting[0].event_type, "invoice.paid");
  EXPECT_EQ(waiting[0].business_key, "in_1");
  EXPECT_EQ(waiting[1].instance_id, "wf_b");
  EXPECT_TRUE(ok(store().event_waits("invoice.paid", "in_2")).empty());
  EXPECT_TRUE(ok(store().event_waits("invoice.created", "in_1")).empty());

  // A transition without event_waits leaves them; one with them replaces all of them.
  ASSERT_EQ(apply({update(instance("wf_a"), 1)}), Outcomes{kApplied});
  EXPECT_EQ(ok(store().event_waits("invoice.voided", "in_1")).size(), 1u);
  Transition replace = update(instance("wf_a"), 2);
  replace.event_waits = std::vector<EventWaitRecord>{wait_for("w3", "invoice.paid", "in_2")};
  ASSERT_EQ(apply({replace}), Outcomes{kApplied});
  EXPECT_TRUE(ok(store().event_waits("invoice.voided", "in_1")).empty());
  waiting = ok(store().event_waits("invoice.paid", "in_1"));
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].instance_id, "wf_b");
  waiting = ok(store().event_waits("invoice.paid", "in_2"));
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].instance_id, "wf_a");
  EXPECT_EQ(waiting[0].step_id, "w3");

  Transition done = update(instance("wf_a"), 3);
  done.event_waits = std::vector<EventWaitRecord>{};
  ASSERT_EQ(apply({done}), Outcomes{kApplied});
  EXPECT_TRUE(ok(store().event_waits("invoice.paid", "in_2")).empty());
}

TEST_P(WorkflowStoreContract, DueAndActiveInstancesLeaveFinishedOnesOut) {
  auto with = [](const std::string& id, InstanceStatus status, std::optional<std::int64_t> due) {
    InstanceRecord r = instance(id);
    r.status = status;
    r.due_at_ms = due;
    return create(r);
  };
  ASSERT_EQ(apply({with("a_late", InstanceStatus::running, 3000),
                   with("b_early", InstanceStatus::running, 1000),
                   with("c_waiting", InstanceStatus::waiting, 2000),
                   with("d_no_task", InstanceStatus::waiting, std::nullopt),
                   with("e_done", InstanceStatus::completed, 500),
                   with("f_failed", InstanceStatus::failed, 500),
                   with("g_discarded", InstanceStatus::discarded, 500),
                   with("h_future", InstanceStatus::running, 9000)}),
            Outcomes(8, kApplied));

  EXPECT_EQ(ids_of(ok(store().due_instances(3000, 10))), (Ids{"b_early", "c_waiting", "a_late"}));
  EXPECT_EQ(ids_of(ok(store().due_instances(2999, 10))), (Ids{"b_early", "c_waiting"}));
  EXPECT_EQ(ids_of(ok(store().due_instances(10'000, 2))), (Ids{"b_early", "c_waiting"}));
  EXPECT_TRUE(ok(store().due_instances(10'000, 0)).empty());
  EXPECT_TRUE(ok(store().due_instances(999, 10)).empty());

  auto active = ids_of(ok(store().active_instances()));
  std::sort(active.begin(), active.end());
  EXPECT_EQ(active, (Ids{"a_late", "b_early", "c_waiting", "d_no_task", "h_future"}));

  // Finishing takes an instance out of both.
  InstanceRecord finished = instance("b_early");
  finished.status = InstanceStatus::completed;
  finished.due_at_ms = 1000;
  ASSERT_EQ(apply({update(finished, 1)}), Outcomes{kApplied});
  EXPECT_EQ(ids_of(ok(store().due_instances(3000, 10))), (Ids{"c_waiting", "a_late"}));
  EXPECT_EQ(ok(store().active_instances()).size(), 4u);
}

TEST_P(WorkflowStoreContract, QueryInstancesFiltersAndPagesById) {
  std::vector<Transition> batch;
  for (int i = 0; i < 1005; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "wf_%04d", i);
    InstanceRecord r =
        instance(id, i % 2 == 0 ? "billing" : "onboarding", i % 3 == 0 ? "cus_3" : "cus_x");
    r.status = i % 5 == 0 ? InstanceStatus::completed : InstanceStatus::running;
    r.created_at_ms = 1000 + i;
    batch.push_back(create(r));
  }
  ASSERT_EQ(apply(batch), Outcomes(1005, kApplied));

  auto query = [&](InstanceQuery q) { return ids_of(ok(store().query_instances(q))); };
  InstanceQuery q;
  EXPECT_EQ(query(q).size(), 100u);  // the default
  q.limit = 5000;
  EXPECT_EQ(query(q).size(), 1000u);
  q.limit = -1;
  EXPECT_EQ(query(q), Ids{"wf_0000"});

  q = {};
  q.workflow = "onboarding";
  q.status = InstanceStatus::completed;
  q.limit = 3;
  EXPECT_EQ(query(q), (Ids{"wf_0005", "wf_0015", "wf_0025"}));
  q.after_id = "wf_0025";
  EXPECT_EQ(query(q), (Ids{"wf_0035", "wf_0045", "wf_0055"}));

  q = {};
  q.business_key = "cus_3";
  q.created_from_ms = 1010;  // inclusive
  q.created_to_ms = 1021;    // exclusive
  EXPECT_EQ(query(q), (Ids{"wf_0012", "wf_0015", "wf_0018"}));

  // Paging visits each once.
  q = {};
  q.workflow = "billing";
  q.limit = 150;
  std::set<std::string> seen;
  for (;;) {
    auto page = query(q);
    if (page.empty()) break;
    seen.insert(page.begin(), page.end());
    q.after_id = page.back();
  }
  EXPECT_EQ(seen.size(), 503u);
}

TEST_P(WorkflowStoreContract, RecordMappingsWritesWhatAnEventProducedAndMarksItProcessed) {
  const std::int64_t seq1 = append(raw_event("stripe", "evt_1"));
  const std::int64_t seq2 = append(raw_event("stripe", "evt_2"));
  const std::int64_t other_seq = append(raw_event("stripe", "evt_other", "invoice.paid", "cus_2"));

  auto records = [&] {
    MappingRecord first{seq1, {canonical("ce_1", seq1)}, {create(instance("wf_1"))}};
    Transition rejected;  // an event no mapping accepts: an exception
    rejected.open_exceptions = {exception("ex_evt_2", "", "")};
    MappingRecord second{
        seq2, {canonical("ce_2b", seq2), canonical("ce_2a", seq2, "cus_1", 1)}, {rejected}};
    MappingRecord third{other_seq, {canonical("ce_o", other_seq, "cus_2")}, {}};
    return std::vector<MappingRecord>{first, second, third};
  };
  auto outcomes = ok(store().record_mappings(records(), IdentityWrites{}, 5000));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0], Outcomes{kApplied});
  EXPECT_EQ(outcomes[1], Outcomes{kApplied});
  EXPECT_TRUE(outcomes[2].empty());

  EXPECT_EQ(processed_at("evt_1"), std::optional<std::int64_t>(5000));
  EXPECT_EQ(processed_at("evt_2"), std::optional<std::int64_t>(5000));
  EXPECT_EQ(ok(events().count_unprocessed()), 0);
  EXPECT_TRUE(load("wf_1").has_value());
  EXPECT_TRUE(ok(store().load_exception("ex_evt_2")).has_value());

  auto canonical_events = ok(store().canonical_events("cus_1", 10));
  // Log order: by raw event, then by place among its outputs (not by id).
  EXPECT_EQ(ids_of(canonical_events), (Ids{"ce_1", "ce_2b", "ce_2a"}));
  ASSERT_FALSE(canonical_events.empty());
  EXPECT_EQ(canonical_events[0].type, "invoice.paid");
  EXPECT_EQ(canonical_events[0].raw_seq, seq1);
  EXPECT_EQ(canonical_events[0].order_seq, seq1 * kPerRaw);
  EXPECT_EQ(canonical_events[0].occurred_at_ms, 900);
  EXPECT_EQ(canonical_events[0].correlation_id, "corr-ce_1");
  EXPECT_EQ(canonical_events[0].json, R"({"id":"ce_1"})");
  EXPECT_EQ(ids_of(ok(store().canonical_events("cus_1", 1))), Ids{"ce_1"});
  EXPECT_TRUE(ok(store().canonical_events("cus_1", 0)).empty());
  EXPECT_EQ(ids_of(ok(store().canonical_events("cus_2", 10))), Ids{"ce_o"});

  // A replay records the same things again: nothing new, and the first mark stays.
  outcomes = ok(store().record_mappings(records(), IdentityWrites{}, 8000));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0], Outcomes{kDuplicate});
  EXPECT_EQ(ids_of(ok(store().canonical_events("cus_1", 10))), (Ids{"ce_1", "ce_2b", "ce_2a"}));
  EXPECT_EQ(ok(store().query_instances({})).size(), 1u);
  EXPECT_EQ(ok(store().query_exceptions({})).size(), 1u);
  EXPECT_EQ(processed_at("evt_1"), std::optional<std::int64_t>(5000));
  EXPECT_TRUE(ok(store().record_mappings({}, IdentityWrites{}, 9000)).empty());
}

TEST_P(WorkflowStoreContract, RecordMappingsOfAnUnknownEventWritesNothing) {
  const std::int64_t seq = append(raw_event("stripe", "evt_1"));
  const std::vector<MappingRecord> records = {
      {seq, {canonical("ce_1", seq)}, {create(instance("wf_1"))}},
      {seq + 1000, {canonical("ce_ghost", seq + 1000)}, {create(instance("wf_ghost"))}},
  };
  auto result = store().record_mappings(records, IdentityWrites{}, 5000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::not_found);

  EXPECT_FALSE(processed_at("evt_1").has_value());
  EXPECT_EQ(ok(events().count_unprocessed()), 1);
  EXPECT_FALSE(load("wf_1").has_value());
  EXPECT_FALSE(load("wf_ghost").has_value());
  EXPECT_TRUE(ok(store().canonical_events("cus_1", 10)).empty());

  // The known one alone goes through.
  auto alone = ok(store().record_mappings(std::span(records).first(1), IdentityWrites{}, 5000));
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0], Outcomes{kApplied});
  EXPECT_EQ(processed_at("evt_1"), std::optional<std::int64_t>(5000));
}

// Canonical events are keyed by their log position: one without a position would be taken
// for a replay of another and dropped, so the whole call is refused instead.
TEST_P(WorkflowStoreContract, RecordMappingsOfAnEventWithoutAPositionWritesNothing) {
  const std::int64_t seq1 = append(raw_event("stripe", "evt_1"));
  const std::int64_t seq2 = append(raw_event("stripe", "evt_2"));
  CanonicalEventRecord unplaced = canonical("ce_2", seq2);
  unplaced.order_seq = 0;
  const std::vector<MappingRecord> records = {
      {seq1, {canonical("ce_1", seq1)}, {create(instance("wf_1"))}},
      {seq2, {unplaced}, {create(instance("wf_2"))}},
  };
  auto result = store().record_mappings(records, IdentityWrites{}, 5000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::invalid_argument);
  EXPECT_NE(result.error().message.find("ce_2"), std::string::npos) << result.error().message;

  EXPECT_EQ(ok(events().count_unprocessed()), 2);
  EXPECT_FALSE(load("wf_1").has_value());
  EXPECT_TRUE(ok(store().canonical_events("cus_1", 10)).empty());
}

// A mapping that now yields a different first output for an event it mapped before keeps the
// first record of that position (the position, like the id, names the output, not its
// content), and its new second output is added after it.
TEST_P(WorkflowStoreContract, AReplayKeepsEachPositionsFirstRecordAndAddsNewOnes) {
  const std::int64_t seq = append(raw_event("stripe", "evt_1"));
  const MappingRecord first{seq, {canonical("ce_1", seq)}, {}};
  ASSERT_EQ(ok(store().record_mappings({&first, 1}, IdentityWrites{}, 5000)).size(), 1u);
  CanonicalEventRecord changed = canonical("ce_1", seq);
  changed.json = R"({"id":"ce_1","changed":true})";
  const MappingRecord again{seq, {changed, canonical("ce_1b", seq, "cus_1", 1)}, {}};
  ASSERT_EQ(ok(store().record_mappings({&again, 1}, IdentityWrites{}, 6000)).size(), 1u);

  const auto events = ok(store().canonical_events("cus_1", 10));
  EXPECT_EQ(ids_of(events), (Ids{"ce_1", "ce_1b"}));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].json, R"({"id":"ce_1"})");
}

TEST_P(WorkflowStoreContract, ConcurrentWritersNeverLoseAnUpdate) {
  // Engine workers race on one instance: each reads it, then writes at the revision it read.
  // Every applied transition is counted in the revision; every refused one left no history.
  ASSERT_EQ(apply({create(instance("wf_1"))}), Outcomes{kApplied});
  constexpr int kThreads = 4;
  constexpr int kRounds = 60;
  std::atomic<int> applied{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kThreads; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kRounds; ++i) {
        auto current = store().load_instance("wf_1");
        if (!current.ok() || !current->has_value()) {
          ++errors;
          continue;
        }
        Transition t = update(**current, (*current)->revision);
        t.update->state_json = R"({"writer":)" + std::to_string(w) + "}";
        t.history = {step_event("wf_1", "s", "by_" + std::to_string(w), i)};
        const std::vector<Transition> batch = {t};
        auto outcome = store().apply(batch);
        if (!outcome.ok()) {
          ++errors;
        } else if (outcome->at(0) == kApplied) {
          ++applied;
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(errors, 0);
  EXPECT_GT(applied, 0);
  EXPECT_EQ(load("wf_1")->revision, 1 + applied);
  EXPECT_EQ(ok(store().history("wf_1")).size(), static_cast<std::size_t>(applied.load()));
}

TEST_P(WorkflowStoreContract, SlaOutcomesAreCountedAndListedPerRollingWindow) {
  auto outcome = [](const std::string& instance, std::int64_t at_ms, bool breached) {
    return SlaOutcomeRecord{instance, "billing", "posted-fast", "cus_" + instance, at_ms - 100, at_ms, breached,
                            breached ? std::nullopt : std::optional<std::int64_t>(at_ms)};
  };
  Transition first = create(instance("wf_1"));
  first.sla_outcomes = {outcome("wf_1", 1000, false)};
  Transition others;  // outcomes of instances recorded elsewhere
  others.sla_outcomes = {outcome("wf_2", 2000, true), outcome("wf_3", 3000, false), outcome("wf_4", 4000, true)};
  ASSERT_EQ(apply({first, others}), (Outcomes{kApplied, kApplied}));

  // The window is (from, to]: 1000 is out of (1000, 4000].
  SlaOutcomeQuery q{"billing", "posted-fast", 1000, 4000, std::nullopt, 100};
  SlaOutcomeCounts counts = ok(store().count_sla_outcomes(q));
  EXPECT_EQ(counts.met, 1);
  EXPECT_EQ(counts.breached, 2);
  q.from_ms = 0;
  EXPECT_EQ(ok(store().count_sla_outcomes(q)).met, 2);
  EXPECT_EQ(ok(store().count_sla_outcomes(SlaOutcomeQuery{"billing", "other", 0, 9000, std::nullopt, 100})).met, 0);
  EXPECT_EQ(ok(store().count_sla_outcomes(SlaOutcomeQuery{"other", "posted-fast", 0, 9000, std::nullopt, 100})).breached, 0);

  // Newest first, filtered and limited.
  auto breached = ok(store().query_sla_outcomes(SlaOutcomeQuery{"billing", "posted-fast", 0, 9000, true, 100}));
  ASSERT_EQ(breached.size(), 2u);
  EXPECT_EQ(breached[0].instance_id, "wf_4");
  EXPECT_EQ(breached[0].business_key, "cus_wf_4");
  EXPECT_EQ(breached[0].started_at_ms, 3900);
  EXPECT_FALSE(breached[0].finished_at_ms.has_value());
  EXPECT_EQ(breached[1].instance_id, "wf_2");
  auto newest = ok(store().query_sla_outcomes(SlaOutcomeQuery{"billing", "posted-fast", 0, 9000, std::nullopt, 1}));
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0].instance_id, "wf_4");

  // The first outcome stands; a later one for the same SLA only adds when it finished.
  Transition late;
  late.sla_outcomes = {SlaOutcomeRecord{"wf_4", "billing", "posted-fast", "cus_wf_4", 3900, 8000, true, 8000}};
  Transition flip;
  flip.sla_outcomes = {SlaOutcomeRecord{"wf_3", "billing", "posted-fast", "cus_wf_3", 2900, 8000, true, 8000}};
  ASSERT_EQ(apply({late, flip}), (Outcomes{kApplied, kApplied}));
  auto all = ok(store().query_sla_outcomes(SlaOutcomeQuery{"billing", "posted-fast", 0, 9000, std::nullopt, 100}));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].instance_id, "wf_4");
  EXPECT_EQ(all[0].decided_at_ms, 4000);
  EXPECT_EQ(all[0].finished_at_ms, std::optional<std::int64_t>(8000));
  EXPECT_EQ(all[1].instance_id, "wf_3");
  EXPECT_FALSE(all[1].breached);
  EXPECT_EQ(all[1].finished_at_ms, std::optional<std::int64_t>(3000));
}

INSTANTIATE_TEST_SUITE_P(AllStores, WorkflowStoreContract,
                         ::testing::Values(Backend::memory, Backend::sqlite_file,
                                           Backend::sqlite_in_memory),
                         backend_name);

// Replay needs a store that can mark events unprocessed again: the durable ones.
using ReplayTest = WorkflowStoreContract;

TEST_P(ReplayTest, ResetProcessedMarksMatchingEventsUnprocessedAgain) {
  std::vector<std::int64_t> seqs;
  seqs.push_back(append(raw_event("stripe", "e1", "invoice.paid", "cus_1", 1000)));
  seqs.push_back(append(raw_event("stripe", "e2", "invoice.voided", "cus_1", 2000)));
  seqs.push_back(append(raw_event("stripe", "e3", "invoice.paid", "cus_2", 3000)));
  seqs.push_back(append(raw_event("zendesk", "e4", "ticket.created", "cus_1", 4000)));
  seqs.push_back(append(raw_event("stripe", "e5", "invoice.paid", "cus_1", 5000)));
  ASSERT_TRUE(events().mark_processed(seqs, 9000).ok());
  auto unprocessed = [&] {
    RawEventQuery q;
    q.processed = false;
    Ids ids;
    for (const auto& e : ok(events().query_raw_events(q))) ids.push_back(e.event_id);
    return ids;
  };
  auto reset = [&](RawEventQuery q) { return ok(store().reset_processed(q)); };

  RawEventQuery q;
  q.connector = "stripe";
  q.event_type = "invoice.paid";
  q.business_key = "cus_1";
  EXPECT_EQ(reset(q), 2);
  EXPECT_EQ(unprocessed(), (Ids{"e1", "e5"}));
  EXPECT_EQ(reset(q), 0);  // already unprocessed: nothing to count

  q = {};
  q.received_from_ms = 2000;  // inclusive
  q.received_to_ms = 4000;    // exclusive
  q.limit = 1;                // ignored: a replay covers everything that matches
  EXPECT_EQ(reset(q), 2);
  EXPECT_EQ(unprocessed(), (Ids{"e1", "e2", "e3", "e5"}));

  q = {};
  q.after_seq = seqs[2];  // honoured, as in query_raw_events
  EXPECT_EQ(reset(q), 1);
  EXPECT_EQ(unprocessed(), (Ids{"e1", "e2", "e3", "e4", "e5"}));
  EXPECT_EQ(ok(events().count_unprocessed()), 5);
}

INSTANTIATE_TEST_SUITE_P(DurableStores, ReplayTest,
                         ::testing::Values(Backend::sqlite_file, Backend::sqlite_in_memory),
                         backend_name);

TEST(MemoryWorkflowStoreTest, CannotReplay) {
  MemoryStore events;
  MemoryWorkflowStore store(&events);
  auto reset = store.reset_processed({});
  ASSERT_FALSE(reset.ok());
  EXPECT_EQ(reset.error().code, StoreErrc::invalid_argument);
}

// What only the SQLite store on a file can show.
class SqliteWorkflowStoreTest : public ::testing::Test {
 protected:
  fs::path db_file() const { return dir_ / "data" / "weft.db"; }

  Storage open(const StoreOptions& options = {}) {
    auto storage = open_storage("sqlite:" + db_file().string(), options);
    EXPECT_TRUE(storage.ok()) << storage.error().message;
    return storage.ok() ? std::move(storage).value() : Storage{};
  }

  TempDir dir_{"weft-wfstore"};
};

TEST_F(SqliteWorkflowStoreTest, EverythingSurvivesCloseAndReopen) {
  std::int64_t seq = 0;
  {
    Storage storage = open();
    ASSERT_NE(storage.workflows, nullptr);
    const NewRawEvent raw = raw_event("stripe", "evt_1");
    ASSERT_TRUE(storage.events->append_raw_events({&raw, 1}).ok());
    seq = (*storage.events->find_raw_event("stripe", "evt_1"))->seq;
    Transition start = create(instance("wf_1"));
    start.history = {step_event("wf_1", "fetch", "started", 10)};
    start.upsert_approvals = {approval("ap_1", "wf_1")};
    start.event_waits = std::vector<EventWaitRecord>{wait_for("w", "invoice.voided", "in_1")};
    start.open_exceptions = {exception("ex_1", "wf_1")};
    const std::vector<MappingRecord> records = {{seq, {canonical("ce_1", seq)}, {start}}};
    ASSERT_TRUE(storage.workflows->record_mappings(records, IdentityWrites{}, 5000).ok());
    ASSERT_EQ(apply_to(*storage.workflows, {update(instance("wf_1"), 1)}), Outcomes{kApplied});
  }
  Storage storage = open();
  ASSERT_NE(storage.workflows, nullptr);
  WorkflowStore& store = *storage.workflows;
  auto got = ok(store.load_instance("wf_1"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->revision, 2);
  EXPECT_EQ(got->state_json, instance("wf_1").state_json);
  EXPECT_EQ(ok(store.history("wf_1")).size(), 1u);
  EXPECT_EQ(ids_of(ok(store.pending_approvals())), Ids{"ap_1"});
  EXPECT_EQ(ok(store.event_waits("invoice.voided", "in_1")).size(), 1u);
  EXPECT_TRUE(ok(store.load_exception("ex_1")).has_value());
  EXPECT_EQ(ids_of(ok(store.canonical_events("cus_1", 10))), Ids{"ce_1"});
  EXPECT_EQ(ids_of(ok(store.active_instances())), Ids{"wf_1"});
  EXPECT_EQ((*storage.events->find_raw_event("stripe", "evt_1"))->processed_at_ms,
            std::optional<std::int64_t>(5000));
  // A revision is a revision after a restart too.
  EXPECT_EQ(apply_to(store, {update(instance("wf_1"), 1)}), Outcomes{kConflict});
}

TEST_F(SqliteWorkflowStoreTest, EitherStoreMayCloseFirst) {
  for (const bool events_first : {true, false}) {
    SCOPED_TRACE(events_first ? "events closed first" : "workflows closed first");
    Storage storage = open();
    ASSERT_NE(storage.events, nullptr);
    const NewRawEvent raw = raw_event("stripe", events_first ? "evt_a" : "evt_b");
    ASSERT_TRUE(storage.events->append_raw_events({&raw, 1}).ok());
    const std::string id = events_first ? "wf_a" : "wf_b";
    if (events_first) {
      storage.events.reset();
      EXPECT_EQ(apply_to(*storage.workflows, {create(instance(id))}), Outcomes{kApplied});
      EXPECT_TRUE(ok(storage.workflows->load_instance(id)).has_value());
    } else {
      storage.workflows.reset();
      EXPECT_EQ(ok(storage.events->count_unprocessed()), 2);
    }
  }
  Storage storage = open();
  EXPECT_TRUE(ok(storage.workflows->load_instance("wf_a")).has_value());
}

// The first migration as an older build of weft left it: a database with the event log only.
void create_version_1_database(const fs::path& file) {
  fs::create_directories(file.parent_path());
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) throw std::runtime_error("open failed");
  const std::string sql =
      "PRAGMA journal_mode = WAL;"
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at_ms INTEGER NOT NULL);" +
      std::string(store::sqlite::migrations()[0].sql) +
      "INSERT INTO schema_migrations VALUES (1, 'create raw_events', 1);"
      "INSERT INTO raw_events (connector, event_id, event_type, business_key, occurred_at_ms, "
      "received_at_ms, correlation_id, body) VALUES ('stripe', 'evt_old', 'invoice.paid', "
      "'cus_1', 1, 2, 'corr', X'7B7D');";
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  if (rc != SQLITE_OK) throw std::runtime_error(message);
}

TEST_F(SqliteWorkflowStoreTest, DatabaseOfTheEventLogOnlyIsMigratedAndKeepsItsEvents) {
  create_version_1_database(db_file());
  Storage storage = open();
  ASSERT_NE(storage.events, nullptr);
  auto status = ok(storage.events->schema_status());
  EXPECT_EQ(status.current_version, status.expected_version);
  EXPECT_GE(status.current_version, 3);  // the workflow tables and the poll cursors
  EXPECT_TRUE(status.up_to_date());

  auto old = ok(storage.events->find_raw_event("stripe", "evt_old"));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->body, "{}");
  EXPECT_FALSE(old->processed_at_ms.has_value());

  const std::vector<MappingRecord> records = {
      {old->seq, {canonical("ce_old", old->seq)}, {create(instance("wf_1"))}}};
  auto recorded = ok(storage.workflows->record_mappings(records, IdentityWrites{}, 5000));
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0], Outcomes{kApplied});
  EXPECT_EQ(ok(storage.events->count_unprocessed()), 0);
}

// A released migration never changes (migrations.hpp): databases out there were made with it.
// FNV-1a of its SQL, pinned when it was released.
TEST(MigrationsTest, ReleasedMigrationsNeverChange) {
  auto fnv1a = [](std::string_view text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
    return hash;
  };
  struct Released {
    std::string_view name;
    std::uint64_t sql_hash;
  };
  // A migration added later is appended here once it is released.
  constexpr Released kReleased[] = {
      {"create raw_events", 7627975513058275569ull},
      {"create workflow state", 2549201398989493800ull},
      {"create poll cursors", 15879527308821808799ull},
      {"create identity (xref) and canonical records", 411994778261379657ull},
      {"create API keys, idempotent responses and the audit log", 1017951494230644384ull},
      {"index correlation ids for lineage", 420426411535031171ull},
      {"create identity relations", 16398186630692416182ull},
      {"create SLA outcomes, SLO states and alerts", 6634369630022000255ull},
      {"create console sessions", 8265197662233269504ull},
      {"create reconciliation runs", 7137976427683576291ull},
      {"raw events: receive times in log order, no time or type index", 5214542499196520943ull},
      {"canonical records: each source once, one row per record", 6345973202140350460ull},
      {"canonical events and instances keyed by log position", 4445223194837867756ull},
  };
  const auto all = store::sqlite::migrations();
  ASSERT_GE(all.size(), std::size(kReleased));
  for (std::size_t i = 0; i < std::size(kReleased); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i + 1));
    EXPECT_EQ(all[i].name, kReleased[i].name) << "migration " << i + 1;
    EXPECT_EQ(fnv1a(all[i].sql), kReleased[i].sql_hash) << "migration " << i + 1;
  }
}

// Migration 13 on a database written before it, with canonical events keyed by their hash id
// and instances unique by (workflow, trigger event id): every row keeps its fields, a
// canonical event gets the position its id was made from (its rank among its raw event's
// outputs, which were inserted in order), and replaying the old events adds nothing — not
// even an instance whose id a newer build would make differently.
TEST_F(SqliteWorkflowStoreTest, Migration13GivesOldRowsTheirPositionsAndReplaysAddNothing) {
  // The migration's SQL computes positions as the pipeline does.
  ASSERT_NE(std::string(store::sqlite::migrations()[12].sql)
                .find("raw_seq * " + std::to_string(pipeline::kEventsPerRawEvent) + " +"),
            std::string::npos);
  std::int64_t seq1 = 0;
  std::int64_t seq2 = 0;
  {
    Storage storage = open();
    ASSERT_NE(storage.events, nullptr);
    const std::vector<NewRawEvent> raws = {raw_event("stripe", "evt_1"),
                                           raw_event("stripe", "evt_2")};
    ASSERT_TRUE(storage.events->append_raw_events(raws).ok());
    seq1 = (*storage.events->find_raw_event("stripe", "evt_1"))->seq;
    seq2 = (*storage.events->find_raw_event("stripe", "evt_2"))->seq;
  }
  {
    test::RawDb db(db_file());
    db.exec(R"sql(
DROP TABLE canonical_events;
CREATE TABLE canonical_events (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, business_key TEXT NOT NULL, raw_seq INTEGER NOT NULL,
  occurred_at_ms INTEGER NOT NULL, correlation_id TEXT NOT NULL, json TEXT NOT NULL) STRICT;
DROP TABLE workflow_instances;
CREATE TABLE workflow_instances (
  id TEXT PRIMARY KEY, workflow TEXT NOT NULL, version INTEGER NOT NULL,
  business_key TEXT NOT NULL, trigger_event_id TEXT NOT NULL, order_seq INTEGER NOT NULL,
  status TEXT NOT NULL, state_json TEXT NOT NULL, cursor_json TEXT NOT NULL,
  revision INTEGER NOT NULL, correlation_id TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL, due_at_ms INTEGER, UNIQUE (workflow, trigger_event_id)) STRICT;
DELETE FROM schema_migrations WHERE version >= 13;
)sql");
    const std::string s1 = std::to_string(seq1);
    const std::string s2 = std::to_string(seq2);
    // evt_2's two outputs first, in output order (their ids in the other order), then evt_1's.
    db.exec(
        "INSERT INTO canonical_events VALUES "
        "('ce_z', 'invoice.paid', 'cus_1', " +
        s2 +
        ", 901, 'corr-z', '{\"n\":0}'), "
        "('ce_a', 'invoice.voided', 'cus_1', " +
        s2 +
        ", 902, 'corr-a', '{\"n\":1}'), "
        "('ce_1', 'invoice.paid', 'cus_1', " +
        s1 + ", 900, 'corr-1', '{\"n\":2}')");
    db.exec("INSERT INTO workflow_instances VALUES ('wf_old', 'billing', 3, 'cus_1', 'ce_1', " +
            std::to_string(seq1 * kPerRaw) +
            ", 'waiting', '{\"a\":1}', '{\"step\":\"w\"}', 4, 'corr-1', 1000, 2000, 3000)");
  }
  Storage storage = open();
  ASSERT_NE(storage.workflows, nullptr);
  EXPECT_TRUE(storage.events->schema_status()->up_to_date());
  WorkflowStore& store = *storage.workflows;

  const auto events = ok(store.canonical_events("cus_1", 10));
  ASSERT_EQ(ids_of(events), (Ids{"ce_1", "ce_z", "ce_a"}));
  EXPECT_EQ(events[0].order_seq, seq1 * kPerRaw);
  EXPECT_EQ(events[1].order_seq, seq2 * kPerRaw);
  EXPECT_EQ(events[2].order_seq, seq2 * kPerRaw + 1);
  EXPECT_EQ(events[2].type, "invoice.voided");
  EXPECT_EQ(events[2].raw_seq, seq2);
  EXPECT_EQ(events[2].occurred_at_ms, 902);
  EXPECT_EQ(events[2].correlation_id, "corr-a");
  EXPECT_EQ(events[2].json, R"({"n":1})");

  const auto old = ok(store.load_instance("wf_old"));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->trigger_event_id, "ce_1");
  EXPECT_EQ(old->order_seq, seq1 * kPerRaw);
  EXPECT_EQ(old->status, InstanceStatus::waiting);
  EXPECT_EQ(old->state_json, R"({"a":1})");
  EXPECT_EQ(old->revision, 4);
  EXPECT_EQ(old->due_at_ms, std::optional<std::int64_t>(3000));
  EXPECT_EQ(ids_of(ok(store.active_instances())), Ids{"wf_old"});

  // The replay: the same outputs at the same places, and an instance of the same trigger
  // under another id.
  InstanceRecord again = instance("wf_new");
  again.trigger_event_id = "ce_1";
  again.order_seq = seq1 * kPerRaw;
  const std::vector<MappingRecord> replay = {
      {seq1, {canonical("ce_1", seq1)}, {create(again)}},
      {seq2, {canonical("ce_z", seq2), canonical("ce_a", seq2, "cus_1", 1)}, {}}};
  const auto outcomes = ok(store.record_mappings(replay, IdentityWrites{}, 5000));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0], Outcomes{kDuplicate});
  EXPECT_EQ(ok(store.canonical_events("cus_1", 10)).size(), 3u);
  EXPECT_EQ(ok(store.query_instances({})).size(), 1u);

  test::RawDb db(db_file());
  EXPECT_EQ(db.rows("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND "
                    "tbl_name IN ('workflow_instances', 'canonical_events') ORDER BY name"),
            (Ids{"canonical_events_business_key", "workflow_instances_business_key",
                 "workflow_instances_correlation", "workflow_instances_due",
                 "workflow_instances_workflow_status"}));
}

TEST_F(SqliteWorkflowStoreTest, FullDiskFailsTheBatchAndWritesNothingOfIt) {
  StoreOptions options;
  // 2 MiB of 8 KiB pages: the schema fits; the batch below does not (200 states of 8 KiB, each
  // over a page: 3.2 MB of pages).
  options.max_page_count = 256;
  Storage storage = open(options);
  ASSERT_NE(storage.workflows, nullptr);
  WorkflowStore& store = *storage.workflows;
  ASSERT_EQ(apply_to(store, {create(instance("wf_before"))}), Outcomes{kApplied});
  const NewRawEvent raw = raw_event("stripe", "evt_1");
  ASSERT_TRUE(storage.events->append_raw_events({&raw, 1}).ok());
  const std::int64_t seq = (*storage.events->find_raw_event("stripe", "evt_1"))->seq;

  std::vector<Transition> big;
  for (int i = 0; i < 200; ++i) {
    InstanceRecord r = instance("wf_big_" + std::to_string(i));
    r.state_json = R"({"blob":")" + std::string(8192, static_cast<char>('a' + i % 26)) + R"("})";
    big.push_back(create(r));
    big.back().history = {step_event(r.id, "s", "started", i)};
  }
  big.push_back(update(instance("wf_before"), 1));
  auto failed = store.apply(big);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, StoreErrc::full) << failed.error().message;
  EXPECT_FALSE(ok(store.load_instance("wf_big_0")).has_value());
  EXPECT_TRUE(ok(store.history("wf_big_0")).empty());
  EXPECT_EQ(ok(store.load_instance("wf_before"))->revision, 1);

  // record_mappings too: the event stays unprocessed along with everything else.
  const std::vector<MappingRecord> records = {{seq, {canonical("ce_1", seq)}, big}};
  auto mapped = store.record_mappings(records, IdentityWrites{}, 5000);
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.error().code, StoreErrc::full) << mapped.error().message;
  EXPECT_EQ(ok(storage.events->count_unprocessed()), 1);
  EXPECT_TRUE(ok(store.canonical_events("cus_1", 10)).empty());

  // The store stays usable: what fits still commits.
  ASSERT_EQ(apply_to(store, {update(instance("wf_before"), 1)}), Outcomes{kApplied});
  storage = Storage{};
  storage = open();  // no quota: the batch that failed is absent and goes through
  ASSERT_NE(storage.workflows, nullptr);
  EXPECT_EQ(ok(storage.workflows->query_instances({})).size(), 1u);
  big.back() = update(instance("wf_before"), 2);
  auto retried = ok(storage.workflows->apply(big));
  EXPECT_EQ(retried, Outcomes(201, kApplied));
}

TEST(OpenStorageTest, PostgresIsReservedAndOpenStoreStillWorks) {
  auto pg = open_storage("postgres://weft:secret@db/weft");
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.error().code, StoreErrc::unavailable);
  EXPECT_EQ(pg.error().message, "PostgreSQL storage is not available in this build yet");
  auto bad = open_storage("mysql://u:secret@h/db");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, StoreErrc::invalid_argument);
  EXPECT_EQ(bad.error().message.find("secret"), std::string::npos);

  TempDir dir("weft-wfstore");
  const std::string url = "sqlite:" + (dir / "weft.db").string();
  {
    auto store = open_store(url);
    ASSERT_TRUE(store.ok()) << store.error().message;
    const NewRawEvent raw = raw_event("stripe", "evt_1");
    ASSERT_TRUE((*store)->append_raw_events({&raw, 1}).ok());
  }
  auto storage = open_storage(url);
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  EXPECT_EQ(ok(storage->events->count_unprocessed()), 1);
}

}  // namespace
}  // namespace weft
