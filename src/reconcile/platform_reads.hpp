#pragma once
// Reads what reconciliation compares from the platforms themselves, through the configured
// outbound connectors and the delivery layer (so reads respect each connector's rate limit,
// concurrency cap and circuit breaker, as workflow calls do):
//   billing: list_invoices created in [from, to), every page (Stripe: starting_after), drafts
//            left out (not postable);
//   ERP:     SuiteQL on `transaction` — the records whose externalId starts with in_ dated in
//            the period, then, for each invoice whose records that did not find (posted on
//            another day), a lookup by its externalId;
//   billing again for ERP records of invoices outside the list: get_invoice says whether
//            billing has the invoice at all (created in another period) or not.
// A read the delivery layer defers (rate limit, open circuit) is waited for, up to
// `max_wait`; a transient failure is tried again a few times; any other failure, or one that
// persists, ends the read with that Failure (class and message) — never a partial answer.
//
// Threads: one PlatformReads per run; it calls the invoker from the calling thread.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "delivery/failure.hpp"
#include "engine/action_invoker.hpp"
#include "reconcile/comparison.hpp"
#include "reconcile/posting_setup.hpp"
#include "weft/result.hpp"

namespace weft::reconcile {

// The input of the page after `output` for a list action, or nullopt on the last page: the
// connector's own OutboundConnector::next_page (DeliveryInvoker::next_page in the hub).
using NextPage = std::function<std::optional<nlohmann::json>(const engine::ActionRequest&,
                                                             const nlohmann::json& output)>;

struct ReadOptions {
  std::chrono::milliseconds max_wait{std::chrono::seconds(60)};  // deferred reads, in all
  int attempts = 3;                                              // per read, for transient failures
  std::chrono::milliseconds retry_delay{std::chrono::milliseconds(200)};  // doubled per retry
  std::size_t max_pages = 1000;  // per listing: a runaway listing fails the run
};

class PlatformReads {
 public:
  PlatformReads(engine::ActionInvoker& invoker, NextPage next_page, const PostingSetup& setup,
                ReadOptions options = {});

  Result<std::vector<BillingInvoice>, delivery::Failure> billing_invoices(std::int64_t from_ms,
                                                                          std::int64_t to_ms);
  // The ERP records of the period, and of each invoice of `billing` they do not cover.
  Result<std::vector<ErpRecord>, delivery::Failure> erp_records(
      std::int64_t from_ms, std::int64_t to_ms, const std::vector<BillingInvoice>& billing);
  // Drops the ERP records of invoices that billing has after all (created outside the period):
  // they belong to another period's report, not to this one's differences.
  Result<void, delivery::Failure> drop_other_periods(std::vector<ErpRecord>& erp,
                                                     const std::vector<BillingInvoice>& billing);

 private:
  Result<nlohmann::json, delivery::Failure> invoke(engine::ActionRequest request);
  // Every page of a list action: the items of each page (`items_key` of its output).
  Result<std::vector<nlohmann::json>, delivery::Failure> every_page(engine::ActionRequest request,
                                                                    const char* items_key);
  Result<std::vector<ErpRecord>, delivery::Failure> suiteql(const std::string& where);
  engine::ActionRequest request(const std::string& connector, const char* action,
                                nlohmann::json input) const;

  engine::ActionInvoker& invoker_;
  NextPage next_page_;
  const PostingSetup& setup_;
  ReadOptions options_;
  std::chrono::milliseconds waited_{0};
  std::string correlation_id_;
};

}  // namespace weft::reconcile
