// Invoice items and invoices: draft → open (finalize) → paid | void | uncollectible.

#include <cctype>
#include <cstdio>

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_list.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::int64_t amount_of(const json& object, const char* name) {
  const json& value = field(object, name);
  return value.is_number_integer() ? value.get<std::int64_t>() : 0;
}

// The line of `invoice` made from invoice item `item_id`, or nullptr.
json* line_of_item(json& invoice, const std::string& item_id) {
  for (auto& line : invoice["lines"]["data"]) {
    const json& details = field(field(line, "parent"), "invoice_item_details");
    if (field(details, "invoice_item") == item_id) return &line;
  }
  return nullptr;
}

void remove_line_of_item(json& invoice, const std::string& item_id) {
  auto& lines = invoice["lines"]["data"];
  for (auto it = lines.begin(); it != lines.end(); ++it) {
    if (field(field(field(*it, "parent"), "invoice_item_details"), "invoice_item") == item_id) {
      lines.erase(it);
      return;
    }
  }
}

}  // namespace

json Api::line_for_item(const json& item) {
  json line = line_item_template();
  line["id"] = new_id("il");
  line["amount"] = item["amount"];
  line["subtotal"] = item["amount"];
  line["currency"] = item["currency"];
  line["description"] = item["description"];
  line["invoice"] = item["invoice"];
  line["livemode"] = item["livemode"];
  line["metadata"] = item["metadata"];
  line["period"] = item["period"];
  line["quantity"] = item["quantity"];
  line["quantity_decimal"] = std::to_string(amount_of(item, "quantity"));
  line["subscription"] = field(item, "subscription");
  line["parent"] = {{"type", "invoice_item_details"},
                    {"invoice_item_details",
                     {{"invoice_item", item["id"]},
                      {"proration", false},
                      {"proration_details", {{"credited_items", nullptr}}},
                      {"subscription", field(item, "subscription")}}},
                    {"subscription_item_details", nullptr}};
  line["pricing"] = item["pricing"];
  return line;
}

void Api::recompute_invoice(json& invoice) {
  std::int64_t subtotal = 0;
  for (const auto& line : invoice["lines"]["data"]) subtotal += amount_of(line, "amount");
  invoice["subtotal"] = invoice["subtotal_excluding_tax"] = subtotal;
  invoice["total"] = invoice["total_excluding_tax"] = subtotal;
  invoice["lines"]["url"] = "/v1/invoices/" + invoice["id"].get<std::string>() + "/lines";
  if (invoice["status"] == "draft") invoice["amount_due"] = invoice["amount_remaining"] = subtotal;
}

json Api::new_invoice(const json& customer, const std::string& currency) {
  json invoice = invoice_template();
  invoice["id"] = new_id("in");
  invoice["created"] = invoice["period_start"] = invoice["period_end"] = now();
  invoice["livemode"] = context_.livemode;
  invoice["currency"] = currency;
  invoice["customer"] = customer["id"];
  invoice["customer_email"] = customer["email"];
  invoice["customer_name"] = customer["name"];
  invoice["customer_phone"] = customer["phone"];
  invoice["customer_address"] = customer["address"];
  invoice["customer_shipping"] = customer["shipping"];
  invoice["customer_tax_exempt"] = customer["tax_exempt"];
  invoice["lines"]["url"] = "/v1/invoices/" + invoice["id"].get<std::string>() + "/lines";
  return invoice;
}

void Api::attach_items(json& invoice) {
  for (const auto& item_id : store_.get("invoiceitems").order()) {
    json& item = *find("invoiceitems", item_id);
    if (item["customer"] != invoice["customer"] || !item["invoice"].is_null() || item.value("deleted", false)) continue;
    item["invoice"] = invoice["id"];
    invoice["lines"]["data"].push_back(line_for_item(item));
  }
  recompute_invoice(invoice);
}

// ---- invoice items ----

