#include "engine/executor.hpp"

#include <algorithm>
#include <atomic>
#include <future>

#include "core/thread_role.hpp"
#include "delivery/trace_context.hpp"
#include "weft/log.hpp"

namespace weft::engine {

using nlohmann::json;

namespace {
// A record due within this long stays in memory until its instance runs.
constexpr std::int64_t kCacheHorizonMs = 1000;
}  // namespace

EngineMetrics::EngineMetrics(metrics::Registry& r)
    : workflows_total(r.counter("weft_workflows_total", "Workflow instances that ended, by status",
                                {"workflow", "status"})),
      workflows_running(r.gauge("weft_workflows_running", "Workflow instances not yet finished", {"workflow"})),
      step_seconds(r.histogram("weft_step_duration_seconds", "Duration of a call step's attempt",
                               {"workflow", "step"}, metrics::latency_buckets())),
      exceptions_open(r.gauge("weft_exceptions_open", "Open items in the exception workbench", {"class"})),
      tasks_due(r.gauge("weft_tasks_due", "Instances whose next step is due now").get()),
      sla_seconds(r.histogram("weft_sla_seconds", "Time between an SLA's milestones", {"workflow", "sla"},
                              {1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400})),
      sla_breaches(r.counter("weft_sla_breaches_total", "SLAs not met", {"workflow", "sla"})),
      transition_commit_seconds(r.histogram("weft_engine_commit_seconds",
                                            "Duration of one group commit of workflow transitions", {},
                                            metrics::latency_buckets())
                                    .get()),
      transition_batch_size(r.histogram("weft_engine_commit_batch_size",
                                        "Workflow transitions written by one group commit", {},
                                        metrics::batch_size_buckets())
                                .get()),
      transitions_total(r.counter("weft_state_transitions_total", "Workflow transitions persisted").get()) {}

const char* to_string(EngineErrc code) {
  switch (code) {
    case EngineErrc::not_found: return "not_found";
    case EngineErrc::invalid_state: return "invalid_state";
    case EngineErrc::conflict: return "conflict";
    case EngineErrc::storage: return "storage";
  }
  return "unknown";
}

Executor::Executor(WorkflowStore& store, std::shared_ptr<const WorkflowCatalog> catalog, ActionInvoker& invoker,
                   EngineMetrics& metrics, ClockPtr clock, ExecutorOptions options)
    : store_(store), catalog_(std::move(catalog)), invoker_(invoker), metrics_(metrics),
      clock_(std::move(clock)), options_(options),
      random_(delivery::seeded_random(options.random_seed != 0
                                          ? options.random_seed
                                          : static_cast<std::uint64_t>(clock_->unix_millis()))) {
  committer_ = std::make_unique<GroupCommit<Transition, TransitionOutcome>>(
      "engine", [this](std::span<const Transition> batch) { return store_.apply(batch); },
      GroupCommitMetrics{&metrics_.transition_commit_seconds, &metrics_.transition_batch_size}, clock_,
      options_.commit, options_.commit_writer);
}

Executor::~Executor() { stop(); }

Result<void, EngineError> Executor::start(bool threads) {
  auto active = store_.active_instances();
  if (!active) return fail(EngineError{EngineErrc::storage, active.error().message});
  // Every loaded workflow shows in /metrics from the start (at 0), so that an observer (weft
  // scenario verify) can tell a workflow that is loaded but idle from one that is not loaded.
  for (const WorkflowDefinition* def : catalog_->latest_all()) metrics_.workflows_running.with({def->name});
  for (const InstanceRecord& r : *active) schedule(r);
  // The gauge of open exceptions starts from what the workbench holds, page by page.
  ExceptionQuery open_query{ExceptionStatus::open, std::nullopt, std::nullopt, "", 1000};
  for (;;) {
    auto page = store_.query_exceptions(open_query);
    if (!page) return fail(EngineError{EngineErrc::storage, page.error().message});
    for (const auto& e : *page) metrics_.exceptions_open.with({e.failure_class}).add(1);
    if (page->size() < 1000) break;
    open_query.after_id = page->back().id;
  }
  log::info("engine.started", {{"instances_resumed", active->size()}, {"workers", options_.workers}});
  if (threads) {
    const int count = options_.threads > 0
                          ? options_.threads
                          : std::min(options_.workers,
                                     std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency())));
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([this] {
        set_thread_role("engine", ThreadRank::background);
        thread_loop();
      });
    }
  }
  return {};
}

