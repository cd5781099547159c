// GET /v1/overview: the console's overview (api/overview.hpp), for every role.

#include "api/endpoints/endpoints.hpp"
#include "api/overview.hpp"

namespace weft::api {

void add_overview_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET", "/v1/overview", all_roles(), {}, "", [&s](const ApiCall&) {
                return json_ok(s.overview.overview());
              }});
}

}  // namespace weft::api
