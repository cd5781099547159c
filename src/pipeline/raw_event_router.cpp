#include "pipeline/raw_event_router.hpp"

#include "core/ordered_id.hpp"
#include "engine/instance_run.hpp"

namespace weft::pipeline {

using nlohmann::json;

namespace {

std::string hashed_id(std::string_view prefix, std::initializer_list<std::string_view> parts) {
  // 96 bits: collisions are out of reach for any event log, and the ids stay readable.
  return std::string(prefix) + hash_hex(parts, 24);
}

json raw_context(const RawEvent& raw) {
  return {{"connector", raw.connector}, {"event_id", raw.event_id}, {"event_type", raw.event_type},
          {"raw_seq", raw.seq},         {"business_key", raw.business_key}};
}

// An exception for the workbench about a raw event (no instance). The same raw event and
// cause give the same id, so a replay does not open a second one.
ExceptionRecord event_exception(const RawEvent& raw, std::string_view cause, std::string failure_class,
                                std::string reason, json context, std::int64_t now_ms) {
  ExceptionRecord e;
  e.id = hashed_id("ex_", {raw.connector, raw.event_id, cause});
  e.failure_class = std::move(failure_class);
  e.reason = std::move(reason);
  e.context_json = context.dump();
  e.created_at_ms = now_ms;
  return e;
}

void add_exception(Routed& out, ExceptionRecord e) {
  Transition t;
  t.open_exceptions.push_back(std::move(e));
  out.record.starts.push_back(std::move(t));
  out.summary.outcome = RouteSummary::Outcome::exception;
}

// A trigger key must name one thing: a non-empty string, or a number (taken as its text).
std::optional<std::string> key_text(const json& value) {
  if (value.is_string()) {
    auto s = value.get<std::string>();
    if (!s.empty()) return s;
    return std::nullopt;
  }
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

}  // namespace

const char* to_string(RouteSummary::Outcome outcome) {
  switch (outcome) {
    case RouteSummary::Outcome::routed: return "routed";
    case RouteSummary::Outcome::ignored: return "ignored";
    case RouteSummary::Outcome::exception: return "exception";
  }
  return "unknown";
}

RawEventRouter::RawEventRouter(std::shared_ptr<const mapping::MappingSet> mappings,
                               std::shared_ptr<const engine::WorkflowCatalog> catalog,
                               std::map<std::string, std::string, std::less<>> connector_types,
                               std::shared_ptr<const canonical::EventSchemas> schemas,
                               std::shared_ptr<const IdentityStage> identity)
    : mappings_(std::move(mappings)),
      catalog_(std::move(catalog)),
      connector_types_(std::move(connector_types)),
      schemas_(std::move(schemas)),
      identity_(std::move(identity)) {
  // Requests made through the /v1 API: built in, whatever the config lists.
  connector_types_.emplace(mapping::kApiConnector, mapping::kApiConnector);
}

std::string RawEventRouter::instance_id(std::int64_t raw_seq, std::string_view workflow,
                                        std::string_view event_id) {
  // As long as the ids of before (all hash). A replay of an event mapped before this scheme
  // still starts nothing twice: the store refuses a second instance of one (workflow,
  // triggering event), whatever its id.
  return ordered_id("wf_", raw_seq, {workflow, event_id});
}

Routed RawEventRouter::route(const RawEvent& raw, std::int64_t now_ms, IdentityWrites* identity) const {
  Routed out;
  out.record.raw_seq = raw.seq;
  const auto type = connector_types_.find(raw.connector);
  if (type == connector_types_.end()) {
    add_exception(out, event_exception(raw, "mapping", "mapping",
                                       "connector '" + raw.connector +
                                           "' is not in the configuration, so its events cannot be mapped",
                                       raw_context(raw), now_ms));
    return out;
  }
  auto mapped = mappings_->apply(type->second, raw);
  if (!mapped) {
    json context = raw_context(raw);
    context["platform"] = type->second;
    if (auto info = mappings_->find(type->second, raw.event_type)) {
      context["mapping"] = {{"event", info->event}, {"version", info->version},
                            {"file", info->where.file}, {"line", info->where.line}};
    }
    add_exception(out, event_exception(raw, "mapping", "mapping",
                                       std::string(mapping::to_string(mapped.error().code)) + ": " +
                                           mapped.error().message,
                                       std::move(context), now_ms));
    return out;
  }
  if (mapped->empty()) {
    out.summary.outcome = RouteSummary::Outcome::ignored;
    return out;
  }
  if (mapped->size() > static_cast<std::size_t>(kEventsPerRawEvent)) {
    add_exception(out, event_exception(raw, "mapping", "mapping",
                                       "the mapping produced " + std::to_string(mapped->size()) +
                                           " canonical events; at most " + std::to_string(kEventsPerRawEvent) +
                                           " per raw event are allowed",
                                       raw_context(raw), now_ms));
    return out;
  }
  // Checked before anything is kept, so an event that breaks its contract triggers nothing.
  for (const mapping::CanonicalEvent& c : *mapped) {
    const auto violations = schemas_->validate(c);
    if (violations.empty()) continue;
    json context = raw_context(raw);
    context["canonical_event"] = c;
    context["schema"] = canonical::EventSchemas::document_for(c.type, c.schema_version);
    context["violations"] = json::array();
    for (const auto& v : violations) {
      context["violations"].push_back(
          {{"instance_path", v.instance_path}, {"schema_path", v.schema_path}, {"message", v.message}});
    }
    add_exception(out, event_exception(raw, "schema", "schema",
                                       "the mapping produced a " + c.type + " v" + std::to_string(c.schema_version) +
                                           " event that does not match its schema: " + violations.front().to_string() +
                                           (violations.size() > 1 ? " (and " + std::to_string(violations.size() - 1) +
                                                                        " more)"
                                                                  : ""),
                                       std::move(context), now_ms));
    return out;
  }
  // An API request is not a platform's record: the ids it names (a Zendesk ticket, a Stripe
  // invoice) are other platforms' ids, which the API cannot say which connector holds, so it
  // links and updates no entity. Its workflow reads the platforms themselves.
  if (identity_ != nullptr && identity != nullptr && raw.connector != mapping::kApiConnector) {
    // Kept only when every event resolved: a raw event that opens an exception leaves no
    // identity behind.
    const IdentityWrites::Mark before = identity->mark();
    for (mapping::CanonicalEvent& c : *mapped) {
      auto problem = identity_->resolve(c, raw.seq, *identity, now_ms);
      if (!problem) {
        identity->truncate(before);
        out.error = std::move(problem).error();
        return out;
      }
      if (*problem) {
        identity->truncate(before);
        json context = raw_context(raw);
        context["canonical_event"] = c;
        context["identity"] = std::move((*problem)->context);
        add_exception(out, event_exception(raw, "identity", "identity", std::move((*problem)->reason),
                                           std::move(context), now_ms));
        return out;
      }
    }
  }
  for (std::size_t i = 0; i < mapped->size(); ++i) {
    const mapping::CanonicalEvent& c = (*mapped)[i];
    const json event_json = c;
    CanonicalEventRecord record;
    record.id = c.id;
    record.type = c.type;
    record.business_key = c.business_key;
    record.raw_seq = raw.seq;
    record.order_seq = raw.seq * kEventsPerRawEvent + static_cast<std::int64_t>(i);
    record.occurred_at_ms = c.occurred_at_ms;
    record.correlation_id = c.correlation_id;
    record.json = engine::persisted_text(event_json);
    start_instances(raw, record, event_json, now_ms, out);
    out.record.events.push_back(std::move(record));
  }
  out.summary.canonical_events = out.record.events.size();
  return out;
}

void RawEventRouter::start_instances(const RawEvent& raw, const CanonicalEventRecord& event,
                                     const json& event_json, std::int64_t now_ms,
                                     Routed& out) const {
  // Converted for libjq once, for every trigger program (filters and keys) that reads it.
  std::optional<mapping::JqValue> event_value;
  for (const engine::WorkflowDefinition* def : catalog_->triggered_by(event.type)) {
    if (!event_value) event_value.emplace(event_json);
    auto trigger_failed = [&](const std::string& what, const std::string& detail) {
      json context = raw_context(raw);
      context["canonical_event"] = event_json;
      context["workflow"] = def->name;
      context["version"] = def->version;
      ExceptionRecord e = event_exception(raw, "trigger:" + def->name + ":" + event.id, "trigger",
                                          "workflow " + def->name + ": the trigger's " + what + " " + detail,
                                          std::move(context), now_ms);
      e.workflow = def->name;
      add_exception(out, std::move(e));
    };
    if (def->trigger.filter) {
      auto pass = jq_.test(def->trigger.filter->text, *event_value);
      if (!pass) {
        trigger_failed("filter", "failed: " + pass.error());
        continue;
      }
      if (!*pass) continue;
    }
    auto key_value = jq_.first(def->trigger.key.text, *event_value);
    if (!key_value) {
      trigger_failed("key", "failed: " + key_value.error());
      continue;
    }
    auto key = key_text(*key_value);
    if (!key) {
      trigger_failed("key", "gave " + key_value->dump() + ", not a non-empty string or a number");
      continue;
    }
    Transition start;
    start.create = engine::InstanceRun::start_from_text(
        *def, instance_id(raw.seq, def->name, event.id), event.json, *key, event.id,
        event.order_seq, event.correlation_id, now_ms);
    out.record.starts.push_back(std::move(start));
    ++out.summary.instances;
  }
}

}  // namespace weft::pipeline