void Executor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake(true);
  }
  idle_cv_.notify_all();
  // The threads leave once every flight has landed: a call in flight ends within its
  // connector's timeout, and its outcome is persisted before the commit thread stops; no
  // flight makes a new call meanwhile (dispatch).
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (committer_) committer_->stop();
}

bool Executor::stopping() const { return stopping_.load(); }

StoreResult<TransitionOutcome> Executor::commit(Transition transition) {
  std::promise<StoreResult<TransitionOutcome>> promise;
  auto future = promise.get_future();
  committer_->submit(std::move(transition),
                     [&promise](StoreResult<TransitionOutcome> r) { promise.set_value(std::move(r)); });
  return future.get();
}

void Executor::exception_opened(const ExceptionRecord& e) { metrics_.exceptions_open.with({e.failure_class}).add(1); }

void Executor::track(const InstanceRecord& r) {
  // Caller holds mutex_.
  const auto key = std::make_pair(r.workflow, r.business_key);
  auto it = entries_.find(r.id);
  if (it != entries_.end() && it->second.gated) {
    auto& holders = key_holders_[key];
    holders.erase(it->second.order_seq);
    if (holders.empty()) key_holders_.erase(key);
  }
  if (is_terminal(r.status)) {
    if (it != entries_.end()) {
      entries_.erase(it);
      metrics_.workflows_running.with({r.workflow}).add(-1);
    }
    return;
  }
  if (it == entries_.end()) {
    it = entries_.emplace(r.id, Entry{r.workflow, r.business_key, r.order_seq, false, std::nullopt}).first;
    metrics_.workflows_running.with({r.workflow}).add(1);
  }
  it->second.gated = r.status == InstanceStatus::running;
  if (it->second.gated) key_holders_[key].insert(r.order_seq);
}

bool Executor::may_run(const std::string& id) {
  // Caller holds mutex_.
  auto it = entries_.find(id);
  if (it == entries_.end()) return true;
  if (!it->second.gated) return true;
  const auto holders = key_holders_.find({it->second.workflow, it->second.key});
  return holders == key_holders_.end() || holders->second.empty() ||
         *holders->second.begin() == it->second.order_seq;
}

void Executor::schedule(const InstanceRecord& record) {
  {
    std::lock_guard lock(mutex_);
    track(record);
    if (auto slot = due_of_.find(record.id); slot != due_of_.end()) {
      for (auto [b, e] = timetable_.equal_range(slot->second); b != e; ++b) {
        if (b->second == record.id) {
          timetable_.erase(b);
          break;
        }
      }
      due_of_.erase(slot);
    }
    if (!is_terminal(record.status) && record.due_at_ms) {
      timetable_.emplace(*record.due_at_ms, record.id);
      due_of_[record.id] = *record.due_at_ms;
      // Kept only when it will run soon, so that instances waiting for days hold no memory,
      // and only when it is a stored revision: a record with revision 0 (a create as handed
      // to the store, which numbers it 1) would fail its first write as a conflict after
      // its call had been made, and the call would be made again.
      if (auto entry = entries_.find(record.id); entry != entries_.end()) {
        if (record.revision > 0 && *record.due_at_ms <= clock_->unix_millis() + kCacheHorizonMs) {
          entry->second.record = record;
        } else {
          entry->second.record.reset();
        }
      }
    }
    // One worker is enough for one instance (or for the one a finished instance stopped
    // holding back by key); a running instance is picked up again by its own worker.
    if (busy_.count(record.id) == 0) wake();
  }
}

