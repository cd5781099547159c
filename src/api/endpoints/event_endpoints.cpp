// GET /v1/events (the raw event log, or one business key's canonical events) and
// POST /v1/replays (map and trigger stored raw events again; idempotent by construction: the
// same canonical event, instance and exception ids come out, which the store keeps once).

#include "api/endpoints/endpoints.hpp"
#include "api/paging.hpp"
#include "api/resource_json.hpp"
#include "core/time_format.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

// Filters a query or body names, as a raw event query; every bad one as an invalid field.
void read_time(const std::optional<std::string>& text, const char* name,
               std::optional<std::int64_t>& out, std::vector<http::InvalidField>& bad) {
  if (!text) return;
  out = parse_iso8601_ms(*text);
  if (!out) bad.push_back({name, "must be an RFC 3339 date-time, e.g. 2026-12-01T09:30:00Z"});
}

http::Response list_raw(const ApiServices& s, const ApiCall& call, const PageRequest& page,
                        std::vector<http::InvalidField> bad) {
  RawEventQuery q;
  q.connector = call.query_value("connector");
  q.event_type = call.query_value("type");
  q.business_key = call.query_value("key");
  read_time(call.query_value("received_from"), "received_from", q.received_from_ms, bad);
  read_time(call.query_value("received_to"), "received_to", q.received_to_ms, bad);
  if (!after_seq(page, q.after_seq))
    bad.push_back({"cursor", "is not a cursor this API gave out (use next_cursor as it is)"});
  if (!bad.empty()) return invalid(call, std::move(bad));
  q.limit = page.limit + 1;
  auto found = s.events.query_raw_events(q);
  if (!found) return storage_unavailable(call, "cannot read events now");
  std::vector<json> items;
  for (const RawEvent& e : *found) items.push_back(raw_event_json(e));
  return json_ok(page_json(std::move(items), page, [](const json& j) {
    return std::to_string(j["seq"].get<std::int64_t>());
  }));
}

// One business key's canonical events, in log order (at most `limit`: no further pages).
http::Response list_canonical(const ApiServices& s, const ApiCall& call, const PageRequest& page,
                              std::vector<http::InvalidField> bad) {
  const auto key = call.query_value("key");
  if (!key) bad.push_back({"key", "is required for canonical events"});
  for (const char* name : {"connector", "received_from", "received_to", "cursor"}) {
    if (call.query_value(name)) bad.push_back({name, "applies to raw events only"});
  }
  if (!bad.empty()) return invalid(call, std::move(bad));
  auto found = s.workflows.canonical_events(*key, page.limit);
  if (!found) return storage_unavailable(call, "cannot read events now");
  const auto type = call.query_value("type");
  json items = json::array();
  for (const CanonicalEventRecord& e : *found) {
    if (!type || e.type == *type) items.push_back(canonical_event_json(e));
  }
  return json_ok({{"data", std::move(items)}, {"next_cursor", nullptr}});
}

http::Response list_events(const ApiServices& s, const ApiCall& call) {
  auto page = page_request(call);
  std::vector<http::InvalidField> bad = page ? std::vector<http::InvalidField>{} : page.error();
  const std::string kind = call.query_value("kind").value_or("raw");
  if (kind != "raw" && kind != "canonical") bad.push_back({"kind", "must be raw or canonical"});
  if (!page) return invalid(call, std::move(bad));
  return kind == "canonical" ? list_canonical(s, call, *page, std::move(bad))
                             : list_raw(s, call, *page, std::move(bad));
}

std::optional<std::string> body_text(const json& body, const char* name) {
  if (!body.contains(name)) return std::nullopt;
  return body[name].get<std::string>();
}

http::Response replay(const ApiServices& s, const ApiCall& call) {
  RawEventQuery q;
  std::vector<http::InvalidField> bad;
  q.connector = body_text(call.body, "connector");
  q.event_type = body_text(call.body, "type");
  q.business_key = body_text(call.body, "key");
  read_time(body_text(call.body, "received_from"), "/received_from", q.received_from_ms, bad);
  read_time(body_text(call.body, "received_to"), "/received_to", q.received_to_ms, bad);
  const bool all = call.body.value("all", false);
  const bool filtered =
      q.connector || q.event_type || q.business_key || q.received_from_ms || q.received_to_ms;
  if (!filtered && !all) {
    bad.push_back({"/",
                   "choose events with connector, type, key, received_from or received_to "
                   "(or all: true to replay the whole log)"});
  }
  if (!bad.empty()) return invalid(call, std::move(bad));
  auto reset = s.workflows.reset_processed(q);
  if (!reset) return storage_unavailable(call, "cannot mark the events for replay now");
  if (s.events_added) s.events_added();
  json result = {{"replayed", *reset}};
  audit(s, call, "replay", "events", call.body, result);
  return json_ok(result, 202);
}

}  // namespace

void add_event_endpoints(ApiServer& server, const ApiServices& s) {
  server.add(
      {"GET",
       "/v1/events",
       all_roles(),
       {"kind", "connector", "type", "key", "received_from", "received_to", "limit", "cursor"},
       "",
       [&s](const ApiCall& call) { return list_events(s, call); }});
  server.add({"POST",
              "/v1/replays",
              {Role::platform_admin},
              {},
              "ReplayRequest",
              [&s](const ApiCall& call) { return replay(s, call); }});
}

}  // namespace weft::api
