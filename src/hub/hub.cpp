#include "hub/hub.hpp"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/api_server.hpp"
#include "api/endpoints/endpoints.hpp"
#include "api/openapi.hpp"
#include "api/overview.hpp"
#include "console/console_routes.hpp"
#include "connectors/inbound_registry.hpp"
#include "core/worker_pool.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "hub/hub_tls.hpp"
#include "hub/workflow_runtime.hpp"
#include "delivery/delivery_invoker.hpp"
#include "ingest/webhook_ingest.hpp"
#include "pollers/poll_sources.hpp"
#include "reconcile/reconciler.hpp"
#include "slo/slo_service.hpp"
#include "slo/slo_validation.hpp"
#include "weft/log.hpp"
#include "weft/metrics.hpp"
#include "weft/workflow_store.hpp"

namespace weft::hub {

struct Hub::Impl {
  config::Config config;
  ClockPtr clock;
  metrics::Registry registry;
  ingest::IngestMetrics ingest_metrics{registry};
  StorePtr store;
  std::unique_ptr<WorkflowStore> workflow_store;
  IdentityStorePtr identity_store;
  ApiStorePtr api_store;
  AlertStorePtr alert_store;
  ReconciliationStorePtr reconciliation_store;
  // Makes ingest's raw events and the engine's transitions durable, sharing one commit per
  // round between them (store/commit_writer.hpp); outlives both.
  std::unique_ptr<CommitWriter> commit_writer;
  std::unique_ptr<engine::ActionInvoker> invoker;
  delivery::DeliveryInvoker* delivery_invoker = nullptr;  // `invoker`, for its connectors' health
  std::unique_ptr<WorkflowRuntime> runtime;
  std::unique_ptr<slo::SloService> slos;  // SLOs and alerts: reads the engine's records
  // Billing-vs-ERP reconciliation (POST /v1/reconciliations): reads through `invoker`.
  std::unique_ptr<reconcile::Reconciler> reconciler;
  std::unique_ptr<reconcile::ReconcileService> reconcile;
  std::unique_ptr<ingest::RawEventCommitter> committer;
  ingest::ConnectorMap connectors;
  std::unique_ptr<pollers::Poller> poller;  // backfill polls, fed through `committer`
  std::unique_ptr<ingest::WebhookIngest> webhooks;
  // Storage reads for endpoints run here, never on network threads.
  WorkerPool blocking{"blocking", 2, 1024};
  std::unique_ptr<api::OverviewSource> overview;  // GET /v1/overview
  std::unique_ptr<api::ApiServices> api_services;
  std::unique_ptr<api::ApiServer> api;  // /v1
  http::Router router;
  std::unique_ptr<http::Server> server;

  void add_ops_routes();
  void add_api_routes();
  void add_console_routes();
};

Hub::Hub(config::Config config, ClockPtr clock) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->clock = std::move(clock);
}

Hub::~Hub() { stop(); }

void Hub::Impl::add_ops_routes() {
  router.add("GET", "/healthz", [](http::Request, const http::PathParams&, http::Responder respond) {
    respond(http::json_response(200, R"({"status":"ok"})"));
  });
  router.add("GET", "/readyz", [this](http::Request request, const http::PathParams&,
                                      http::Responder respond) {
    auto check = [this, request, respond]() {
      auto status = store->schema_status();
      if (!status) {
        return respond(http::problem(503, "not-ready", "Not ready",
                                     "storage: " + status.error().message, request));
      }
      if (!status->up_to_date()) {
        return respond(http::problem(
            503, "not-ready", "Not ready",
            "storage schema is at version " + std::to_string(status->current_version) +
                ", this build expects " + std::to_string(status->expected_version),
            request));
      }
      nlohmann::json body = {{"status", "ready"},
                             {"storage", {{"schema_version", status->current_version}}}};
      respond(http::json_response(200, body.dump()));
    };
    if (!blocking.try_submit(check)) {
      respond(http::problem(503, "busy", "Busy", "too many requests in progress", request));
    }
  });
  router.add("GET", "/metrics", [this](http::Request, const http::PathParams&, http::Responder respond) {
    http::Response r;
    r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = registry.render();
    respond(std::move(r));
  });
}

