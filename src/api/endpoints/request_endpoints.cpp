// POST /v1/credit-requests and POST /v1/refund-requests: a person asks through the API for what
// a Zendesk ticket asks for with a tag — a service credit, a refund — about a ticket.
//
// A request becomes a canonical event (case.credit_requested, case.refund_requested) the way a
// platform's event does: a raw event of the built-in connector "api" whose body is the mapped
// event (mapping::api_request_event), appended to the event log and routed by the pipeline.
// So it is checked against its schema, triggers its workflow, shows in lineage and replays like
// any other event. The key's name is the payload's requested_by, which the workflow's approval
// carries: the requester cannot decide it (four-eyes, approval_endpoints.cpp).
//
// Checked here, before anything is stored: the body (its OpenAPI schema, by the server) and the
// event (its canonical schema, which a deployment may have replaced); a 422 stores nothing.
// What needs the platforms — does the ticket exist, is the invoice its customer's, is enough
// left on it — is the workflow's to check: it opens an exception saying what does not hold.
//
// Who asks: support-ops (and platform-admin). finance-ops approves what these requests start,
// so requester and approver stay in different roles, beyond four-eyes between two names.
//
// Idempotency: the server answers a repeated Idempotency-Key itself. The raw event's id also
// derives from the key and the request, so a request sent again after the hub died between
// storing the event and keeping the answer is the same event, which the log keeps once.

#include "api/endpoints/endpoints.hpp"
#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"
#include "mapping/mapping_set.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

const std::vector<Role> kRequesters{Role::support_ops, Role::platform_admin};

struct RequestKind {
  const char* event_type;  // the canonical event the request is
  const char* action;      // in the audit log
};

constexpr RequestKind kCredit{"case.credit_requested", "credit.request"};
constexpr RequestKind kRefund{"case.refund_requested", "refund.request"};

// The raw event's id: from the Idempotency-Key and the request when there is a key (the same
// request under the same key is the same event), else new.
std::string request_event_id(const ApiCall& call) {
  auto idempotency_key = call.request.headers.get("Idempotency-Key");
  if (!idempotency_key) return "req_" + crypto::random_hex(16);
  std::string seed = call.caller.key_id;
  for (std::string_view part : {std::string_view(*idempotency_key), std::string_view(call.request.path),
                                std::string_view(call.request.body)}) {
    seed.push_back('\0');
    seed += part;
  }
  return "req_" + crypto::to_hex(crypto::sha256(seed)).substr(0, 32);
}

// The request as a mapping's output (mapping/mapping_set.hpp, kApiConnector). The ticket's key
// is the one Zendesk's events of it have (mappings/zendesk.yaml), so the request is ordered
// with them and found under the ticket. What the API does not know of the ticket (its
// organization, its tags) is null and empty, as the case schema has it; the workflow reads the
// ticket.
json request_output(const ApiCall& call, const RequestKind& kind) {
  const json& body = call.body;
  const std::string ticket = body["ticket_id"].get<std::string>();
  return {{"type", kind.event_type},
          {"schema_version", 1},
          {"business_key", "zen:ticket:" + ticket},
          {"payload",
           {{"ticket_id", ticket},
            {"organization_id", nullptr},
            {"tags", json::array()},
            {"requested_by", call.caller.name},
            {"invoice_id", body["invoice_id"]},
            {"amount", body.value("amount", json())},
            {"reason", body["reason"]}}}};
}

http::Response request(const ApiServices& s, const ApiCall& call, const RequestKind& kind) {
  NewRawEvent raw;
  raw.connector = std::string(mapping::kApiConnector);
  raw.event_id = request_event_id(call);
  raw.event_type = kind.event_type;
  raw.received_at_ms = s.clock->unix_millis();
  raw.occurred_at_ms = raw.received_at_ms;
  raw.correlation_id = call.request.correlation_id;
  raw.body = request_output(call, kind).dump();
  auto event = mapping::api_request_event(RawEvent{raw, 0, std::nullopt});
  if (!event) return invalid(call, {{"/", event.error().message}});
  raw.business_key = event->business_key;

  std::vector<http::InvalidField> bad;
  for (const canonical::SchemaViolation& v : s.schemas.validate(*event)) {
    bad.push_back({v.instance_path.empty() ? "/" : v.instance_path,
                   v.message + " (the event's schema, " +
                       canonical::EventSchemas::document_for(event->type, event->schema_version) +
                       ")"});
  }
  if (!bad.empty()) return invalid(call, std::move(bad));

  auto appended = s.events.append_raw_events(std::span<const NewRawEvent>(&raw, 1));
  if (!appended) return storage_unavailable(call, "cannot store the request now; nothing was stored");
  if (s.events_added) s.events_added();

  const std::string lineage = "/v1/lineage/" + url::percent_encode(event->correlation_id);
  const json answer = {
      {"event_id", event->id},
      {"type", event->type},
      {"business_key", event->business_key},
      {"correlation_id", event->correlation_id},
      {"requested_by", call.caller.name},
      {"links",
       {{"lineage", lineage},
        {"workflows", "/v1/workflows?key=" + url::percent_encode(event->business_key)},
        {"events", "/v1/events?kind=canonical&key=" + url::percent_encode(event->business_key)}}}};
  // A request sent again after a crash is the event already stored: audited the first time.
  if (appended->front() == AppendOutcome::inserted) {
    json after = answer;
    after["request"] = call.body;
    audit(s, call, kind.action, event->id, nullptr, after);
  }
  http::Response response = json_ok(answer, 202);
  response.headers.set("Location", lineage);
  return response;
}

}  // namespace

void add_request_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"POST",
              "/v1/credit-requests",
              kRequesters,
              {},
              "CreditRequest",
              [&s](const ApiCall& call) { return request(s, call, kCredit); }});
  server.add({"POST",
              "/v1/refund-requests",
              kRequesters,
              {},
              "RefundRequest",
              [&s](const ApiCall& call) { return request(s, call, kRefund); }});
}

}  // namespace weft::api
