#include "reconcile/platform_reads.hpp"

#include <algorithm>
#include <set>
#include <thread>
#include <variant>

#include "core/time_format.hpp"
#include "http/router.hpp"

namespace weft::reconcile {

namespace {

using delivery::Failure;
using delivery::FailureClass;
using nlohmann::json;

constexpr int kStripePageSize = 100;  // Stripe's maximum
constexpr const char* kErpColumns =
    "SELECT id, externalid, type, foreigntotal, currency, trandate FROM transaction WHERE ";

Failure unreadable(std::string message) {
  Failure f;
  f.cls = FailureClass::transient;
  f.message = std::move(message);
  return f;
}

// A SuiteQL string literal ('' escapes a quote).
std::string sql_text(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// The UTC calendar day of a time, for TO_DATE.
std::string day_of(std::int64_t unix_ms) { return format_iso8601_ms(unix_ms).substr(0, 10); }

std::string text_of(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  return value.dump();
}

std::optional<BillingInvoice> billing_invoice(const json& item) {
  if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) return std::nullopt;
  BillingInvoice b;
  b.id = item["id"].get<std::string>();
  b.status = item.value("status", "");
  b.currency = item.value("currency", "");
  b.number = item.contains("number") && item["number"].is_string()
                 ? item["number"].get<std::string>()
                 : "";
  const auto integer = [&](const char* key) {
    const auto it = item.find(key);
    return it != item.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
  };
  b.total = integer("total");
  b.amount_paid = integer("amount_paid");
  b.created_s = integer("created");
  return b;
}

ErpRecord erp_record(const json& item) {
  ErpRecord r;
  r.id = text_of(item.value("id", json()));
  r.external_id = text_of(item.value("externalid", json()));
  const std::string type = text_of(item.value("type", json()));
  r.kind = type == "CustInvc"   ? ErpRecord::Kind::invoice
           : type == "CustPymt" ? ErpRecord::Kind::payment
                                : ErpRecord::Kind::other;
  r.currency_id = text_of(item.value("currency", json()));
  r.amount = item.value("foreigntotal", json());
  r.date = text_of(item.value("trandate", json()));
  return r;
}

}  // namespace

PlatformReads::PlatformReads(engine::ActionInvoker& invoker, NextPage next_page,
                             const PostingSetup& setup, ReadOptions options)
    : invoker_(invoker),
      next_page_(std::move(next_page)),
      setup_(setup),
      options_(options),
      correlation_id_(http::correlation_id_for(http::Headers{})) {}

engine::ActionRequest PlatformReads::request(const std::string& connector, const char* action,
                                             json input) const {
  engine::ActionRequest r;
  r.connector = connector;
  r.action = action;
  r.input = std::move(input);
  r.correlation_id = correlation_id_;  // reads carry no idempotency key: they have no effect
  return r;
}

Result<json, Failure> PlatformReads::invoke(engine::ActionRequest request) {
  auto delay = options_.retry_delay;
  for (int attempt = 1;; ++attempt) {
    engine::ActionOutcome outcome = invoker_.invoke(request);
    if (auto* success = std::get_if<engine::ActionSuccess>(&outcome))
      return std::move(success->output);
    if (const auto* deferred = std::get_if<engine::Deferred>(&outcome)) {
      const auto wait = std::max(deferred->wait, std::chrono::milliseconds(10));
      if (waited_ + wait > options_.max_wait) {
        return fail(unreadable(request.connector + " kept deferring reads for longer than " +
                               std::to_string(options_.max_wait.count() / 1000) + " s (" +
                               deferred->reason + ")"));
      }
      waited_ += wait;
      std::this_thread::sleep_for(wait);
      --attempt;  // not an attempt: nothing was sent
      continue;
    }
    Failure failure = std::get<Failure>(std::move(outcome));
    const bool retryable =
        failure.cls == FailureClass::transient || failure.cls == FailureClass::rate_limited;
    if (!retryable || attempt >= options_.attempts) {
      failure.message = request.connector + "." + request.action + ": " + failure.message;
      return fail(std::move(failure));
    }
    std::this_thread::sleep_for(
        std::min(failure.retry_after.value_or(delay), std::chrono::milliseconds(5000)));
    delay *= 2;
  }
}

Result<std::vector<json>, Failure> PlatformReads::every_page(engine::ActionRequest request,
                                                             const char* items_key) {
  std::vector<json> items;
  for (std::size_t pages = 0;; ++pages) {
    if (pages == options_.max_pages) {
      return fail(unreadable(request.connector + "." + request.action + " has more than " +
                             std::to_string(options_.max_pages) +
                             " pages; choose a shorter period"));
    }
    auto page = invoke(request);
    if (!page) return fail(std::move(page).error());
    const auto list = page->find(items_key);
    if (list == page->end() || !list->is_array()) {
      return fail(
          unreadable(request.connector + "." + request.action + " answered without " + items_key));
    }
    auto next = next_page_(request, *page);  // before the items are moved out of the page
    for (auto& item : *list) items.push_back(std::move(item));
    if (!next) return items;
    request.input = std::move(*next);
  }
}

Result<std::vector<BillingInvoice>, Failure> PlatformReads::billing_invoices(std::int64_t from_ms,
                                                                             std::int64_t to_ms) {
  const auto seconds = [](std::int64_t ms) { return (ms + 999) / 1000; };  // created is whole s
  auto items = every_page(request(setup_.billing_connector, "list_invoices",
                                  {{"created", {{"gte", seconds(from_ms)}, {"lt", seconds(to_ms)}}},
                                   {"limit", kStripePageSize}}),
                          "data");
  if (!items) return fail(std::move(items).error());
  std::vector<BillingInvoice> out;
  for (const json& item : *items) {
    auto b = billing_invoice(item);
    if (!b) return fail(unreadable("list_invoices returned an item without an id"));
    if (b->status == "draft" || b->status.empty()) continue;  // not postable
    out.push_back(std::move(*b));
  }
  return out;
}

Result<std::vector<ErpRecord>, Failure> PlatformReads::suiteql(const std::string& where) {
  auto items = every_page(
      request(setup_.erp_connector, "suiteql", {{"q", kErpColumns + where + " ORDER BY id"}}),
      "items");
  if (!items) return fail(std::move(items).error());
  std::vector<ErpRecord> out;
  for (const json& item : *items) out.push_back(erp_record(item));
  return out;
}

Result<std::vector<ErpRecord>, Failure> PlatformReads::erp_records(
    std::int64_t from_ms, std::int64_t to_ms, const std::vector<BillingInvoice>& billing) {
  // In SQL LIKE, _ matches any one character: the exact prefix is checked by invoice_id_of.
  auto in_period = suiteql("externalid LIKE 'in_%' AND trandate >= TO_DATE(" +
                           sql_text(day_of(from_ms)) + ", 'YYYY-MM-DD') AND trandate <= TO_DATE(" +
                           sql_text(day_of(std::max(from_ms, to_ms - 1))) + ", 'YYYY-MM-DD')");
  if (!in_period) return fail(std::move(in_period).error());
  std::vector<ErpRecord> out;
  std::set<std::string> invoiced, paid;
  for (ErpRecord& r : *in_period) {
    const auto invoice = invoice_id_of(r.external_id);
    if (!invoice) continue;
    if (r.kind == ErpRecord::Kind::invoice) invoiced.insert(*invoice);
    if (r.kind == ErpRecord::Kind::payment) paid.insert(*invoice);
    out.push_back(std::move(r));
  }
  for (const BillingInvoice& b : billing) {
    const bool wants_payment = b.status == "paid" && b.amount_paid > 0;
    if (invoiced.contains(b.id) && (!wants_payment || paid.contains(b.id))) continue;
    auto found = suiteql("externalid LIKE " + sql_text(b.id + "%"));
    if (!found) return fail(std::move(found).error());
    for (ErpRecord& r : *found) {
      if (invoice_id_of(r.external_id) == b.id) out.push_back(std::move(r));
    }
  }
  return out;
}

Result<void, Failure> PlatformReads::drop_other_periods(
    std::vector<ErpRecord>& erp, const std::vector<BillingInvoice>& billing) {
  std::set<std::string, std::less<>> listed, elsewhere;
  for (const auto& b : billing) listed.insert(b.id);
  std::set<std::string, std::less<>> asked;
  for (const ErpRecord& r : erp) {
    const auto invoice = invoice_id_of(r.external_id);
    if (!invoice || listed.contains(*invoice) || !asked.insert(*invoice).second) continue;
    auto found = invoke(request(setup_.billing_connector, "get_invoice", {{"id", *invoice}}));
    if (found) {
      elsewhere.insert(*invoice);
    } else if (found.error().http_status != 404) {
      return fail(std::move(found).error());
    }
  }
  std::erase_if(erp, [&](const ErpRecord& r) {
    const auto invoice = invoice_id_of(r.external_id);
    return invoice && elsewhere.contains(*invoice);
  });
  return {};
}

}  // namespace weft::reconcile
