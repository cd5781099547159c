// Subscriptions and their items. Creating one bills its first period at once (invoice
// created, finalized and, when charged automatically, paid unless cards decline: then the
// subscription is incomplete, or with payment_behavior=error_if_incomplete not created at
// all, Stripe's 402). Renewals and prorations are not emulated. Collection can be paused
// (pause_collection {behavior, resumes_at}) and resumed (pause_collection=""); the status
// stays as it was, as on Stripe.

#include <ctime>
#include <cstdio>

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_list.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

std::int64_t amount_of(const json& object, const char* name) {
  const json& value = field(object, name);
  return value.is_number_integer() ? value.get<std::int64_t>() : 0;
}

// `at` plus `count` intervals, calendar months and years as Stripe bills them.
std::int64_t add_interval(std::int64_t at, const std::string& interval, std::int64_t count) {
  if (interval == "day") return at + count * 86400;
  if (interval == "week") return at + count * 7 * 86400;
  const std::time_t t = static_cast<std::time_t>(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  const std::int64_t months = (interval == "year" ? 12 : 1) * count;
  const int day = tm.tm_mday;
  tm.tm_mday = 1;
  tm.tm_mon += static_cast<int>(months);
  timegm(&tm);  // normalises month and year
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = tm.tm_year + 1900;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int last = tm.tm_mon == 1 && leap ? 29 : kDays[tm.tm_mon];
  tm.tm_mday = std::min(day, last);
  return static_cast<std::int64_t>(timegm(&tm));
}

// The legacy plan object Stripe still shows beside an item's price.
json plan_of(const json& price) {
  const json& recurring = field(price, "recurring");
  return json{{"id", price["id"]},
              {"object", "plan"},
              {"active", price["active"]},
              {"amount", price["unit_amount"]},
              {"amount_decimal", price["unit_amount_decimal"]},
              {"billing_scheme", "per_unit"},
              {"created", price["created"]},
              {"currency", price["currency"]},
              {"interval", field(recurring, "interval")},
              {"interval_count", field(recurring, "interval_count")},
              {"livemode", price["livemode"]},
              {"metadata", price["metadata"]},
              {"meter", nullptr},
              {"nickname", price["nickname"]},
              {"product", price["product"]},
              {"tiers_mode", nullptr},
              {"transform_usage", nullptr},
              {"trial_period_days", nullptr},
              {"usage_type", "licensed"}};
}

// pause_collection: "" resumes collection (null on the subscription); {behavior, resumes_at}
// pauses it, replacing any earlier pause as a whole. nullopt when not given or invalid (then
// `p` holds the error).
std::optional<json> pause_collection_of(Params& p) {
  const json* raw = p.raw("pause_collection");
  if (raw == nullptr || p.failed()) return std::nullopt;
  if (raw->is_string() && raw->get_ref<const std::string&>().empty()) return json(nullptr);
  if (!raw->is_object()) {
    p.fail(invalid_param("Invalid hash", "pause_collection"));
    return std::nullopt;
  }
  Params pause(*raw, {"behavior", "resumes_at"}, "pause_collection");
  const auto behavior = pause.one_of("behavior", {"keep_as_draft", "mark_uncollectible", "void"});
  const auto resumes_at = pause.integer("resumes_at");
  if (!pause.failed() && !behavior) pause.fail(missing_param(pause.param_name("behavior")));
  if (pause.failed()) {
    p.fail(pause.error());
    return std::nullopt;
  }
  return json{{"behavior", *behavior}, {"resumes_at", resumes_at ? json(*resumes_at) : json()}};
}

}  // namespace

json Api::subscription_item(const json& price, std::int64_t quantity, const std::string& subscription,
                            const json& metadata) {
  json item = subscription_item_template();
  item["id"] = new_id("si");
  item["created"] = now();
  item["price"] = price;
  item["plan"] = plan_of(price);
  item["quantity"] = quantity;
  item["subscription"] = subscription;
  if (metadata.is_object()) merge_metadata(item["metadata"], metadata);
  return item;
}

