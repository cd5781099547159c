// GET /v1/accounts/{id}/status and GET /v1/invoices/{id}: one answer across platforms, from the
// canonical records (views/), each part with its sources and freshness.

#include "api/endpoints/endpoints.hpp"
#include "api/endpoints/view_answer.hpp"
#include "views/account_status.hpp"
#include "views/invoice_status.hpp"

namespace weft::api {

void add_account_endpoints(ApiServer& server, const ApiServices& s) {
  server.add({"GET", "/v1/accounts/{id}/status", all_roles(), {}, "", [&s](const ApiCall& call) {
                return view_answer(
                    call, "id",
                    views::account_status(s.identity, call.path.get("id"), s.clock->unix_millis()));
              }});
  server.add({"GET", "/v1/invoices/{id}", all_roles(), {}, "", [&s](const ApiCall& call) {
                return view_answer(
                    call, "id",
                    views::invoice_status(s.identity, call.path.get("id"), s.clock->unix_millis()));
              }});
}

}  // namespace weft::api
