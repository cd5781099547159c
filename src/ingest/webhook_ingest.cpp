#include "ingest/webhook_ingest.hpp"

#include <nlohmann/json.hpp>

#include "http/problem.hpp"
#include "weft/log.hpp"

namespace weft::ingest {

IngestMetrics::IngestMetrics(metrics::Registry& registry)
    : webhooks(registry.counter("weft_webhooks_total",
                                "Webhooks received, by connector and outcome (accepted, duplicate, "
                                "rejected_signature, rejected_malformed, rejected_too_large, "
                                "unavailable)",
                                {"connector", "outcome"})),
      ack_seconds(registry
                      .histogram("weft_ingest_ack_seconds",
                                 "Time from a webhook's arrival to its answer", {},
                                 metrics::latency_buckets())
                      .get()),
      commit_seconds(registry
                         .histogram("weft_storage_commit_seconds",
                                    "Duration of one durable group commit", {},
                                    metrics::latency_buckets())
                         .get()),
      commit_batch_size(registry
                            .histogram("weft_storage_commit_batch_size",
                                       "Events written by one group commit (one fsync)", {},
                                       metrics::batch_size_buckets())
                            .get()),
      events_unprocessed(registry
                             .gauge("weft_events_unprocessed",
                                    "Raw events committed but not yet mapped")
                             .get()) {}

RawEventCommitter::CommitFn append_to(Store& store) {
  return [&store](std::span<const NewRawEvent> events) { return store.append_raw_events(events); };
}

WebhookIngest::WebhookIngest(const ConnectorMap& connectors, RawEventCommitter& committer,
                             IngestMetrics& metrics, ClockPtr clock, std::size_t max_body_bytes)
    : connectors_(connectors), committer_(committer), metrics_(metrics), clock_(std::move(clock)),
      max_body_bytes_(max_body_bytes) {}

void WebhookIngest::reject(const http::Request& request, const std::string& connector,
                           const char* outcome, http::Response response,
                           const http::Responder& respond) const {
  metrics_.webhooks.with({connector, outcome}).inc();
  log::warn("webhook.rejected", {{"connector", connector},
                                 {"outcome", outcome},
                                 {"status", response.status},
                                 {"correlation_id", request.correlation_id}});
  respond(std::move(response));
}

void WebhookIngest::handle(http::Request request, const http::PathParams& params,
                           http::Responder respond) {
  const auto started = clock_->monotonic();
  const std::string name(params.get("connector"));
  const auto it = connectors_.find(name);
  if (it == connectors_.end()) {
    log::warn("webhook.unknown_connector", {{"connector", name}, {"correlation_id", request.correlation_id}});
    return respond(http::problem(404, "unknown-connector", "Unknown connector",
                                 "no connector named '" + name + "' receives webhooks here",
                                 request));
  }
  const InboundConnector& connector = *it->second;

  if (request.body_too_large || request.body.size() > max_body_bytes_) {
    return reject(request, name, "rejected_too_large",
                  http::problem(413, "payload-too-large", "Payload too large",
                                "the body exceeds the limit of " + std::to_string(max_body_bytes_) +
                                    " bytes",
                                request),
                  respond);
  }
  if (auto verified = connector.verifier().verify(request.headers, request.body, clock_->now());
      !verified) {
    const bool stale = verified.error().code == VerifyErrc::stale_timestamp;
    return reject(request, name, "rejected_signature",
                  http::problem(401, stale ? "stale-timestamp" : "invalid-signature",
                                stale ? "Stale webhook timestamp" : "Invalid webhook signature",
                                verified.error().message, request),
                  respond);
  }
  auto identity = connector.identify(request.headers, request.body);
  if (!identity) {
    return reject(request, name, "rejected_malformed",
                  http::problem(400, "malformed-event", "Malformed event", identity.error().message,
                                request),
                  respond);
  }

  NewRawEvent event;
  event.connector = name;
  event.event_id = std::move(identity->event_id);
  event.event_type = std::move(identity->event_type);
  event.business_key = std::move(identity->business_key);
  event.occurred_at_ms = identity->occurred_at_ms;
  event.received_at_ms = clock_->unix_millis();
  event.correlation_id = request.correlation_id;
  event.body = std::move(request.body);
  std::string event_id = event.event_id;

  committer_.submit(std::move(event), [this, started, name, event_id = std::move(event_id),
                                       request = std::move(request),
                                       respond = std::move(respond)](StoreResult<AppendOutcome> r) {
    // Everything that touches this object happens before the answer goes out: once answered,
    // the caller may be gone (and, in tests, this object with it).
    http::Response response;
    if (!r) {
      metrics_.webhooks.with({name, "unavailable"}).inc();
      response = http::problem(503, "storage-unavailable", "Storage unavailable",
                               "the event was not stored (" + r.error().message + "); retry later", request);
      response.headers.set("Retry-After", "1");
    } else {
      const bool inserted = *r == AppendOutcome::inserted;
      const char* outcome = inserted ? "accepted" : "duplicate";
      metrics_.webhooks.with({name, outcome}).inc();
      if (inserted) metrics_.events_unprocessed.add(1);
      if (log::enabled(log::Level::debug)) {
        log::debug("webhook.received", {{"connector", name}, {"event_id", event_id},
                                        {"outcome", outcome},
                                        {"correlation_id", request.correlation_id}});
      }
      nlohmann::json body = {{"status", outcome},
                             {"connector", name},
                             {"event_id", event_id},
                             {"correlation_id", request.correlation_id}};
      response = http::json_response(200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    const std::chrono::duration<double> took = clock_->monotonic() - started;
    metrics_.ack_seconds.observe(took.count());
    respond(std::move(response));
  });
}

}  // namespace weft::ingest