json Api::invoice_subscription(json& subscription, const std::string& billing_reason) {
  const json* customer = find("customers", subscription["customer"].get<std::string>());
  json invoice = new_invoice(*customer, subscription["currency"].get<std::string>());
  const std::string id = invoice["id"];
  invoice["subscription"] = subscription["id"];
  invoice["billing_reason"] = billing_reason;
  invoice["collection_method"] = subscription["collection_method"];
  if (subscription["collection_method"] == "send_invoice") {
    invoice["due_date"] = now() + amount_of(subscription, "days_until_due") * 86400;
  }
  invoice["parent"] = {{"type", "subscription_details"},
                       {"quote_details", nullptr},
                       {"subscription_details", {{"metadata", subscription["metadata"]}, {"subscription", subscription["id"]}}}};
  for (const auto& item : subscription["items"]["data"]) {
    const json& price = item["price"];
    const std::int64_t quantity = amount_of(item, "quantity");
    const json* product = price["product"].is_string() ? find("products", price["product"].get<std::string>()) : nullptr;
    json line = line_item_template();
    line["id"] = new_id("il");
    line["amount"] = line["subtotal"] = amount_of(price, "unit_amount") * quantity;
    line["currency"] = price["currency"];
    line["description"] = std::to_string(quantity) + " × " +
                          (product != nullptr && (*product)["name"].is_string() ? (*product)["name"].get<std::string>()
                                                                                 : std::string("subscription item"));
    line["invoice"] = id;
    line["livemode"] = context_.livemode;
    line["period"] = {{"start", subscription["current_period_start"]}, {"end", subscription["current_period_end"]}};
    line["quantity"] = quantity;
    line["quantity_decimal"] = std::to_string(quantity);
    line["subscription"] = subscription["id"];
    line["parent"] = {{"type", "subscription_item_details"},
                      {"invoice_item_details", nullptr},
                      {"subscription_item_details",
                       {{"invoice_item", nullptr},
                        {"proration", false},
                        {"proration_details", {{"credited_items", nullptr}}},
                        {"subscription", subscription["id"]},
                        {"subscription_item", item["id"]}}}};
    line["pricing"] = {{"type", "price_details"},
                       {"price_details", {{"price", price["id"]}, {"product", price["product"]}}},
                       {"unit_amount_decimal", price["unit_amount_decimal"]}};
    invoice["lines"]["data"].push_back(std::move(line));
  }
  recompute_invoice(invoice);
  save("invoices", invoice);
  json& stored = *find("invoices", id);
  emit("invoice.created", stored);
  if (finalize(stored) && stored["status"] == "open" && stored["collection_method"] == "charge_automatically" &&
      subscription.value("_payment_behavior", "") != "default_incomplete") {
    if (declining_) {
      decline(stored);  // the invoice stays open and the subscription incomplete
    } else {
      mark_paid(stored, false);
    }
  }
  return stored;
}

