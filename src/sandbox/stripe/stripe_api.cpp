#include "sandbox/stripe/stripe_api.hpp"

#include "connectors/stripe/stripe_webhook.hpp"
#include "sandbox/stripe/stripe_list.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

// Segment patterns: literal text, or "*" for an id.
bool is(const std::vector<std::string>& segments, std::initializer_list<std::string_view> pattern) {
  if (segments.size() != pattern.size()) return false;
  std::size_t i = 0;
  for (auto part : pattern) {
    if (part != "*" && segments[i] != part) return false;
    if (part == "*" && segments[i].empty()) return false;
    ++i;
  }
  return true;
}

}  // namespace

const json& field(const json& object, std::string_view name) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

Api::Api(Store& store, ClockPtr clock, WebhookOutbox& outbox, std::string webhook_secret, std::string api_version)
    : store_(store),
      clock_(std::move(clock)),
      outbox_(outbox),
      webhook_secret_(std::move(webhook_secret)),
      api_version_(std::move(api_version)) {}

std::int64_t Api::now() const { return clock_->unix_seconds(); }

json* Api::find(const std::string& collection, const std::string& id) { return store_.get(collection).find(id); }

json* Api::live_customer(const std::string& id) {
  json* customer = find("customers", id);
  return customer == nullptr || customer->value("deleted", false) ? nullptr : customer;
}

