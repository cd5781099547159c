// The time-based incremental ticket-events export and show_many, which a backfill poll
// reads together: the export says what changed, show_many gives the tickets.

#include <algorithm>

#include "core/time_format.hpp"
#include "sandbox/zendesk/zendesk_http.hpp"

namespace weft::sandbox::zendesk {

namespace {

constexpr std::size_t kShowManyMax = 100;  // Zendesk's limit on ids per request

}  // namespace

// GET /incremental/ticket_events?start_time=: every update at or after start_time, oldest
// first, a page at a time; end_time (the last event's timestamp) is the next start_time, so
// the events of that second are listed again (time-based exports repeat; readers dedupe).
// Like the ticket export, start_time must be at least a minute old, and the last minute's
// events are not held back.
http::Response ZendeskEmulator::incremental_ticket_events(Call& call) {
  const auto start = call.param("start_time");
  if (!start) return error_response(400, "InvalidValue", "start_time is required");
  const auto seconds = call.export_start_time(*start);
  if (!seconds) return seconds.error();

  std::vector<const Json*> events;
  for (const auto& [id, ticket] : tickets_) {
    for (const auto& audit : ticket.audits) {
      if (audit["timestamp"].get<std::int64_t>() >= *seconds) events.push_back(&audit);
    }
  }
  std::sort(events.begin(), events.end(), [](const Json* a, const Json* b) {
    return std::make_pair((*a)["timestamp"].get<std::int64_t>(), (*a)["id"].get<std::int64_t>()) <
           std::make_pair((*b)["timestamp"].get<std::int64_t>(), (*b)["id"].get<std::int64_t>());
  });

  const std::size_t count = std::min(options_.export_page_size, events.size());
  Json out;
  out["ticket_events"] = Json::array();
  for (std::size_t i = 0; i < count; ++i) out["ticket_events"].push_back(*events[i]);
  const std::int64_t end_time = count > 0 ? (*events[count - 1])["timestamp"].get<std::int64_t>() : *seconds;
  url::Pairs query{{"start_time", std::to_string(end_time)}};
  if (const auto include = call.param("include")) query.emplace_back("include", *include);
  out["next_page"] = with_query(call.base + "/incremental/ticket_events.json", query);
  out["count"] = count;
  out["end_time"] = end_time;
  out["end_of_stream"] = count == events.size();
  return json_response(200, out);
}

// GET /tickets/show_many?ids=1,2,3: the tickets that exist, in id order.
http::Response ZendeskEmulator::show_many_tickets(Call& call) {
  const auto ids = call.param("ids");
  if (!ids || ids->empty()) return error_response(400, "InvalidValue", "ids is required");
  std::vector<std::int64_t> wanted;
  std::size_t from = 0;
  while (from <= ids->size()) {
    const auto comma = std::min(ids->find(',', from), ids->size());
    const auto id = parse_id(std::string_view(*ids).substr(from, comma - from));
    if (!id) return error_response(400, "InvalidValue", "ids must be a comma-separated list of ticket ids");
    wanted.push_back(*id);
    from = comma + 1;
  }
  if (wanted.size() > kShowManyMax) {
    return error_response(400, "InvalidValue", "ids may list at most 100 tickets");
  }
  std::sort(wanted.begin(), wanted.end());
  Json out{{"tickets", Json::array()}};
  for (const std::int64_t id : wanted) {
    if (const auto it = tickets_.find(id); it != tickets_.end()) out["tickets"].push_back(it->second.data);
  }
  return json_response(200, out);
}

}  // namespace weft::sandbox::zendesk
