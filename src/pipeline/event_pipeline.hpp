#pragma once
// EventPipeline: the stage between the event log and the engine. It takes the raw events not
// yet processed, in log order, routes each (RawEventRouter: mapping, triggers), writes what
// they became in one transaction that also marks them processed, and then hands the new
// instances to the executor and the canonical events to instances waiting for them.
//
// Durability: a raw event is marked processed only together with its canonical events,
// instances and exceptions, so a crash at any point leaves it unprocessed and the next start
// routes it again — to the same ids, which the store de-duplicates. An instance written here
// but not yet scheduled when the process dies is found by the executor's start-up recovery.
//
// Wake-ups: ingest calls notify() after each commit, so an event is routed within
// milliseconds; a poll every `poll_interval` also picks up events made unprocessed by
// `weft replay` from another process. During a burst of webhooks (full group commits) it holds
// off, up to `burst_max_deferral` at a time: acknowledging comes first, the log keeps the rest.
// A storage error stops the stage for `retry_delay` and then it tries the same events again;
// nothing is skipped.
//
// Threads: one pipeline thread does all the work (so events are routed in log order);
// notify() may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/executor.hpp"
#include "pipeline/raw_event_router.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"
#include "weft/store.hpp"
#include "weft/workflow_store.hpp"

namespace weft::pipeline {

struct PipelineMetrics {
  PipelineMetrics(metrics::Registry& registry, metrics::Gauge& events_unprocessed);
  metrics::Family<metrics::Counter>& events_routed;  // {connector, outcome}
  metrics::Counter& canonical_events;
  metrics::Histogram& batch_seconds;
  metrics::Gauge& events_unprocessed;  // shared with ingest, which counts them in
};

struct PipelineOptions {
  int batch = 256;  // raw events per transaction
  // How long a batch started by a new event waits for the events right behind it (not when a
  // backlog is being worked off). A steady trickle is then mapped in transactions of many events
  // instead of one commit and fsync each, which at 2,000 webhooks/s took more of the hub's CPU
  // than ingest; mapping starts this much later, the platforms' acks not at all.
  std::chrono::milliseconds linger{5};
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds retry_delay{1000};
  // During a burst (ingest's group commits of at least `burst_commit` events, the last one less
  // than `burst_window` ago) the stage holds off, so that the write lock and the CPU serve the
  // acknowledgements, for at most `burst_max_deferral` before it maps a batch anyway (measured
  // with bench/ingest_bench: docs/benchmarks.md).
  std::size_t burst_commit = 32;
  std::chrono::milliseconds burst_window{100};
  std::chrono::milliseconds burst_max_deferral{1000};
};

class EventPipeline {
 public:
  EventPipeline(Store& events, WorkflowStore& workflows, const RawEventRouter& router, engine::Executor& executor,
                PipelineMetrics& metrics, ClockPtr clock, PipelineOptions options = {});
  ~EventPipeline();
  EventPipeline(const EventPipeline&) = delete;
  EventPipeline& operator=(const EventPipeline&) = delete;

  void start();
  // Finishes the batch in hand, then stops. Unrouted events stay for the next start.
  void stop();
  // New events are in the log: `committed` of them in one commit (ingest's group commit size,
  // which tells a burst from a trickle).
  void notify(std::size_t committed = 1);

  // Routes one batch of unprocessed events on the caller's thread; how many it routed.
  // Tests, and the thread's loop, call it.
  StoreResult<std::size_t> run_once();

 private:
  void loop();
  // Whether to hold off now: a burst of ingest is on and this stage has held off for less than
  // its maximum (the first call of a burst starts that count).
  bool hold_off(std::chrono::steady_clock::time_point now);

  Store& events_;
  WorkflowStore& workflows_;
  const RawEventRouter& router_;
  engine::Executor& executor_;
  PipelineMetrics& metrics_;
  ClockPtr clock_;
  PipelineOptions options_;

  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;  // notified since the last batch was read
  std::size_t last_commit_ = 0;  // events in the latest commit notified
  std::chrono::steady_clock::time_point last_commit_at_;
  std::optional<std::chrono::steady_clock::time_point> holding_off_since_;  // reset by a batch
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft::pipeline