// A thread that is awake looks at ready_ and the timetable under mutex_ before it sleeps again,
// so it takes what was queued meanwhile. Waking another for every flight cost a context switch
// per step (the commit thread answers a round's transitions one by one, the outbound loop each
// call): more than a quarter of the hub's context switches. So a thread is woken only when none
// is awake (a woken one counts as awake from the moment it is woken) or when more flights are
// ready than the awake ones get through soon. Each sleeper has its own condition variable, so
// that exactly the one counted awake wakes up. (The outbound loop then hears of calls one at a
// time and wakes for each: its context switches rose by what the engine's fell.)
void Executor::wake(bool all) {
  constexpr std::size_t kReadyPerAwakeThread = 16;
  const auto behind = [this] {
    return ready_.size() > kReadyPerAwakeThread * static_cast<std::size_t>(awake_);
  };
  while (!sleepers_.empty() && (all || awake_ == 0 || behind())) {
    Sleeper* sleeper = sleepers_.back();
    sleepers_.pop_back();
    sleeper->woken = true;
    ++awake_;
    // Under mutex_: the sleeper cannot return (and take its condition variable with it) before
    // this thread lets go of the lock.
    sleeper->cv.notify_one();
    if (!all) return;
  }
  // run_due() waits on its own (no engine threads then).
  if (all) {
    work_cv_.notify_all();
  } else if (awake_ == 0) {
    work_cv_.notify_one();
  }
}

void Executor::sleep(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds at_most) {
  Sleeper me;
  sleepers_.push_back(&me);
  --awake_;
  me.cv.wait_for(lock, at_most, [&] { return me.woken; });
  if (!me.woken) {  // the time is up: it counts itself awake again
    std::erase(sleepers_, &me);
    ++awake_;
  }
}

std::optional<InstanceRecord> Executor::take_record(const std::string& id, bool& cached) {
  {
    std::lock_guard lock(mutex_);
    if (auto entry = entries_.find(id); entry != entries_.end() && entry->second.record) {
      std::optional<InstanceRecord> record = std::move(entry->second.record);
      entry->second.record.reset();
      cached = true;
      return record;
    }
  }
  cached = false;
  auto loaded = store_.load_instance(id);
  if (!loaded || !loaded->has_value()) {
    log::error("engine.load_failed", {{"instance", id}, {"error", loaded ? "not found" : loaded.error().message}});
    return std::nullopt;
  }
  return std::move(**loaded);
}

void Executor::release(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    busy_.erase(id);
  }
  idle_cv_.notify_all();  // no system call when nobody waits
}

std::optional<std::int64_t> Executor::next_due() const {
  std::lock_guard lock(mutex_);
  if (timetable_.empty()) return std::nullopt;
  return timetable_.begin()->first;
}

std::string Executor::take_due(std::int64_t now, std::int64_t* due_seen) {
  for (auto it = timetable_.begin(); it != timetable_.end() && it->first <= now; ++it) {
    if (due_seen != nullptr) ++*due_seen;
    if (busy_.count(it->second) == 0 && may_run(it->second)) {
      std::string id = it->second;
      due_of_.erase(id);
      timetable_.erase(it);
      busy_.insert(id);
      ++in_flight_;
      return id;
    }
  }
  return {};
}

bool Executor::resume_ready(std::unique_lock<std::mutex>& lock) {
  if (ready_.empty()) return false;
  FlightPtr flight = std::move(ready_.front());
  ready_.pop_front();
  lock.unlock();
  resume(std::move(flight));
  lock.lock();
  return true;
}

int Executor::run_due() {
  int runs = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (resume_ready(lock)) continue;
    if (in_flight_ > 0) {
      // One instance at a time: the next starts when this one has landed.
      work_cv_.wait(lock, [this] { return !ready_.empty() || in_flight_ == 0; });
      continue;
    }
    std::string id = take_due(clock_->unix_millis(), nullptr);
    if (id.empty()) return runs;
    ++runs;
    lock.unlock();
    begin(id);
    lock.lock();
  }
}

