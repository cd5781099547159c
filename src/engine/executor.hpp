#pragma once
// Executor: runs workflow instances to the end, durably.
//
// Each instance is driven by an InstanceRun. Before any effect on a platform, the instance's
// new record and what happened are persisted as one Transition (group-committed with other
// instances' transitions); a call's outcome is persisted before the next call. After a
// crash, start() finds every instance that is not finished and resumes it where its last
// transition left it; a call that was in flight is repeated with the same idempotency key.
//
// Scheduling: an in-memory timetable of due times mirrors the instances' due_at column (the
// task table). Instances of one workflow with the same business key run one at a time in
// event order (an instance waiting for a person or an event does not hold the others up);
// different keys run concurrently, at most `workers` instances at once. A newly due instance
// wakes one idle thread, not all of them.
//
// An instance in flight holds no thread while it waits: its transition goes to the group
// commit and its calls to the invoker's invoke_async, and when the commit or the last call
// is done the instance is queued to go on (a Flight). A few threads (`threads`) do all the
// work in between — advancing instances, building requests, reading outcomes — so that
// hundreds of instances waiting for platforms cost hundreds of small records, not hundreds
// of threads and the context switches between them.
//
// The record of an instance due now is kept with its timetable entry when the executor has
// it (it was just persisted here, or created by the event pipeline), so running it reads
// nothing back from the store. A record that is stale nonetheless (changed behind the
// executor's back) is caught by the revision check of the next transition, after which the
// instance is reloaded and run again.
//
// Threads: start()/stop() from one thread; schedule(), decide(), deliver(), retry() and
// discard() from any thread. run_due() drives everything on the caller's thread instead of
// threads of its own, one instance at a time, for deterministic tests with a ManualClock.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "delivery/backoff.hpp"
#include "engine/action_invoker.hpp"
#include "engine/instance_run.hpp"
#include "engine/jq_cache.hpp"
#include "engine/workflow_catalog.hpp"
#include "store/group_commit.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"
#include "weft/workflow_store.hpp"