Reply Api::route(const std::string& method, const std::vector<std::string>& s, const json& params,
                 const RequestContext& context) {
  context_ = context;
  const bool get = method == "GET", post = method == "POST", del = method == "DELETE";
  auto P = [&](std::initializer_list<std::string_view> known) { return Params(params, known); };
  auto L = [&](std::initializer_list<std::string_view> filters) { return Params(params, list_params(filters)); };
  Reply reply = error_reply(404, "invalid_request_error",
                            "Unrecognized request URL (" + method + ": /v1/" +
                                [&] {
                                  std::string path;
                                  for (std::size_t i = 0; i < s.size(); ++i) path += (i ? "/" : "") + s[i];
                                  return path;
                                }() +
                                "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");
  std::optional<Params> used;
  auto run = [&](Params p, auto&& handler) {
    used.emplace(std::move(p));
    if (used->failed()) return used->error();
    return handler(*used);
  };
  const std::string first = s.empty() ? "" : s[0];

  if (first == "customers") {
    if (post && is(s, {"customers"})) {
      reply = run(P({"address", "balance", "description", "email", "metadata", "name", "phone", "preferred_locales",
                     "shipping", "tax_exempt", "invoice_prefix", "payment_method", "invoice_settings"}),
                  [&](Params& p) { return create_customer(p); });
    } else if (get && is(s, {"customers"})) {
      reply = run(L({"email", "test_clock"}), [&](Params& p) { return list("customers", "customer", "/v1/customers", p, {"email"}); });
    } else if (get && is(s, {"customers", "search"})) {
      reply = run(P({"query", "limit", "page"}), [&](Params& p) {
        return search_page(store_.get("customers"), p, "/v1/customers/search",
                           {"email", "name", "phone", "created"}, "customers", nullptr);
      });
    } else if (get && is(s, {"customers", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve_customer(s[1]); });
    } else if (post && is(s, {"customers", "*"})) {
      reply = run(P({"address", "balance", "description", "email", "metadata", "name", "phone", "preferred_locales",
                     "shipping", "tax_exempt", "invoice_prefix", "default_source", "invoice_settings"}),
                  [&](Params& p) { return update_customer(s[1], p); });
    } else if (del && is(s, {"customers", "*"})) {
      reply = run(P({}), [&](Params&) { return delete_customer(s[1]); });
    } else if (post && is(s, {"customers", "*", "balance_transactions"})) {
      reply = run(P({"amount", "currency", "description", "metadata"}),
                  [&](Params& p) { return create_balance_transaction(s[1], p); });
    } else if (get && is(s, {"customers", "*", "balance_transactions"})) {
      reply = run(L({}), [&](Params& p) { return list_balance_transactions(s[1], p); });
    } else if (get && is(s, {"customers", "*", "balance_transactions", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve_balance_transaction(s[1], s[3]); });
    } else if (post && is(s, {"customers", "*", "balance_transactions", "*"})) {
      reply = run(P({"description", "metadata"}), [&](Params& p) { return update_balance_transaction(s[1], s[3], p); });
    }
  } else if (first == "products") {
    if (post && is(s, {"products"})) {
      reply = run(P({"name", "id", "active", "description", "metadata", "images", "statement_descriptor", "tax_code",
                     "unit_label", "url", "shippable"}),
                  [&](Params& p) { return create_product(p); });
    } else if (get && is(s, {"products"})) {
      reply = run(L({"active"}), [&](Params& p) { return list("products", "product", "/v1/products", p, {"active"}); });
    } else if (get && is(s, {"products", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("products", "product", s[1]); });
    } else if (post && is(s, {"products", "*"})) {
      reply = run(P({"name", "active", "description", "metadata", "default_price", "statement_descriptor", "unit_label",
                     "url"}),
                  [&](Params& p) { return update_product(s[1], p); });
    }
  } else if (first == "prices") {
    if (post && is(s, {"prices"})) {
      reply = run(P({"currency", "unit_amount", "product", "product_data", "recurring", "nickname", "metadata",
                     "lookup_key", "active", "tax_behavior"}),
                  [&](Params& p) { return create_price(p); });
    } else if (get && is(s, {"prices"})) {
      reply = run(L({"product", "active", "type", "currency"}),
                  [&](Params& p) { return list("prices", "price", "/v1/prices", p, {"product", "active", "type", "currency"}); });
    } else if (get && is(s, {"prices", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("prices", "price", s[1]); });
    } else if (post && is(s, {"prices", "*"})) {
      reply = run(P({"active", "metadata", "nickname", "lookup_key"}), [&](Params& p) { return update_price(s[1], p); });
    }
  } else if (first == "invoiceitems") {
    if (post && is(s, {"invoiceitems"})) {
      reply = run(P({"customer", "amount", "currency", "description", "invoice", "metadata", "period", "price",
                     "quantity", "subscription", "unit_amount", "discountable"}),
                  [&](Params& p) { return create_invoiceitem(p); });
    } else if (get && is(s, {"invoiceitems"})) {
      reply = run(L({"customer", "invoice", "pending"}), [&](Params& p) {
        const auto pending = p.boolean("pending");
        const auto customer = p.text("customer");
        const auto invoice = p.text("invoice");
        if (p.failed()) return p.error();
        return list_page(store_.get("invoiceitems"), p, "/v1/invoiceitems", [&](const json& o) {
          return (!customer || field(o, "customer") == *customer) && (!invoice || field(o, "invoice") == *invoice) &&
                 (!pending || field(o, "invoice").is_null() == *pending);
        }, "invoiceitem");
      });
    } else if (get && is(s, {"invoiceitems", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("invoiceitems", "invoiceitem", s[1]); });
    } else if (post && is(s, {"invoiceitems", "*"})) {
      reply = run(P({"amount", "description", "metadata", "quantity", "unit_amount", "price", "period", "discountable"}),
                  [&](Params& p) { return update_invoiceitem(s[1], p); });
    } else if (del && is(s, {"invoiceitems", "*"})) {
      reply = run(P({}), [&](Params&) { return delete_invoiceitem(s[1]); });
    }
  } else if (first == "invoices") {
    if (post && is(s, {"invoices"})) {
      reply = run(P({"customer", "auto_advance", "collection_method", "currency", "days_until_due", "description",
                     "due_date", "footer", "metadata", "pending_invoice_items_behavior", "subscription",
                     "statement_descriptor", "default_payment_method", "custom_fields", "effective_at"}),
                  [&](Params& p) { return create_invoice(p); });
    } else if (get && is(s, {"invoices"})) {
      reply = run(L({"customer", "status", "subscription", "collection_method", "due_date"}), [&](Params& p) {
        return list("invoices", "invoice", "/v1/invoices", p, {"customer", "status", "subscription", "collection_method"});
      });
    } else if (get && is(s, {"invoices", "search"})) {
      reply = run(P({"query", "limit", "page"}), [&](Params& p) {
        return search_page(store_.get("invoices"), p, "/v1/invoices/search",
                           {"customer", "status", "subscription", "total", "number", "currency", "created"}, "invoices",
                           nullptr);
      });
    } else if (get && is(s, {"invoices", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("invoices", "invoice", s[1]); });
    } else if (post && is(s, {"invoices", "*"})) {
      reply = run(P({"auto_advance", "collection_method", "days_until_due", "description", "due_date", "footer",
                     "metadata", "statement_descriptor", "default_payment_method", "custom_fields", "effective_at"}),
                  [&](Params& p) { return update_invoice(s[1], p); });
    } else if (del && is(s, {"invoices", "*"})) {
      reply = run(P({}), [&](Params&) { return delete_invoice(s[1]); });
    } else if (post && is(s, {"invoices", "*", "finalize"})) {
      reply = run(P({"auto_advance"}), [&](Params& p) { return finalize_invoice(s[1], p); });
    } else if (post && is(s, {"invoices", "*", "pay"})) {
      reply = run(P({"paid_out_of_band", "payment_method", "source", "forgive", "off_session", "mandate"}),
                  [&](Params& p) { return pay_invoice(s[1], p); });
    } else if (post && is(s, {"invoices", "*", "void"})) {
      reply = run(P({}), [&](Params&) { return void_invoice(s[1]); });
    } else if (post && is(s, {"invoices", "*", "mark_uncollectible"})) {
      reply = run(P({}), [&](Params&) { return mark_uncollectible(s[1]); });
    } else if (post && is(s, {"invoices", "*", "send"})) {
      reply = run(P({}), [&](Params&) { return send_invoice(s[1]); });
    } else if (post && is(s, {"invoices", "*", "add_lines"})) {
      reply = run(P({"lines", "invoice_metadata"}), [&](Params& p) { return add_invoice_lines(s[1], p); });
    } else if (get && is(s, {"invoices", "*", "lines"})) {
      reply = run(L({}), [&](Params& p) { return list_invoice_lines(s[1], p); });
    }
  } else if (first == "credit_notes") {
    if (post && is(s, {"credit_notes"})) {
      reply = run(P({"invoice", "amount", "lines", "credit_amount", "refund_amount", "out_of_band_amount", "memo",
                     "metadata", "reason", "effective_at", "email_type", "refunds", "shipping_cost"}),
                  [&](Params& p) { return create_credit_note(p); });
    } else if (get && is(s, {"credit_notes"})) {
      reply = run(L({"invoice", "customer"}),
                  [&](Params& p) { return list("credit_notes", "credit note", "/v1/credit_notes", p, {"invoice", "customer"}); });
    } else if (get && is(s, {"credit_notes", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("credit_notes", "credit note", s[1]); });
    } else if (post && is(s, {"credit_notes", "*"})) {
      reply = run(P({"memo", "metadata"}), [&](Params& p) { return update_credit_note(s[1], p); });
    } else if (post && is(s, {"credit_notes", "*", "void"})) {
      reply = run(P({}), [&](Params&) { return void_credit_note(s[1]); });
    } else if (get && is(s, {"credit_notes", "*", "lines"})) {
      reply = run(L({}), [&](Params& p) { return list_credit_note_lines(s[1], p); });
    }
  } else if (first == "charges") {
    if (get && is(s, {"charges"})) {
      reply = run(L({"customer", "payment_intent"}),
                  [&](Params& p) { return list("charges", "charge", "/v1/charges", p, {"customer", "payment_intent"}); });
    } else if (get && is(s, {"charges", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("charges", "charge", s[1]); });
    } else if (post && is(s, {"charges", "*"})) {
      reply = run(P({"metadata", "description"}),
                  [&](Params& p) { return update_metadata("charges", "charge", s[1], p, "charge.updated"); });
    }
  } else if (first == "payment_intents") {
    if (get && is(s, {"payment_intents"})) {
      reply = run(L({"customer"}),
                  [&](Params& p) { return list("payment_intents", "payment_intent", "/v1/payment_intents", p, {"customer"}); });
    } else if (get && is(s, {"payment_intents", "*"})) {
      reply = run(P({"client_secret"}), [&](Params&) { return retrieve("payment_intents", "payment_intent", s[1]); });
    }
  } else if (first == "refunds") {
    if (post && is(s, {"refunds"})) {
      reply = run(P({"charge", "payment_intent", "amount", "reason", "metadata", "instructions_email",
                     "refund_application_fee", "reverse_transfer"}),
                  [&](Params& p) { return create_refund(p); });
    } else if (get && is(s, {"refunds"})) {
      reply = run(L({"charge", "payment_intent"}),
                  [&](Params& p) { return list("refunds", "refund", "/v1/refunds", p, {"charge", "payment_intent"}); });
    } else if (get && is(s, {"refunds", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("refunds", "refund", s[1]); });
    } else if (post && is(s, {"refunds", "*"})) {
      reply = run(P({"metadata"}), [&](Params& p) { return update_metadata("refunds", "refund", s[1], p, "refund.updated"); });
    }
  } else if (first == "disputes") {
    if (get && is(s, {"disputes"})) {
      reply = run(L({"charge", "payment_intent"}),
                  [&](Params& p) { return list("disputes", "dispute", "/v1/disputes", p, {"charge", "payment_intent"}); });
    } else if (get && is(s, {"disputes", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("disputes", "dispute", s[1]); });
    } else if (post && is(s, {"disputes", "*"})) {
      reply = run(P({"metadata", "evidence", "submit"}), [&](Params& p) { return update_dispute(s[1], p); });
    } else if (post && is(s, {"disputes", "*", "close"})) {
      reply = run(P({}), [&](Params&) { return close_dispute_api(s[1]); });
    }
  } else if (first == "subscriptions") {
    if (post && is(s, {"subscriptions"})) {
      reply = run(P({"customer", "items", "metadata", "collection_method", "days_until_due", "description",
                     "cancel_at_period_end", "default_payment_method", "payment_behavior", "proration_behavior",
                     "off_session", "currency"}),
                  [&](Params& p) { return create_subscription(p); });
    } else if (get && is(s, {"subscriptions"})) {
      reply = run(L({"customer", "price", "status", "collection_method"}), [&](Params& p) {
        const auto status = p.text("status");
        const auto price = p.text("price");
        const auto customer = p.text("customer");
        const auto collection = p.text("collection_method");
        if (p.failed()) return p.error();
        return list_page(store_.get("subscriptions"), p, "/v1/subscriptions", [&](const json& o) {
          // Without a status filter Stripe leaves canceled subscriptions out; "all" includes them.
          const bool status_ok = !status ? field(o, "status") != "canceled" : (*status == "all" || field(o, "status") == *status);
          bool price_ok = !price;
          for (const auto& item : o["items"]["data"]) price_ok = price_ok || item["price"]["id"] == *price;
          return status_ok && price_ok && (!customer || field(o, "customer") == *customer) &&
                 (!collection || field(o, "collection_method") == *collection);
        }, "subscription");
      });
    } else if (get && is(s, {"subscriptions", "search"})) {
      reply = run(P({"query", "limit", "page"}), [&](Params& p) {
        return search_page(store_.get("subscriptions"), p, "/v1/subscriptions/search", {"status", "created", "customer"},
                           "subscriptions", nullptr);
      });
    } else if (get && is(s, {"subscriptions", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("subscriptions", "subscription", s[1]); });
    } else if (post && is(s, {"subscriptions", "*"})) {
      reply = run(P({"items", "metadata", "cancel_at_period_end", "collection_method", "days_until_due", "description",
                     "default_payment_method", "payment_behavior", "proration_behavior", "proration_date",
                     "cancellation_details", "off_session", "pause_collection"}),
                  [&](Params& p) { return update_subscription(s[1], p); });
    } else if (del && is(s, {"subscriptions", "*"})) {
      reply = run(P({"invoice_now", "prorate", "cancellation_details"}),
                  [&](Params& p) { return cancel_subscription(s[1], p); });
    }
  } else if (first == "subscription_items") {
    if (get && is(s, {"subscription_items"})) {
      reply = run(L({"subscription"}), [&](Params& p) { return list_subscription_items(p); });
    } else if (post && is(s, {"subscription_items"})) {
      reply = run(P({"subscription", "price", "quantity", "metadata", "proration_behavior", "payment_behavior"}),
                  [&](Params& p) { return create_subscription_item(p); });
    } else if (get && is(s, {"subscription_items", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve_subscription_item(s[1]); });
    } else if (post && is(s, {"subscription_items", "*"})) {
      reply = run(P({"price", "quantity", "metadata", "proration_behavior", "payment_behavior", "proration_date"}),
                  [&](Params& p) { return update_subscription_item(s[1], p); });
    } else if (del && is(s, {"subscription_items", "*"})) {
      reply = run(P({"proration_behavior", "clear_usage"}), [&](Params&) { return delete_subscription_item(s[1]); });
    }
  } else if (first == "events") {
    if (get && is(s, {"events"})) {
      reply = run(L({"type", "types", "delivery_success"}), [&](Params& p) { return list_events(p); });
    } else if (get && is(s, {"events", "*"})) {
      reply = run(P({}), [&](Params&) { return retrieve("events", "event", s[1]); });
    }
  }

  if (reply.status == 200 && used) {
    const auto paths = used->expand();
    if (used->failed()) return used->error();
    if (!paths.empty()) {
      if (auto expanded = expand(reply.body, paths); !expanded) return expanded.error();
    }
  }
  return reply;
}

