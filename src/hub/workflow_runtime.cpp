#include "hub/workflow_runtime.hpp"

#include "engine/workflow_catalog.hpp"
#include "hub/identity_actions.hpp"
#include "identity/resolver.hpp"
#include "mapping/mapping_set.hpp"

namespace weft::hub {

WorkflowRuntime::~WorkflowRuntime() { stop(); }

Result<std::unique_ptr<WorkflowRuntime>, std::string> WorkflowRuntime::create(
    const config::Config& config, Store& events, WorkflowStore& workflows, IdentityStore& identity,
    engine::ActionInvoker& invoker, CommitWriter& commit_writer,
    metrics::Registry& registry, metrics::Gauge& events_unprocessed, ClockPtr clock) {
  std::unique_ptr<WorkflowRuntime> r(new WorkflowRuntime());
  // Without a mappings_dir every event is an exception ("no mapping"), which is what an
  // operator who has not written mappings yet should see; the same for workflows.
  if (config.mappings_dir) {
    auto set = mapping::MappingSet::load_dir(*config.mappings_dir);
    if (!set) return fail("mappings: " + config::format_errors(set.error()));
    r->mappings_ = std::make_shared<mapping::MappingSet>(std::move(*set));
  } else {
    r->mappings_ = std::make_shared<mapping::MappingSet>();
  }
  if (config.workflows_dir) {
    auto catalog = engine::WorkflowCatalog::load(*config.workflows_dir, engine::validation_options(config));
    if (!catalog) return fail("workflows: " + config::format_errors(catalog.error()));
    r->catalog_ = std::make_shared<engine::WorkflowCatalog>(std::move(*catalog));
  } else {
    r->catalog_ = std::make_shared<engine::WorkflowCatalog>();
  }

  auto schemas = canonical::EventSchemas::load(config.schemas_dir);
  if (!schemas) return fail("schemas: " + config::format_errors(schemas.error()));

  std::map<std::string, std::string, std::less<>> types;
  for (const auto& [name, connector] : config.connectors) types.emplace(name, connector.type);
  auto event_schemas = std::make_shared<const canonical::EventSchemas>(std::move(*schemas));
  r->schemas_ = event_schemas;
  auto resolver = std::make_shared<const identity::Resolver>(identity, config.identity);
  r->router_ = std::make_unique<pipeline::RawEventRouter>(
      r->mappings_, r->catalog_, std::move(types), event_schemas,
      std::make_shared<const pipeline::IdentityStage>(std::move(resolver), event_schemas));
  r->engine_metrics_ = std::make_unique<engine::EngineMetrics>(registry);
  r->pipeline_metrics_ = std::make_unique<pipeline::PipelineMetrics>(registry, events_unprocessed);
  engine::ExecutorOptions options;
  options.workers = config.engine.workers;
  options.commit = GroupCommitOptions{config.engine.max_batch, config.engine.max_queue};
  options.commit_writer = &commit_writer;
  // Steps reach the platforms, and `identity.*` calls the identity store (read-only).
  r->actions_ = std::make_unique<IdentityActions>(invoker, identity);
  r->executor_ = std::make_unique<engine::Executor>(workflows, r->catalog_, *r->actions_, *r->engine_metrics_, clock,
                                                    options);
  r->pipeline_ = std::make_unique<pipeline::EventPipeline>(events, workflows, *r->router_, *r->executor_,
                                                           *r->pipeline_metrics_, clock);
  return r;
}

Result<void, std::string> WorkflowRuntime::start() {
  if (auto started = executor_->start(); !started) return fail("engine: " + started.error().message);
  pipeline_->start();
  return {};
}

void WorkflowRuntime::stop() {
  if (pipeline_) pipeline_->stop();
  if (executor_) executor_->stop();
}

}  // namespace weft::hub