void Executor::thread_loop() {
  std::unique_lock lock(mutex_);
  ++awake_;
  for (;;) {
    // Flights that can go on come first: they hold their key and a place among `workers`.
    if (resume_ready(lock)) continue;
    if (stopping_) {
      if (in_flight_ == 0) {
        --awake_;
        return;
      }
      sleep(lock, std::chrono::milliseconds(200));
      continue;
    }
    const std::int64_t now = clock_->unix_millis();
    std::int64_t due_seen = 0;
    std::string id = in_flight_ < options_.workers ? take_due(now, &due_seen) : std::string();
    metrics_.tasks_due.set(static_cast<double>(due_seen));
    if (id.empty()) {
      // Sleep until the next due time or a notification; capped so a wall-clock jump is
      // noticed. Instances already due but held back (running, or behind another of their
      // key) do not count: they become runnable only when an instance lands, which
      // notifies. Counting them made every idle thread wake each millisecond while one key
      // had a queue.
      std::int64_t wait_ms = 200;
      if (auto next = timetable_.upper_bound(now); next != timetable_.end()) {
        wait_ms = std::clamp<std::int64_t>(next->first - now, 1, 200);
      }
      sleep(lock, std::chrono::milliseconds(wait_ms));
      continue;
    }
    lock.unlock();
    begin(id);
    lock.lock();
  }
}

void Executor::account(const WorkflowDefinition& def, InstanceStatus before, InstanceStatus after, Outbox& outbox) {
  for (const auto& t : outbox.step_durations) metrics_.step_seconds.with({def.name, t.step}).observe(t.seconds);
  for (const auto& s : outbox.slas) {
    if (s.finished) metrics_.sla_seconds.with({def.name, s.sla}).observe(s.seconds);
    if (s.breached && !s.breach_known) {
      metrics_.sla_breaches.with({def.name, s.sla}).inc();
      log::warn("sla.breached", {{"workflow", def.name}, {"sla", s.sla}, {"seconds", s.seconds}});
    }
  }
  for (const auto& e : outbox.exceptions) metrics_.exceptions_open.with({e.failure_class}).add(1);
  if (before != after && is_terminal(after)) metrics_.workflows_total.with({def.name, to_string(after)}).inc();
}

std::optional<Transition> Executor::transition_for(InstanceRun& run, const InstanceRecord& current,
                                                   const WorkflowDefinition& def, Pending& pending) {
  pending.next = run.record();
  pending.outbox = run.take_outbox();
  const InstanceRecord& next = pending.next;
  if (pending.outbox.empty() && next.status == current.status && next.state_json == current.state_json &&
      next.cursor_json == current.cursor_json && next.due_at_ms == current.due_at_ms) {
    return std::nullopt;  // nothing to write
  }
  pending.next.updated_at_ms = clock_->unix_millis();
  Transition t;
  t.expected_revision = current.revision;
  t.update = pending.next;
  t.history = pending.outbox.history;
  t.open_exceptions = pending.outbox.exceptions;
  t.upsert_approvals = pending.outbox.approvals;
  t.event_waits = pending.outbox.event_waits;
  for (const SlaObservation& s : pending.outbox.slas) {
    t.sla_outcomes.push_back({current.id, def.name, s.sla, current.business_key, s.from_ms, s.at_ms, s.breached,
                              s.finished ? std::optional<std::int64_t>(s.at_ms) : std::nullopt});
  }
  return t;
}

bool Executor::settle(const StoreResult<TransitionOutcome>& result, InstanceRecord& current,
                      const WorkflowDefinition& def, Pending& pending) {
  if (!result || *result != TransitionOutcome::applied) {
    log::warn("engine.persist_failed", {{"instance", current.id},
                                        {"trace_id", delivery::trace_id_for(current.correlation_id, current.id)},
                                        {"error", result ? std::string("revision conflict") : result.error().message},
                                        {"correlation_id", current.correlation_id}});
    return false;
  }
  InstanceRecord& next = pending.next;
  const Outbox& outbox = pending.outbox;
  metrics_.transitions_total.inc();
  account(def, current.status, next.status, pending.outbox);
  if (current.status != next.status && is_terminal(next.status)) {
    log::info("workflow.finished", {{"workflow", def.name}, {"instance", current.id},
                                    {"status", to_string(next.status)}, {"correlation_id", current.correlation_id},
                                    {"trace_id", delivery::trace_id_for(current.correlation_id, current.id)}});
  }
  for (const auto& e : outbox.exceptions) {
    log::warn("workflow.exception", {{"workflow", def.name}, {"instance", current.id}, {"step", e.step_id},
                                     {"class", e.failure_class}, {"reason", e.reason},
                                     {"correlation_id", current.correlation_id},
                                     {"trace_id", delivery::trace_id_for(current.correlation_id, current.id)}});
  }
  next.revision = current.revision + 1;
  current = std::move(next);
  return true;
}