Reply Api::create_subscription(Params& p) {
  const std::string customer_id = p.required_text("customer");
  const auto items = p.array("items");
  const auto metadata = p.metadata();
  const auto method = p.one_of("collection_method", {"charge_automatically", "send_invoice"});
  const auto days_until_due = p.integer("days_until_due");
  const auto description = p.text("description");
  const auto cancel_at_period_end = p.boolean("cancel_at_period_end");
  const auto default_payment_method = p.text("default_payment_method");
  const auto behavior =
      p.one_of("payment_behavior", {"allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"});
  p.one_of("proration_behavior", {"always_invoice", "create_prorations", "none"});
  p.boolean("off_session");
  p.text("currency");
  if (p.failed()) return p.error();
  if (!items || items->empty()) return missing_param("items");
  json* customer = live_customer(customer_id);
  if (customer == nullptr) return no_such("customer", customer_id, "customer");
  if (method && *method == "send_invoice" && !days_until_due) {
    return invalid_param("Subscriptions with `collection_method=send_invoice` require `days_until_due`.", "days_until_due");
  }
  json subscription = subscription_template();
  const std::string id = new_id("sub");
  std::string currency, interval;
  std::int64_t interval_count = 1;
  for (std::size_t i = 0; i < items->size(); ++i) {
    Params ip(items->at(i), {"price", "quantity", "metadata", "price_data", "tax_rates", "discounts", "billing_thresholds"},
              "items[" + std::to_string(i) + "]");
    const std::string price_id = ip.required_text("price");
    const auto quantity = ip.integer("quantity");
    const auto item_metadata = ip.metadata();
    if (ip.failed()) return ip.error();
    const json* price = find("prices", price_id);
    if (price == nullptr) return no_such("price", price_id, ip.param_name("price"));
    if ((*price)["type"] != "recurring") {
      return invalid_param("The price specified is set to `type=one_time` but this field only accepts prices with "
                           "`type=recurring`.",
                           ip.param_name("price"));
    }
    const std::string price_currency = (*price)["currency"];
    const std::string price_interval = (*price)["recurring"]["interval"];
    if (i == 0) {
      currency = price_currency;
      interval = price_interval;
      interval_count = amount_of((*price)["recurring"], "interval_count");
    } else if (price_currency != currency || price_interval != interval) {
      return invalid_param("All prices on a subscription must have the same currency and billing interval.",
                           ip.param_name("price"));
    }
    if (quantity && *quantity < 0) return invalid_param("Invalid non-negative integer", ip.param_name("quantity"));
    subscription["items"]["data"].push_back(
        subscription_item(*price, quantity.value_or(1), id, item_metadata ? *item_metadata : json::object()));
  }
  const std::int64_t start = now();
  const std::int64_t end = add_interval(start, interval, std::max<std::int64_t>(interval_count, 1));
  for (auto& item : subscription["items"]["data"]) {
    item["current_period_start"] = start;
    item["current_period_end"] = end;
  }
  subscription["id"] = id;
  subscription["customer"] = customer_id;
  subscription["currency"] = currency;
  subscription["created"] = subscription["start_date"] = subscription["billing_cycle_anchor"] = start;
  subscription["current_period_start"] = start;
  subscription["current_period_end"] = end;
  subscription["livemode"] = context_.livemode;
  subscription["items"]["url"] = "/v1/subscription_items?subscription=" + id;
  if (method) subscription["collection_method"] = *method;
  if (days_until_due) subscription["days_until_due"] = *days_until_due;
  if (description) subscription["description"] = *description;
  if (default_payment_method) subscription["default_payment_method"] = *default_payment_method;
  if (metadata) merge_metadata(subscription["metadata"], *metadata);
  if (cancel_at_period_end && *cancel_at_period_end) {
    subscription["cancel_at_period_end"] = true;
    subscription["cancel_at"] = end;
  }
  if (declining_ && behavior == "error_if_incomplete" && subscription["collection_method"] == "charge_automatically") {
    // Stripe creates nothing when the first invoice cannot be paid at once (402). The amount
    // due is the items' total less the customer's credit, as finalize() computes it.
    std::int64_t total = 0;
    for (const auto& item : subscription["items"]["data"]) {
      total += amount_of(item["price"], "unit_amount") * amount_of(item, "quantity");
    }
    const std::int64_t balance = amount_of(*customer, "balance");
    if (total + (balance > 0 ? balance : std::max(balance, -total)) > 0) {
      Reply reply = error_reply(402, "card_error", "Your card was declined.", "card_declined");
      reply.body["error"]["decline_code"] = "generic_decline";
      return reply;
    }
  }
  if ((*customer)["currency"].is_null()) (*customer)["currency"] = currency;
  save("subscriptions", subscription);
  json& stored = *find("subscriptions", id);
  // invoice_subscription reads the payment behaviour from this private marker.
  stored["_payment_behavior"] = behavior.value_or("allow_incomplete");
  const json invoice = invoice_subscription(stored, "subscription_create");
  stored.erase("_payment_behavior");
  stored["latest_invoice"] = invoice["id"];
  if (invoice["status"] != "paid" && stored["collection_method"] == "charge_automatically") {
    stored["status"] = "incomplete";
  }
  emit("customer.subscription.created", stored);
  return ok(stored);
}

