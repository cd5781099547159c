#include "api/resource_json.hpp"

#include "core/time_format.hpp"

namespace weft::api {

using nlohmann::json;

json time_json(std::int64_t unix_ms) {
  return unix_ms == 0 ? json() : json(format_iso8601_ms(unix_ms));
}
json time_json(std::optional<std::int64_t> unix_ms) {
  return unix_ms ? time_json(*unix_ms) : json();
}

json parse_or_null(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json() : parsed;
}

json instance_summary_json(const InstanceRecord& r) {
  return {{"id", r.id},
          {"workflow", r.workflow},
          {"version", r.version},
          {"business_key", r.business_key},
          {"status", to_string(r.status)},
          {"correlation_id", r.correlation_id},
          {"created_at", time_json(r.created_at_ms)},
          {"updated_at", time_json(r.updated_at_ms)},
          {"next_due_at", time_json(r.due_at_ms)}};
}

namespace {

// Each SLA of the definition against the instance's milestones: met, breached, running (its
// start reached, its end not yet) or not started.
json sla_json(const engine::WorkflowDefinition& def, const json& milestones, bool finished,
              std::int64_t now_ms) {
  json out = json::array();
  for (const engine::Sla& sla : def.slas) {
    const std::int64_t limit_ms = sla.limit.count();
    json item = {{"name", sla.name},
                 {"from", sla.from},
                 {"to", sla.to},
                 {"limit_seconds", static_cast<double>(limit_ms) / 1000.0},
                 {"started_at", nullptr},
                 {"ended_at", nullptr},
                 {"elapsed_seconds", nullptr}};
    if (!milestones.contains(sla.from)) {
      item["state"] = "not_started";
      out.push_back(std::move(item));
      continue;
    }
    const std::int64_t from = milestones[sla.from].get<std::int64_t>();
    const bool reached = milestones.contains(sla.to);
    const std::int64_t to = reached ? milestones[sla.to].get<std::int64_t>() : now_ms;
    item["started_at"] = time_json(from);
    if (reached) item["ended_at"] = time_json(to);
    item["elapsed_seconds"] = static_cast<double>(to - from) / 1000.0;
    const bool over = to - from > limit_ms;
    // An instance that ended without reaching the SLA's end milestone never will.
    item["state"] = over ? "breached" : reached ? "met" : finished ? "not_reached" : "running";
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

json instance_detail_json(const InstanceRecord& r, const std::vector<StepEventRecord>& history,
                          const engine::WorkflowDefinition* def, std::int64_t now_ms) {
  json out = instance_summary_json(r);
  out["trigger_event_id"] = r.trigger_event_id;
  out["state"] = parse_or_null(r.state_json);
  json steps = json::array();
  for (const StepEventRecord& e : history) {
    steps.push_back({{"step", e.step_id},
                     {"kind", e.kind},
                     {"attempt", e.attempt},
                     {"at", time_json(e.at_ms)},
                     {"detail", parse_or_null(e.detail_json)}});
  }
  out["history"] = std::move(steps);
  const json cursor = parse_or_null(r.cursor_json);
  const json milestones =
      cursor.is_object() ? cursor.value("milestones", json::object()) : json::object();
  json marks = json::object();
  for (const auto& [name, at] : milestones.items()) {
    if (at.is_number_integer()) marks[name] = time_json(at.get<std::int64_t>());
  }
  out["milestones"] = std::move(marks);
  out["slas"] =
      def != nullptr ? sla_json(*def, milestones, is_terminal(r.status), now_ms) : json::array();
  return out;
}

json exception_json(const ExceptionRecord& e) {
  return {{"id", e.id},
          {"instance_id", e.instance_id.empty() ? json() : json(e.instance_id)},
          {"workflow", e.workflow.empty() ? json() : json(e.workflow)},
          {"step", e.step_id.empty() ? json() : json(e.step_id)},
          {"class", e.failure_class},
          {"reason", e.reason},
          {"context", parse_or_null(e.context_json)},
          {"status", to_string(e.status)},
          {"created_at", time_json(e.created_at_ms)},
          {"resolved_at", time_json(e.resolved_at_ms)},
          {"resolved_by", e.resolved_by.empty() ? json() : json(e.resolved_by)},
          {"resolution", e.resolution.empty() ? json() : json(e.resolution)}};
}

json approval_json(const ApprovalRecord& a) {
  return {{"id", a.id},
          {"instance_id", a.instance_id},
          {"step", a.step_id},
          {"role", a.role},
          {"title", a.title},
          {"context", parse_or_null(a.context_json)},
          {"status", a.status},
          {"requested_by", a.requested_by.empty() ? json() : json(a.requested_by)},
          {"decided_by", a.decided_by.empty() ? json() : json(a.decided_by)},
          {"comment", a.comment.empty() ? json() : json(a.comment)},
          {"created_at", time_json(a.created_at_ms)},
          {"decided_at", time_json(a.decided_at_ms)}};
}

json audit_json(const AuditRecord& a) {
  return {{"seq", a.seq},
          {"at", time_json(a.at_ms)},
          {"actor", a.actor},
          {"action", a.action},
          {"target", a.target},
          {"before", parse_or_null(a.before_json)},
          {"after", parse_or_null(a.after_json)},
          {"correlation_id", a.correlation_id}};
}

json raw_event_json(const RawEvent& e) {
  json body = json::parse(e.body, nullptr, false);
  return {{"seq", e.seq},
          {"connector", e.connector},
          {"event_id", e.event_id},
          {"type", e.event_type},
          {"business_key", e.business_key},
          {"occurred_at", time_json(e.occurred_at_ms)},
          {"received_at", time_json(e.received_at_ms)},
          {"processed_at", time_json(e.processed_at_ms)},
          {"correlation_id", e.correlation_id},
          // A body that is not JSON (a form post) is shown as the text it was.
          {"body", body.is_discarded() ? json(e.body) : body}};
}

json canonical_event_json(const CanonicalEventRecord& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"business_key", e.business_key},
          {"raw_seq", e.raw_seq},
          {"occurred_at", time_json(e.occurred_at_ms)},
          {"correlation_id", e.correlation_id},
          {"event", parse_or_null(e.json)}};
}

}  // namespace weft::api
