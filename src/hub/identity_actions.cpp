#include "hub/identity_actions.hpp"

#include <nlohmann/json.hpp>

namespace weft::hub {

using nlohmann::json;

namespace {

delivery::Failure refused(std::string message) {
  return delivery::Failure{delivery::FailureClass::validation, std::move(message), std::nullopt, 0,
                           ""};
}

delivery::Failure store_failed(const StoreError& error) {
  return delivery::Failure{delivery::FailureClass::transient, "identity store: " + error.message,
                           std::nullopt, 0, ""};
}

// Platforms stamp their changes to the second (Stripe's events, Zendesk's, NetSuite's record
// versions): a value set less than this after the changed record's own stamp is not known to
// be newer than it.
constexpr std::int64_t kStampPrecisionMs = 1000;

// Per field, the value to carry: the record's, except where the changed record is as new: its
// platform set the newest value, or another platform set it within the same second. Then the
// changed record as it is now stands in (it is at least as new as its event). The canonical
// record cannot order changes within one second (a tie keeps the first), so without this a
// quick second change — a user's rename right after a sync's echo — would be undone.
json current_values(const json& fields, const json& current) {
  json values = json::object();
  for (const auto& [name, field] : fields.items()) values[name] = field["value"];
  if (!current.is_object() || !current.contains("fields") || !current["fields"].is_object())
    return values;
  const std::string connector = current.value("connector", std::string());
  const auto at = current.find("at_ms");
  const bool timed = at != current.end() && at->is_number_integer();
  for (const auto& [name, now] : current["fields"].items()) {
    const auto field = fields.find(name);
    const bool as_new = field == fields.end() || (*field)["connector"] == connector ||
                        (timed && (*field)["at_ms"].get<std::int64_t>() <
                                      at->get<std::int64_t>() + kStampPrecisionMs);
    if (as_new) values[name] = now;
  }
  return values;
}

}  // namespace

engine::ActionOutcome IdentityActions::invoke(const engine::ActionRequest& request) {
  if (request.connector != kIdentityConnector) return platforms_.invoke(request);
  if (request.action == "get_entity") return get_entity(request);
  return refused("connector identity has no action '" + request.action + "'; known: get_entity");
}

void IdentityActions::invoke_async(const engine::ActionRequest& request, engine::ActionDone done) {
  if (request.connector != kIdentityConnector) return platforms_.invoke_async(request, std::move(done));
  done(invoke(request));
}

engine::ActionOutcome IdentityActions::get_entity(const engine::ActionRequest& request) {
  const json* id =
      request.input.is_object() && request.input.contains("id") ? &request.input["id"] : nullptr;
  if (id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    return refused(
        "identity.get_entity: id is required (a canonical id, e.g. .event.canonical_ids.customer)");
  }
  auto entity = identity_.resolve_id(id->get<std::string>());
  if (!entity) return store_failed(entity.error());
  if (!*entity)
    return refused("identity.get_entity: no entity has the canonical id '" +
                   id->get<std::string>() + "'");

  auto links = identity_.links_of((*entity)->id);
  if (!links) return store_failed(links.error());
  json by_connector = json::object();
  for (const IdentityLink& link : *links) by_connector[link.connector].push_back(link.platform_id);

  auto record = identity_.load_record((*entity)->id);
  if (!record) return store_failed(record.error());
  json fields = json::object();
  if (*record) {
    for (const auto& [name, field] : (*record)->fields) {
      fields[name] = {{"value", json::parse(field.value_json, nullptr, /*allow_exceptions=*/false)},
                      {"connector", field.connector},
                      {"at_ms", field.platform_time_ms}};
    }
  }
  json values = current_values(fields, request.input.value("current", json()));
  return engine::ActionSuccess{{{"id", (*entity)->id},
                                {"kind", (*entity)->kind},
                                {"links", std::move(by_connector)},
                                {"record", std::move(fields)},
                                {"values", std::move(values)}}};
}

}  // namespace weft::hub