Reply Api::update_subscription(const std::string& id, Params& p) {
  json* subscription = find("subscriptions", id);
  if (subscription == nullptr) return no_such("subscription", id);
  const auto items = p.array("items");
  const auto metadata = p.metadata();
  const auto cancel_at_period_end = p.boolean("cancel_at_period_end");
  const auto method = p.one_of("collection_method", {"charge_automatically", "send_invoice"});
  const auto days_until_due = p.integer("days_until_due");
  const auto description = p.text("description");
  const auto default_payment_method = p.text("default_payment_method");
  const auto cancellation_details = p.object("cancellation_details");
  const auto pause_collection = pause_collection_of(p);
  p.one_of("payment_behavior", {"allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"});
  p.one_of("proration_behavior", {"always_invoice", "create_prorations", "none"});
  p.integer("proration_date");
  p.boolean("off_session");
  if (p.failed()) return p.error();
  const bool only_notes = !items && !cancel_at_period_end && !method && !days_until_due && !description &&
                          !default_payment_method && !pause_collection;
  if ((*subscription)["status"] == "canceled" && !only_notes) {
    return invalid_state("A canceled subscription can only update its cancellation_details and metadata.");
  }
  json updated = *subscription;
  if (items) {
    json& data = updated["items"]["data"];
    for (std::size_t i = 0; i < items->size(); ++i) {
      Params ip(items->at(i),
                {"id", "price", "quantity", "deleted", "metadata", "clear_usage", "price_data", "tax_rates", "discounts",
                 "billing_thresholds"},
                "items[" + std::to_string(i) + "]");
      const auto item_id = ip.text("id");
      const auto price_id = ip.text("price");
      const auto quantity = ip.integer("quantity");
      const auto deleted = ip.boolean("deleted");
      const auto item_metadata = ip.metadata();
      ip.boolean("clear_usage");
      if (ip.failed()) return ip.error();
      if (quantity && *quantity < 0) return invalid_param("Invalid non-negative integer", ip.param_name("quantity"));
      const json* price = nullptr;
      if (price_id) {
        price = find("prices", *price_id);
        if (price == nullptr) return no_such("price", *price_id, ip.param_name("price"));
        if ((*price)["type"] != "recurring" || (*price)["currency"] != updated["currency"]) {
          return invalid_param("The price must be recurring and in the subscription's currency (" +
                                   updated["currency"].get<std::string>() + ").",
                               ip.param_name("price"));
        }
      }
      if (item_id) {
        auto it = std::find_if(data.begin(), data.end(), [&](const json& item) { return item["id"] == *item_id; });
        if (it == data.end()) return no_such("subscription item", *item_id, ip.param_name("id"));
        if (deleted.value_or(false)) {
          data.erase(it);
          continue;
        }
        if (price != nullptr) {
          (*it)["price"] = *price;
          (*it)["plan"] = plan_of(*price);
        }
        if (quantity) (*it)["quantity"] = *quantity;
        if (item_metadata) merge_metadata((*it)["metadata"], *item_metadata);
      } else {
        if (price == nullptr) return missing_param(ip.param_name("price"));
        json item = subscription_item(*price, quantity.value_or(1), id, item_metadata ? *item_metadata : json::object());
        item["current_period_start"] = updated["current_period_start"];
        item["current_period_end"] = updated["current_period_end"];
        data.push_back(std::move(item));
      }
    }
    if (data.empty()) return invalid_param("A subscription must have at least one active item.", "items");
  }
  if (metadata) merge_metadata(updated["metadata"], *metadata);
  if (cancel_at_period_end) {
    updated["cancel_at_period_end"] = *cancel_at_period_end;
    updated["cancel_at"] = *cancel_at_period_end ? updated["current_period_end"] : json();
  }
  if (method) updated["collection_method"] = *method;
  if (days_until_due) updated["days_until_due"] = *days_until_due;
  if (description) updated["description"] = description->empty() ? json() : json(*description);
  if (default_payment_method) updated["default_payment_method"] = *default_payment_method;
  // Collection paused: the subscription stays active and keeps billing; its invoices are then
  // left as drafts, marked uncollectible or voided (renewals are not emulated).
  if (pause_collection) updated["pause_collection"] = *pause_collection;
  if (cancellation_details) {
    for (const auto& [key, value] : cancellation_details->items()) {
      if (key != "comment" && key != "feedback") {
        return invalid_param("Received unknown parameter: cancellation_details[" + key + "]",
                             "cancellation_details[" + key + "]", "parameter_unknown");
      }
      updated["cancellation_details"][key] = value;
    }
  }
  if (updated["collection_method"] == "send_invoice" && updated["days_until_due"].is_null()) {
    return invalid_param("Subscriptions with `collection_method=send_invoice` require `days_until_due`.", "days_until_due");
  }
  const json previous = changed_fields(*subscription, updated);
  *subscription = updated;
  if (!previous.empty()) emit("customer.subscription.updated", updated, previous);
  return ok(updated);
}

