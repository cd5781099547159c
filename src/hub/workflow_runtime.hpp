#pragma once
// WorkflowRuntime: everything between the event log and the platforms, for the hub — the
// mappings and workflows of the config, the event pipeline that routes raw events, and the
// executor that runs instances. The hub owns one; `weft serve` starts it after storage and
// before the HTTP server, and stops it after ingest has drained.

#include <memory>
#include <string>

#include "config/config.hpp"
#include "engine/executor.hpp"
#include "pipeline/event_pipeline.hpp"
#include "weft/result.hpp"

namespace weft::hub {

class WorkflowRuntime {
 public:
  // Loads and validates the mappings and workflows the config names (every problem as
  // file:line: message) and builds the engine over the given stores and invoker.
  static Result<std::unique_ptr<WorkflowRuntime>, std::string> create(
      const config::Config& config, Store& events, WorkflowStore& workflows, IdentityStore& identity,
      engine::ActionInvoker& invoker, CommitWriter& commit_writer,
      metrics::Registry& registry, metrics::Gauge& events_unprocessed, ClockPtr clock);
  ~WorkflowRuntime();

  // Resumes every unfinished instance, then starts routing events.
  Result<void, std::string> start();
  // Stops routing, then lets running calls finish and stops the workers.
  void stop();
  // Raw events were committed: route them now rather than at the next poll.
  // `count` events were just committed to the log, in one commit.
  void events_committed(std::size_t count = 1) { pipeline_->notify(count); }

  engine::Executor& executor() { return *executor_; }
  const engine::WorkflowCatalog& catalog() const { return *catalog_; }
  const canonical::EventSchemas& schemas() const { return *schemas_; }
  std::size_t workflow_count() const { return catalog_->size(); }
  std::size_t mapping_count() const { return mappings_->size(); }

 private:
  WorkflowRuntime() = default;

  std::shared_ptr<const mapping::MappingSet> mappings_;
  std::shared_ptr<const engine::WorkflowCatalog> catalog_;
  std::shared_ptr<const canonical::EventSchemas> schemas_;
  std::unique_ptr<engine::ActionInvoker> actions_;  // outlives the executor that calls it
  std::unique_ptr<engine::EngineMetrics> engine_metrics_;
  std::unique_ptr<pipeline::PipelineMetrics> pipeline_metrics_;
  std::unique_ptr<pipeline::RawEventRouter> router_;
  std::unique_ptr<engine::Executor> executor_;
  std::unique_ptr<pipeline::EventPipeline> pipeline_;
};

}  // namespace weft::hub
