#include "connectors/stripe/stripe_actions.hpp"

#include <algorithm>

namespace weft::connectors::stripe {

namespace {

// Stripe's limits on metadata keys (VENDORS.md §1.4).
constexpr std::size_t kMaxMetadataKey = 40;

std::optional<std::string> one_refund_target(nlohmann::json& params) {
  const bool intent = params.contains("payment_intent");
  const bool charge = params.contains("charge");
  if (intent == charge) {
    return std::string("give exactly one of payment_intent and charge (the payment to refund)");
  }
  const auto& target = params.at(intent ? "payment_intent" : "charge");
  if (!target.is_string() || target.get_ref<const std::string&>().empty()) {
    return std::string(intent ? "payment_intent" : "charge") + " must be a non-empty string";
  }
  return std::nullopt;
}

std::optional<std::string> metadata_search(nlohmann::json& params) {
  if (params.contains("query")) {
    return std::string("query is built from key and value; give no query (or use search_customers)");
  }
  const auto key = params.find("key");
  if (key == params.end() || !key->is_string() || key->get_ref<const std::string&>().empty()) {
    return std::string("key is required (a non-empty string: the metadata key)");
  }
  const auto& key_text = key->get_ref<const std::string&>();
  if (key_text.size() > kMaxMetadataKey ||
      key_text.find_first_of("[]") != std::string::npos) {
    return std::string("key must be at most 40 characters without '[' or ']' (Stripe's rule for "
                       "metadata keys)");
  }
  const auto value = params.find("value");
  if (value == params.end() || !(value->is_string() || value->is_number())) {
    return std::string("value is required (a string or a number: the metadata value)");
  }
  const std::string value_text =
      value->is_string() ? value->get<std::string>() : value->dump();
  params["query"] = metadata_query(key_text, value_text);
  params.erase("key");
  params.erase("value");
  return std::nullopt;
}

// set_customer_collection {customer, paused, behavior}: checks the wanted state and turns the
// parameters into its first request, the customer's subscriptions that are not canceled (no
// status filter: Stripe takes one status a request), 100 a page. read_exchange reads the
// wanted state from the action's input.
std::optional<std::string> collection_params(nlohmann::json& params) {
  for (const auto& [key, value] : params.items()) {
    if (key != "customer" && key != "paused" && key != "behavior") {
      return "unknown parameter '" + key + "' (set_customer_collection takes customer, paused and behavior)";
    }
  }
  const auto paused = params.find("paused");
  if (paused == params.end() || !paused->is_boolean()) {
    return std::string("paused is required (true: pause collection, false: resume it)");
  }
  const auto behavior = params.find("behavior");
  if (paused->get<bool>() || behavior != params.end()) {
    const bool known = behavior != params.end() && behavior->is_string() &&
                       std::find(std::begin(kPauseBehaviors), std::end(kPauseBehaviors),
                                 behavior->get_ref<const std::string&>()) != std::end(kPauseBehaviors);
    if (!known) {
      return std::string("behavior is required to pause: keep_as_draft, mark_uncollectible or void "
                         "(what Stripe does with the invoices of the paused subscriptions)");
    }
  }
  params = {{"customer", params.at("customer")}, {"limit", 100}};
  return std::nullopt;
}

void quoted(std::string_view text, std::string& out) {
  out += '\'';
  for (const char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  out += '\'';
}

}  // namespace

const std::vector<ActionSpec>& actions() {
  using P = ParamKind;
  static const std::vector<ActionSpec> kActions{
      {"create_customer", "POST", "/v1/customers", Shape::object, {}},
      {"update_customer", "POST", "/v1/customers/{id}", Shape::object, {}},
      {"get_customer", "GET", "/v1/customers/{id}", Shape::object, {}},
      {"search_customers", "GET", "/v1/customers/search", Shape::search, {{"query", P::string}}},
      {"find_customers_by_metadata", "GET", "/v1/customers/search", Shape::search, {},
       metadata_search},
      {"list_customers", "GET", "/v1/customers", Shape::list, {}},
      {"create_product", "POST", "/v1/products", Shape::object, {{"name", P::string}}},
      {"create_price", "POST", "/v1/prices", Shape::object, {{"currency", P::string}}},
      {"create_invoice_item", "POST", "/v1/invoiceitems", Shape::object, {{"customer", P::string}}},
      {"create_invoice", "POST", "/v1/invoices", Shape::object, {{"customer", P::string}}},
      {"finalize_invoice", "POST", "/v1/invoices/{id}/finalize", Shape::object, {}},
      {"pay_invoice", "POST", "/v1/invoices/{id}/pay", Shape::object, {}},
      {"get_invoice", "GET", "/v1/invoices/{id}", Shape::object, {}},
      {"list_invoices", "GET", "/v1/invoices", Shape::list, {}},
      {"create_credit_note", "POST", "/v1/credit_notes", Shape::object, {{"invoice", P::string}}},
      {"void_credit_note", "POST", "/v1/credit_notes/{id}/void", Shape::object, {}},
      {"get_credit_note", "GET", "/v1/credit_notes/{id}", Shape::object, {}},
      {"create_refund", "POST", "/v1/refunds", Shape::object, {}, one_refund_target},
      {"get_subscription", "GET", "/v1/subscriptions/{id}", Shape::object, {}},
      {"create_subscription", "POST", "/v1/subscriptions", Shape::object,
       {{"customer", P::string}}},
      {"update_subscription", "POST", "/v1/subscriptions/{id}", Shape::object, {}},
      {"cancel_subscription", "DELETE", "/v1/subscriptions/{id}", Shape::object, {}},
      {"create_balance_transaction", "POST", "/v1/customers/{customer}/balance_transactions",
       Shape::object, {{"amount", P::integer}, {"currency", P::string}}},
      {"list_events", "GET", "/v1/events", Shape::list, {}},
      {"get_event", "GET", "/v1/events/{id}", Shape::object, {}},
      {"get_dispute", "GET", "/v1/disputes/{id}", Shape::object, {}},
      {"update_invoice", "POST", "/v1/invoices/{id}", Shape::object, {}},
      {"get_charge", "GET", "/v1/charges/{id}", Shape::object, {}},
      {"list_refunds", "GET", "/v1/refunds", Shape::list, {}},
      {"get_refund", "GET", "/v1/refunds/{id}", Shape::object, {}},
      {"delete_customer", "DELETE", "/v1/customers/{id}", Shape::object, {}},
      {"update_price", "POST", "/v1/prices/{id}", Shape::object, {}},
      {"list_subscriptions", "GET", "/v1/subscriptions", Shape::list, {}},
      // Pauses or resumes collection on every collecting subscription of a customer
      // (stripe_collection_action.cpp).
      {"set_customer_collection", "GET", "/v1/subscriptions", Shape::composite,
       {{"customer", P::string}}, collection_params},
  };
  return kActions;
}

const ActionSpec* find_action(std::string_view name) {
  const auto& all = actions();
  const auto it = std::find_if(all.begin(), all.end(),
                               [name](const ActionSpec& a) { return a.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::vector<std::string> path_fields(std::string_view path) {
  std::vector<std::string> out;
  for (auto open = path.find('{'); open != std::string_view::npos;
       open = path.find('{', open + 1)) {
    const auto close = path.find('}', open);
    if (close == std::string_view::npos) break;
    out.emplace_back(path.substr(open + 1, close - open - 1));
  }
  return out;
}

std::optional<std::string> check_params(const ActionSpec& spec, nlohmann::json& params) {
  for (const auto& required : spec.required) {
    const std::string name(required.name);
    const auto it = params.find(name);
    switch (required.kind) {
      case ParamKind::string:
        if (it == params.end() || !it->is_string() ||
            it->get_ref<const std::string&>().empty()) {
          return name + " is required (a non-empty string)";
        }
        break;
      case ParamKind::integer:
        if (it == params.end() || !it->is_number_integer()) {
          return name + " is required (an integer, in the currency's smallest unit)";
        }
        break;
    }
  }
  if (spec.complete != nullptr) return spec.complete(params);
  return std::nullopt;
}

std::string metadata_query(std::string_view key, std::string_view value) {
  std::string out = "metadata[";
  quoted(key, out);
  out += "]:";
  quoted(value, out);
  return out;
}

}  // namespace weft::connectors::stripe
