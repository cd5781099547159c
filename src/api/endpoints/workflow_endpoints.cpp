// GET /v1/workflows and GET /v1/workflows/{id}: workflow instances, their state, step history
// and SLA timers.

#include "api/endpoints/endpoints.hpp"
#include "api/paging.hpp"
#include "api/resource_json.hpp"
#include "core/time_format.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

http::Response list_workflows(const ApiServices& s, const ApiCall& call) {
  auto page = page_request(call);
  std::vector<http::InvalidField> bad = page ? std::vector<http::InvalidField>{} : page.error();
  InstanceQuery q;
  q.workflow = call.query_value("workflow");
  q.business_key = call.query_value("key");
  if (auto status = call.query_value("status")) {
    q.status = parse_instance_status(*status);
    if (!q.status)
      bad.push_back({"status", "must be one of running, waiting, completed, failed, discarded"});
  }
  for (const char* name : {"created_from", "created_to"}) {
    if (auto text = call.query_value(name)) {
      auto ms = parse_iso8601_ms(*text);
      if (!ms) bad.push_back({name, "must be an RFC 3339 date-time, e.g. 2026-12-01T09:30:00Z"});
      (std::string_view(name) == "created_from" ? q.created_from_ms : q.created_to_ms) = ms;
    }
  }
  if (!bad.empty()) return invalid(call, std::move(bad));
  q.after_id = page->after;
  q.limit = page->limit + 1;
  auto found = s.workflows.query_instances(q);
  if (!found) return storage_unavailable(call, "cannot read workflows now");
  std::vector<json> items;
  for (const InstanceRecord& r : *found) items.push_back(instance_summary_json(r));
  return json_ok(
      page_json(std::move(items), *page, [](const json& j) { return j["id"].get<std::string>(); }));
}

http::Response get_workflow(const ApiServices& s, const ApiCall& call) {
  const std::string id(call.path.get("id"));
  auto record = s.workflows.load_instance(id);
  if (!record) return storage_unavailable(call, "cannot read the workflow now");
  if (!record->has_value()) return not_found(call, "no workflow instance " + id);
  auto history = s.workflows.history(id);
  if (!history) return storage_unavailable(call, "cannot read the workflow's history now");
  const InstanceRecord& r = **record;
  const engine::WorkflowDefinition* def = s.catalog.find(r.workflow, r.version);
  return json_ok(instance_detail_json(r, *history, def, s.clock->unix_millis()));
}

}  // namespace

void add_workflow_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET",
              "/v1/workflows",
              all_roles(),
              {"workflow", "status", "key", "created_from", "created_to", "limit", "cursor"},
              "",
              [&s](const ApiCall& call) { return list_workflows(s, call); }});
  server.add({"GET", "/v1/workflows/{id}", all_roles(), {}, "", [&s](const ApiCall& call) {
                return get_workflow(s, call);
              }});
}

}  // namespace weft::api