Reply Api::retrieve(const std::string& collection, const std::string& noun, const std::string& id) {
  const json* object = find(collection, id);
  if (object == nullptr || object->value("deleted", false)) return no_such(noun, id);
  return ok(*object);
}

Reply Api::list(const std::string& collection, const std::string& noun, const std::string& url, Params& p,
                std::initializer_list<std::string_view> filters) {
  // Equality filters on top-level fields; "true"/"false" compare with booleans.
  std::vector<std::pair<std::string, std::string>> wanted;
  for (auto name : filters) {
    if (auto value = p.text(name)) wanted.emplace_back(std::string(name), *value);
  }
  if (p.failed()) return p.error();
  return list_page(store_.get(collection), p, url, [&](const json& o) {
    for (const auto& [name, value] : wanted) {
      const json& field = o.contains(name) ? o[name] : json();
      const bool match = field.is_string() ? field.get<std::string>() == value
                         : field.is_boolean() ? (field.get<bool>() ? "true" : "false") == value
                                              : field.dump() == value;
      if (!match) return false;
    }
    return true;
  }, noun);
}

Result<void, Reply> Api::expand(json& object, const std::vector<std::string>& paths) const {
  for (const auto& path : paths) {
    if (auto done = expand_path(object, path, path, 0); !done) return done;
  }
  return {};
}