Reply Api::create_invoiceitem(Params& p) {
  const std::string customer_id = p.required_text("customer");
  const auto amount = p.integer("amount");
  const auto price_id = p.text("price");
  const auto unit_amount = p.integer("unit_amount");
  const auto quantity = p.integer("quantity");
  const auto currency = p.text("currency");
  const auto description = p.text("description");
  const auto invoice_id = p.text("invoice");
  const auto subscription = p.text("subscription");
  const auto metadata = p.metadata();
  const auto period = p.object("period");
  const auto discountable = p.boolean("discountable");
  if (p.failed()) return p.error();
  const int given = (amount ? 1 : 0) + (price_id ? 1 : 0) + (unit_amount ? 1 : 0);
  if (given != 1) {
    return invalid_param("You must specify exactly one of `amount`, `price` or `unit_amount`.", "amount");
  }
  if (quantity && *quantity < 0) return invalid_param("Invalid non-negative integer", "quantity");
  json* customer = live_customer(customer_id);
  if (customer == nullptr) return no_such("customer", customer_id, "customer");

  json item = invoiceitem_template();
  item["id"] = new_id("ii");
  item["customer"] = customer_id;
  item["date"] = now();
  item["livemode"] = context_.livemode;
  item["period"] = {{"start", now()}, {"end", now()}};
  const std::int64_t qty = quantity.value_or(1);
  item["quantity"] = qty;
  item["quantity_decimal"] = std::to_string(qty);
  std::string item_currency = currency ? lower(*currency)
                              : customer->value("currency", json()).is_string() ? (*customer)["currency"].get<std::string>()
                                                                                  : "usd";
  std::int64_t unit = 0;
  if (price_id) {
    const json* price = find("prices", *price_id);
    if (price == nullptr) return no_such("price", *price_id, "price");
    unit = amount_of(*price, "unit_amount");
    item_currency = (*price)["currency"].get<std::string>();
    item["pricing"]["price_details"] = {{"price", *price_id}, {"product", (*price)["product"]}};
  } else if (unit_amount) {
    unit = *unit_amount;
  }
  const std::int64_t total = amount ? *amount : unit * qty;
  if (amount) unit = qty == 0 ? 0 : *amount / qty;
  item["amount"] = total;
  item["net_amount"] = total;
  item["currency"] = item_currency;
  item["pricing"]["unit_amount_decimal"] = std::to_string(unit);
  if (description) item["description"] = *description;
  if (metadata) merge_metadata(item["metadata"], *metadata);
  if (discountable) item["discountable"] = *discountable;
  if (subscription) {
    if (find("subscriptions", *subscription) == nullptr) return no_such("subscription", *subscription, "subscription");
    item["subscription"] = *subscription;
    item["parent"] = {{"type", "subscription_details"}, {"subscription_details", {{"subscription", *subscription}}}};
  }
  if (period) {
    Params range(*period, {"start", "end"}, "period");
    const auto start = range.required_integer("start");
    const auto end = range.required_integer("end");
    if (range.failed()) return range.error();
    item["period"] = {{"start", start}, {"end", end}};
  }
  json* invoice = nullptr;
  if (invoice_id) {
    invoice = find("invoices", *invoice_id);
    if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", *invoice_id, "invoice");
    if ((*invoice)["status"] != "draft") {
      return invalid_state("Invoice " + *invoice_id + " is no longer editable: invoice items can only be added to draft invoices.",
                           "invoice_not_editable", "invoice");
    }
    if ((*invoice)["customer"] != customer_id) {
      return invalid_param("The invoice " + *invoice_id + " belongs to a different customer.", "invoice");
    }
    item["invoice"] = *invoice_id;
  }
  if ((*customer)["currency"].is_null()) (*customer)["currency"] = item_currency;
  save("invoiceitems", item);
  if (invoice != nullptr) {
    (*invoice)["lines"]["data"].push_back(line_for_item(item));
    recompute_invoice(*invoice);
  }
  emit("invoiceitem.created", item);
  return ok(item);
}

