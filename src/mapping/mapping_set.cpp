// Applying a mapping: pick the entry, run its program on the raw body, and check each output
// against the canonical event contract, naming the field when one is wrong.

#include "mapping/mapping_set.hpp"

#include <array>
#include <cmath>

#include "core/time_format.hpp"
#include "crypto/hmac.hpp"
#include "mapping/mapping_table.hpp"

namespace weft::mapping {

const char* to_string(MappingErrc code) {
  switch (code) {
    case MappingErrc::no_mapping:
      return "no_mapping";
    case MappingErrc::failed:
      return "failed";
  }
  return "unknown";
}

namespace {

constexpr std::array<std::string_view, 6> kOutputKeys{"type", "schema_version", "business_key",
                                                      "payload", "occurred_at", "sequence"};
// Unix seconds beyond this (the year 5138) are nearly always milliseconds given by mistake.
constexpr double kMaxUnixSeconds = 1e11;

// A short, valid-UTF-8 rendering of a value for an error message.
std::string preview(const nlohmann::json& value) {
  constexpr std::size_t kMax = 60;
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() <= kMax) return text;
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

// "invoice.paid", "customer.upserted": lower-case words joined by dots, at least two.
bool valid_type_name(std::string_view type) {
  std::size_t words = 0;
  while (true) {
    const std::size_t dot = type.find('.');
    const std::string_view word = type.substr(0, dot);
    if (word.empty() || word.front() < 'a' || word.front() > 'z') return false;
    for (char c : word) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    ++words;
    if (dot == std::string_view::npos) break;
    type.remove_prefix(dot + 1);
  }
  return words >= 2;
}

// Unix ms from an output's occurred_at, nullopt when it is absent or null.
Result<std::optional<std::int64_t>, std::string> occurred_at_ms(const nlohmann::json& value) {
  if (value.is_null()) return std::optional<std::int64_t>();
  if (value.is_number()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds) || seconds < 0 || seconds > kMaxUnixSeconds) {
      return fail("occurred_at must be Unix seconds or an ISO-8601 string, got " + preview(value) +
                  (seconds > kMaxUnixSeconds ? " (milliseconds?)" : ""));
    }
    return std::optional<std::int64_t>(std::llround(seconds * 1000));
  }
  if (value.is_string()) {
    if (auto ms = parse_iso8601_ms(value.get_ref<const std::string&>())) {
      return std::optional<std::int64_t>(*ms);
    }
  }
  return fail("occurred_at must be Unix seconds or an ISO-8601 string, got " + preview(value));
}

// Checks one program output and fills the fields it supplies.
Result<CanonicalEvent, std::string> from_output(const nlohmann::json& out) {
  if (!out.is_object()) {
    return fail("must be an object with type, schema_version, business_key and payload, got " +
                preview(out));
  }
  for (const auto& [key, value] : out.items()) {
    if (std::find(kOutputKeys.begin(), kOutputKeys.end(), key) == kOutputKeys.end()) {
      return fail("unknown field '" + key +
                  "' (expected type, schema_version, business_key, payload, occurred_at, sequence)");
    }
  }
  CanonicalEvent event;
  const auto type = out.find("type");
  if (type == out.end() || !type->is_string() ||
      !valid_type_name(type->get_ref<const std::string&>())) {
    return fail(
        "type must be a string like \"invoice.paid\" (lower-case words joined by dots), got " +
        (type == out.end() ? std::string("nothing") : preview(*type)));
  }
  event.type = type->get<std::string>();

  const auto version = out.find("schema_version");
  if (version == out.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1 ||
      version->get<std::int64_t>() > 1'000'000) {
    return fail("schema_version must be a positive integer, got " +
                (version == out.end() ? std::string("nothing") : preview(*version)));
  }
  event.schema_version = version->get<int>();

  const auto key = out.find("business_key");
  if (key == out.end() || !key->is_string() || key->get_ref<const std::string&>().empty()) {
    return fail("business_key must be a non-empty string, got " +
                (key == out.end() ? std::string("nothing") : preview(*key)));
  }
  event.business_key = key->get<std::string>();

  const auto payload = out.find("payload");
  if (payload == out.end() || !payload->is_object()) {
    return fail("payload must be an object, got " +
                (payload == out.end() ? std::string("nothing") : preview(*payload)));
  }
  event.payload = *payload;

  if (const auto when = out.find("occurred_at"); when != out.end()) {
    auto ms = occurred_at_ms(*when);
    if (!ms) return fail(std::move(ms).error());
    if (*ms) event.occurred_at_ms = **ms;
  }
  if (const auto sequence = out.find("sequence"); sequence != out.end() && !sequence->is_null()) {
    if (!sequence->is_number_integer() || sequence->get<std::int64_t>() < 0) {
      return fail("sequence must be a non-negative integer (the platform's own event or version counter) or null, got " +
                  preview(*sequence));
    }
    event.platform_seq = sequence->get<std::int64_t>();
  }
  return event;
}

// The same raw event and output position always give the same id, whatever the mapping
// version, so a replay cannot produce a second copy of a fact downstream.
std::string canonical_id(const RawEvent& raw, std::size_t index) {
  std::string key = raw.connector;
  key.push_back('\0');
  key += raw.event_id;
  key.push_back('\0');
  key += std::to_string(index);
  return crypto::to_hex(crypto::sha256(key));
}

