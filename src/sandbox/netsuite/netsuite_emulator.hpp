#pragma once
// The NetSuite emulator of `weft sandbox`: SuiteTalk REST web services under /services/rest.
//
// Auth: Token-Based Authentication, OAuth 1.0a HMAC-SHA256 (connectors/netsuite/oauth1.hpp):
// realm, consumer key and token must be the sandbox's, the signature is recomputed over
// http://<Host><target> as the client addressed us, the timestamp must be within ±300 s and a
// nonce may not come back within that window. Resources: /record/v1/{type} for customer,
// invoice, creditMemo, customerPayment, journalEntry, salesOrder and customerRefund (type
// names case-insensitive): create (204 + Location), read by id or eid:<externalId>, PATCH,
// PUT upsert by eid:, DELETE, lists with limit/offset/q; SuiteQL (netsuite_suiteql.hpp).
// Errors have NetSuite's shape ({type, title, status, o:errorDetails}). Webhooks: Weft's
// documented SuiteScript relay (<type>.created/updated/deleted, X-Weft-Signature).
//
// Concurrency: NetSuite answers 429 CONCURRENCY_LIMIT_EXCEEDED beyond an account's
// concurrent-request limit. The emulator answers at once, so it models each accepted request
// as occupying a slot for `request_service_time` of clock time; with `concurrency_limit`
// slots taken, the next request is refused. Off (0) by default; set by the options or
// POST /_sandbox/netsuite/concurrency {"limit": 5, "service_time_ms": 200}.
//
// Threads: handle() and the state calls may come from any thread; one mutex guards the state.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sandbox/platform_emulator.hpp"

namespace weft::sandbox::netsuite {

using Json = nlohmann::ordered_json;

struct Options {
  int concurrency_limit = 0;  // 0: no limit
  std::chrono::milliseconds request_service_time{200};
  std::chrono::seconds timestamp_tolerance{300};
};

class NetSuiteEmulator final : public PlatformEmulator {
 public:
  explicit NetSuiteEmulator(EmulatorContext context, Options options = {});

  const std::string& platform() const override { return platform_; }
  std::vector<std::string> path_prefixes() const override { return {"/services/rest"}; }
  http::Response handle(const http::Request& request) override;
  http::Response fault_response(int status) const override;
  nlohmann::json state() const override;
  Result<void, std::string> restore(const nlohmann::json& state) override;
  void reset() override;
  // PUT …/eid:<externalId> is NetSuite's idempotent write: its key is "<type>/eid:<id>".
  RequestFacts describe(const http::Request& request, const http::Response& response) const override;
  // POST /_sandbox/netsuite/concurrency {"limit": n, "service_time_ms": ms}; GET shows it.
  http::Response handle_admin(const http::Request& request, std::string_view subpath) override;

  struct Call;  // one API request (netsuite_http.hpp)

 private:
  bool authenticated(const http::Request& request, std::chrono::system_clock::time_point now);
  bool admit(std::chrono::steady_clock::time_point now);  // a concurrency slot, if any is free
  http::Response route(Call& call);

  // Records (netsuite_records.cpp).
  http::Response create(Call& call, const std::string& type);
  http::Response read(Call& call, const std::string& type, const std::string& key);
  http::Response patch(Call& call, const std::string& type, const std::string& key);
  http::Response upsert(Call& call, const std::string& type, const std::string& key);
  http::Response remove(Call& call, const std::string& type, const std::string& key);
  http::Response list(Call& call, const std::string& type);
  http::Response suiteql(Call& call);
  std::map<std::string, double> applied_to_invoices() const;  // SuiteQL's foreignamountunpaid
  // The record a path key names ("101" or "eid:CID001"), or null.
  Json* find(const std::string& type, const std::string& key);
  // Validates `body` and writes it into `record`; the changed fields, or NetSuite's error.
  Result<std::vector<std::string>, http::Response> write(Call& call, const std::string& type,
                                                         Json& record, const Json& body,
                                                         bool creating);
  Json render(const Call& call, const std::string& type, const Json& record, bool expand) const;
  void send_webhook(const std::string& type, const std::string& action, const Json& record,
                    std::vector<std::string> changed_fields);

  const std::string platform_ = "netsuite";
  const Credentials& credentials_;
  ClockPtr clock_;
  WebhookOutbox& outbox_;
  Options options_;

  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::int64_t, Json>> records_;  // by type, then internal id
  std::map<std::string, std::int64_t> nonces_;                   // nonce → its timestamp
  std::deque<std::chrono::steady_clock::time_point> busy_until_;  // occupied concurrency slots
  std::int64_t next_id_ = 101;
};

}  // namespace weft::sandbox::netsuite