Reply Api::cancel_subscription(const std::string& id, Params& p) {
  p.boolean("invoice_now");
  p.boolean("prorate");
  const auto details = p.object("cancellation_details");
  if (p.failed()) return p.error();
  json* subscription = find("subscriptions", id);
  if (subscription == nullptr) return no_such("subscription", id);
  if ((*subscription)["status"] == "canceled") {
    return invalid_state("This subscription has already been canceled.", "", "subscription");
  }
  (*subscription)["status"] = "canceled";
  (*subscription)["canceled_at"] = (*subscription)["ended_at"] = now();
  (*subscription)["cancellation_details"]["reason"] = "cancellation_requested";
  if (details) {
    for (const auto& [key, value] : details->items()) {
      if (key == "comment" || key == "feedback") (*subscription)["cancellation_details"][key] = value;
    }
  }
  emit("customer.subscription.deleted", *subscription);
  return ok(*subscription);
}

// ---- subscription items ----

namespace {

json* item_in(json& subscription, const std::string& item_id) {
  for (auto& item : subscription["items"]["data"]) {
    if (item["id"] == item_id) return &item;
  }
  return nullptr;
}

}  // namespace

Reply Api::retrieve_subscription_item(const std::string& id) {
  for (const auto& sub_id : store_.get("subscriptions").order()) {
    if (json* item = item_in(*find("subscriptions", sub_id), id)) return ok(*item);
  }
  return no_such("subscription_item", id);
}

Reply Api::update_subscription_item(const std::string& id, Params& p) {
  for (const auto& sub_id : store_.get("subscriptions").order()) {
    json& sub = *find("subscriptions", sub_id);
    if (item_in(sub, id) == nullptr) continue;
    const auto price = p.text("price");
    const auto quantity = p.integer("quantity");
    const auto metadata = p.metadata();
    p.one_of("proration_behavior", {"always_invoice", "create_prorations", "none"});
    p.text("payment_behavior");
    p.integer("proration_date");
    if (p.failed()) return p.error();
    json item_change = json::object();
    item_change["id"] = id;
    if (price) item_change["price"] = *price;
    if (quantity) item_change["quantity"] = std::to_string(*quantity);
    if (metadata) item_change["metadata"] = *metadata;
    Params change(json{{"items", json::array({item_change})}}, {"items"});
    Reply reply = update_subscription(sub_id, change);
    if (reply.status != 200) return reply;
    return ok(*item_in(*find("subscriptions", sub_id), id));
  }
  return no_such("subscription_item", id);
}

Reply Api::create_subscription_item(Params& p) {
  const std::string sub_id = p.required_text("subscription");
  const std::string price = p.required_text("price");
  const auto quantity = p.integer("quantity");
  const auto metadata = p.metadata();
  p.one_of("proration_behavior", {"always_invoice", "create_prorations", "none"});
  p.text("payment_behavior");
  if (p.failed()) return p.error();
  json* sub = find("subscriptions", sub_id);
  if (sub == nullptr) return no_such("subscription", sub_id, "subscription");
  const std::size_t before = (*sub)["items"]["data"].size();
  json item_change{{"price", price}};
  if (quantity) item_change["quantity"] = std::to_string(*quantity);
  if (metadata) item_change["metadata"] = *metadata;
  Params change(json{{"items", json::array({item_change})}}, {"items"});
  Reply reply = update_subscription(sub_id, change);
  if (reply.status != 200) return reply;
  const json& data = (*find("subscriptions", sub_id))["items"]["data"];
  return data.size() > before ? ok(data.back()) : reply;
}

Reply Api::delete_subscription_item(const std::string& id) {
  for (const auto& sub_id : store_.get("subscriptions").order()) {
    json& sub = *find("subscriptions", sub_id);
    if (item_in(sub, id) == nullptr) continue;
    Params change(json{{"items", json::array({json{{"id", id}, {"deleted", "true"}}})}}, {"items"});
    Reply reply = update_subscription(sub_id, change);
    if (reply.status != 200) return reply;
    return ok(json{{"id", id}, {"object", "subscription_item"}, {"deleted", true}});
  }
  return no_such("subscription_item", id);
}

Reply Api::list_subscription_items(Params& p) {
  const std::string sub_id = p.required_text("subscription");
  if (p.failed()) return p.error();
  const json* sub = find("subscriptions", sub_id);
  if (sub == nullptr) return no_such("subscription", sub_id, "subscription");
  Collection items;
  const auto& data = (*sub)["items"]["data"];
  for (auto it = data.rbegin(); it != data.rend(); ++it) items.put(*it);
  return list_page(items, p, "/v1/subscription_items", nullptr, "subscription item");
}

}  // namespace weft::sandbox::stripe
