// Reconciliation of billing against the ERP (src/reconcile/): POST /v1/reconciliations starts
// a run in the background and answers 202 with its link; GET /v1/reconciliations lists runs,
// newest first; GET /v1/reconciliations/{id} is one run's summary and its lines, paged and
// filtered by verdict.
//
// Who starts runs: finance-ops and platform-admin (a run reads both platforms and is audited);
// every role reads them, as the other read endpoints.
//
// Idempotency: the server answers a repeated Idempotency-Key with the stored answer, so a
// retried POST does not start a second run.

#include "api/endpoints/endpoints.hpp"
#include "api/paging.hpp"
#include "api/resource_json.hpp"
#include "core/url_encoding.hpp"
#include "reconcile/comparison.hpp"
#include "reconcile/period.hpp"
#include "reconcile/reconciler.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

const std::vector<Role> kStarters{Role::finance_ops, Role::platform_admin};

std::string run_link(const std::string& id) {
  return "/v1/reconciliations/" + url::percent_encode(id);
}

json run_json(const ReconciliationRun& r) {
  return {{"id", r.id},
          {"requested_by", r.requested_by},
          {"from", time_json(r.from_ms)},
          {"to", time_json(r.to_ms)},
          {"started_at", time_json(r.started_at_ms)},
          {"finished_at", time_json(r.finished_at_ms)},
          {"status", r.status},
          {"error", r.error.empty() ? json() : json(r.error)},
          {"summary", r.status == "completed" ? parse_or_null(r.summary_json) : json()},
          {"links", {{"self", run_link(r.id)}}}};
}

http::Response unavailable(const ApiCall& call) {
  return storage_unavailable(call, "reconciliation is not available in this hub");
}

http::Response start(const ApiServices& s, const ApiCall& call) {
  if (s.reconciliations == nullptr || s.reconcile == nullptr) return unavailable(call);
  const auto text = [&](const char* key) -> std::optional<std::string> {
    const auto it = call.body.find(key);
    if (it == call.body.end() || it->is_null()) return std::nullopt;
    return it->get<std::string>();  // the body's schema says string
  };
  auto period = reconcile::parse_period(text("from"), text("to"), s.clock->unix_millis());
  if (!period) {
    std::vector<http::InvalidField> bad;
    for (const auto& p : period.error()) bad.push_back({"/" + p.field, p.message});
    return invalid(call, std::move(bad));
  }
  auto run = s.reconcile->submit({period->from_ms, period->to_ms, call.caller.name});
  if (!run)
    return storage_unavailable(call, "cannot start a reconciliation now: " + run.error().message);
  const json answer = run_json(*run);
  audit(s, call, "reconciliation.start", run->id, nullptr,
        {{"from", answer["from"]}, {"to", answer["to"]}});
  http::Response response = json_ok(answer, 202);
  response.headers.set("Location", run_link(run->id));
  return response;
}

http::Response list(const ApiServices& s, const ApiCall& call) {
  if (s.reconciliations == nullptr) return unavailable(call);
  auto page = page_request(call);
  if (!page) return invalid(call, page.error());
  auto runs = s.reconciliations->list_runs(page->after, page->limit + 1);
  if (!runs) return storage_unavailable(call, "cannot read reconciliation runs now");
  std::vector<json> items;
  for (const ReconciliationRun& r : *runs) items.push_back(run_json(r));
  return json_ok(
      page_json(std::move(items), *page, [](const json& j) { return j["id"].get<std::string>(); }));
}

http::Response get(const ApiServices& s, const ApiCall& call) {
  if (s.reconciliations == nullptr) return unavailable(call);
  auto page = page_request(call);
  std::vector<http::InvalidField> bad = page ? std::vector<http::InvalidField>{} : page.error();
  std::int64_t after = 0;
  if (page && !after_seq(*page, after)) {
    bad.push_back({"cursor", "is not a cursor this API gave out (use next_cursor as it is)"});
  }
  ReconciliationLineQuery q;
  if (auto verdict = call.query_value("verdict")) {
    if (!reconcile::parse_verdict(*verdict)) {
      std::string known;
      for (auto v : reconcile::all_verdicts())
        known += (known.empty() ? "" : ", ") + std::string(to_string(v));
      bad.push_back({"verdict", "must be one of " + known});
    }
    q.verdict = *verdict;
  }
  if (!bad.empty()) return invalid(call, std::move(bad));

  const std::string id(call.path.get("id"));
  auto run = s.reconciliations->load_run(id);
  if (!run) return storage_unavailable(call, "cannot read the reconciliation run now");
  if (!run->has_value()) return not_found(call, "no reconciliation run " + id);
  q.run_id = id;
  q.after_seq = after;
  q.limit = page->limit + 1;
  auto lines = s.reconciliations->lines(q);
  if (!lines) return storage_unavailable(call, "cannot read the reconciliation's lines now");
  std::vector<json> items;
  for (const ReconciliationLine& line : *lines) {
    json item = parse_or_null(line.json);
    if (!item.is_object()) item = {{"verdict", line.verdict}};
    item["seq"] = line.seq;
    items.push_back(std::move(item));
  }
  json answer = run_json(**run);
  answer["lines"] = page_json(std::move(items), *page, [](const json& j) {
    return std::to_string(j["seq"].get<std::int64_t>());
  });
  return json_ok(answer);
}

}  // namespace

void add_reconciliation_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"POST",
              "/v1/reconciliations",
              kStarters,
              {},
              "ReconciliationRequest",
              [&s](const ApiCall& call) { return start(s, call); }});
  server.add({"GET",
              "/v1/reconciliations",
              all_roles(),
              {"limit", "cursor"},
              "",
              [&s](const ApiCall& call) { return list(s, call); }});
  server.add({"GET",
              "/v1/reconciliations/{id}",
              all_roles(),
              {"verdict", "limit", "cursor"},
              "",
              [&s](const ApiCall& call) { return get(s, call); }});
}

}  // namespace weft::api