Result<void, Reply> Api::expand_path(json& value, std::string_view path, std::string_view full, int depth) const {
  if (depth >= 4) {
    return fail(invalid_param("You cannot expand more than 4 levels of a property. Property: " + std::string(full),
                              "expand"));
  }
  const auto dot = path.find('.');
  const std::string field(path.substr(0, dot));
  const std::string_view rest = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  if (value.is_array()) {
    for (auto& item : value) {
      if (auto done = expand_path(item, path, full, depth); !done) return done;
    }
    return {};
  }
  if (!value.is_object() || !value.contains(field)) {
    return fail(invalid_param("This property cannot be expanded (" + std::string(full) + ").", "expand"));
  }
  json& target = value[field];
  if (target.is_string()) {
    const std::string id = target.get<std::string>();
    const Collection* owner = store_.collection_for_id(id);
    const json* found = owner == nullptr ? nullptr : owner->find(id);
    if (found == nullptr) {
      return fail(invalid_param("This property cannot be expanded (" + std::string(full) + ").", "expand"));
    }
    target = *found;
  }
  if (rest.empty() || target.is_null()) return {};
  return expand_path(target, rest, full, field == "data" ? depth : depth + 1);
}

json Api::changed_fields(const json& before, const json& after) {
  json previous = json::object();
  for (const auto& [key, value] : before.items()) {
    auto it = after.find(key);
    if (it == after.end() || *it != value) previous[key] = value;
  }
  for (const auto& [key, value] : after.items()) {
    if (!before.contains(key)) previous[key] = nullptr;
  }
  return previous;
}