void Hub::Impl::add_api_routes() {
  overview = std::make_unique<api::OverviewSource>(
      registry, [d = delivery_invoker] { return d->health(); }, clock);
  api_services = std::make_unique<api::ApiServices>(api::ApiServices{
      *store, *workflow_store, *identity_store, *api_store, runtime->executor(), runtime->catalog(), runtime->schemas(), clock,
      [r = runtime.get()] { r->events_committed(); }, *overview, &slos->monitor(),
      reconciliation_store.get(), reconcile.get()});
  api::ApiOptions options;
  options.rate = {config.api.rate_per_second, config.api.burst};
  options.max_body_bytes = config.api.max_body_bytes;
  options.threads = config.api.threads;
  api = std::make_unique<api::ApiServer>(*api_store, api::OpenApi::builtin(), clock, options);
  api::add_all_endpoints(*api, *api_services);
  api->mount(router);
}

void Hub::Impl::add_console_routes() {
  console::mount_console(router, *api_store, clock, blocking);
}

Result<void, std::string> Hub::start() {
  Impl& s = *impl_;
  StoreOptions store_options;
  store_options.synchronous = s.config.storage.synchronous;
  auto storage = open_storage(s.config.storage.url, store_options);
  if (!storage) {
    return fail("cannot open storage " + config::redact_storage_url(s.config.storage.url) + ": " +
                storage.error().message);
  }
  s.store = std::move(storage->events);
  s.workflow_store = std::move(storage->workflows);
  s.identity_store = std::move(storage->identity);
  s.api_store = std::move(storage->api);
  s.alert_store = std::move(storage->alerts);
  s.reconciliation_store = std::move(storage->reconciliations);

  if (auto unprocessed = s.store->count_unprocessed()) {
    s.ingest_metrics.events_unprocessed.set(static_cast<double>(*unprocessed));
  } else {
    return fail("cannot read the event log: " + unprocessed.error().message);
  }

  try {
    auto invoker = delivery::make_delivery_invoker(s.config, s.registry, s.clock);
    s.delivery_invoker = invoker.get();
    s.invoker = std::move(invoker);
  } catch (const std::invalid_argument& e) {
    return fail(std::string("outbound delivery: ") + e.what());
  }
  s.commit_writer = std::make_unique<CommitWriter>(
      [&store = *s.store] { return store.write_scope(); },
      CommitWriterOptions{std::chrono::microseconds(
          std::llround(s.config.storage.commit_interval_ms * 1000))});
  auto runtime = WorkflowRuntime::create(s.config, *s.store, *s.workflow_store, *s.identity_store, *s.invoker,
                                         *s.commit_writer, s.registry,
                                         s.ingest_metrics.events_unprocessed, s.clock);
  if (!runtime) return fail(runtime.error());
  s.runtime = std::move(*runtime);
  if (auto problems = slo::validate_slos(s.config.slos, s.runtime->catalog()); !problems.empty()) {
    return fail("slos: " + config::format_errors(problems));
  }
  if (auto started = s.runtime->start(); !started) return fail(started.error());
  s.slos = std::make_unique<slo::SloService>(s.config, *s.workflow_store, *s.alert_store, s.registry, s.clock);
  if (auto started = s.slos->start(); !started) return fail(started.error());
  s.reconciler = std::make_unique<reconcile::Reconciler>(
      *s.invoker,
      [d = s.delivery_invoker](const engine::ActionRequest& r, const nlohmann::json& output) {
        return d->next_page(r, output);
      },
      s.runtime->catalog(), *s.workflow_store, *s.reconciliation_store, s.clock);
  s.reconciler->fail_abandoned_runs();
  s.reconcile = std::make_unique<reconcile::ReconcileService>(*s.reconciler);

  // Each commit of webhooks wakes the event pipeline, so events are routed at once.
  s.committer = std::make_unique<ingest::RawEventCommitter>(
      "ingest", ingest::append_to(*s.store),
      GroupCommitMetrics{&s.ingest_metrics.commit_seconds, &s.ingest_metrics.commit_batch_size},
      s.clock, GroupCommitOptions{s.config.storage.max_batch, s.config.storage.max_queue},
      s.commit_writer.get(), [runtime = s.runtime.get()](std::size_t committed) {
        runtime->events_committed(committed);
      });

  std::vector<std::string> skipped;
  s.connectors = connectors::make_inbound_connectors(s.config, &skipped);
  for (const auto& name : skipped) {
    log::warn("connector.no_inbound", {{"connector", name},
                                       {"detail", "this platform type receives no webhooks yet"}});
  }
  s.webhooks = std::make_unique<ingest::WebhookIngest>(s.connectors, *s.committer, s.ingest_metrics,
                                                       s.clock, s.config.hub.max_body_bytes);
  s.router.add("POST", "/hooks/{connector}",
               [w = s.webhooks.get()](http::Request r, const http::PathParams& p,
                                      http::Responder respond) {
                 w->handle(std::move(r), p, std::move(respond));
               });
  s.add_ops_routes();
  s.add_api_routes();
  s.add_console_routes();

  std::vector<std::string> unpolled;
  s.poller = std::make_unique<pollers::Poller>(pollers::make_poll_entries(s.config, &unpolled),
                                               *s.invoker, *s.store, *s.committer, s.connectors,
                                               s.registry, s.clock);
  for (const auto& name : unpolled) {
    log::warn("connector.no_poller", {{"connector", name},
                                      {"detail", "poll_interval_seconds is set, but this platform "
                                                 "type has no backfill poller yet"}});
  }

  http::ServerOptions options;
  options.host = s.config.hub.listen_host;
  options.port = s.config.hub.listen_port;
  options.threads = s.config.hub.threads;
  options.max_body_bytes = s.config.hub.max_body_bytes;
  options.idle_timeout_seconds = s.config.hub.idle_timeout_seconds;
  if (s.config.hub.tls) options.tls = tls_options(*s.config.hub.tls);
  s.server = std::make_unique<http::Server>(options, s.router);
  if (auto started = s.server->start(); !started) return fail(started.error());
  s.poller->start();
  s.overview->start(std::chrono::seconds(5));
  log::info("hub.started", {{"listen", s.config.hub.listen_host + ":" + std::to_string(s.server->port())},
                            {"tls", !s.config.hub.tls                          ? "off"
                                    : s.config.hub.tls->client_ca_file.empty() ? "on"
                                                                               : "mutual"},
                            {"storage", config::redact_storage_url(s.config.storage.url)},
                            {"connectors", s.config.connectors.size()},
                            {"webhook_connectors", s.connectors.size()},
                            {"pollers", s.poller->source_count()},
                            {"workflows", s.runtime->workflow_count()},
                            {"slos", s.config.slos.size()},
                            {"alerts", s.config.alerts.has_value()},
                            {"mappings", s.runtime->mapping_count()}});
  return {};
}