bool Executor::persist(InstanceRun& run, InstanceRecord& current, const WorkflowDefinition& def) {
  Pending pending;
  std::optional<Transition> t = transition_for(run, current, def, pending);
  if (!t) return true;
  return settle(commit(std::move(*t)), current, def, pending);
}

// One instance's run while it is in flight (see the header).
struct Executor::Flight {
  enum class Stage { committing, calling };
  std::string id;
  bool cached = false;  // its record came from memory, not the store
  InstanceRecord current;
  const WorkflowDefinition* def = nullptr;
  std::unique_ptr<InstanceRun> run;
  int round = 0;
  std::vector<CallPlan> plans;  // the calls due once the transition is committed
  Stage stage = Stage::committing;
  Pending pending;
  std::optional<StoreResult<TransitionOutcome>> committed;
  std::vector<ActionOutcome> outcomes;
  std::vector<double> seconds;
  std::atomic<std::size_t> calls_left{0};
  std::optional<std::vector<EventWaitRecord>> armed;  // its waits, as last committed
};

namespace {
// Rounds of advance → persist → call in one run, so that a workflow that loops forever
// without waiting cannot keep its key (and a place among `workers`) for ever.
constexpr int kMaxRounds = 1000;
// How long, and how many, awaited events are kept for waits committed just after them.
constexpr std::int64_t kRecentEventsForMs = 60'000;
constexpr std::size_t kRecentEventsAtMost = 10'000;
}  // namespace

void Executor::post(FlightPtr flight) {
  std::lock_guard lock(mutex_);
  ready_.push_back(std::move(flight));
  wake();
}

void Executor::land(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    busy_.erase(id);
    --in_flight_;
    // run_due() and stop() wait for flights to land; a thread held back by `workers` (or by this
    // instance's key) may go on; once stopping, every thread waits for the last one.
    wake(stopping_ && in_flight_ == 0);
  }
  idle_cv_.notify_all();  // no system call when nobody waits
}

void Executor::begin(const std::string& id) {
  auto flight = std::make_shared<Flight>();
  flight->id = id;
  auto taken = take_record(id, flight->cached);
  if (!taken) return land(id);
  flight->current = std::move(*taken);
  if (is_terminal(flight->current.status)) {
    {
      std::lock_guard lock(mutex_);
      track(flight->current);
    }
    return land(id);
  }
  flight->def = catalog_->find(flight->current.workflow, flight->current.version);
  if (flight->def == nullptr) {
    log::error("engine.definition_missing", {{"instance", id}, {"workflow", flight->current.workflow},
                                             {"version", flight->current.version}});
    return land(id);
  }
  flight->run = std::make_unique<InstanceRun>(*flight->def, jq_, flight->current);
  if (!flight->run->valid()) {
    log::error("engine.instance_unreadable", {{"instance", id}, {"error", flight->run->error()}});
    return land(id);
  }
  advance(std::move(flight));
}

void Executor::advance(FlightPtr flight) {
  Flight& f = *flight;
  f.plans = f.run->advance(clock_->unix_millis());
  // Everything decided so far is persisted before any platform is called.
  std::optional<Transition> t = transition_for(*f.run, f.current, *f.def, f.pending);
  if (!t) return dispatch(std::move(flight));
  f.stage = Flight::Stage::committing;
  committer_->submit(std::move(*t), [this, flight](StoreResult<TransitionOutcome> r) mutable {
    flight->committed = std::move(r);
    post(std::move(flight));
  });
}

