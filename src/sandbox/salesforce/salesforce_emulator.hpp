#pragma once
// The Salesforce emulator of `weft sandbox`: the OAuth token endpoint under /services/oauth2
// and the REST API under /services/data/vNN.N (any version from v50.0).
//
// Auth: POST /services/oauth2/token with grant_type=client_credentials and the connected
// app's client id and secret issues a Bearer token that expires (default 2 h); every API call
// needs one (401 INVALID_SESSION_ID otherwise). Resources: sObjects Account, Opportunity,
// Contract, Contact — create, read (?fields=), update, delete, upsert and read by any custom
// (__c) field as external id — and SOQL queries (salesforce_query.hpp) paged with
// nextRecordsUrl. Errors are Salesforce's arrays [{"message","errorCode","fields"}]; every
// API response carries Sforce-Limit-Info. Webhooks: Weft's documented trigger scheme
// (<sObject>.created/updated/deleted, X-Weft-Signature).
//
// Threads: handle() and the state calls may come from any thread; one mutex guards the state.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sandbox/platform_emulator.hpp"
#include "sandbox/salesforce/salesforce_schema.hpp"

namespace weft::sandbox::salesforce {

struct Options {
  std::chrono::seconds token_ttl{2 * 60 * 60};
  std::size_t query_batch_size = 2000;  // records per query page (Salesforce's default)
  std::int64_t daily_api_limit = 100'000;
};

class SalesforceEmulator final : public PlatformEmulator {
 public:
  explicit SalesforceEmulator(EmulatorContext context, Options options = {});

  const std::string& platform() const override { return platform_; }
  std::vector<std::string> path_prefixes() const override {
    return {"/services/data", "/services/oauth2"};
  }
  http::Response handle(const http::Request& request) override;
  http::Response fault_response(int status) const override;
  nlohmann::json state() const override;
  Result<void, std::string> restore(const nlohmann::json& state) override;
  void reset() override;
  // An upsert's idempotency key is its external id path: "Account/External_Id__c/ACME-1".
  RequestFacts describe(const http::Request& request, const http::Response& response) const override;
  // POST /_sandbox/salesforce/expire_sessions: every token issued so far expires now, as when
  // the org's session timeout passes or an admin revokes them (401 INVALID_SESSION_ID next).
  http::Response handle_admin(const http::Request& request, std::string_view subpath) override;

  struct Call;  // one API request (salesforce_http.hpp)

 private:
  struct QueryCursor {
    std::vector<Json> rows;  // every row of the result, rendered
    std::int64_t total = 0;
  };

  http::Response token(const http::Request& request);
  http::Response route(Call& call);

  // sObjects (salesforce_records.cpp).
  http::Response create(Call& call, const SObjectSpec& object);
  http::Response read(Call& call, const SObjectSpec& object, const std::string& id);
  http::Response update(Call& call, const SObjectSpec& object, const std::string& id);
  http::Response remove(Call& call, const SObjectSpec& object, const std::string& id);
  http::Response upsert(Call& call, const SObjectSpec& object, const std::string& field,
                        const std::string& value);
  http::Response read_by_external_id(Call& call, const SObjectSpec& object,
                                     const std::string& field, const std::string& value);
  // The request body's fields, checked against the sObject; a 400 otherwise.
  Result<Json, http::Response> writable_fields(Call& call, const SObjectSpec& object,
                                               bool creating);
  // Writes `fields` into `record` (new when `creating`), derives fields, stamps the dates;
  // the fields whose values changed.
  std::vector<std::string> write(const SObjectSpec& object, Json& record, const Json& fields,
                                 bool creating, std::chrono::system_clock::time_point now);
  Json render(const Call& call, const SObjectSpec& object, const Json& record,
              const std::vector<std::string>* only = nullptr) const;
  void send_webhook(const SObjectSpec& object, const std::string& action, const Json& record,
                    std::vector<std::string> changed_fields);

  // Queries (salesforce_records.cpp).
  http::Response query(Call& call);
  http::Response query_more(Call& call, const std::string& locator);
  http::Response query_page(Call& call, const std::string& locator, std::size_t offset);

  const std::string platform_ = "salesforce";
  const Credentials& credentials_;
  ClockPtr clock_;
  WebhookOutbox& outbox_;
  Options options_;

  mutable std::mutex mutex_;
  // Records by sObject name, then by 15-character id (stored without "attributes").
  std::map<std::string, std::map<std::string, Json>> records_;
  std::set<std::string> deleted_;  // 15-character ids
  std::map<std::string, std::chrono::system_clock::time_point> tokens_;  // token → expiry
  std::map<std::string, QueryCursor> cursors_;  // locator → result
  std::int64_t next_counter_ = 1;
  std::int64_t next_locator_ = 1;
  std::int64_t contract_number_ = 100;
  // The last SystemModstamp given (ms): each write gets a later one, as an org's writes,
  // each its own transaction, never share a millisecond; the relay's event ids name a record
  // version by it, so two writes in one millisecond would look like one change.
  std::int64_t last_stamp_ms_ = 0;
  std::int64_t api_day_ = -1;
  std::int64_t api_calls_today_ = 0;
};

}  // namespace weft::sandbox::salesforce