// What every output gets from the raw event it came from: its id, time, source and cause.
void stamp(CanonicalEvent& event, const RawEvent& raw, std::size_t index, int mapping_version) {
  event.id = canonical_id(raw, index);
  if (event.occurred_at_ms == 0) {
    event.occurred_at_ms = raw.occurred_at_ms != 0 ? raw.occurred_at_ms : raw.received_at_ms;
  }
  event.source_connector = raw.connector;
  event.source_event_id = raw.event_id;
  // The raw event is the cause; its correlation id, when ingest had one, ties the
  // canonical events to the request that delivered it.
  event.correlation_id = raw.correlation_id.empty() ? raw.event_id : raw.correlation_id;
  event.causation_id = raw.event_id;
  event.mapping_version = mapping_version;
}

}  // namespace

Result<CanonicalEvent, MappingError> api_request_event(const RawEvent& raw) {
  const nlohmann::json body = nlohmann::json::parse(raw.body, nullptr, false);
  if (body.is_discarded()) {
    return fail(MappingError{MappingErrc::failed, "the API request's body is not JSON"});
  }
  auto event = from_output(body);
  if (!event) {
    return fail(MappingError{MappingErrc::failed, "the API request: " + std::move(event).error()});
  }
  stamp(*event, raw, 0, 0);
  return std::move(event).value();
}

MappingSet::MappingSet() : table_(std::make_unique<MappingTable>()) {}
MappingSet::MappingSet(std::unique_ptr<const MappingTable> table) : table_(std::move(table)) {}
MappingSet::MappingSet(MappingSet&&) noexcept = default;
MappingSet& MappingSet::operator=(MappingSet&&) noexcept = default;
MappingSet::~MappingSet() = default;

Result<std::vector<CanonicalEvent>, MappingError> MappingSet::apply(std::string_view connector_type,
                                                                    const RawEvent& raw) const {
  if (connector_type == kApiConnector) {
    auto event = api_request_event(raw);
    if (!event) return fail(std::move(event).error());
    return std::vector<CanonicalEvent>{std::move(event).value()};
  }
  const auto platform = table_->platforms.find(connector_type);
  if (platform == table_->platforms.end()) {
    return fail(MappingError{MappingErrc::no_mapping,
                             "no mappings for platform '" + std::string(connector_type) + "'"});
  }
  const PlatformMappings& mappings = platform->second;
  const Mapping* mapping = mappings.find(raw.event_type);
  if (mapping == nullptr) {
    return fail(MappingError{MappingErrc::no_mapping, "no mapping for " + mappings.platform +
                                                          " event type '" + raw.event_type +
                                                          "' in " + mappings.file + " (version " +
                                                          std::to_string(mappings.version) + ")"});
  }
  const std::string where = "mapping '" + mapping->event + "' at " + mappings.file + ":" +
                            std::to_string(mapping->line) + " (version " +
                            std::to_string(mappings.version) + ")";

  auto outputs = mapping->program->run_text(raw.body);
  if (!outputs) {
    return fail(MappingError{MappingErrc::failed, where + ": " + outputs.error().message});
  }
  std::vector<CanonicalEvent> events;
  events.reserve(outputs->size());
  for (std::size_t i = 0; i < outputs->size(); ++i) {
    auto event = from_output((*outputs)[i]);
    if (!event) {
      return fail(MappingError{MappingErrc::failed,
                               where + ": output " + std::to_string(i + 1) + ": " + event.error()});
    }
    stamp(*event, raw, i, mappings.version);
    events.push_back(std::move(event).value());
  }
  return events;
}

std::optional<MappingInfo> MappingSet::find(std::string_view connector_type,
                                            std::string_view event_type) const {
  const auto platform = table_->platforms.find(connector_type);
  if (platform == table_->platforms.end()) return std::nullopt;
  const Mapping* mapping = platform->second.find(event_type);
  if (mapping == nullptr) return std::nullopt;
  return MappingInfo{platform->first, mapping->event, platform->second.version,
                     config::Location{platform->second.file, mapping->line}};
}

std::vector<MappingInfo> MappingSet::entries() const {
  std::vector<MappingInfo> out;
  for (const auto& [name, mappings] : table_->platforms) {
    for (const Mapping& mapping : mappings.mappings) {
      out.push_back(MappingInfo{name, mapping.event, mappings.version,
                                config::Location{mappings.file, mapping.line}});
    }
  }
  return out;
}

std::vector<std::string> MappingSet::platforms() const {
  std::vector<std::string> names;
  for (const auto& [name, mappings] : table_->platforms) names.push_back(name);
  return names;
}

std::optional<int> MappingSet::version(std::string_view platform) const {
  const auto it = table_->platforms.find(platform);
  if (it == table_->platforms.end()) return std::nullopt;
  return it->second.version;
}

std::size_t MappingSet::size() const {
  std::size_t total = 0;
  for (const auto& [name, mappings] : table_->platforms) total += mappings.mappings.size();
  return total;
}

}  // namespace weft::mapping
