#include "views/view_common.hpp"

#include <algorithm>

#include "config/config.hpp"
#include "core/time_format.hpp"

namespace weft::views {

using nlohmann::json;

namespace {

ViewError invalid(std::string message) {
  return ViewError{ViewErrc::invalid_reference, std::move(message)};
}

bool is_kind(std::string_view kind) {
  return !kind.empty() && kind.size() <= 64 && std::all_of(kind.begin(), kind.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
}

}  // namespace

const char* to_string(ViewErrc code) {
  switch (code) {
    case ViewErrc::invalid_reference:
      return "invalid_reference";
    case ViewErrc::not_found:
      return "not_found";
    case ViewErrc::storage:
      return "storage";
  }
  return "unknown";
}

ViewError storage_error(const StoreError& error, std::string_view doing) {
  return ViewError{ViewErrc::storage, std::string(doing) + ": " + error.message};
}

ViewResult<IdentityEntity> resolve_reference(IdentityStore& store, std::string_view kind,
                                             std::string_view reference) {
  if (!is_kind(kind)) {
    return fail(
        invalid("'" + std::string(kind.substr(0, 64)) + "' is not an entity kind (a-z, _)"));
  }
  if (reference.empty()) {
    return fail(invalid("the reference is empty: give a canonical id or connector:platform_id"));
  }
  if (reference.size() > kMaxReferenceLength) {
    return fail(invalid("the reference is longer than " + std::to_string(kMaxReferenceLength) +
                        " characters"));
  }
  if (std::any_of(reference.begin(), reference.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return fail(invalid("the reference contains a control character"));
  }

  std::string canonical_id(reference);
  const std::size_t colon = reference.find(':');
  if (colon != std::string_view::npos) {
    const std::string_view connector = reference.substr(0, colon);
    const std::string_view platform_id = reference.substr(colon + 1);
    if (!config::is_connector_name(connector)) {
      return fail(
          invalid("'" + std::string(connector) +
                  "' is not a connector name (a-z, 0-9, '_', '-'): write connector:platform_id, "
                  "e.g. stripe:cus_123"));
    }
    if (platform_id.empty()) {
      return fail(invalid("the reference names connector " + std::string(connector) +
                          " but no platform id"));
    }
    auto link = store.find_link(kind, connector, platform_id);
    if (!link) return fail(storage_error(link.error(), "look up " + std::string(reference)));
    if (!link->has_value()) {
      return fail(ViewError{ViewErrc::not_found,
                            "no " + std::string(kind) + " is linked to " + std::string(reference)});
    }
    canonical_id = (*link)->canonical_id;
  }
  auto entity = store.resolve_id(canonical_id);
  if (!entity) return fail(storage_error(entity.error(), "resolve " + canonical_id));
  if (!entity->has_value()) {
    return fail(
        ViewError{ViewErrc::not_found, "no " + std::string(kind) + " has the id " + canonical_id});
  }
  if ((*entity)->kind != kind) {
    return fail(ViewError{ViewErrc::not_found, canonical_id + " is of kind " + (*entity)->kind +
                                                   ", not " + std::string(kind)});
  }
  return std::move(**entity);
}

std::string rfc3339(std::int64_t unix_ms) { return format_iso8601_ms(unix_ms); }

const FieldState* field_state(const CanonicalRecord& record, std::string_view name) {
  auto it = record.fields.find(std::string(name));
  return it == record.fields.end() ? nullptr : &it->second;
}

std::optional<json> field_value(const CanonicalRecord& record, std::string_view name) {
  const FieldState* state = field_state(record, name);
  if (state == nullptr) return std::nullopt;
  // Stores write valid JSON only; a damaged value reads as absent rather than throwing.
  json value = json::parse(state->value_json, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

const FieldState* Freshness::use(const CanonicalRecord& record, std::string_view field) {
  const FieldState* state = field_state(record, field);
  if (state != nullptr) use(*state);
  return state;
}

void Freshness::use(const FieldState& state) {
  if (sources_.empty() || state.platform_time_ms > newest_ms_) newest_ms_ = state.platform_time_ms;
  sources_.insert(state.connector);
}

json Freshness::to_json(std::int64_t now_ms) const {
  if (sources_.empty()) return nullptr;
  return {{"sources", json(sources_)},
          {"as_of", rfc3339(newest_ms_)},
          {"age_seconds", std::max<std::int64_t>(0, (now_ms - newest_ms_) / 1000)}};
}

ViewResult<json> links_json(IdentityStore& store, std::string_view canonical_id) {
  auto links = store.links_of(canonical_id);
  if (!links) {
    return fail(storage_error(links.error(), "list the links of " + std::string(canonical_id)));
  }
  json out = json::array();
  for (const IdentityLink& link : *links)
    out.push_back({{"connector", link.connector}, {"platform_id", link.platform_id}});
  return out;
}

std::optional<std::int64_t> integer_of(const std::optional<json>& value) {
  if (!value || !value->is_number_integer()) return std::nullopt;
  return value->get<std::int64_t>();
}

std::optional<std::string> string_of(const std::optional<json>& value) {
  if (!value || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

json or_null(const std::optional<json>& value) { return value ? *value : json(); }

std::optional<std::int64_t> time_of(const std::optional<json>& value) {
  auto text = string_of(value);
  if (!text) return std::nullopt;
  if (text->size() == 10) *text += "T00:00:00Z";
  return parse_iso8601_ms(*text);
}

}  // namespace weft::views
