#pragma once
// How stored records look in /v1 answers: times as RFC 3339, JSON text fields as JSON, and
// never more than the API document promises (components/schemas in api/openapi.json).

#include <nlohmann/json.hpp>
#include <optional>

#include "engine/definition.hpp"
#include "weft/api_store.hpp"
#include "weft/workflow_store.hpp"

namespace weft::api {

nlohmann::json time_json(std::int64_t unix_ms);  // RFC 3339, or null for 0
nlohmann::json time_json(std::optional<std::int64_t> unix_ms);
nlohmann::json parse_or_null(const std::string& json_text);  // stored JSON text; null when damaged

nlohmann::json instance_summary_json(const InstanceRecord& r);
// The instance with its state, step history and SLA timers (`def`: its definition, when loaded).
nlohmann::json instance_detail_json(const InstanceRecord& r,
                                    const std::vector<StepEventRecord>& history,
                                    const engine::WorkflowDefinition* def, std::int64_t now_ms);
nlohmann::json exception_json(const ExceptionRecord& e);
nlohmann::json approval_json(const ApprovalRecord& a);
nlohmann::json audit_json(const AuditRecord& a);
nlohmann::json raw_event_json(const RawEvent& e);
nlohmann::json canonical_event_json(const CanonicalEventRecord& e);

}  // namespace weft::api