Reply Api::update_invoiceitem(const std::string& id, Params& p) {
  json* item = find("invoiceitems", id);
  if (item == nullptr || item->value("deleted", false)) return no_such("invoiceitem", id);
  const auto amount = p.integer("amount");
  const auto quantity = p.integer("quantity");
  const auto unit_amount = p.integer("unit_amount");
  const auto price_id = p.text("price");
  const auto description = p.text("description");
  const auto metadata = p.metadata();
  const auto discountable = p.boolean("discountable");
  const auto period = p.object("period");
  if (p.failed()) return p.error();
  json* invoice = (*item)["invoice"].is_string() ? find("invoices", (*item)["invoice"].get<std::string>()) : nullptr;
  const bool changes_amount = amount || quantity || unit_amount || price_id;
  if (invoice != nullptr && (*invoice)["status"] != "draft" && changes_amount) {
    return invalid_state("Invoice items on a finalized invoice cannot be changed.", "invoice_not_editable");
  }
  json updated = *item;
  const std::int64_t qty = quantity.value_or(amount_of(updated, "quantity"));
  std::int64_t unit = 0;
  {
    const auto& decimal = updated["pricing"]["unit_amount_decimal"];
    if (decimal.is_string()) unit = std::stoll(decimal.get<std::string>());
  }
  if (price_id) {
    const json* price = find("prices", *price_id);
    if (price == nullptr) return no_such("price", *price_id, "price");
    unit = amount_of(*price, "unit_amount");
    updated["pricing"]["price_details"] = {{"price", *price_id}, {"product", (*price)["product"]}};
  }
  if (unit_amount) unit = *unit_amount;
  if (changes_amount) {
    const std::int64_t total = amount ? *amount : unit * qty;
    updated["amount"] = updated["net_amount"] = total;
    updated["quantity"] = qty;
    updated["quantity_decimal"] = std::to_string(qty);
    updated["pricing"]["unit_amount_decimal"] = std::to_string(amount ? (qty == 0 ? 0 : *amount / qty) : unit);
  }
  if (description) updated["description"] = *description;
  if (metadata) merge_metadata(updated["metadata"], *metadata);
  if (discountable) updated["discountable"] = *discountable;
  if (period) {
    Params range(*period, {"start", "end"}, "period");
    const auto start = range.required_integer("start");
    const auto end = range.required_integer("end");
    if (range.failed()) return range.error();
    updated["period"] = {{"start", start}, {"end", end}};
  }
  const json previous = changed_fields(*item, updated);
  *item = updated;
  if (invoice != nullptr && (*invoice)["status"] == "draft") {
    if (json* line = line_of_item(*invoice, id)) {
      const std::string line_id = (*line)["id"];
      *line = line_for_item(updated);
      (*line)["id"] = line_id;
    }
    recompute_invoice(*invoice);
  }
  emit("invoiceitem.updated", updated, previous);
  return ok(updated);
}

Reply Api::delete_invoiceitem(const std::string& id) {
  json* item = find("invoiceitems", id);
  if (item == nullptr || item->value("deleted", false)) return no_such("invoiceitem", id);
  json* invoice = (*item)["invoice"].is_string() ? find("invoices", (*item)["invoice"].get<std::string>()) : nullptr;
  if (invoice != nullptr && (*invoice)["status"] != "draft") {
    return invalid_state("Invoice items on a finalized invoice cannot be deleted.", "invoice_not_editable");
  }
  if (invoice != nullptr) {
    remove_line_of_item(*invoice, id);
    recompute_invoice(*invoice);
  }
  const json last = *item;
  (*item)["deleted"] = true;
  emit("invoiceitem.deleted", last);
  return ok(json{{"id", id}, {"object", "invoiceitem"}, {"deleted", true}});
}

// ---- invoices ----

