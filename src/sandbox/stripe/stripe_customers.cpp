// Customers and their balance transactions.

#include <algorithm>
#include <cctype>

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_list.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

// The fields a customer create or update sets directly from its parameters.
void apply_customer_params(Params& p, json& customer) {
  for (const char* name : {"description", "email", "name", "phone", "tax_exempt", "invoice_prefix"}) {
    if (auto value = p.text(name)) customer[name] = value->empty() ? json() : json(*value);
  }
  if (auto balance = p.integer("balance")) customer["balance"] = *balance;
  if (auto metadata = p.metadata()) merge_metadata(customer["metadata"], *metadata);
  for (const char* name : {"address", "shipping"}) {
    if (auto value = p.object(name)) customer[name] = *value;
  }
  if (auto locales = p.array("preferred_locales")) customer["preferred_locales"] = *locales;
  if (auto settings = p.object("invoice_settings")) {
    for (const auto& [key, value] : settings->items()) customer["invoice_settings"][key] = value;
  }
  if (auto prefix = p.text("invoice_prefix")) {
    const bool valid = prefix->size() >= 3 && prefix->size() <= 12 &&
                       std::all_of(prefix->begin(), prefix->end(), [](char c) {
                         return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
                       });
    if (!valid) {
      p.fail(invalid_param("Invoice prefix must be 3 to 12 uppercase letters or digits.", "invoice_prefix"));
    }
  }
}

}  // namespace

Reply Api::create_customer(Params& p) {
  json customer = customer_template();
  customer["id"] = new_id("cus");
  customer["created"] = now();
  customer["livemode"] = context_.livemode;
  std::string prefix = store_.new_secret(8);
  for (char& c : prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  customer["invoice_prefix"] = prefix;
  apply_customer_params(p, customer);
  if (p.failed()) return p.error();
  save("customers", customer);
  emit("customer.created", customer);
  return ok(customer);
}

Reply Api::retrieve_customer(const std::string& id) {
  const json* customer = find("customers", id);
  if (customer == nullptr) return no_such("customer", id);
  if (customer->value("deleted", false)) return ok(json{{"id", id}, {"object", "customer"}, {"deleted", true}});
  return ok(*customer);
}

Reply Api::update_customer(const std::string& id, Params& p) {
  json* customer = live_customer(id);
  if (customer == nullptr) return no_such("customer", id);
  json updated = *customer;
  apply_customer_params(p, updated);
  if (p.failed()) return p.error();
  const json previous = changed_fields(*customer, updated);
  *customer = updated;
  if (!previous.empty()) emit("customer.updated", updated, previous);
  return ok(updated);
}

Reply Api::delete_customer(const std::string& id) {
  json* customer = live_customer(id);
  if (customer == nullptr) return no_such("customer", id);
  const json last = *customer;
  (*customer)["deleted"] = true;  // kept so that GET answers {"deleted": true}, as Stripe does
  // Deleting a customer cancels its subscriptions at once.
  for (const auto& sub_id : store_.get("subscriptions").order()) {
    json& sub = *find("subscriptions", sub_id);
    if (sub["customer"] == id && sub["status"] != "canceled") {
      sub["status"] = "canceled";
      sub["canceled_at"] = now();
      sub["ended_at"] = now();
      emit("customer.subscription.deleted", sub);
    }
  }
  emit("customer.deleted", last);
  return ok(json{{"id", id}, {"object", "customer"}, {"deleted", true}});
}

json Api::new_balance_transaction(json& customer, std::int64_t amount, const std::string& currency,
                                  const std::string& type) {
  json txn = customer_balance_transaction_template();
  txn["id"] = new_id("cbtxn");
  txn["amount"] = amount;
  txn["created"] = now();
  txn["currency"] = currency;
  txn["customer"] = customer["id"];
  txn["livemode"] = context_.livemode;
  txn["type"] = type;
  const std::int64_t ending = customer["balance"].get<std::int64_t>() + amount;
  txn["ending_balance"] = ending;
  customer["balance"] = ending;
  if (customer["currency"].is_null()) customer["currency"] = currency;
  save("customer_balance_transactions", txn);
  return txn;
}

Reply Api::create_balance_transaction(const std::string& customer_id, Params& p) {
  const std::int64_t amount = p.required_integer("amount");
  std::string currency = p.required_text("currency");
  const auto description = p.text("description");
  const auto metadata = p.metadata();
  if (p.failed()) return p.error();
  json* customer = live_customer(customer_id);
  if (customer == nullptr) return no_such("customer", customer_id);
  for (char& c : currency) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!(*customer)["currency"].is_null() && (*customer)["currency"] != currency) {
    return invalid_state("The currency of the balance transaction (" + currency +
                             ") must match the customer's currency (" + (*customer)["currency"].get<std::string>() + ").",
                         "", "currency");
  }
  const json before = *customer;
  json txn = new_balance_transaction(*customer, amount, currency, "adjustment");
  if (description) txn["description"] = *description;
  if (metadata) merge_metadata(txn["metadata"], *metadata);
  save("customer_balance_transactions", txn);
  emit("customer.updated", *customer, changed_fields(before, *customer));
  return ok(txn);
}

Reply Api::retrieve_balance_transaction(const std::string& customer, const std::string& id) {
  const json* txn = find("customer_balance_transactions", id);
  if (txn == nullptr || (*txn)["customer"] != customer) return no_such("customer balance transaction", id);
  return ok(*txn);
}

Reply Api::update_balance_transaction(const std::string& customer, const std::string& id, Params& p) {
  const auto description = p.text("description");
  const auto metadata = p.metadata();
  if (p.failed()) return p.error();
  json* txn = find("customer_balance_transactions", id);
  if (txn == nullptr || (*txn)["customer"] != customer) return no_such("customer balance transaction", id);
  if (description) (*txn)["description"] = *description;
  if (metadata) merge_metadata((*txn)["metadata"], *metadata);
  return ok(*txn);
}

Reply Api::list_balance_transactions(const std::string& customer, Params& p) {
  if (live_customer(customer) == nullptr) return no_such("customer", customer);
  return list_page(store_.get("customer_balance_transactions"), p,
                   "/v1/customers/" + customer + "/balance_transactions",
                   [&](const json& o) { return o["customer"] == customer; }, "customer balance transaction");
}

}  // namespace weft::sandbox::stripe
