// The exception workbench: GET /v1/exceptions, GET /v1/exceptions/{id},
// POST /v1/exceptions/{id}/retry (optionally with an edited input) and
// POST /v1/exceptions/{id}/discard (with a reason).

#include "api/endpoints/endpoints.hpp"
#include "api/endpoints/engine_errors.hpp"
#include "api/paging.hpp"
#include "api/resource_json.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

const std::vector<Role> kActors{Role::support_ops, Role::finance_ops, Role::platform_admin};

std::optional<ExceptionStatus> parse_exception_status(std::string_view text) {
  for (ExceptionStatus s :
       {ExceptionStatus::open, ExceptionStatus::retried, ExceptionStatus::discarded}) {
    if (text == to_string(s)) return s;
  }
  return std::nullopt;
}

// What the audit log keeps of an exception: its status and resolution, not its payload.
json exception_audit_json(const ExceptionRecord& e) {
  json j = exception_json(e);
  j.erase("context");
  return j;
}

http::Response list_exceptions(const ApiServices& s, const ApiCall& call) {
  auto page = page_request(call);
  std::vector<http::InvalidField> bad = page ? std::vector<http::InvalidField>{} : page.error();
  ExceptionQuery q;
  q.workflow = call.query_value("workflow");
  q.instance_id = call.query_value("instance_id");
  if (auto status = call.query_value("status")) {
    q.status = parse_exception_status(*status);
    if (!q.status) bad.push_back({"status", "must be one of open, retried, discarded"});
  }
  if (!bad.empty()) return invalid(call, std::move(bad));
  q.after_id = page->after;
  q.limit = page->limit + 1;
  auto found = s.workflows.query_exceptions(q);
  if (!found) return storage_unavailable(call, "cannot read exceptions now");
  std::vector<json> items;
  for (const ExceptionRecord& e : *found) items.push_back(exception_json(e));
  return json_ok(
      page_json(std::move(items), *page, [](const json& j) { return j["id"].get<std::string>(); }));
}

// The exception the path names, or the answer to give instead.
Result<ExceptionRecord, http::Response> load(const ApiServices& s, const ApiCall& call) {
  const std::string id(call.path.get("id"));
  auto loaded = s.workflows.load_exception(id);
  if (!loaded) return fail(storage_unavailable(call, "cannot read the exception now"));
  if (!loaded->has_value()) return fail(not_found(call, "no exception " + id));
  return **loaded;
}

http::Response get_exception(const ApiServices& s, const ApiCall& call) {
  auto e = load(s, call);
  return e ? json_ok(exception_json(*e)) : e.error();
}

// Runs a workbench action on the exception and answers with the exception after it.
http::Response act(const ApiServices& s, const ApiCall& call, const char* action,
                   const std::function<Result<void, engine::EngineError>(const std::string&)>& fn) {
  auto before = load(s, call);
  if (!before) return before.error();
  if (before->status != ExceptionStatus::open) {
    return conflict(call,
                    "exception " + before->id + " is " + to_string(before->status) + " already");
  }
  if (auto done = fn(before->id); !done) return engine_refusal(call, done.error());
  auto after = load(s, call);
  if (!after) return after.error();
  audit(s, call, action, before->id, exception_audit_json(*before), exception_audit_json(*after));
  return json_ok(exception_json(*after));
}

http::Response retry(const ApiServices& s, const ApiCall& call) {
  std::optional<json> input;
  if (call.body.contains("input")) input = call.body["input"];
  return act(s, call, "exception.retry",
             [&](const std::string& id) { return s.executor.retry(id, input, call.caller.name); });
}

http::Response discard(const ApiServices& s, const ApiCall& call) {
  const std::string reason = call.body["reason"].get<std::string>();
  return act(s, call, "exception.discard", [&](const std::string& id) {
    return s.executor.discard(id, reason, call.caller.name);
  });
}

}  // namespace

void add_exception_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET",
              "/v1/exceptions",
              all_roles(),
              {"status", "workflow", "instance_id", "limit", "cursor"},
              "",
              [&s](const ApiCall& call) { return list_exceptions(s, call); }});
  server.add({"GET", "/v1/exceptions/{id}", all_roles(), {}, "", [&s](const ApiCall& call) {
                return get_exception(s, call);
              }});
  server.add({"POST",
              "/v1/exceptions/{id}/retry",
              kActors,
              {},
              "ExceptionRetry",
              [&s](const ApiCall& call) { return retry(s, call); }});
  server.add({"POST",
              "/v1/exceptions/{id}/discard",
              kActors,
              {},
              "ExceptionDiscard",
              [&s](const ApiCall& call) { return discard(s, call); }});
}

}  // namespace weft::api
