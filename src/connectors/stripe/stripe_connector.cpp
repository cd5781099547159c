#include "connectors/stripe/stripe_connector.hpp"

#include <algorithm>
#include <utility>

#include "connectors/stripe/stripe_actions.hpp"
#include "core/suggestion.hpp"
#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors::stripe {

namespace {

constexpr std::string_view kHashedKeyPrefix = "weft-sha256-";
// How much of a 2xx body that is not JSON an operator gets to see.
constexpr std::size_t kBodyExcerpt = 120;

bool header_safe(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  });
}

// A path id must stay one path segment: no separators, no whitespace, nothing invisible.
bool valid_path_id(std::string_view id) {
  return !id.empty() && std::none_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '/' || c == '?' || c == '#';
  });
}

std::string known_actions() {
  std::string out;
  for (const auto& name : StripeConnector::action_names()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::string excerpt(std::string_view body) { return one_line(body, kBodyExcerpt); }

}  // namespace

std::string idempotency_key(std::string_view step_key) {
  if (step_key.size() <= kMaxIdempotencyKey && header_safe(step_key)) return std::string(step_key);
  return std::string(kHashedKeyPrefix) + crypto::to_hex(crypto::sha256(step_key));
}

StripeConnector::StripeConnector(const config::ConnectorConfig& config, ClockPtr clock)
    : name_(config.name),
      base_url_(config.base_url),
      api_key_(config.api_key),
      api_version_(config.api_version),
      timeout_(std::chrono::seconds(config.timeout_seconds)),
      classifier_(std::move(clock), config.api_key) {}

const std::vector<std::string>& StripeConnector::action_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& a : actions()) names.emplace_back(a.name);
    return names;
  }();
  return kNames;
}

Result<delivery::OutboundRequest, delivery::Failure> StripeConnector::prepare(
    const engine::ActionRequest& request) const {
  const std::string what = "action " + request.action + " of connector " + name_;
  const ActionSpec* spec = find_action(request.action);
  if (spec == nullptr) {
    std::vector<std::string_view> names;
    for (const auto& a : actions()) names.push_back(a.name);
    return fail(bad_input("connector " + name_ + " (stripe) has no action '" + request.action +
                          "'" + did_you_mean(request.action, names) +
                          "; known: " + known_actions()));
  }
  // No input at all is fine for actions that need none (list_customers).
  if (!request.input.is_object() && !request.input.is_null()) {
    return fail(bad_input(what + ": input must be an object"));
  }
  nlohmann::json params = request.input.is_null() ? nlohmann::json::object() : request.input;

  delivery::OutboundRequest out = request_to(std::string(spec->method), "");

  // The path, its {field}s filled from the input and taken out of the parameters.
  std::string_view path = spec->path;
  for (auto open = path.find('{'); open != std::string_view::npos; open = path.find('{')) {
    const auto close = path.find('}', open);
    const std::string field(path.substr(open + 1, close - open - 1));
    out.url += path.substr(0, open);
    const auto it = params.find(field);
    if (it == params.end() || !it->is_string()) {
      return fail(bad_input(what + ": " + field + " is required (a string: the Stripe id)"));
    }
    const auto& id = it->get_ref<const std::string&>();
    if (!valid_path_id(id)) {
      return fail(bad_input(what + ": " + field + " must be a non-empty Stripe id without '/', " +
                            "'?', '#', whitespace or control characters"));
    }
    url::percent_encode(id, out.url);
    params.erase(it);
    path.remove_prefix(close + 1);
  }
  out.url += path;

  if (auto problem = check_params(*spec, params)) return fail(bad_input(what + ": " + *problem));

  const std::string encoded = url::join_pairs(url::flatten_form(params));
  if (out.method == "POST") {
    out.body = encoded;
    out.headers.add("Content-Type", "application/x-www-form-urlencoded");
    if (request.idempotency_key.empty()) {
      // Without a key a retried write could be carried out twice.
      return fail(bad_input(what + ": a Stripe write needs the step's idempotency key"));
    }
    out.headers.add("Idempotency-Key", idempotency_key(request.idempotency_key));
  } else if (!encoded.empty()) {
    out.url += '?';
    out.url += encoded;
  }
  return out;
}

delivery::OutboundRequest StripeConnector::request_to(std::string method,
                                                      std::string path_and_query) const {
  delivery::OutboundRequest out;
  out.method = std::move(method);
  out.timeout = timeout_;
  out.url = base_url_ + path_and_query;
  out.headers.add("Authorization", "Bearer " + api_key_.reveal());
  if (!api_version_.empty()) out.headers.add("Stripe-Version", api_version_);
  return out;
}

Result<Reading, delivery::Failure> StripeConnector::read_exchange(
    const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
  if (request.action == "set_customer_collection") return read_collection_exchange(request, answers);
  return OutboundConnector::read_exchange(request, answers);
}

Result<nlohmann::json, delivery::Failure> StripeConnector::read_success(
    const engine::ActionRequest& request, const http::Response& response) const {
  const ActionSpec* spec = find_action(request.action);
  if (spec == nullptr) {
    return fail(bad_input("connector " + name_ + " (stripe) has no action '" + request.action + "'"));
  }
  auto parsed = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  const bool is_list = spec->shape == Shape::list || spec->shape == Shape::search;
  const bool usable = parsed.is_object() && (!is_list || (parsed.contains("data") &&
                                                          parsed.at("data").is_array()));
  if (usable) return parsed;

  delivery::Failure f;
  // A write that answered 2xx took effect, but we cannot tell what it made: the engine must
  // not assume either way. A read can simply be repeated.
  f.cls = spec->method == "GET" ? delivery::FailureClass::transient
                                : delivery::FailureClass::unknown_outcome;
  f.http_status = response.status;
  f.message = "Stripe answered HTTP " + std::to_string(response.status) + " to " +
              request.action + " with " +
              (parsed.is_discarded() ? std::string("a body that is not JSON or is truncated")
               : is_list && parsed.is_object() ? std::string("an object without a data array")
                                               : std::string("JSON that is not an object")) +
              " (" + std::to_string(response.body.size()) + " bytes: " + excerpt(response.body) +
              ")";
  if (const auto request_id = response.headers.get("Request-Id")) {
    f.message += " (Request-Id: " + excerpt(*request_id) + ")";
  }
  return fail(std::move(f));
}

std::optional<nlohmann::json> StripeConnector::next_page(const engine::ActionRequest& request,
                                                         const nlohmann::json& output) const {
  const ActionSpec* spec = find_action(request.action);
  const bool pages = spec != nullptr && (spec->shape == Shape::list || spec->shape == Shape::search);
  if (!pages || !output.is_object()) return std::nullopt;
  const auto has_more = output.find("has_more");
  if (has_more == output.end() || !has_more->is_boolean() || !has_more->get<bool>()) {
    return std::nullopt;
  }
  nlohmann::json next = request.input.is_object() ? request.input : nlohmann::json::object();

  if (spec->shape == Shape::search) {
    const auto page = output.find("next_page");
    if (page == output.end() || !page->is_string() || page->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    next["page"] = *page;
    return next;
  }

  const auto data = output.find("data");
  if (data == output.end() || !data->is_array() || data->empty()) return std::nullopt;
  const auto& last = data->back();
  if (!last.is_object() || !last.contains("id") || !last.at("id").is_string()) return std::nullopt;
  // Forward through older objects; ending_before would page the other way and Stripe refuses
  // both together.
  next.erase("ending_before");
  next["starting_after"] = last.at("id");
  return next;
}

}  // namespace weft::connectors::stripe
