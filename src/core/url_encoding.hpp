#pragma once
// URL and form encoding shared by the connectors (query strings, OAuth 1.0a base strings,
// Stripe's bracket-notation bodies) and the sandbox (which decodes what they encode).
//
// Threads: pure functions.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::url {

// RFC 3986 percent-encoding: A-Z a-z 0-9 - . _ ~ stay as they are, every other byte becomes
// %XX in upper-case hex (a space is %20, never '+'). What OAuth 1.0a signatures require.
void percent_encode(std::string_view text, std::string& out);
std::string percent_encode(std::string_view text);

// Decodes %XX escapes; with `plus_is_space` (form bodies and query strings), '+' is a space.
// nullopt on a malformed escape ("%4", "%zz").
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = true);

using Pairs = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=2" (a query string or an application/x-www-form-urlencoded body) into decoded pairs,
// in order; empty parts are skipped and a part without '=' has an empty value. nullopt on a
// malformed escape.
std::optional<Pairs> parse_pairs(std::string_view text);

// Pairs back into "a=1&b=2", each name and value percent-encoded as above.
std::string join_pairs(const Pairs& pairs);

// A JSON object flattened into form pairs with bracket notation, as Stripe's API takes them:
//   {"metadata": {"order": "6735"}, "items": [{"price": "p", "quantity": 2}], "expand": ["x"]}
//   → metadata[order]=6735, items[0][price]=p, items[0][quantity]=2, expand[0]=x
// Strings as they are, numbers and booleans as JSON writes them, null as "" (which unsets a
// field on Stripe). An empty object or array yields "name=" (Stripe's "clear all").
// The input must be an object; nested arrays of scalars use indexes, which Stripe accepts
// for every array parameter.
Pairs flatten_form(const nlohmann::json& object);

// The inverse, for the sandbox: bracket-notation pairs into a JSON object whose leaves are
// strings ("items[0][price]=p" → {"items": [{"price": "p"}]}; "expand[]=a" appends).
// nullopt when the names contradict each other ("a=1&a[b]=2") or an index is not a number.
std::optional<nlohmann::json> unflatten_form(const Pairs& pairs);

}  // namespace weft::url
