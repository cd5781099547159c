#pragma once
// The /v1 endpoints, by resource. Each add_* registers its endpoints (method, path, roles,
// query parameters, body schema, handler) on the server; api/openapi.json documents the same
// and a test holds the two to each other.

#include <functional>

#include "api/api_server.hpp"
#include "canonical/event_schemas.hpp"
#include "engine/executor.hpp"
#include "engine/workflow_catalog.hpp"
#include "slo/slo_monitor.hpp"
#include "weft/api_store.hpp"
#include "weft/clock.hpp"
#include "weft/identity_store.hpp"
#include "weft/reconciliation_store.hpp"
#include "weft/store.hpp"
#include "weft/workflow_store.hpp"

namespace weft::reconcile {
class ReconcileService;
}

namespace weft::api {

class OverviewSource;

// What the endpoints work with: the hub's stores and engine.
struct ApiServices {
  Store& events;
  WorkflowStore& workflows;
  IdentityStore& identity;
  ApiStore& api;
  engine::Executor& executor;
  const engine::WorkflowCatalog& catalog;
  // The canonical event schemas the pipeline checks events against: requests are checked
  // against the same before they are stored.
  const canonical::EventSchemas& schemas;
  ClockPtr clock;
  // Raw events were appended (a request) or marked for processing again (a replay): route
  // them now.
  std::function<void()> events_added;
  // What GET /v1/overview shows.
  OverviewSource& overview;
  // The SLOs as last evaluated; none: GET /v1/slos lists none.
  const slo::SloMonitor* slos = nullptr;
  // Reconciliation runs and the service that starts them (/v1/reconciliations); none: those
  // endpoints answer 503.
  ReconciliationStore* reconciliations = nullptr;
  reconcile::ReconcileService* reconcile = nullptr;
};

void add_workflow_endpoints(ApiServer& server, const ApiServices& services);
void add_approval_endpoints(ApiServer& server, const ApiServices& services);
void add_exception_endpoints(ApiServer& server, const ApiServices& services);
void add_event_endpoints(ApiServer& server, const ApiServices& services);
void add_audit_endpoints(ApiServer& server, const ApiServices& services);
void add_lineage_endpoints(ApiServer& server, const ApiServices& services);
void add_xref_endpoints(ApiServer& server, const ApiServices& services);
void add_account_endpoints(ApiServer& server, const ApiServices& services);
void add_request_endpoints(ApiServer& server, const ApiServices& services);
void add_slo_endpoints(ApiServer& server, const ApiServices& services);
void add_overview_endpoints(ApiServer& server, const ApiServices& services);
void add_reconciliation_endpoints(ApiServer& server, const ApiServices& services);

// Every endpoint above.
void add_all_endpoints(ApiServer& server, const ApiServices& services);

// Appends a human action to the audit log; a failure is logged, not returned: the action has
// happened and its answer must not say otherwise.
void audit(const ApiServices& services, const ApiCall& call, std::string action, std::string target,
           const nlohmann::json& before, const nlohmann::json& after);

}  // namespace weft::api
