#include "views/invoice_status.hpp"

namespace weft::views {

using nlohmann::json;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

// The platform id the entity has on `connector` (its first, should it have several).
json platform_id_on(const json& links, const std::string& connector) {
  for (const json& link : links) {
    if (link["connector"] == connector) return link["platform_id"];
  }
  return nullptr;
}

// The field's text when `connector` set it (the record keeps the newest value only).
json text_from(const CanonicalRecord& record, std::string_view name, const std::string& connector,
               Freshness& freshness) {
  const FieldState* state = field_state(record, name);
  if (state == nullptr || state->connector != connector) return nullptr;
  freshness.use(*state);
  return or_null(string_of(field_value(record, name)));
}

json billing_part(const CanonicalRecord& record, const json& links, std::int64_t now_ms) {
  Freshness freshness;
  const BillingBalance balance = billing_balance(record, freshness);
  if (!balance.known) return nullptr;
  // Billing is the platform the amounts came from.
  const FieldState* amounts = field_state(record, "amount_due");
  if (amounts == nullptr) amounts = field_state(record, "amount_remaining");
  if (amounts == nullptr) amounts = field_state(record, "total");
  const std::string connector = amounts->connector;
  const auto amount = [&](std::string_view name) {
    const FieldState* state = freshness.use(record, name);
    return state != nullptr ? or_null(integer_of(field_value(record, name))) : json();
  };
  const auto overdue = balance.overdue_days(now_ms);
  json out = {{"connector", connector},
              {"platform_id", platform_id_on(links, connector)},
              {"number", text_from(record, "number", connector, freshness)},
              {"status", balance.status},
              {"currency", or_null(balance.currency)},
              {"total", amount("total")},
              {"amount_due", amount("amount_due")},
              {"amount_paid", amount("amount_paid")},
              {"amount_remaining", amount("amount_remaining")},
              {"due_date", or_null(string_of(field_value(record, "due_date")))},
              {"paid_at", or_null(string_of(field_value(record, "paid_at")))},
              {"overdue_days", overdue ? json(*overdue) : json()}};
  out["freshness"] = freshness.to_json(now_ms);
  return out;
}

json erp_part(const CanonicalRecord& record, const json& links, std::int64_t now_ms) {
  const FieldState* posted = field_state(record, "tran_date");
  if (posted == nullptr) return nullptr;
  Freshness freshness;
  freshness.use(*posted);
  const std::string connector = posted->connector;
  json out = {{"connector", connector},
              {"platform_id", platform_id_on(links, connector)},
              {"posted", true},
              {"number", text_from(record, "number", connector, freshness)},
              {"tran_date", or_null(string_of(field_value(record, "tran_date")))}};
  out["freshness"] = freshness.to_json(now_ms);
  return out;
}

ViewResult<json> customer_of(IdentityStore& store, std::string_view invoice_id) {
  auto relations = store.relations_of(invoice_id);
  if (!relations) {
    return fail(
        storage_error(relations.error(), "list the relations of " + std::string(invoice_id)));
  }
  for (const IdentityRelation& relation : *relations) {
    if (relation.related_kind != "customer") continue;
    auto record = store.load_record(relation.related_id);
    if (!record) return fail(storage_error(record.error(), "load " + relation.related_id));
    json name = *record ? or_null(string_of(field_value(**record, "name"))) : json();
    return json{{"id", relation.related_id}, {"name", std::move(name)}};
  }
  return json();
}

}  // namespace

bool BillingBalance::unpaid() const {
  return known && status != "paid" && status != "void" && owed.value_or(0) > 0;
}

std::optional<std::int64_t> BillingBalance::overdue_days(std::int64_t now_ms) const {
  if (!unpaid() || !due_ms || *due_ms >= now_ms) return std::nullopt;
  return (now_ms - *due_ms) / kDayMs;
}

BillingBalance billing_balance(const CanonicalRecord& record, Freshness& freshness) {
  BillingBalance balance;
  balance.known = field_state(record, "amount_due") != nullptr ||
                  field_state(record, "amount_remaining") != nullptr ||
                  field_state(record, "total") != nullptr;
  if (!balance.known) return balance;
  freshness.use(record, "status");
  freshness.use(record, "paid_at");
  freshness.use(record, "currency");
  freshness.use(record, "due_date");
  const auto status = string_of(field_value(record, "status"));
  const bool paid_at = string_of(field_value(record, "paid_at")).has_value();
  if (status == "void") {
    balance.status = "void";
  } else if (status == "paid" || paid_at) {
    balance.status = "paid";
  } else {
    balance.status = status.value_or("open");
  }
  balance.currency = string_of(field_value(record, "currency"));
  for (const char* owed : {"amount_remaining", "amount_due"}) {
    freshness.use(record, owed);
    balance.owed = integer_of(field_value(record, owed));
    if (balance.owed) break;
  }
  balance.due_ms = time_of(field_value(record, "due_date"));
  return balance;
}

ViewResult<json> invoice_status(IdentityStore& store, std::string_view reference,
                                std::int64_t now_ms) {
  auto invoice = resolve_reference(store, "invoice", reference);
  if (!invoice) return fail(std::move(invoice).error());
  auto links = links_json(store, invoice->id);
  if (!links) return fail(std::move(links).error());
  auto record = store.load_record(invoice->id);
  if (!record) return fail(storage_error(record.error(), "load " + invoice->id));
  const CanonicalRecord stored =
      record->value_or(CanonicalRecord{invoice->id, invoice->kind, {}, 0});
  auto customer = customer_of(store, invoice->id);
  if (!customer) return fail(std::move(customer).error());
  return json{{"invoice", {{"id", invoice->id}, {"links", *links}}},
              {"customer", std::move(*customer)},
              {"billing", billing_part(stored, *links, now_ms)},
              {"erp", erp_part(stored, *links, now_ms)},
              {"as_of", rfc3339(now_ms)}};
}

}  // namespace weft::views
