#include "connectors/zendesk/zendesk_event_id.hpp"

#include <cctype>

#include "core/time_format.hpp"

namespace weft::connectors::zendesk {

namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::optional<std::string> derived_event_id(const EventFacts& facts) {
  if (facts.subject.empty() || facts.type.empty()) return std::nullopt;
  const auto updated_ms = parse_iso8601_ms(facts.updated_at);
  if (!updated_ms) return std::nullopt;
  std::string id = facts.subject + ":" + facts.type + ":" + format_iso8601_ms(*updated_ms);
  if (facts.field_id) {
    id += ":" + *facts.field_id;
  } else if (facts.comment_id) {
    id += ":" + *facts.comment_id;
  } else if (facts.type == "ticket.status_changed" || facts.type == "ticket.priority_changed") {
    // Zendesk writes these in capitals in webhooks and in lower case in the export.
    id += ":" + lower(facts.current.value_or("none"));
  } else if (!facts.type.starts_with("ticket.") && facts.current) {
    // Organization and user changes come by webhook only (no export rebuilds them), so the
    // new value can tell apart two changes of one second (a rename right after another).
    id += ":" + *facts.current;
  }
  return id;
}

}  // namespace weft::connectors::zendesk
