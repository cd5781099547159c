#include "views/account_status.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <vector>

#include "views/invoice_status.hpp"

namespace weft::views {

using nlohmann::json;

namespace {

// The subscription states an account can be in, the most telling first: an account with one
// active and one canceled subscription is active. (Stripe's statuses.)
constexpr std::array<std::string_view, 8> kSubscriptionStates{
    "active", "trialing",   "past_due",           "unpaid",
    "paused", "incomplete", "incomplete_expired", "canceled"};
// Entitled while active, trialing or past_due (Stripe still retries the payment): the rule the
// subscription-change workflow writes to the support platform's entitlement fields.
constexpr std::array<std::string_view, 3> kEntitledStates{"active", "trialing", "past_due"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

json support_part(const std::vector<CanonicalRecord>& cases, std::int64_t now_ms) {
  if (cases.empty()) return nullptr;
  json open = {{"urgent", 0}, {"high", 0}, {"normal", 0}, {"low", 0}};
  std::int64_t total_open = 0;
  std::int64_t status_unknown = 0;
  Freshness freshness;
  for (const CanonicalRecord& record : cases) {
    freshness.use(record, "status");
    const auto status = string_of(field_value(record, "status"));
    if (!status) {  // only events without a status seen (case.field_changed): not counted
      ++status_unknown;
      continue;
    }
    if (*status == "solved" || *status == "closed") continue;
    freshness.use(record, "priority");
    // Zendesk tickets need not have a priority; one without counts as normal, the priority
    // Zendesk's own views and SLAs treat it as.
    std::string priority = string_of(field_value(record, "priority")).value_or("normal");
    if (!open.contains(priority)) priority = "normal";
    open[priority] = open[priority].get<std::int64_t>() + 1;
    ++total_open;
  }
  return {{"open_cases", std::move(open)},
          {"total_open", total_open},
          {"status_unknown", status_unknown},
          {"freshness", freshness.to_json(now_ms)}};
}

json billing_part(const std::vector<CanonicalRecord>& invoices, std::int64_t now_ms) {
  Freshness freshness;
  std::map<std::string, std::int64_t> unpaid;  // by currency
  std::int64_t open_invoices = 0;
  std::int64_t overdue_invoices = 0;
  std::optional<std::int64_t> oldest_overdue_days;
  bool known = false;
  for (const CanonicalRecord& record : invoices) {
    const BillingBalance balance = billing_balance(record, freshness);
    known = known || balance.known;
    if (!balance.unpaid()) continue;
    ++open_invoices;
    // An amount without a currency cannot be added to any: it still counts as open.
    if (balance.currency) unpaid[*balance.currency] += *balance.owed;
    if (const auto days = balance.overdue_days(now_ms)) {
      ++overdue_invoices;
      oldest_overdue_days = std::max(oldest_overdue_days.value_or(0), *days);
    }
  }
  if (!known) return nullptr;  // only ERP postings seen: no balance known
  json amounts = json::array();
  for (const auto& [currency, amount] : unpaid) {
    amounts.push_back({{"currency", currency}, {"amount", amount}});
  }
  return {{"unpaid", std::move(amounts)},
          {"open_invoices", open_invoices},
          {"overdue_invoices", overdue_invoices},
          {"oldest_overdue_days", oldest_overdue_days ? json(*oldest_overdue_days) : json()},
          {"freshness", freshness.to_json(now_ms)}};
}

json items_of(const std::optional<json>& items) {
  json out = json::array();
  if (!items || !items->is_array()) return out;
  for (const json& item : *items) {
    if (!item.is_object()) continue;
    const auto text = [&](const char* name) {
      return item.contains(name) && item[name].is_string() ? item[name] : json();
    };
    out.push_back({{"price_id", text("price_id")},
                   {"product_id", text("product_id")},
                   {"quantity", item.contains("quantity") && item["quantity"].is_number_integer()
                                    ? item["quantity"]
                                    : json()},
                   {"interval", text("interval")},
                   {"current_period_end", text("current_period_end")}});
  }
  return out;
}

struct SubscriptionParts {
  json subscription;
  json entitlements;
};

ViewResult<SubscriptionParts> subscription_parts(IdentityStore& store,
                                                 const std::vector<CanonicalRecord>& subscriptions,
                                                 std::int64_t now_ms) {
  if (subscriptions.empty()) return SubscriptionParts{nullptr, nullptr};
  Freshness freshness;
  json list = json::array();
  std::optional<std::size_t> state;  // index into kSubscriptionStates
  bool entitled = false;
  std::set<std::string> products;
  std::int64_t seats = 0;
  for (const CanonicalRecord& record : subscriptions) {
    auto links = links_json(store, record.canonical_id);
    if (!links) return fail(std::move(links).error());
    freshness.use(record, "status");
    freshness.use(record, "items");
    freshness.use(record, "cancel_at_period_end");
    const auto status = string_of(field_value(record, "status"));
    const json items = items_of(field_value(record, "items"));
    if (status) {
      const auto at = std::find(kSubscriptionStates.begin(), kSubscriptionStates.end(), *status);
      if (at != kSubscriptionStates.end()) {
        const auto index = static_cast<std::size_t>(at - kSubscriptionStates.begin());
        state = std::min(state.value_or(index), index);
      }
      if (contains(kEntitledStates, *status)) {
        entitled = true;
        for (const json& item : items) {
          if (item["product_id"].is_string()) {
            products.insert(item["product_id"].get<std::string>());
          }
          if (item["quantity"].is_number_integer()) seats += item["quantity"].get<std::int64_t>();
        }
      }
    }
    const auto cancel = field_value(record, "cancel_at_period_end");
    list.push_back({{"id", record.canonical_id},
                    {"links", std::move(*links)},
                    {"status", or_null(status)},
                    {"cancel_at_period_end", cancel && cancel->is_boolean() ? *cancel : json()},
                    {"items", items}});
  }
  const json fresh = freshness.to_json(now_ms);
  return SubscriptionParts{{{"state", state ? json(kSubscriptionStates[*state]) : json()},
                            {"subscriptions", std::move(list)},
                            {"freshness", fresh}},
                           {{"entitled", entitled},
                            {"products", json(products)},
                            {"seats", seats},
                            {"freshness", fresh}}};
}

json credit_hold_part(const CanonicalRecord* customer, std::int64_t now_ms) {
  if (customer == nullptr) return nullptr;
  const auto on_hold = field_value(*customer, "on_hold");
  if (!on_hold || !on_hold->is_boolean()) return nullptr;  // no hold ever reported
  Freshness freshness;
  freshness.use(*customer, "on_hold");
  freshness.use(*customer, "credit_hold_override");
  return {{"on_hold", *on_hold},
          {"override", or_null(string_of(field_value(*customer, "credit_hold_override")))},
          {"freshness", freshness.to_json(now_ms)}};
}

}  // namespace

ViewResult<json> account_status(IdentityStore& store, std::string_view reference,
                                std::int64_t now_ms) {
  auto customer = resolve_reference(store, "customer", reference);
  if (!customer) return fail(std::move(customer).error());
  auto links = links_json(store, customer->id);
  if (!links) return fail(std::move(links).error());
  auto record = store.load_record(customer->id);
  if (!record) return fail(storage_error(record.error(), "load " + customer->id));
  const CanonicalRecord* account = record->has_value() ? &**record : nullptr;

  const auto related = [&](std::string_view kind) -> ViewResult<std::vector<CanonicalRecord>> {
    auto records = store.related_records(customer->id, kind);
    if (!records) {
      return fail(
          storage_error(records.error(), "list the " + std::string(kind) + "s of " + customer->id));
    }
    return std::move(*records);
  };
  auto cases = related("case");
  if (!cases) return fail(std::move(cases).error());
  auto invoices = related("invoice");
  if (!invoices) return fail(std::move(invoices).error());
  auto subscriptions = related("subscription");
  if (!subscriptions) return fail(std::move(subscriptions).error());
  auto subscription = subscription_parts(store, *subscriptions, now_ms);
  if (!subscription) return fail(std::move(subscription).error());

  json name = account != nullptr ? or_null(string_of(field_value(*account, "name"))) : json();
  return json{
      {"account", {{"id", customer->id}, {"name", std::move(name)}, {"links", std::move(*links)}}},
      {"support", support_part(*cases, now_ms)},
      {"billing", billing_part(*invoices, now_ms)},
      {"subscription", std::move(subscription->subscription)},
      {"credit_hold", credit_hold_part(account, now_ms)},
      {"entitlements", std::move(subscription->entitlements)},
      {"as_of", rfc3339(now_ms)}};
}

}  // namespace weft::views