Reply Api::create_invoice(Params& p) {
  const auto customer_id = p.text("customer");
  const auto subscription_id = p.text("subscription");
  const auto method = p.one_of("collection_method", {"charge_automatically", "send_invoice"});
  const auto days_until_due = p.integer("days_until_due");
  const auto due_date = p.integer("due_date");
  const auto currency = p.text("currency");
  const auto auto_advance = p.boolean("auto_advance");
  const auto pending = p.one_of("pending_invoice_items_behavior", {"exclude", "include"});
  const auto metadata = p.metadata();
  const auto custom_fields = p.array("custom_fields");
  const auto effective_at = p.integer("effective_at");
  json texts = json::object();
  for (const char* name : {"description", "footer", "statement_descriptor", "default_payment_method"}) {
    if (auto value = p.text(name)) texts[name] = *value;
  }
  if (p.failed()) return p.error();
  if (!customer_id && !subscription_id) return missing_param("customer");
  std::string owner;
  if (subscription_id) {
    const json* sub = find("subscriptions", *subscription_id);
    if (sub == nullptr) return no_such("subscription", *subscription_id, "subscription");
    owner = (*sub)["customer"].get<std::string>();
    if (customer_id && *customer_id != owner) {
      return invalid_param("The subscription " + *subscription_id + " belongs to a different customer.", "subscription");
    }
  } else {
    owner = *customer_id;
  }
  json* customer = live_customer(owner);
  if (customer == nullptr) return no_such("customer", owner, "customer");
  if (method && *method == "send_invoice" && !days_until_due && !due_date) {
    return invalid_param("Invoices with `collection_method=send_invoice` require `days_until_due` or `due_date`.",
                         "days_until_due");
  }
  if ((days_until_due || due_date) && (!method || *method != "send_invoice")) {
    return invalid_param("`days_until_due` and `due_date` can only be set when `collection_method` is `send_invoice`.",
                         days_until_due ? "days_until_due" : "due_date");
  }
  const std::string invoice_currency =
      currency ? lower(*currency) : (*customer)["currency"].is_string() ? (*customer)["currency"].get<std::string>() : "usd";
  json invoice = new_invoice(*customer, invoice_currency);
  if (method) invoice["collection_method"] = *method;
  if (days_until_due) invoice["due_date"] = invoice["created"].get<std::int64_t>() + *days_until_due * 86400;
  if (due_date) invoice["due_date"] = *due_date;
  if (auto_advance) invoice["auto_advance"] = *auto_advance;
  if (metadata) merge_metadata(invoice["metadata"], *metadata);
  if (custom_fields) invoice["custom_fields"] = *custom_fields;
  if (effective_at) invoice["effective_at"] = *effective_at;
  for (const auto& [name, value] : texts.items()) invoice[name] = value;
  if (subscription_id) {
    invoice["subscription"] = *subscription_id;
    invoice["parent"] = {{"type", "subscription_details"},
                         {"quote_details", nullptr},
                         {"subscription_details", {{"metadata", nullptr}, {"subscription", *subscription_id}}}};
  }
  if ((*customer)["currency"].is_null()) (*customer)["currency"] = invoice_currency;
  if (pending && *pending == "include") {
    attach_items(invoice);
  } else {
    recompute_invoice(invoice);
  }
  save("invoices", invoice);
  emit("invoice.created", invoice);
  return ok(invoice);
}

Reply Api::update_invoice(const std::string& id, Params& p) {
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  json updated = *invoice;
  const bool draft = updated["status"] == "draft";
  for (const char* name : {"description", "footer", "statement_descriptor", "default_payment_method"}) {
    if (auto value = p.text(name)) updated[name] = value->empty() ? json() : json(*value);
  }
  if (auto metadata = p.metadata()) merge_metadata(updated["metadata"], *metadata);
  if (auto auto_advance = p.boolean("auto_advance")) updated["auto_advance"] = *auto_advance;
  if (auto custom_fields = p.array("custom_fields")) updated["custom_fields"] = *custom_fields;
  const auto method = p.one_of("collection_method", {"charge_automatically", "send_invoice"});
  const auto days_until_due = p.integer("days_until_due");
  const auto due_date = p.integer("due_date");
  const auto effective_at = p.integer("effective_at");
  if (p.failed()) return p.error();
  if (!draft && (method || effective_at)) {
    return invalid_state("Finalized invoices can't be updated in this way", "invoice_not_editable");
  }
  if (method) updated["collection_method"] = *method;
  if (days_until_due) updated["due_date"] = updated["created"].get<std::int64_t>() + *days_until_due * 86400;
  if (due_date) updated["due_date"] = *due_date;
  if (effective_at) updated["effective_at"] = *effective_at;
  const json previous = changed_fields(*invoice, updated);
  *invoice = updated;
  if (!previous.empty()) emit("invoice.updated", updated, previous);
  return ok(updated);
}

