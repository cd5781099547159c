#include "pipeline/event_pipeline.hpp"

#include "core/thread_role.hpp"
#include "delivery/trace_context.hpp"
#include "weft/log.hpp"

namespace weft::pipeline {

PipelineMetrics::PipelineMetrics(metrics::Registry& r, metrics::Gauge& unprocessed)
    : events_routed(r.counter("weft_events_routed_total",
                              "Raw events routed by the pipeline, by what they became (routed, ignored, exception)",
                              {"connector", "outcome"})),
      canonical_events(r.counter("weft_canonical_events_total", "Canonical events produced by mappings").get()),
      batch_seconds(r.histogram("weft_pipeline_batch_seconds",
                                "Duration of routing and durably recording one batch of raw events", {},
                                metrics::latency_buckets())
                        .get()),
      events_unprocessed(unprocessed) {}

EventPipeline::EventPipeline(Store& events, WorkflowStore& workflows, const RawEventRouter& router,
                             engine::Executor& executor, PipelineMetrics& metrics, ClockPtr clock,
                             PipelineOptions options)
    : events_(events), workflows_(workflows), router_(router), executor_(executor), metrics_(metrics),
      clock_(std::move(clock)), options_(options) {}

EventPipeline::~EventPipeline() { stop(); }

void EventPipeline::start() {
  stopping_ = false;
  pending_ = true;  // whatever a previous run left unprocessed
  thread_ = std::thread([this] {
    set_thread_role("pipeline", ThreadRank::background);
    loop();
  });
}

void EventPipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventPipeline::notify(std::size_t committed) {
  {
    std::lock_guard lock(mutex_);
    pending_ = true;
    last_commit_ = committed;
    last_commit_at_ = std::chrono::steady_clock::now();
  }
  cv_.notify_one();
}

bool EventPipeline::hold_off(std::chrono::steady_clock::time_point now) {
  const bool burst =
      last_commit_ >= options_.burst_commit && now - last_commit_at_ < options_.burst_window;
  if (!burst) return false;
  if (!holding_off_since_) holding_off_since_ = now;
  return now - *holding_off_since_ < options_.burst_max_deferral;
}

void EventPipeline::loop() {
  std::unique_lock lock(mutex_);
  bool backlog = true;  // whatever a previous run left: no lingering for it
  while (!stopping_) {
    const bool polled =
        !pending_ && !cv_.wait_for(lock, options_.poll_interval, [this] { return pending_ || stopping_; });
    if (stopping_) break;
    if (!polled && !backlog && options_.linger.count() > 0) {
      cv_.wait_for(lock, options_.linger, [this] { return stopping_; });
      if (stopping_) break;
    }
    if (const auto now = std::chrono::steady_clock::now(); hold_off(now)) {
      // Look again when the burst may be over or the deferral is up, whichever comes first.
      const std::chrono::steady_clock::duration deferral_left =
          options_.burst_max_deferral - (now - *holding_off_since_);
      cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(options_.burst_window, deferral_left),
                   [this] { return stopping_; });
      pending_ = true;  // what is waiting is still there
      continue;
    }
    pending_ = false;
    holding_off_since_.reset();
    lock.unlock();
    if (polled) {
      // Idle: count afresh (cheap with no backlog), which also takes in events another
      // process made unprocessed (weft replay) that ingest never counted.
      if (auto left = events_.count_unprocessed()) metrics_.events_unprocessed.set(static_cast<double>(*left));
    }
    auto routed = run_once();
    backlog = routed && *routed == static_cast<std::size_t>(options_.batch);
    lock.lock();
    if (!routed) {
      log::error("pipeline.batch_failed", {{"error", routed.error().message}});
      cv_.wait_for(lock, options_.retry_delay, [this] { return stopping_; });
      pending_ = true;
    } else if (*routed == static_cast<std::size_t>(options_.batch)) {
      pending_ = true;  // a full batch: more may be waiting
    }
  }
}

StoreResult<std::size_t> EventPipeline::run_once() {
  // The batch's reads (the batch itself, then the identity lookups of each event) on one
  // snapshot, ended before the batch is written.
  auto snapshot = events_.read_snapshot();
  RawEventQuery query;
  query.processed = false;
  query.limit = options_.batch;
  auto batch = events_.query_raw_events(query);
  if (!batch) return fail(batch.error());
  if (batch->empty()) return std::size_t{0};

  const auto started = clock_->monotonic();
  const std::int64_t now = clock_->unix_millis();
  std::vector<MappingRecord> records;
  std::vector<RouteSummary> summaries;
  records.reserve(batch->size());
  summaries.reserve(batch->size());
  IdentityWrites identity;  // the batch's: each event sees what the ones before it resolved
  for (const RawEvent& raw : *batch) {
    Routed routed = router_.route(raw, now, &identity);
    if (routed.error) return fail(std::move(*routed.error));  // nothing written: the batch runs again
    records.push_back(std::move(routed.record));
    summaries.push_back(routed.summary);
  }
  snapshot.reset();
  auto outcomes = workflows_.record_mappings(records, identity, now);
  if (!outcomes) return fail(outcomes.error());

  metrics_.batch_seconds.observe(std::chrono::duration<double>(clock_->monotonic() - started).count());
  metrics_.events_unprocessed.add(-static_cast<double>(batch->size()));
  for (std::size_t i = 0; i < records.size(); ++i) {
    const RawEvent& raw = (*batch)[i];
    metrics_.events_routed.with({raw.connector, to_string(summaries[i].outcome)}).inc();
    metrics_.canonical_events.inc(static_cast<double>(records[i].events.size()));
    const auto& started_outcomes = (*outcomes)[i];
    for (std::size_t s = 0; s < records[i].starts.size() && s < started_outcomes.size(); ++s) {
      const Transition& t = records[i].starts[s];
      if (started_outcomes[s] != TransitionOutcome::applied) continue;
      if (t.create) {
        InstanceRecord created = *t.create;
        created.revision = 1;  // every store writes a created instance at revision 1
        executor_.schedule(created);
        log::info("workflow.started", {{"workflow", t.create->workflow}, {"instance", t.create->id},
                                       {"key", t.create->business_key}, {"trigger_event", t.create->trigger_event_id},
                                       {"correlation_id", t.create->correlation_id},
                                       {"trace_id", delivery::trace_id_for(t.create->correlation_id, t.create->id)}});
      }
      for (const ExceptionRecord& e : t.open_exceptions) {
        executor_.exception_opened(e);
        log::warn("event.exception", {{"connector", raw.connector}, {"event_id", raw.event_id},
                                      {"class", e.failure_class}, {"reason", e.reason},
                                      {"correlation_id", raw.correlation_id}});
      }
    }
    // Instances may be waiting for these (a `wait: event:` step).
    for (const CanonicalEventRecord& event : records[i].events) executor_.deliver(event);
  }
  return batch->size();
}

}  // namespace weft::pipeline
