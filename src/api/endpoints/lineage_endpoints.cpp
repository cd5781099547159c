// GET /v1/lineage/{key}: the timeline across platforms for a correlation id or business key.

#include "api/endpoints/endpoints.hpp"
#include "api/lineage.hpp"

namespace weft::api {

void add_lineage_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET", "/v1/lineage/{key}", all_roles(), {}, "", [&s](const ApiCall& call) {
                auto timeline = lineage(s.events, s.workflows, call.path.get("key"));
                if (!timeline) return storage_unavailable(call, "cannot read the lineage now");
                if ((*timeline)["entries"].empty()) {
                  return not_found(call,
                                   "nothing is known about " + std::string(call.path.get("key")));
                }
                return json_ok(*timeline);
              }});
}

}  // namespace weft::api