Reply Api::delete_invoice(const std::string& id) {
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  if ((*invoice)["status"] != "draft") {
    return invalid_state("You can only delete draft invoices. Void the invoice instead.", "invoice_not_editable");
  }
  // Its invoice items go back to pending, as on Stripe.
  for (const auto& line : (*invoice)["lines"]["data"]) {
    const json& item_id = field(field(field(line, "parent"), "invoice_item_details"), "invoice_item");
    if (!item_id.is_string()) continue;
    if (json* item = find("invoiceitems", item_id.get<std::string>())) (*item)["invoice"] = nullptr;
  }
  const json last = *invoice;
  (*invoice)["deleted"] = true;
  emit("invoice.deleted", last);
  return ok(json{{"id", id}, {"object", "invoice"}, {"deleted", true}});
}

Reply Api::add_invoice_lines(const std::string& id, Params& p) {
  const auto lines = p.array("lines");
  const auto invoice_metadata = p.metadata("invoice_metadata");
  if (p.failed()) return p.error();
  if (!lines || lines->empty()) return missing_param("lines");
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  if ((*invoice)["status"] != "draft") {
    return invalid_state("You can only add lines to draft invoices.", "invoice_not_editable");
  }
  const json before = *invoice;
  std::vector<json> items;
  for (std::size_t i = 0; i < lines->size(); ++i) {
    Params line(lines->at(i),
                {"amount", "description", "invoice_item", "metadata", "period", "pricing", "quantity", "discountable",
                 "price_data", "tax_rates", "discounts"},
                "lines[" + std::to_string(i) + "]");
    const auto amount = line.integer("amount");
    const auto item_id = line.text("invoice_item");
    const auto description = line.text("description");
    const auto quantity = line.integer("quantity");
    const auto metadata = line.metadata();
    const auto pricing = line.object("pricing");
    if (line.failed()) return line.error();
    if (item_id) {
      json* item = find("invoiceitems", *item_id);
      if (item == nullptr || item->value("deleted", false)) return no_such("invoiceitem", *item_id, line.param_name("invoice_item"));
      if (!(*item)["invoice"].is_null() || (*item)["customer"] != (*invoice)["customer"]) {
        return invalid_param("Invoice item " + *item_id + " is not a pending item of this invoice's customer.",
                             line.param_name("invoice_item"));
      }
      items.push_back(*item);
      continue;
    }
    std::int64_t unit = 0;
    json price_details;
    if (pricing) {
      Params pr(*pricing, {"price"}, line.param_name("pricing"));
      const std::string price_id = pr.required_text("price");
      if (pr.failed()) return pr.error();
      const json* price = find("prices", price_id);
      if (price == nullptr) return no_such("price", price_id, pr.param_name("price"));
      unit = amount_of(*price, "unit_amount");
      price_details = {{"price", price_id}, {"product", (*price)["product"]}};
    }
    if (!amount && !pricing) return missing_param(line.param_name("amount"));
    const std::int64_t qty = quantity.value_or(1);
    json item = invoiceitem_template();
    item["id"] = new_id("ii");
    item["customer"] = (*invoice)["customer"];
    item["currency"] = (*invoice)["currency"];
    item["date"] = now();
    item["livemode"] = context_.livemode;
    item["period"] = {{"start", now()}, {"end", now()}};
    item["quantity"] = qty;
    item["quantity_decimal"] = std::to_string(qty);
    item["amount"] = item["net_amount"] = amount ? *amount : unit * qty;
    item["pricing"]["price_details"] = price_details;
    item["pricing"]["unit_amount_decimal"] = std::to_string(amount ? (qty == 0 ? 0 : *amount / qty) : unit);
    if (description) item["description"] = *description;
    if (metadata) merge_metadata(item["metadata"], *metadata);
    items.push_back(std::move(item));
  }
  for (auto& item : items) {
    item["invoice"] = id;
    save("invoiceitems", item);
    (*invoice)["lines"]["data"].push_back(line_for_item(item));
  }
  if (invoice_metadata) merge_metadata((*invoice)["metadata"], *invoice_metadata);
  recompute_invoice(*invoice);
  emit("invoice.updated", *invoice, changed_fields(before, *invoice));
  return ok(*invoice);
}

