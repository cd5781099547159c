// GET /v1/audit: the append-only log of human actions, for platform-admin.

#include "api/endpoints/endpoints.hpp"
#include "api/paging.hpp"
#include "api/resource_json.hpp"
#include "weft/log.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

http::Response list_audit(const ApiServices& s, const ApiCall& call) {
  auto page = page_request(call);
  if (!page) return invalid(call, page.error());
  AuditQuery q;
  q.actor = call.query_value("actor");
  q.action = call.query_value("action");
  q.target = call.query_value("target");
  if (!after_seq(*page, q.after_seq)) {
    return invalid(call,
                   {{"cursor", "is not a cursor this API gave out (use next_cursor as it is)"}});
  }
  q.limit = page->limit + 1;
  auto found = s.api.query_audit(q);
  if (!found) return storage_unavailable(call, "cannot read the audit log now");
  std::vector<json> items;
  for (const AuditRecord& a : *found) items.push_back(audit_json(a));
  return json_ok(page_json(std::move(items), *page, [](const json& j) {
    return std::to_string(j["seq"].get<std::int64_t>());
  }));
}

}  // namespace

void audit(const ApiServices& s, const ApiCall& call, std::string action, std::string target,
           const json& before, const json& after) {
  AuditRecord r;
  r.at_ms = s.clock->unix_millis();
  r.actor = call.caller.name;
  r.action = std::move(action);
  r.target = std::move(target);
  r.before_json = before.dump(-1, ' ', false, json::error_handler_t::replace);
  r.after_json = after.dump(-1, ' ', false, json::error_handler_t::replace);
  r.correlation_id = call.request.correlation_id;
  if (auto appended = s.api.append_audit(r); !appended) {
    log::error("api.audit_failed",
               {{"action", r.action}, {"target", r.target}, {"error", appended.error().message}});
  }
}

void add_audit_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET",
              "/v1/audit",
              {Role::platform_admin},
              {"actor", "action", "target", "limit", "cursor"},
              "",
              [&s](const ApiCall& call) { return list_audit(s, call); }});
}

void add_all_endpoints(ApiServer& server, const ApiServices& s) {
  add_workflow_endpoints(server, s);
  add_approval_endpoints(server, s);
  add_exception_endpoints(server, s);
  add_event_endpoints(server, s);
  add_audit_endpoints(server, s);
  add_lineage_endpoints(server, s);
  add_xref_endpoints(server, s);
  add_account_endpoints(server, s);
  add_request_endpoints(server, s);
  add_slo_endpoints(server, s);
  add_overview_endpoints(server, s);
  add_reconciliation_endpoints(server, s);
}

}  // namespace weft::api