namespace weft::engine {

struct EngineMetrics {
  explicit EngineMetrics(metrics::Registry& registry);
  metrics::Family<metrics::Counter>& workflows_total;      // {workflow, status}
  metrics::Family<metrics::Gauge>& workflows_running;      // {workflow}
  metrics::Family<metrics::Histogram>& step_seconds;       // {workflow, step}
  metrics::Family<metrics::Gauge>& exceptions_open;        // {class}
  metrics::Gauge& tasks_due;
  metrics::Family<metrics::Histogram>& sla_seconds;        // {workflow, sla}
  metrics::Family<metrics::Counter>& sla_breaches;         // {workflow, sla}
  metrics::Histogram& transition_commit_seconds;
  metrics::Histogram& transition_batch_size;
  metrics::Counter& transitions_total;
};

struct ExecutorOptions {
  int workers = 16;               // instances in flight at most (engine.workers)
  std::uint64_t random_seed = 0;  // 0: from the clock
  GroupCommitOptions commit{};
  // The writer its transitions are committed by, shared with the hub's other writers (ingest),
  // which must outlive the executor; nullptr: a writer of its own.
  CommitWriter* commit_writer = nullptr;
  int threads = 0;  // threads that run them; 0: twice the CPUs, at least 4, at most workers
};

enum class EngineErrc { not_found, invalid_state, conflict, storage };
const char* to_string(EngineErrc code);
using EngineError = Error<EngineErrc>;

class Executor {
 public:
  Executor(WorkflowStore& store, std::shared_ptr<const WorkflowCatalog> catalog, ActionInvoker& invoker,
           EngineMetrics& metrics, ClockPtr clock, ExecutorOptions options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Loads every unfinished instance from the store and schedules it. With `threads`, starts
  // the workers; without, the caller drives with run_due().
  Result<void, EngineError> start(bool threads = true);
  // Makes no new calls from now on: the calls in flight end (within their connector's
  // timeout) and their outcomes are committed; an instance that would call next is left due,
  // for the next start to call with the same idempotency keys. Returns once every instance in
  // flight has landed.
  void stop();
  // Whether stop() has begun.
  bool stopping() const;

  // Instances created elsewhere (the event pipeline) that should run now.
  void schedule(const InstanceRecord& record);
  // Runs every instance due now on this thread, one at a time, until none is; returns how
  // many runs.
  int run_due();
  // The earliest due time, if any (tests advance a ManualClock to it).
  std::optional<std::int64_t> next_due() const;

  Result<void, EngineError> decide(const std::string& approval_id, bool approved, const std::string& by,
                                   const std::string& comment);
  // A canonical event that instances may be waiting for.
  void deliver(const CanonicalEventRecord& event);
  Result<void, EngineError> retry(const std::string& exception_id, const std::optional<nlohmann::json>& input,
                                  const std::string& by);
  Result<void, EngineError> discard(const std::string& exception_id, const std::string& reason,
                                    const std::string& by);

  // An exception another component opened (the event pipeline), for the metrics.
  void exception_opened(const ExceptionRecord& exception);

  // Records commit durably through the executor's group commit (other components' writes).
  StoreResult<TransitionOutcome> commit(Transition transition);

 private:
  struct Entry {
    std::string workflow;
    std::string key;
    std::int64_t order_seq = 0;
    bool gated = false;  // holds its key: running, not waiting
    // The latest record, when it is due soon (see schedule()); taken by run_instance.
    std::optional<InstanceRecord> record;
  };

  struct Flight;
  using FlightPtr = std::shared_ptr<Flight>;

  // An awaited event as deliver() saw it, kept a minute (kRecentEventsForMs): an instance
  // whose wait for it is committed a moment after it arrived (while the instance was still
  // busy, say looking for the same thing on a platform) takes it then instead of waiting for
  // its timeout.
  struct RecentEvent {
    CanonicalEventRecord event;
    std::int64_t at_ms = 0;
    std::set<std::string> taken_by;  // instances it was handed to
  };
  // Keeps `event` (caller holds mutex_); taken_by is marked under mutex_ too.
  std::shared_ptr<RecentEvent> remember(const CanonicalEventRecord& event, std::int64_t now_ms);
  // The recent events, later in the log than `instance`'s trigger and not yet handed to it,
  // that its `waits` are for; marks them handed to it.
  std::vector<std::pair<EventWaitRecord, CanonicalEventRecord>> claim(
      const InstanceRecord& instance, const std::vector<EventWaitRecord>& waits);
  // Hands `event` to the instance of `w`, whose wait takes it if it matches (a delivery and a
  // failure are logged; an event the wait does not match is not).
  void hand_over(const EventWaitRecord& w, const CanonicalEventRecord& event,
                 const nlohmann::json& parsed);
  // An instance's run, from taking it off the timetable to scheduling it again: advance,
  // persist, call, read the outcomes, advance … Each step runs on whichever thread took the
  // flight from ready_; waiting for a commit or a call takes none.
  void begin(const std::string& id);
  void advance(FlightPtr flight);
  void resume(FlightPtr flight);  // after its commit or its calls
  void dispatch(FlightPtr flight);
  void called(FlightPtr flight);
  void finish(FlightPtr flight);
  void post(FlightPtr flight);
  // With `lock` on mutex_: resumes the first ready flight (unlocking meanwhile); false when
  // none is ready.
  bool resume_ready(std::unique_lock<std::mutex>& lock);
  // Caller holds mutex_: an instance due at `now` that may run, taken off the timetable and
  // marked busy; empty when none. `due_seen` counts due instances looked at.
  std::string take_due(std::int64_t now, std::int64_t* due_seen);
  // The cached record of `id` (taken out of its entry; `cached` true), else the stored one.
  std::optional<InstanceRecord> take_record(const std::string& id, bool& cached);
  // Marks `id` no longer running; wakes whoever waits for that.
  void release(const std::string& id);
  // release() for an instance that was in flight.
  void land(const std::string& id);
  // The exception, when it exists and is still open.
  Result<ExceptionRecord, EngineError> open_exception(const std::string& exception_id);
  // Applies `fn` to the instance under its lock and persists the result.
  Result<void, EngineError> mutate(const std::string& id,
                                   const std::function<Result<void, std::string>(InstanceRun&)>& fn);
  // What a transition carries besides the record, for settle() once it is committed.
  struct Pending {
    InstanceRecord next;
    Outbox outbox;
  };
  // The transition that persists what `run` decided since `current`; nullopt when nothing
  // changed.
  std::optional<Transition> transition_for(InstanceRun& run, const InstanceRecord& current,
                                           const WorkflowDefinition& def, Pending& pending);
  // After the commit: metrics and logs, and `current` becomes the new record. False when it
  // was not applied (a revision conflict or a storage error).
  bool settle(const StoreResult<TransitionOutcome>& result, InstanceRecord& current,
              const WorkflowDefinition& def, Pending& pending);
  // Both, waiting for the commit.
  bool persist(InstanceRun& run, InstanceRecord& current, const WorkflowDefinition& def);
  void track(const InstanceRecord& record);
  bool may_run(const std::string& id);
  void thread_loop();
  // An engine thread asleep (sleep()), woken one at a time by wake().
  struct Sleeper {
    std::condition_variable cv;
    bool woken = false;  // by wake(), which counted it awake again
  };
  // Sleeps until woken or `at_most` has passed (caller holds mutex_ through `lock`).
  void sleep(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds at_most);
  // There is work for a thread: wakes one if it needs waking (caller holds mutex_); `all`: every
  // one (stopping).
  void wake(bool all = false);
  bool lock_instance(const std::string& id);
  void unlock_instance(const std::string& id);
  void account(const WorkflowDefinition& def, InstanceStatus before, InstanceStatus after, Outbox& outbox);

  WorkflowStore& store_;
  std::shared_ptr<const WorkflowCatalog> catalog_;
  ActionInvoker& invoker_;
  EngineMetrics& metrics_;
  ClockPtr clock_;
  ExecutorOptions options_;
  JqCache jq_;
  delivery::RandomSource random_;
  std::unique_ptr<GroupCommit<Transition, TransitionOutcome>> committer_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // run_due(): a flight ready or landed
  std::condition_variable idle_cv_;  // mutate(): an instance stopped running
  std::multimap<std::int64_t, std::string> timetable_;  // due → instance
  std::map<std::string, std::int64_t> due_of_;          // instance → its timetable slot
  std::map<std::string, Entry> entries_;                 // every unfinished instance
  std::map<std::pair<std::string, std::string>, std::set<std::int64_t>> key_holders_;
  std::set<std::string> busy_;                           // instances being run right now
  std::deque<FlightPtr> ready_;  // flights whose commit or calls are done
  std::deque<std::shared_ptr<RecentEvent>> recent_events_;  // oldest first
  int in_flight_ = 0;            // instances taken off the timetable and not yet landed
  int awake_ = 0;                // engine threads not asleep, or woken and on their way
  std::vector<Sleeper*> sleepers_;  // engine threads asleep, the last to sleep last
  // Set under mutex_ (the threads wait on it); atomic so that dispatch, which runs once per
  // step, reads it without taking the lock.
  std::atomic<bool> stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace weft::engine