Result<void, Reply> Api::finalize(json& invoice) {
  if (invoice["status"] != "draft") {
    return fail(invalid_state("This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                              "invoice_not_editable"));
  }
  json* customer = live_customer(invoice["customer"].get<std::string>());
  if (customer == nullptr) return fail(no_such("customer", invoice["customer"].get<std::string>(), "customer"));
  recompute_invoice(invoice);
  const std::int64_t sequence = amount_of(*customer, "next_invoice_sequence");
  (*customer)["next_invoice_sequence"] = sequence + 1;
  char number[64];
  std::snprintf(number, sizeof number, "%s-%04lld", (*customer)["invoice_prefix"].get<std::string>().c_str(),
                static_cast<long long>(sequence));
  invoice["number"] = number;
  // The customer's balance (negative: credit) is applied to the invoice when it is finalized.
  const std::int64_t total = amount_of(invoice, "total");
  const std::int64_t balance = amount_of(*customer, "balance");
  const std::int64_t applied = balance > 0 ? balance : std::max(balance, -total);
  invoice["starting_balance"] = balance;
  invoice["ending_balance"] = balance - applied;
  invoice["amount_due"] = invoice["amount_remaining"] = total + applied;
  if (applied != 0) {
    json txn = new_balance_transaction(*customer, -applied, invoice["currency"].get<std::string>(), "applied_to_invoice");
    txn["invoice"] = invoice["id"];
    save("customer_balance_transactions", txn);
  }
  const std::string secret = store_.new_secret(24);
  invoice["hosted_invoice_url"] = "https://invoice.stripe.com/i/acct_weftsandbox/test_" + secret;
  invoice["invoice_pdf"] = "https://pay.stripe.com/invoice/acct_weftsandbox/test_" + secret + "/pdf";
  invoice["status"] = "open";
  invoice["status_transitions"]["finalized_at"] = now();
  if (invoice["effective_at"].is_null()) invoice["effective_at"] = now();
  invoice["webhooks_delivered_at"] = now();
  emit("invoice.finalized", invoice);
  if (amount_of(invoice, "amount_due") == 0) mark_paid(invoice, false);
  return {};
}

void Api::mark_paid(json& invoice, bool out_of_band) {
  const std::int64_t due = amount_of(invoice, "amount_remaining");
  const std::string customer_id = invoice["customer"].get<std::string>();
  const json* customer = find("customers", customer_id);
  if (!out_of_band && due > 0) {
    json charge = charge_template();
    json intent = payment_intent_template();
    charge["id"] = new_id("ch");
    intent["id"] = new_id("pi");
    for (json* object : {&charge, &intent}) {
      (*object)["amount"] = due;
      (*object)["currency"] = invoice["currency"];
      (*object)["customer"] = customer_id;
      (*object)["created"] = now();
      (*object)["livemode"] = context_.livemode;
      (*object)["description"] = "Payment for Invoice";
      (*object)["invoice"] = invoice["id"];
      (*object)["payment_method"] = "pm_card_visa";
    }
    charge["amount_captured"] = due;
    charge["payment_intent"] = intent["id"];
    charge["balance_transaction"] = new_id("txn");
    charge["receipt_url"] = "https://pay.stripe.com/receipts/invoices/acct_weftsandbox/" + store_.new_secret(24);
    charge["refunds"]["url"] = "/v1/charges/" + charge["id"].get<std::string>() + "/refunds";
    if (customer != nullptr) {
      charge["billing_details"]["email"] = (*customer)["email"];
      charge["billing_details"]["name"] = (*customer)["name"];
    }
    intent["amount_received"] = due;
    intent["latest_charge"] = charge["id"];
    intent["client_secret"] = intent["id"].get<std::string>() + "_secret_" + store_.new_secret(25);
    save("charges", charge);
    save("payment_intents", intent);
    invoice["charge"] = charge["id"];
    invoice["payment_intent"] = intent["id"];
    invoice["attempt_count"] = amount_of(invoice, "attempt_count") + 1;
    invoice["attempted"] = true;
    emit("charge.succeeded", charge);
    emit("payment_intent.succeeded", intent);
  }
  invoice["amount_paid"] = amount_of(invoice, "amount_paid") + due;
  invoice["amount_remaining"] = 0;
  invoice["status"] = "paid";
  invoice["paid"] = true;
  invoice["paid_out_of_band"] = out_of_band;
  invoice["next_payment_attempt"] = nullptr;
  invoice["status_transitions"]["paid_at"] = now();
  emit("invoice.paid", invoice);
  if (!out_of_band) emit("invoice.payment_succeeded", invoice);
}

Reply Api::finalize_invoice(const std::string& id, Params& p) {
  const auto auto_advance = p.boolean("auto_advance");
  if (p.failed()) return p.error();
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  if (auto_advance) (*invoice)["auto_advance"] = *auto_advance;
  if (auto done = finalize(*invoice); !done) return done.error();
  return ok(*invoice);
}

Reply Api::pay_invoice(const std::string& id, Params& p) {
  const auto out_of_band = p.boolean("paid_out_of_band");
  const auto forgive = p.boolean("forgive");
  if (p.failed()) return p.error();
  (void)forgive;
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  const std::string status = (*invoice)["status"];
  if (status == "paid") return invalid_state("Invoice is already paid", "invoice_not_editable");
  if (status == "void") return invalid_state("This invoice has been voided and can no longer be paid.", "invoice_not_editable");
  if (status == "draft") {  // Stripe finalizes a draft before paying it
    if (auto done = finalize(*invoice); !done) return done.error();
    if ((*invoice)["status"] == "paid") return ok(*invoice);
  }
  if (declining_ && !out_of_band.value_or(false) && amount_of(*invoice, "amount_remaining") > 0) {
    return decline(*invoice);
  }
  mark_paid(*invoice, out_of_band.value_or(false));
  return ok(*invoice);
}

Reply Api::void_invoice(const std::string& id) {
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  const std::string status = (*invoice)["status"];
  if (status == "draft") return invalid_state("You can't void a draft invoice. Delete it instead.", "invoice_not_editable");
  if (status != "open" && status != "uncollectible") {
    return invalid_state("You can only void invoices that are open or uncollectible; this one is " + status + ".",
                         "invoice_not_editable");
  }
  (*invoice)["status"] = "void";
  (*invoice)["status_transitions"]["voided_at"] = now();
  (*invoice)["next_payment_attempt"] = nullptr;
  emit("invoice.voided", *invoice);
  return ok(*invoice);
}

Reply Api::mark_uncollectible(const std::string& id) {
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  if ((*invoice)["status"] != "open") {
    return invalid_state("You can only mark open invoices as uncollectible.", "invoice_not_editable");
  }
  (*invoice)["status"] = "uncollectible";
  (*invoice)["status_transitions"]["marked_uncollectible_at"] = now();
  emit("invoice.marked_uncollectible", *invoice);
  return ok(*invoice);
}

Reply Api::send_invoice(const std::string& id) {
  json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  if ((*invoice)["collection_method"] != "send_invoice" || (*invoice)["status"] != "open") {
    return invalid_state("You can only manually send an open invoice whose collection method is 'send_invoice'.");
  }
  emit("invoice.sent", *invoice);
  return ok(*invoice);
}

Reply Api::list_invoice_lines(const std::string& id, Params& p) {
  const json* invoice = find("invoices", id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", id);
  // Lines are listed in the order they were added: index them newest-last reversed.
  Collection lines;
  const auto& data = (*invoice)["lines"]["data"];
  for (auto it = data.rbegin(); it != data.rend(); ++it) lines.put(*it);
  return list_page(lines, p, "/v1/invoices/" + id + "/lines", nullptr, "line item");
}

}  // namespace weft::sandbox::stripe