void Executor::resume(FlightPtr flight) {
  Flight& f = *flight;
  if (f.stage == Flight::Stage::calling) return called(std::move(flight));
  if (!settle(*f.committed, f.current, *f.def, f.pending)) {
    // Someone else changed the instance meanwhile (an approval, a retry): run it again from
    // what is stored. A record from memory that turned out stale runs again at once.
    auto fresh = store_.load_instance(f.id);
    if (fresh && fresh->has_value()) {
      InstanceRecord r = **fresh;
      if (!is_terminal(r.status)) r.due_at_ms = clock_->unix_millis() + (f.cached ? 0 : 100);
      schedule(r);
    }
    return land(f.id);
  }
  if (f.pending.outbox.event_waits) f.armed = f.pending.outbox.event_waits;
  dispatch(std::move(flight));
}

void Executor::dispatch(FlightPtr flight) {
  Flight& f = *flight;
  if (f.plans.empty()) return finish(std::move(flight));
  // Stopping: no new effects. Everything that led here is persisted, or is the instance's
  // creation (a first call needs nothing more): the next start makes these calls, as after a
  // crash, with the same idempotency keys.
  if (stopping()) return finish(std::move(flight));
  const std::size_t n = f.plans.size();
  f.outcomes.assign(n, ActionOutcome{});
  f.seconds.assign(n, 0.0);
  f.calls_left.store(n);
  f.stage = Flight::Stage::calling;
  // Parallel branches call their platforms at the same time. Once the last call is handed
  // over, the flight may already be going on elsewhere: nothing here touches it after that.
  for (std::size_t i = 0; i < n; ++i) {
    ActionRequest request;
    request.connector = f.plans[i].action.connector;
    request.action = f.plans[i].action.action;
    request.input = f.plans[i].input;
    request.idempotency_key = f.plans[i].idempotency_key;
    request.correlation_id = f.current.correlation_id;
    request.instance_id = f.current.id;
    request.step_id = f.plans[i].step_id;
    // One trace per instance (its id derives from the correlation id), a span per attempt.
    request.traceparent = delivery::outbound_traceparent(request);
    const auto started = clock_->monotonic();
    invoker_.invoke_async(request, [this, flight, i, started](ActionOutcome outcome) {
      flight->outcomes[i] = std::move(outcome);
      flight->seconds[i] = std::chrono::duration<double>(clock_->monotonic() - started).count();
      if (flight->calls_left.fetch_sub(1) == 1) post(flight);
    });
  }
}

void Executor::called(FlightPtr flight) {
  Flight& f = *flight;
  const std::int64_t after = clock_->unix_millis();
  for (std::size_t i = 0; i < f.plans.size(); ++i) {
    if (const auto* success = std::get_if<ActionSuccess>(&f.outcomes[i])) {
      f.run->complete_call(f.plans[i], success->output, after, f.seconds[i]);
    } else if (const auto* failure = std::get_if<delivery::Failure>(&f.outcomes[i])) {
      f.run->fail_call(f.plans[i], *failure, after, random_);
    } else {
      const auto& deferred = std::get<Deferred>(f.outcomes[i]);
      f.run->defer_call(f.plans[i], deferred.wait, after, deferred.reason);
    }
  }
  if (++f.round >= kMaxRounds) return finish(std::move(flight));
  advance(std::move(flight));
}

void Executor::finish(FlightPtr flight) {
  schedule(flight->current);
  std::vector<std::pair<EventWaitRecord, CanonicalEventRecord>> missed;
  if (flight->armed && !flight->armed->empty() &&
      flight->current.status == InstanceStatus::waiting) {
    missed = claim(flight->current, *flight->armed);
  }
  land(flight->id);
  // After land(): handing over runs the instance again (mutate), which waits until it is free.
  for (const auto& [wait, event] : missed) {
    hand_over(wait, event, json::parse(event.json, nullptr, false));
  }
}

