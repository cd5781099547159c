// GET /v1/events: newest first, filtered by type (with * wildcards) or types[], and created.

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_list.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

// "invoice.*" matches invoice.paid and invoice.payment_succeeded; "*" matches everything.
bool type_matches(std::string_view pattern, std::string_view type) {
  const auto star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == type;
  const auto head = pattern.substr(0, star);
  const auto tail = pattern.substr(star + 1);
  return type.size() >= head.size() + tail.size() && type.substr(0, head.size()) == head &&
         type.substr(type.size() - tail.size()) == tail;
}

}  // namespace

Reply Api::list_events(Params& p) {
  const auto type = p.text("type");
  const auto types = p.array("types");
  p.boolean("delivery_success");
  if (p.failed()) return p.error();
  if (type && types) return invalid_param("You may only specify one of these parameters: type, types.", "types");
  std::vector<std::string> patterns;
  if (type) patterns.push_back(*type);
  if (types) {
    if (types->size() > 20) return invalid_param("You may pass at most 20 types.", "types");
    for (const auto& t : *types) {
      if (!t.is_string()) return invalid_param("Invalid array: types must be an array of strings", "types");
      patterns.push_back(t.get<std::string>());
    }
  }
  return list_page(store_.get("events"), p, "/v1/events", [&](const json& event) {
    if (patterns.empty()) return true;
    const std::string event_type = field(event, "type").is_string() ? event["type"].get<std::string>() : "";
    for (const auto& pattern : patterns) {
      if (type_matches(pattern, event_type)) return true;
    }
    return false;
  }, "event");
}

}  // namespace weft::sandbox::stripe