void Hub::stop() {
  Impl& s = *impl_;
  // Stop taking connections, then finish the commits already queued (their requests are
  // answered), wait until those answers are written, then release storage. Requests that
  // arrive on open connections meanwhile are answered 503 (the platform retries them).
  if (s.server) s.server->stop_accepting();
  // Polls feed the committer: they stop first, their last round committed or abandoned
  // (its cursor unsaved, so the next start reads it again).
  if (s.poller) s.poller->stop();
  if (s.committer) s.committer->stop();
  // API requests already taken are answered before the server drains.
  if (s.api) s.api->stop();
  // A run being read finishes (its reads are bounded by the connectors' timeouts); queued
  // ones are failed, not read.
  if (s.reconcile) s.reconcile->stop();
  if (s.overview) s.overview->stop();
  if (s.server) {
    // Every request the committer answered is written out before the threads stop.
    if (!s.server->drain(std::chrono::seconds(5))) log::warn("hub.drain_timeout");
    s.server->stop();
  }
  s.blocking.stop();
  if (s.slos) s.slos->stop();
  // Then the engine: routing stops, calls in flight finish and are recorded.
  if (s.runtime) s.runtime->stop();
  s.poller.reset();
  s.committer.reset();
  s.server.reset();
  s.api.reset();
  s.api_services.reset();
  s.slos.reset();
  s.reconcile.reset();
  s.reconciler.reset();
  s.overview.reset();
  s.runtime.reset();
  // Its lanes (ingest, the engine) have stopped, everything they held written.
  s.commit_writer.reset();
  s.invoker.reset();
  s.workflow_store.reset();
  s.identity_store.reset();
  s.api_store.reset();
  s.alert_store.reset();
  s.reconciliation_store.reset();
  s.store.reset();
}

std::uint16_t Hub::port() const { return impl_->server ? impl_->server->port() : 0; }

}  // namespace weft::hub
