// incremental_ticket_events: one page of GET /incremental/ticket_events.json, then
// GET /tickets/show_many.json for the tickets it names (100 ids a request, Zendesk's limit),
// within the same attempt. The output is the page with "tickets": the tickets as they are
// now (a deleted ticket is missing). The export says what changed but not the rest of the
// ticket, which an event-subscription webhook carries in `detail`.

#include <algorithm>

#include "connectors/zendesk/zendesk_connector.hpp"
#include "core/url_encoding.hpp"

namespace weft::connectors::zendesk {

namespace {

using delivery::Failure;
using nlohmann::json;

constexpr std::size_t kShowManyIds = 100;
// The export page takes one request of the attempt; the rest fetch tickets. A page naming
// more tickets leaves the others without a snapshot (the poll then uses what the events say).
constexpr std::size_t kMaxShowMany = kMaxExchanges - 1;

std::optional<json> body_with(const http::Response& response, const char* key) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains(key) || !body[key].is_array()) return std::nullopt;
  return body;
}

Failure unreadable(const engine::ActionRequest& request, const std::string& connector,
                   const http::Response& response, const char* key) {
  Failure f;
  f.cls = delivery::FailureClass::transient;  // a read: it can simply be made again
  f.http_status = response.status;
  f.message = "action " + request.action + " of connector " + connector + ": Zendesk answered " +
              std::to_string(response.status) + " without a JSON object holding a '" + key +
              "' list";
  return f;
}

// The ticket ids the page names, first appearance first.
std::vector<std::string> ticket_ids(const json& page) {
  std::vector<std::string> ids;
  for (const auto& event : page["ticket_events"]) {
    if (!event.is_object()) continue;
    const auto id = event.find("ticket_id");
    if (id == event.end() || !id->is_number_integer()) continue;
    std::string text = id->dump();
    if (std::find(ids.begin(), ids.end(), text) == ids.end()) ids.push_back(std::move(text));
  }
  return ids;
}

}  // namespace

Result<Reading, Failure> ZendeskConnector::read_ticket_events_exchange(
    const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
  auto page = body_with(answers.front(), "ticket_events");
  if (!page) return fail(unreadable(request, name_, answers.front(), "ticket_events"));
  const auto ids = ticket_ids(*page);
  const std::size_t batches =
      std::min((ids.size() + kShowManyIds - 1) / kShowManyIds, kMaxShowMany);

  json tickets = json::array();
  for (std::size_t i = 1; i < answers.size(); ++i) {
    auto shown = body_with(answers[i], "tickets");
    if (!shown) return fail(unreadable(request, name_, answers[i], "tickets"));
    for (auto& ticket : (*shown)["tickets"]) tickets.push_back(std::move(ticket));
  }
  const std::size_t fetched = answers.size() - 1;
  if (fetched < batches) {
    std::string list;
    for (std::size_t i = fetched * kShowManyIds;
         i < std::min(ids.size(), (fetched + 1) * kShowManyIds); ++i) {
      if (!list.empty()) list += ',';
      list += ids[i];
    }
    return Reading(FollowUp{
        request_to("GET", "/tickets/show_many.json?ids=" + url::percent_encode(list))});
  }
  (*page)["tickets"] = std::move(tickets);
  return Reading(std::move(*page));
}

}  // namespace weft::connectors::zendesk