Result<void, EngineError> Executor::mutate(const std::string& id,
                                           const std::function<Result<void, std::string>(InstanceRun&)>& fn) {
  {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [&] { return busy_.count(id) == 0; });
    busy_.insert(id);
    // What this changes is persisted before it is scheduled again; a worker that takes the
    // instance in between must read the store, not a record from before the change.
    if (auto entry = entries_.find(id); entry != entries_.end()) entry->second.record.reset();
  }
  auto done = [&] { release(id); };
  auto loaded = store_.load_instance(id);
  if (!loaded) {
    done();
    return fail(EngineError{EngineErrc::storage, loaded.error().message});
  }
  if (!loaded->has_value()) {
    done();
    return fail(EngineError{EngineErrc::not_found, "no workflow instance " + id});
  }
  InstanceRecord current = std::move(**loaded);
  const WorkflowDefinition* def = catalog_->find(current.workflow, current.version);
  if (def == nullptr) {
    done();
    return fail(EngineError{EngineErrc::invalid_state, "workflow " + current.workflow + " version " +
                                                           std::to_string(current.version) + " is not loaded"});
  }
  InstanceRun run(*def, jq_, current);
  if (auto changed = fn(run); !changed) {
    done();
    return fail(EngineError{EngineErrc::invalid_state, changed.error()});
  }
  const bool ok = persist(run, current, *def);
  done();
  if (!ok) return fail(EngineError{EngineErrc::conflict, "the instance changed meanwhile; try again"});
  if (!is_terminal(current.status)) current.due_at_ms = clock_->unix_millis();
  schedule(current);
  return {};
}

Result<void, EngineError> Executor::decide(const std::string& approval_id, bool approved, const std::string& by,
                                           const std::string& comment) {
  auto approval = store_.load_approval(approval_id);
  if (!approval) return fail(EngineError{EngineErrc::storage, approval.error().message});
  if (!approval->has_value()) return fail(EngineError{EngineErrc::not_found, "no approval " + approval_id});
  ApprovalRecord a = **approval;
  if (a.status != "pending") return fail(EngineError{EngineErrc::invalid_state, "approval " + approval_id + " is " + a.status});
  if (!a.requested_by.empty() && a.requested_by == by) {
    return fail(EngineError{EngineErrc::invalid_state, "four-eyes: " + by + " requested this and cannot approve it"});
  }
  const std::int64_t now = clock_->unix_millis();
  return mutate(a.instance_id, [&](InstanceRun& run) { return run.decide(a.step_id, approved, by, comment, now); });
}

void Executor::deliver(const CanonicalEventRecord& event) {
  // Most events are awaited by no workflow: then no instance can be waiting for them.
  if (!catalog_->awaited(event.type)) return;
  // Remembered before the waits are read: a wait committed after that read ends its flight
  // after this, and claim() then finds the event. Each instance gets it once, from here or
  // from claim(), whichever marks it first.
  std::shared_ptr<RecentEvent> recent;
  {
    std::lock_guard lock(mutex_);
    recent = remember(event, clock_->unix_millis());
  }
  auto waits = store_.event_waits(event.type, event.business_key);
  if (!waits) {
    log::error("engine.event_waits_failed", {{"error", waits.error().message}, {"event_id", event.id}});
    return;
  }
  if (waits->empty()) return;
  const json parsed = json::parse(event.json, nullptr, false);
  for (const EventWaitRecord& w : *waits) {
    {
      std::lock_guard lock(mutex_);
      if (!recent->taken_by.insert(w.instance_id).second) continue;  // claimed meanwhile
    }
    hand_over(w, event, parsed);
  }
}

void Executor::hand_over(const EventWaitRecord& w, const CanonicalEventRecord& event,
                         const json& parsed) {
  bool matched = false;
  auto r = mutate(w.instance_id, [&](InstanceRun& run) -> Result<void, std::string> {
    auto delivered = run.deliver_event(w.step_id, parsed, clock_->unix_millis());
    if (!delivered) return fail(delivered.error());
    matched = *delivered;
    return {};
  });
  if (!r && r.error().code != EngineErrc::invalid_state) {
    log::warn("engine.deliver_failed",
              {{"instance", w.instance_id}, {"event_id", event.id}, {"error", r.error().message}});
  } else if (matched) {
    log::info("engine.event_delivered",
              {{"instance", w.instance_id}, {"step", w.step_id}, {"event_id", event.id}});
  }
}

