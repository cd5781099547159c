#include "connectors/zendesk/zendesk_event_id.hpp"

#include <algorithm>
#include <cctype>

#include "core/time_format.hpp"

namespace weft::connectors::zendesk {

namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::vector<std::string> sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

// Those of `from` not in `minus`.
std::vector<std::string> difference(const std::vector<std::string>& from, const std::vector<std::string>& minus) {
  std::vector<std::string> out;
  for (const std::string& item : from) {
    if (std::find(minus.begin(), minus.end(), item) == minus.end()) out.push_back(item);
  }
  return out;
}

}  // namespace

void set_tag_change(EventFacts& facts, const std::optional<std::vector<std::string>>& added,
                    const std::optional<std::vector<std::string>>& removed,
                    const std::optional<std::vector<std::string>>& current,
                    const std::optional<std::vector<std::string>>& previous) {
  const std::vector<std::string> none;
  facts.tags_added = sorted(added ? *added : difference(current.value_or(none), previous.value_or(none)));
  facts.tags_removed = sorted(removed ? *removed : difference(previous.value_or(none), current.value_or(none)));
}

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
  } else if (facts.type == "ticket.tags_changed" && (!facts.tags_added.empty() || !facts.tags_removed.empty())) {
    id += ":";
    for (const std::string& tag : facts.tags_added) id += "+" + tag;
    for (const std::string& tag : facts.tags_removed) id += "-" + tag;
  } else if (!facts.type.starts_with("ticket.") && facts.current) {
    // Organization and user changes come by webhook only (no export rebuilds them), so the
    // new value can tell apart two changes of one second (a rename right after another).
    id += ":" + *facts.current;
  }
  return id;
}

}  // namespace weft::connectors::zendesk
