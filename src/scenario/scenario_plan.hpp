#pragma once
// The seeded scenario (docs/scenario.md): from a seed and a number of customers, the list of
// operations that play a company's month across Stripe, Zendesk, NetSuite and Salesforce —
// customers that exist on all four platforms, then invoices, payments, subscription upgrades,
// credit requests, invoice disputes, chargebacks (some of them later resolved), credit holds,
// closed-won deals, refund requests and replacement requests, interleaved as they would arrive.
//
// Planning is pure: the same options give the same operations, byte for byte (the draws use
// std::mt19937_64 and plain modulo, never a standard distribution, whose results differ
// between standard libraries). Ids the platforms assign (cus_…, ticket ids, Salesforce ids)
// are not known when planning: an input refers to an earlier operation's output with
// "{{<operation id>#<JSON pointer>}}" (resolve_references, when playing).
//
// Linking convention (the demo's): a NetSuite customer's externalId, a Zendesk organization's
// external_id and a Salesforce Account's External_Id__c are the Stripe customer id.
//
// Threads: pure functions.

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "weft/result.hpp"

namespace weft::scenario {

// The Salesforce field that carries the linking external id (the sandbox reports the first
// custom field whose name contains "External_Id" as a relayed record's external_id).
inline constexpr const char* kSalesforceExternalIdField = "External_Id__c";
// Zendesk custom ticket fields the scenario fills (ids are per account; these are the demo's).
inline constexpr std::int64_t kInvoiceFieldId = 360000101;       // the Stripe invoice id
inline constexpr std::int64_t kCreditAmountFieldId = 360000102;  // requested credit, minor units
inline constexpr std::int64_t kReplacementItemFieldId = 360000106;      // NetSuite item internal id
inline constexpr std::int64_t kReplacementQuantityFieldId = 360000107;  // how many to replace
// What the service-credit workflow writes back (workflows/service-credit.yaml's vars).
inline constexpr std::int64_t kCreditNoteFieldId = 360000103;    // the Stripe credit note id
inline constexpr const char* kCreditIssuedTag = "service_credit_issued";
inline constexpr std::int64_t kDisputeResolutionFieldId = 360000105;  // how a dispute was resolved
// The tags of the scenario's tickets.
inline constexpr const char* kCreditRequestTag = "service_credit_request";
inline constexpr const char* kInvoiceDisputeTag = "invoice_dispute";
inline constexpr const char* kRefundRequestTag = "refund_request";
inline constexpr const char* kReplacementRequestTag = "replacement_request";

// The scenario's customers: at least 1; more than kMaxCustomers is refused (it would take
// the sandbox's request log past what it keeps).
inline constexpr int kMaxCustomers = 5000;

struct PlanOptions {
  std::uint64_t seed = 1;
  int customers = 200;
};

enum class Channel {
  api,             // a connector action (`action`) on `platform`, through its real API
  sandbox_helper,  // POST `action` (a /_sandbox/<platform>/… path) with `input` as JSON body
};

struct Operation {
  std::string id;        // unique in the plan, e.g. "c007.invoice1.finalize"
  std::string platform;  // stripe | zendesk | netsuite | salesforce
  Channel channel = Channel::api;
  std::string action;        // connector action, or the helper's path
  nlohmann::json input;      // may hold {{…}} references to earlier operations' outputs
  std::string idempotency_key;  // "scenario-<seed>-<id>": a replayed scenario changes nothing
};

struct Plan {
  PlanOptions options;
  std::vector<Operation> operations;
  // How many of each business activity the plan holds ("customers", "invoices", …), for
  // progress lines and tests.
  std::map<std::string, int> counts;
};

// The operations for `options`; an error names the option that is out of range.
Result<Plan, std::string> plan_scenario(const PlanOptions& options);

// "{{<id>#<pointer>}}": a reference to an operation's output.
std::string reference(const std::string& operation_id, const std::string& pointer);

// `input` with every reference replaced from `outputs` (operation id → its output). A string
// that is exactly one reference becomes the referenced JSON value (a number stays a number);
// references inside a longer string are replaced by the value's text. An error names the
// reference that names an unknown operation or a pointer with nothing behind it.
Result<nlohmann::json, std::string> resolve_references(
    const nlohmann::json& input, const std::map<std::string, nlohmann::json>& outputs);

}  // namespace weft::scenario
