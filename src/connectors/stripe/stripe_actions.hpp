#pragma once
// The Stripe actions Weft knows: for each, the HTTP method, the path (with the input fields
// that fill it), what the answer is (an object, a list, a search result), and the parameters
// it cannot do without. The table is the single place an action is defined; the connector
// turns an entry into a request.
//
// Threads: the table is immutable; every function is pure.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::connectors::stripe {

enum class Shape {
  object,  // one Stripe object
  list,    // {"object": "list", "data": [...], "has_more": ...}: pages with starting_after
  search,  // {"object": "search_result", ..., "next_page": ...}: pages with page
  // Several requests in one attempt (StripeConnector::read_exchange); the entry describes
  // the first. The output is the action's own summary, not a Stripe object.
  composite,
};

enum class ParamKind { string, integer };
struct RequiredParam {
  std::string_view name;
  ParamKind kind;
};

struct ActionSpec {
  std::string_view name;
  std::string_view method;  // GET | POST | DELETE
  // "/v1/customers/{customer}/balance_transactions": each {field} is filled from the input
  // field of that name, which is then not sent as a parameter.
  std::string_view path;
  Shape shape;
  std::vector<RequiredParam> required;
  // Checks and completes the parameters where a rule is more than "this field is present"
  // (create_refund: one of payment_intent and charge; find_customers_by_metadata: builds
  // query). Returns what is wrong, for a validation failure; nullptr when there is no rule.
  std::optional<std::string> (*complete)(nlohmann::json& params) = nullptr;
};

const std::vector<ActionSpec>& actions();
const ActionSpec* find_action(std::string_view name);

// The path's {field} names, in order.
std::vector<std::string> path_fields(std::string_view path);

// Checks `params` (the input without the path fields) against the spec's required
// parameters and rule, completing them in place. The error names the field.
std::optional<std::string> check_params(const ActionSpec& spec, nlohmann::json& params);

// A Stripe search clause matching one metadata value: metadata['key']:'value', with
// backslashes and single quotes in key and value escaped by a backslash, so that a value
// taken from an event cannot widen the search ("x' OR created>0 OR name:'y").
std::string metadata_query(std::string_view key, std::string_view value);

// set_customer_collection: the pause_collection[behavior] values Stripe takes.
inline constexpr std::string_view kPauseBehaviors[] = {"keep_as_draft", "mark_uncollectible",
                                                       "void"};

}  // namespace weft::connectors::stripe
