#include "connectors/netsuite/netsuite_connector.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "connectors/netsuite/netsuite_actions.hpp"
#include "connectors/netsuite/oauth1.hpp"
#include "core/suggestion.hpp"
#include "core/text.hpp"
#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors::netsuite {

namespace {

using delivery::Failure;
using delivery::FailureClass;
using delivery::OutboundRequest;
using nlohmann::json;

constexpr std::string_view kRecordPath = "/services/rest/record/v1/";
constexpr std::string_view kSuiteQlPath = "/services/rest/query/v1/suiteql";
constexpr std::int64_t kMaxSuiteQlLimit = 1000;

// NetSuite's query parameters each operation passes through (anything else is a typo).
constexpr std::array<std::string_view, 3> kGetQuery{"fields", "expandSubResources",
                                                    "simpleEnumFormat"};
constexpr std::array<std::string_view, 2> kWriteQuery{"replace", "replaceSelectedFields"};

// What one action's input resolves to: the same for prepare and for reading the answers.
struct Plan {
  const ActionSpec* spec = nullptr;
  std::string record_type;
  std::string id;           // internal id; empty when addressed by external id
  std::string external_id;  // empty when addressed by internal id
  url::Pairs query;
  json body;                // upsert, update: the record; suiteql: {"q": …}
};

// An id given as a string or a non-negative integer; nullopt when absent or null.
Result<std::optional<std::string>, std::string> id_field(const json& input, std::string_view key) {
  const auto it = input.find(key);
  if (it == input.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (it->is_number_integer() && it->get<std::int64_t>() >= 0) {
    return std::optional<std::string>(it->dump());
  }
  return fail(std::string(key) + " must be a string");
}

// A query value: strings as they are, booleans and integers as JSON writes them, an array
// of strings joined by ',' (fields=a,b; replace=item,apply).
std::optional<std::string> query_value(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean() || value.is_number_integer()) return value.dump();
  if (value.is_array() && !value.empty()) {
    std::string out;
    for (const auto& item : value) {
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) return std::nullopt;
      if (!out.empty()) out += ',';
      out += item.get<std::string>();
    }
    return out;
  }
  return std::nullopt;
}

std::string dump(const json& value) {
  // Invalid UTF-8 would make dump throw; replace it rather than let an exception escape.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool is_json_object(const http::Response& response, json& out) {
  out = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  return out.is_object();
}

// The sublists a record body holds ({"item": {"items": […]}} → "item"), comma-separated.
std::string sublists_of(const json& body) {
  std::string out;
  for (const auto& [key, value] : body.items()) {
    if (!value.is_object() || !value.contains("items") || !value["items"].is_array()) continue;
    if (!out.empty()) out += ',';
    out += key;
  }
  return out;
}

