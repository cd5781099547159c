// GET /v1/slos: every configured SLO as the monitor last computed it (src/slo/), for everyone
// who watches the hub.

#include "api/endpoints/endpoints.hpp"
#include "core/duration.hpp"
#include "core/time_format.hpp"
#include "core/url_encoding.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

json slo_json(const slo::SloStatus& s) {
  json out = {{"name", s.name},
              {"kind", s.kind},
              {"workflow", s.workflow},
              {"state", s.state},
              {"since", format_iso8601_ms(s.since_ms)},
              {"evaluated_at", format_iso8601_ms(s.evaluated_at_ms)},
              {"error_budget_remaining", s.error_budget_remaining}};
  if (s.kind == "sla") {
    out["sla"] = s.sla;
    out["objective"] = s.objective;
    out["window"] = format_duration(std::chrono::milliseconds(s.window_ms));
    out["ratio"] = s.ratio;
    out["outcomes"] = {{"met", s.met}, {"breached", s.breached}};
    out["links"] = {{"instances", "/v1/workflows?workflow=" + url::percent_encode(s.workflow)}};
  } else {
    out["open_exceptions"] = s.open_exceptions;
    out["max_open"] = s.max_open;
    out["links"] = {
        {"exceptions", "/v1/exceptions?status=open&workflow=" + url::percent_encode(s.workflow)}};
  }
  return out;
}

}  // namespace

void add_slo_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET", "/v1/slos", all_roles(), {}, "", [&s](const ApiCall&) {
                json data = json::array();
                if (s.slos != nullptr) {
                  for (const slo::SloStatus& status : s.slos->statuses())
                    data.push_back(slo_json(status));
                }
                return json_ok({{"data", std::move(data)}});
              }});
}

}  // namespace weft::api
