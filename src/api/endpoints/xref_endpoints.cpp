// GET /v1/xref/{entity}/{id}: a canonical entity with its links, merges, relations and record.
// POST /v1/xref/merge: two canonical entities found to be one (a possible duplicate in the
// workbench, say) are merged — every link and key of `from` re-pointed to `into`, the records
// combined field by field (newer wins), the merge recorded with who and why — in one
// transaction, and audited.

#include "api/endpoints/endpoints.hpp"
#include "api/endpoints/view_answer.hpp"
#include "api/resource_json.hpp"
#include "views/xref_entity.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

json merge_json(const MergeRecord& m) {
  return {{"id", m.id},
          {"kind", m.kind},
          {"from", m.from_id},
          {"into", m.into_id},
          {"by", m.by},
          {"reason", m.reason},
          {"at", time_json(m.at_ms)},
          {"links_moved", m.links_moved}};
}

http::Response merge(const ApiServices& s, const ApiCall& call) {
  const std::string from = call.body["from"].get<std::string>();
  const std::string into = call.body["into"].get<std::string>();
  const std::string kind = call.body["kind"].get<std::string>();
  for (const std::string& id : {from, into}) {
    auto entity = s.identity.load_entity(id);
    if (!entity) return storage_unavailable(call, "cannot read the entities now");
    if (!entity->has_value()) return not_found(call, "no canonical entity " + id);
    if ((*entity)->kind != kind) {
      return invalid(
          call, {{id == from ? "/from" : "/into", "is a " + (*entity)->kind + ", not a " + kind}});
    }
  }
  auto merged = s.identity.merge(from, into, call.caller.name,
                                 call.body["reason"].get<std::string>(), s.clock->unix_millis());
  if (!merged) {
    switch (merged.error().code) {
      case StoreErrc::not_found:
        return not_found(call, merged.error().message);
      case StoreErrc::invalid_argument:
        return invalid(call, {{"/", merged.error().message}});
      case StoreErrc::conflict:
        return conflict(call, merged.error().message);
      default:
        return storage_unavailable(call, "cannot merge now");
    }
  }
  const json result = merge_json(*merged);
  audit(s, call, "xref.merge", from, {{"from", from}, {"into", into}, {"kind", kind}}, result);
  return json_ok(result);
}

}  // namespace

void add_xref_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET", "/v1/xref/{entity}/{id}", all_roles(), {}, "", [&s](const ApiCall& call) {
                return view_answer(
                    call, "id",
                    views::xref_entity(s.identity, call.path.get("entity"), call.path.get("id")));
              }});
  server.add({"POST",
              "/v1/xref/merge",
              {Role::support_ops, Role::finance_ops, Role::platform_admin},
              {},
              "MergeRequest",
              [&s](const ApiCall& call) { return merge(s, call); }});
}

}  // namespace weft::api
