#include "sandbox/stripe/stripe_params.hpp"

#include <charconv>

#include "core/suggestion.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

Params::Params(const json& params, std::initializer_list<std::string_view> known, std::string prefix)
    : Params(params, std::vector<std::string_view>(known), std::move(prefix)) {}

Params::Params(const json& params, const std::vector<std::string_view>& known, std::string prefix)
    : params_(params.is_object() ? params : json::object()), prefix_(std::move(prefix)) {
  if (!params.is_object() && !params.is_null()) {
    fail(invalid_param("Invalid object: " + (prefix_.empty() ? std::string("parameters") : prefix_) +
                           " must be a hash of parameters",
                       prefix_));
    return;
  }
  check_known(known);
}

std::string Params::param_name(std::string_view name) const {
  return prefix_.empty() ? std::string(name) : prefix_ + "[" + std::string(name) + "]";
}

void Params::check_known(const std::vector<std::string_view>& known) {
  for (const auto& [key, value] : params_.items()) {
    if (key == "expand" && prefix_.empty()) continue;
    bool found = false;
    for (auto k : known) found = found || k == key;
    if (found) continue;
    std::string message = "Received unknown parameter: " + param_name(key);
    if (auto near = nearest(key, known)) message += ". Did you mean " + std::string(*near) + "?";
    fail(invalid_param(std::move(message), param_name(key), "parameter_unknown"));
    return;
  }
}

void Params::fail(Reply reply) {
  if (!error_) error_ = std::move(reply);
}

const json* Params::find(std::string_view name) const {
  auto it = params_.find(std::string(name));
  return it == params_.end() ? nullptr : &*it;
}

bool Params::has(std::string_view name) const { return find(name) != nullptr; }

std::optional<std::string> Params::text(std::string_view name) {
  const json* value = find(name);
  if (value == nullptr || failed()) return std::nullopt;
  if (!value->is_string()) {
    fail(invalid_param("Invalid string: " + param_name(name) + " must be a string, not a hash or array",
                       param_name(name)));
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::string Params::required_text(std::string_view name) {
  auto value = text(name);
  if (!value && !failed()) fail(missing_param(param_name(name)));
  if (value && value->empty()) {
    fail(invalid_param("You passed an empty string for '" + param_name(name) +
                           "'. We assume empty values are an attempt to unset a parameter; however '" +
                           param_name(name) + "' cannot be unset. You should remove '" + param_name(name) +
                           "' from your request or supply a non-empty value.",
                       param_name(name), "parameter_invalid_empty"));
  }
  return value.value_or("");
}

std::optional<std::int64_t> Params::integer(std::string_view name) {
  auto value = text(name);
  if (!value) return std::nullopt;
  std::int64_t n = 0;
  const char* begin = value->data();
  const char* end = begin + value->size();
  auto [ptr, ec] = std::from_chars(begin, end, n);
  if (value->empty() || ec != std::errc() || ptr != end) {
    fail(invalid_param("Invalid integer: " + *value, param_name(name), "parameter_invalid_integer"));
    return std::nullopt;
  }
  return n;
}

std::int64_t Params::required_integer(std::string_view name) {
  auto value = integer(name);
  if (!value && !failed()) fail(missing_param(param_name(name)));
  return value.value_or(0);
}

std::optional<bool> Params::boolean(std::string_view name) {
  auto value = text(name);
  if (!value) return std::nullopt;
  if (*value == "true") return true;
  if (*value == "false") return false;
  fail(invalid_param("Invalid boolean: " + *value, param_name(name)));
  return std::nullopt;
}

std::optional<std::string> Params::one_of(std::string_view name, std::initializer_list<std::string_view> values) {
  auto value = text(name);
  if (!value) return std::nullopt;
  for (auto v : values) {
    if (v == *value) return value;
  }
  std::string list;
  std::size_t i = 0;
  for (auto v : values) {
    if (i > 0) list += (i + 1 == values.size()) ? ", or " : ", ";
    list += "`" + std::string(v) + "`";
    ++i;
  }
  fail(invalid_param("Invalid " + param_name(name) + ": must be one of " + list, param_name(name)));
  return std::nullopt;
}

std::optional<json> Params::metadata(std::string_view name) {
  const json* value = find(name);
  if (value == nullptr || failed()) return std::nullopt;
  if (value->is_string() && value->get<std::string>().empty()) return json("");  // clear all
  if (!value->is_object()) {
    fail(invalid_param("Invalid hash: " + param_name(name) + " must be a hash of key-value pairs", param_name(name)));
    return std::nullopt;
  }
  if (value->size() > 50) {
    fail(invalid_param("Invalid metadata: metadata can have up to 50 keys, but you passed in " +
                           std::to_string(value->size()) + " keys.",
                       param_name(name)));
    return std::nullopt;
  }
  for (const auto& [key, v] : value->items()) {
    const std::string where = param_name(name) + "[" + key + "]";
    if (!v.is_string()) {
      fail(invalid_param("Invalid string: " + where + " must be a string", where));
      return std::nullopt;
    }
    if (key.size() > 40) {
      fail(invalid_param("Metadata keys can be at most 40 characters long, but you passed in a key that is " +
                             std::to_string(key.size()) + " characters long.",
                         where));
      return std::nullopt;
    }
    if (v.get<std::string>().size() > 500) {
      fail(invalid_param("Metadata values can have up to 500 characters, but you passed in a value that is " +
                             std::to_string(v.get<std::string>().size()) + " characters long.",
                         where));
      return std::nullopt;
    }
  }
  return *value;
}

std::optional<json> Params::object(std::string_view name) {
  const json* value = find(name);
  if (value == nullptr || failed()) return std::nullopt;
  if (!value->is_object()) {
    fail(invalid_param("Invalid hash: " + param_name(name) + " must be a hash", param_name(name)));
    return std::nullopt;
  }
  return *value;
}

std::optional<json> Params::array(std::string_view name) {
  const json* value = find(name);
  if (value == nullptr || failed()) return std::nullopt;
  if (value->is_string() && value->get<std::string>().empty()) return json::array();
  if (!value->is_array()) {
    fail(invalid_param("Invalid array: " + param_name(name) + " must be an array", param_name(name)));
    return std::nullopt;
  }
  return *value;
}

std::vector<std::string> Params::expand() {
  std::vector<std::string> paths;
  auto list = array("expand");
  if (!list) return paths;
  for (const auto& item : *list) {
    if (!item.is_string()) {
      fail(invalid_param("Invalid array: expand must be an array of strings", "expand"));
      return {};
    }
    paths.push_back(item.get<std::string>());
  }
  return paths;
}

void merge_metadata(json& target, const json& change) {
  if (!target.is_object()) target = json::object();
  if (change.is_string()) {  // "" clears all
    target = json::object();
    return;
  }
  for (const auto& [key, value] : change.items()) {
    if (value.is_string() && value.get<std::string>().empty()) {
      target.erase(key);
    } else {
      target[key] = value;
    }
  }
}

}  // namespace weft::sandbox::stripe
