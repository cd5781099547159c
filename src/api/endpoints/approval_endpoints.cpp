// GET /v1/approvals and POST /v1/approvals/{id}/decision: the decisions workflows wait for.
//
// Who decides: only a key whose role is the approval's role (a workflow asks finance-ops for
// credits over its policy threshold, so amounts above it need finance-ops), and never the
// person who made the request (four-eyes) — both checked here, on the server, whatever a
// client shows. platform-admin and read-only keys see every pending approval but decide none.

#include <algorithm>

#include "api/endpoints/endpoints.hpp"
#include "api/endpoints/engine_errors.hpp"
#include "api/paging.hpp"
#include "api/resource_json.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

// What the audit log keeps of an approval: its decision, not the workflow state it shows.
json approval_audit_json(const ApprovalRecord& a) {
  json j = approval_json(a);
  j.erase("context");
  return j;
}

bool sees_every_approval(Role role) {
  return role == Role::platform_admin || role == Role::read_only;
}

http::Response list_approvals(const ApiServices& s, const ApiCall& call) {
  auto page = page_request(call);
  if (!page) return invalid(call, page.error());
  auto pending = s.workflows.pending_approvals();
  if (!pending) return storage_unavailable(call, "cannot read approvals now");
  std::sort(pending->begin(), pending->end(),
            [](const ApprovalRecord& a, const ApprovalRecord& b) { return a.id < b.id; });
  const std::string role = to_string(call.caller.role);
  std::vector<json> items;
  for (const ApprovalRecord& a : *pending) {
    if (a.id <= page->after) continue;
    if (!sees_every_approval(call.caller.role) && a.role != role) continue;
    items.push_back(approval_json(a));
    if (items.size() > static_cast<std::size_t>(page->limit)) break;
  }
  return json_ok(
      page_json(std::move(items), *page, [](const json& j) { return j["id"].get<std::string>(); }));
}

http::Response decide(const ApiServices& s, const ApiCall& call) {
  const std::string id(call.path.get("id"));
  auto loaded = s.workflows.load_approval(id);
  if (!loaded) return storage_unavailable(call, "cannot read the approval now");
  if (!loaded->has_value()) return not_found(call, "no approval " + id);
  const ApprovalRecord before = **loaded;
  if (before.status != "pending")
    return conflict(call, "approval " + id + " is " + before.status + " already");
  // Four-eyes first: whatever role the requester's key has (now), it never decides its request.
  if (!before.requested_by.empty() && before.requested_by == call.caller.name) {
    return forbidden(call,
                     "four-eyes: " + call.caller.name + " requested this and cannot decide it");
  }
  if (before.role != to_string(call.caller.role)) {
    return forbidden(call, "approval " + id + " needs the role " + before.role);
  }
  const bool approved = call.body["decision"] == "approve";
  const std::string comment = call.body.value("comment", "");
  if (auto decided = s.executor.decide(id, approved, call.caller.name, comment); !decided) {
    return engine_refusal(call, decided.error());
  }
  auto after = s.workflows.load_approval(id);
  ApprovalRecord now = before;
  if (after && after->has_value()) {
    now = **after;
  } else {  // decided, but not readable back this instant: answer with what was decided
    now.status = approved ? "approved" : "rejected";
    now.decided_by = call.caller.name;
    now.comment = comment;
  }
  audit(s, call, "approval.decide", id, approval_audit_json(before), approval_audit_json(now));
  return json_ok(approval_json(now));
}

}  // namespace

void add_approval_endpoints(ApiServer& server, const ApiServices& s) {
  server.add(
      {"GET", "/v1/approvals", all_roles(), {"limit", "cursor"}, "", [&s](const ApiCall& call) {
         return list_approvals(s, call);
       }});
  server.add({"POST",
              "/v1/approvals/{id}/decision",
              {Role::support_ops, Role::finance_ops},
              {},
              "ApprovalDecision",
              [&s](const ApiCall& call) { return decide(s, call); }});
}

}  // namespace weft::api