Result<Plan, std::string> resolve(const engine::ActionRequest& request) {
  Plan plan;
  plan.spec = find_action(request.action);
  if (plan.spec == nullptr) {
    std::vector<std::string_view> names;
    for (const auto& a : actions()) names.push_back(a.name);
    return fail("unknown action '" + request.action + "'" + did_you_mean(request.action, names) +
                " (known: " + join_words(names) + ")");
  }
  const json& input = request.input;
  if (!input.is_object()) return fail(std::string("input must be an object"));
  const Operation op = plan.spec->operation;

  std::vector<std::string_view> known;
  if (op == Operation::suiteql) {
    known = {"q", "limit", "offset"};
  } else {
    known = {"id", "external_id"};
    if (op == Operation::upsert) known = {"external_id"};
    if (plan.spec->record_type.empty()) known.push_back("record_type");
    if (op != Operation::get) known.push_back("body");
    const auto extra = op == Operation::get ? word_views(kGetQuery) : word_views(kWriteQuery);
    known.insert(known.end(), extra.begin(), extra.end());
  }
  for (const auto& [key, value] : input.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (key == "record_type" && !plan.spec->record_type.empty()) {
      return fail("record_type is fixed by this action (" + std::string(plan.spec->record_type) +
                  "); use " + (op == Operation::get ? "get_record" : "upsert_record") +
                  " for another type");
    }
    if (key == "id" && op == Operation::upsert) {
      return fail(std::string("an upsert is addressed by external_id, not id (use update_record "
                              "to change a record by its internal id)"));
    }
    return fail("unknown input key '" + key + "'" + did_you_mean(key, known) +
                " (known: " + join_words(known) + ")");
  }

  if (op == Operation::suiteql) {
    const auto q = input.find("q");
    if (q == input.end() || !q->is_string() || q->get_ref<const std::string&>().empty()) {
      return fail(std::string("q is required: the SuiteQL query (a string)"));
    }
    plan.body = json{{"q", *q}};
    for (const char* key : {"limit", "offset"}) {
      const auto it = input.find(key);
      if (it == input.end() || it->is_null()) continue;
      if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
          (std::string_view(key) == "limit" &&
           (it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > kMaxSuiteQlLimit))) {
        return fail(std::string(key) + (std::string_view(key) == "limit"
                                             ? " must be an integer from 1 to 1000"
                                             : " must be a non-negative integer"));
      }
      plan.query.emplace_back(key, it->dump());
    }
    return plan;
  }

  // Record operations.
  if (!plan.spec->record_type.empty()) {
    plan.record_type = plan.spec->record_type;
  } else {
    const auto it = input.find("record_type");
    if (it == input.end() || !it->is_string()) {
      return fail(std::string("record_type is required (a string such as \"customer\")"));
    }
    plan.record_type = it->get<std::string>();
    if (auto problem = check_record_type("record_type", plan.record_type)) return fail(*problem);
  }

  auto id = id_field(input, "id");
  if (!id) return fail(std::move(id).error());
  auto external_id = id_field(input, "external_id");
  if (!external_id) return fail(std::move(external_id).error());

  if (op != Operation::get) {
    const auto body = input.find("body");
    if (body == input.end() || !body->is_object()) {
      return fail(std::string("body is required: the record's fields (an object)"));
    }
    plan.body = *body;
  }

  if (op == Operation::upsert) {
    // The external id: the input's, else the body's externalId, else derived from the step's
    // idempotency key. The body always carries it, so the record can be found by it later.
    std::optional<std::string> from_body;
    if (const auto it = plan.body.find("externalId"); it != plan.body.end() && !it->is_null()) {
      if (!it->is_string()) return fail(std::string("body.externalId must be a string"));
      from_body = it->get<std::string>();
    }
    if (*external_id && from_body && **external_id != *from_body) {
      return fail("external_id (" + **external_id + ") and body.externalId (" + *from_body +
                  ") differ");
    }
    if (*external_id) {
      plan.external_id = **external_id;
    } else if (from_body) {
      plan.external_id = *from_body;
    } else if (!request.idempotency_key.empty()) {
      plan.external_id = derived_external_id(request.idempotency_key);
    } else {
      return fail(std::string("external_id is required when the step has no idempotency key"));
    }
    const char* field = *external_id || !from_body ? "external_id" : "body.externalId";
    if (auto problem = check_external_id(field, plan.external_id)) return fail(*problem);
    plan.body["externalId"] = plan.external_id;
  } else {
    if (id->has_value() == external_id->has_value()) {
      return fail(std::string("give exactly one of id (the internal id) and external_id"));
    }
    if (*id) {
      plan.id = **id;
      if (auto problem = check_internal_id("id", plan.id)) return fail(*problem);
    } else {
      plan.external_id = **external_id;
      if (auto problem = check_external_id("external_id", plan.external_id)) return fail(*problem);
    }
  }

  const auto query_keys = op == Operation::get ? word_views(kGetQuery) : word_views(kWriteQuery);
  for (const auto key : query_keys) {
    const auto it = input.find(key);
    if (it == input.end() || it->is_null()) continue;
    auto value = query_value(*it);
    if (!value) {
      return fail(std::string(key) +
                  " must be a string, a boolean, an integer or a list of strings");
    }
    plan.query.emplace_back(std::string(key), std::move(*value));
  }
  // An upsert that finds its record updates it like a PATCH, which appends sublist lines: a
  // retried upsert would double an invoice's items. Replacing the sublists the body gives
  // makes the retry write the same record again.
  if (op == Operation::upsert && !input.contains("replace")) {
    if (auto sublists = sublists_of(plan.body); !sublists.empty()) {
      plan.query.emplace_back("replace", std::move(sublists));
    }
  }
  return plan;
}