std::shared_ptr<Executor::RecentEvent> Executor::remember(const CanonicalEventRecord& event,
                                                          std::int64_t now_ms) {
  while (!recent_events_.empty() && (recent_events_.size() >= kRecentEventsAtMost ||
                                     recent_events_.front()->at_ms < now_ms - kRecentEventsForMs)) {
    recent_events_.pop_front();
  }
  recent_events_.push_back(std::make_shared<RecentEvent>(RecentEvent{event, now_ms, {}}));
  return recent_events_.back();
}

std::vector<std::pair<EventWaitRecord, CanonicalEventRecord>> Executor::claim(
    const InstanceRecord& instance, const std::vector<EventWaitRecord>& waits) {
  std::vector<std::pair<EventWaitRecord, CanonicalEventRecord>> out;
  std::lock_guard lock(mutex_);
  const std::int64_t since = clock_->unix_millis() - kRecentEventsForMs;
  for (const std::shared_ptr<RecentEvent>& recent : recent_events_) {
    const CanonicalEventRecord& e = recent->event;
    if (recent->at_ms < since || e.order_seq <= instance.order_seq ||
        recent->taken_by.count(instance.id) != 0) {
      continue;
    }
    for (const EventWaitRecord& w : waits) {
      if (w.event_type != e.type || w.business_key != e.business_key) continue;
      EventWaitRecord mine = w;
      mine.instance_id = instance.id;
      out.emplace_back(std::move(mine), e);
      recent->taken_by.insert(instance.id);
      break;
    }
  }
  return out;
}

Result<ExceptionRecord, EngineError> Executor::open_exception(const std::string& exception_id) {
  auto loaded = store_.load_exception(exception_id);
  if (!loaded) return fail(EngineError{EngineErrc::storage, loaded.error().message});
  if (!loaded->has_value()) return fail(EngineError{EngineErrc::not_found, "no exception " + exception_id});
  if ((*loaded)->status != ExceptionStatus::open) {
    return fail(EngineError{EngineErrc::invalid_state,
                            "exception " + exception_id + " is " + to_string((*loaded)->status)});
  }
  return **loaded;
}

Result<void, EngineError> Executor::retry(const std::string& exception_id, const std::optional<json>& input,
                                          const std::string& by) {
  auto open = open_exception(exception_id);
  if (!open) return fail(open.error());
  const ExceptionRecord& e = *open;
  if (e.instance_id.empty()) {
    return fail(EngineError{EngineErrc::invalid_state,
                            "exception " + exception_id + " has no workflow instance to retry; replay its event"});
  }
  const std::int64_t now = clock_->unix_millis();
  if (auto r = mutate(e.instance_id, [&](InstanceRun& run) { return run.retry(input, by, now); }); !r) return r;
  auto resolved = store_.resolve_exception(exception_id, ExceptionStatus::retried, by,
                                           input ? "retried with an edited input" : "retried", now);
  if (resolved && *resolved) metrics_.exceptions_open.with({e.failure_class}).add(-1);
  return {};
}

Result<void, EngineError> Executor::discard(const std::string& exception_id, const std::string& reason,
                                            const std::string& by) {
  auto open = open_exception(exception_id);
  if (!open) return fail(open.error());
  const ExceptionRecord& e = *open;
  if (reason.empty()) return fail(EngineError{EngineErrc::invalid_state, "a discard needs a reason"});
  const std::int64_t now = clock_->unix_millis();
  if (!e.instance_id.empty()) {
    if (auto r = mutate(e.instance_id, [&](InstanceRun& run) { return run.discard(reason, by, now); }); !r) return r;
  }
  auto resolved = store_.resolve_exception(exception_id, ExceptionStatus::discarded, by, reason, now);
  if (!resolved) return fail(EngineError{EngineErrc::storage, resolved.error().message});
  if (*resolved) metrics_.exceptions_open.with({e.failure_class}).add(-1);
  return {};
}

}  // namespace weft::engine