void Api::emit(const std::string& type, const json& object, const json& previous) {
  json event = event_template();
  event["id"] = new_id("evt");
  event["api_version"] = api_version_;
  event["created"] = now();
  event["livemode"] = context_.livemode;
  event["type"] = type;
  event["data"] = json{{"object", object}};
  if (previous.is_object() && !previous.empty()) event["data"]["previous_attributes"] = previous;
  event["request"] = {{"id", context_.request_id.empty() ? json() : json(context_.request_id)},
                      {"idempotency_key", context_.idempotency_key.empty() ? json() : json(context_.idempotency_key)}};
  save("events", event);

  Webhook webhook;
  webhook.platform = "stripe";
  webhook.event_id = event["id"].get<std::string>();
  webhook.body = event.dump(2);  // Stripe sends its events pretty-printed
  // Signed afresh for every attempt, with that attempt's timestamp.
  webhook.headers = [secret = webhook_secret_, body = webhook.body](std::chrono::system_clock::time_point at) {
    http::Headers headers;
    headers.set("Content-Type", "application/json; charset=utf-8");
    headers.set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
    headers.set("Cache-Control", "no-cache");
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
    headers.set("Stripe-Signature", connectors::stripe::SignatureVerifier::sign(secret, t, body));
    return headers;
  };
  outbox_.post(std::move(webhook));
}

}  // namespace weft::sandbox::stripe