std::string record_reference(const Plan& plan) {
  return plan.id.empty() ? "eid:" + plan.external_id : plan.id;
}

Failure unreadable(const engine::ActionRequest& request, const http::Response& response,
                   FailureClass cls, std::string_view expected) {
  Failure f;
  f.cls = cls;
  f.http_status = response.status;
  f.message = "NetSuite answered " + std::to_string(response.status) + " to " + request.action +
              " with a body that is not " + std::string(expected) + " (truncated?)";
  return f;
}

}  // namespace

NetSuiteConnector::NetSuiteConnector(const config::ConnectorConfig& config, ClockPtr clock)
    : name_(config.name),
      base_url_(config.base_url),
      realm_(realm_for(config.account_id)),
      consumer_key_(config.consumer_key),
      consumer_secret_(config.consumer_secret),
      token_id_(config.token_id),
      token_secret_(config.token_secret),
      timeout_(std::chrono::seconds(config.timeout_seconds)),
      classifier_(std::move(clock)) {}

const std::vector<std::string>& NetSuiteConnector::action_names() {
  return netsuite::action_names();
}

std::string NetSuiteConnector::realm_for(std::string_view account_id) {
  std::string out(account_id);
  for (char& c : out) {
    if (c == '-') c = '_';
    else if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

Result<OutboundRequest, Failure> NetSuiteConnector::prepare(
    const engine::ActionRequest& request) const {
  auto plan = resolve(request);
  if (!plan) {
    return fail(bad_input("action " + request.action + " of connector " + name_ + ": " +
                          plan.error()));
  }
  OutboundRequest out;
  out.timeout = timeout_;
  out.headers.add("Accept", "application/json");
  switch (plan->spec->operation) {
    case Operation::get:
      out.method = "GET";
      break;
    case Operation::upsert:
      out.method = "PUT";
      break;
    case Operation::update:
      out.method = "PATCH";
      break;
    case Operation::suiteql:
      out.method = "POST";
      out.headers.add("Prefer", "transient");
      break;
  }
  if (plan->spec->operation == Operation::suiteql) {
    out.url = base_url_ + std::string(kSuiteQlPath);
  } else {
    out.url = base_url_ + std::string(kRecordPath) + plan->record_type + "/" +
              record_reference(*plan);
  }
  if (!plan->query.empty()) out.url += "?" + url::join_pairs(plan->query);
  if (plan->spec->operation != Operation::get) {
    out.body = dump(plan->body);
    out.headers.add("Content-Type", "application/json");
  }
  return out;
}

Result<void, Failure> NetSuiteConnector::authorize(OutboundRequest& outbound,
                                                   const OutboundContext& context) const {
  if (consumer_key_.empty() || consumer_secret_.empty() || token_id_.empty() ||
      token_secret_.empty()) {
    Failure f;
    f.cls = FailureClass::auth;
    f.message = "connector " + name_ +
                " lacks TBA credentials (consumer_key, consumer_secret, token_id, token_secret)";
    return fail(std::move(f));
  }
  OAuth1Params params;
  params.consumer_key = consumer_key_.reveal();
  params.token = token_id_.reveal();
  params.nonce = crypto::random_hex(16);  // 32 characters; NetSuite wants at least 6, ideally 20
  params.timestamp = std::to_string(context.clock.unix_seconds());
  const std::string base = signature_base_string(outbound.method, outbound.url, params);
  outbound.headers.set(
      "Authorization",
      authorization_header(realm_, params,
                           signature(base, consumer_secret_.reveal(), token_secret_.reveal())));
  return {};
}

Result<nlohmann::json, Failure> NetSuiteConnector::read_success(
    const engine::ActionRequest& request, const http::Response& response) const {
  auto plan = resolve(request);
  if (!plan) return fail(bad_input(plan.error()));
  json parsed;
  switch (plan->spec->operation) {
    case Operation::get:
      if (!is_json_object(response, parsed)) {
        return fail(unreadable(request, response, FailureClass::transient, "a JSON record"));
      }
      return parsed;
    case Operation::suiteql:
      if (!is_json_object(response, parsed) || !parsed.contains("items") ||
          !parsed["items"].is_array()) {
        return fail(unreadable(request, response, FailureClass::transient,
                               "a JSON collection with items"));
      }
      return parsed;
    case Operation::update:
      return json{{"record_type", plan->record_type},
                  {"id", plan->id.empty() ? json() : json(plan->id)},
                  {"external_id", plan->external_id.empty() ? json() : json(plan->external_id)}};
    case Operation::upsert: {
      // The answer to the follow-up GET …/eid:{x}?fields=id. The write has taken effect; a
      // body we cannot read leaves only the internal id unknown, and a retry (the same
      // external id) is safe.
      std::optional<std::string> id;
      if (is_json_object(response, parsed)) {
        if (auto read = id_field(parsed, "id"); read && *read && !(*read)->empty()) id = **read;
      }
      if (!id) {
        return fail(unreadable(request, response, FailureClass::unknown_outcome,
                               "a record with an id (the upsert itself succeeded)"));
      }
      return json{{"record_type", plan->record_type},
                  {"id", *id},
                  {"external_id", plan->external_id}};
    }
  }
  return fail(bad_input("unknown operation"));
}

Result<Reading, Failure> NetSuiteConnector::read_exchange(
    const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
  const ActionSpec* spec = find_action(request.action);
  if (spec != nullptr && spec->operation == Operation::upsert && answers.size() == 1) {
    auto plan = resolve(request);
    if (!plan) return fail(bad_input(plan.error()));
    FollowUp next;
    next.request.method = "GET";
    next.request.url = base_url_ + std::string(kRecordPath) + plan->record_type + "/eid:" +
                       plan->external_id + "?fields=id";
    next.request.headers.add("Accept", "application/json");
    next.request.timeout = timeout_;
    return Reading(std::move(next));
  }
  auto output = read_success(request, answers.back());
  if (!output) return fail(std::move(output).error());
  return Reading(std::move(output).value());
}

std::optional<nlohmann::json> NetSuiteConnector::next_page(const engine::ActionRequest& request,
                                                           const nlohmann::json& output) const {
  const ActionSpec* spec = find_action(request.action);
  if (spec == nullptr || spec->operation != Operation::suiteql || !output.is_object() ||
      !request.input.is_object()) {
    return std::nullopt;
  }
  const auto more = output.find("hasMore");
  if (more == output.end() || !more->is_boolean() || !more->get<bool>()) return std::nullopt;
  std::int64_t offset = 0;
  if (const auto it = output.find("offset"); it != output.end() && it->is_number_integer()) {
    offset = it->get<std::int64_t>();
  } else if (const auto in = request.input.find("offset");
             in != request.input.end() && in->is_number_integer()) {
    offset = in->get<std::int64_t>();
  }
  std::int64_t count = 0;
  if (const auto it = output.find("count"); it != output.end() && it->is_number_integer()) {
    count = it->get<std::int64_t>();
  } else if (const auto items = output.find("items"); items != output.end() && items->is_array()) {
    count = static_cast<std::int64_t>(items->size());
  }
  if (count <= 0) return std::nullopt;  // no progress: stop rather than ask for the same page
  json next = request.input;
  next["offset"] = offset + count;
  return next;
}

bool NetSuiteConnector::is_concurrency_limit(const Failure& failure) const {
  return netsuite::is_concurrency_limit(failure);
}

}  // namespace weft::connectors::netsuite
