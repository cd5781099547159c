#include "mapping/jv_values.hpp"

#include <simdjson.h>

#include <cfloat>
#include <climits>
#include <cmath>

namespace weft::mapping {

namespace {

// libjq 1.6's parser refuses deeper documents (MAX_PARSING_DEPTH).
constexpr int kJqMaxDepth = 256;
// Integers a double holds exactly.
constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53

jv string_jv(std::string_view text) {
  return jv_string_sized(text.data(), static_cast<int>(text.size()));
}

// Builds the jv of a parsed document; false (with nothing left allocated) when it is deeper
// than jq accepts, so that libjq's own parser reports it.
bool element_to_jv(simdjson::dom::element element, int depth, jv& out) {
  using Type = simdjson::dom::element_type;
  if (depth > kJqMaxDepth) return false;
  switch (element.type()) {
    case Type::NULL_VALUE:
      out = jv_null();
      return true;
    case Type::BOOL:
      out = jv_bool(element.get_bool().value_unsafe());
      return true;
    case Type::INT64:
      out = jv_number(static_cast<double>(element.get_int64().value_unsafe()));
      return true;
    case Type::UINT64:
      out = jv_number(static_cast<double>(element.get_uint64().value_unsafe()));
      return true;
    case Type::DOUBLE:
      out = jv_number(element.get_double().value_unsafe());
      return true;
    case Type::STRING:
      out = string_jv(element.get_string().value_unsafe());
      return true;
    case Type::ARRAY: {
      const simdjson::dom::array items = element.get_array().value_unsafe();
      jv array = jv_array_sized(static_cast<int>(items.size()));
      for (simdjson::dom::element item : items) {
        jv converted;
        if (!element_to_jv(item, depth + 1, converted)) {
          jv_free(array);
          return false;
        }
        array = jv_array_append(array, converted);
      }
      out = array;
      return true;
    }
    case Type::OBJECT: {
      const simdjson::dom::object fields = element.get_object().value_unsafe();
      jv object = jv_object();
      for (auto field : fields) {
        jv converted;
        if (!element_to_jv(field.value, depth + 1, converted)) {
          jv_free(object);
          return false;
        }
        // A repeated key: the last one wins, as in jq's parser.
        object = jv_object_set(object, string_jv(field.key), converted);
      }
      out = object;
      return true;
    }
  }
  return false;
}

nlohmann::json number_json(double number) {
  if (std::isnan(number)) return nullptr;
  if (std::isinf(number)) return number > 0 ? DBL_MAX : -DBL_MAX;
  if (number == std::trunc(number) && std::fabs(number) <= kExactIntegerLimit) {
    return static_cast<std::int64_t>(number);
  }
  return number;
}

}  // namespace

jv to_jv(const nlohmann::json& value) {
  using Type = nlohmann::json::value_t;
  switch (value.type()) {
    case Type::null:
    case Type::discarded:
      return jv_null();
    case Type::boolean:
      return jv_bool(value.get<bool>());
    case Type::number_integer:
      return jv_number(static_cast<double>(value.get<std::int64_t>()));
    case Type::number_unsigned:
      return jv_number(static_cast<double>(value.get<std::uint64_t>()));
    case Type::number_float:
      return jv_number(value.get<double>());
    case Type::string:
      return string_jv(value.get_ref<const std::string&>());
    case Type::binary:
      return jv_null();  // never produced by parsing JSON; nothing in Weft makes one
    case Type::array: {
      jv array = jv_array_sized(static_cast<int>(value.size()));
      for (const auto& item : value) array = jv_array_append(array, to_jv(item));
      return array;
    }
    case Type::object: {
      jv object = jv_object();
      for (const auto& [key, member] : value.items()) {
        object = jv_object_set(object, string_jv(key), to_jv(member));
      }
      return object;
    }
  }
  return jv_null();
}

jv parse_jv(std::string_view text) {
  if (text.size() <= static_cast<std::size_t>(INT_MAX)) {
    // One parser per thread: it keeps its buffers between documents.
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(text.data(), text.size()).get(root) == simdjson::SUCCESS) {
      jv out;
      if (element_to_jv(root, 1, out)) return out;
    }
  } else {
    return jv_invalid_with_msg(jv_string("input is larger than libjq accepts"));
  }
  // Not JSON, or beyond jq's limits: let libjq say why, in its words.
  return jv_parse_sized(text.data(), static_cast<int>(text.size()));
}

nlohmann::json from_jv(jv value) {
  nlohmann::json out;
  switch (jv_get_kind(value)) {
    case JV_KIND_INVALID:
    case JV_KIND_NULL:
      break;
    case JV_KIND_FALSE:
      out = false;
      break;
    case JV_KIND_TRUE:
      out = true;
      break;
    case JV_KIND_NUMBER:
      out = number_json(jv_number_value(value));
      break;
    case JV_KIND_STRING:
      out = std::string(jv_string_value(value), static_cast<std::size_t>(jv_string_length_bytes(jv_copy(value))));
      break;
    case JV_KIND_ARRAY: {
      out = nlohmann::json::array();
      const int length = jv_array_length(jv_copy(value));
      for (int i = 0; i < length; ++i) out.push_back(from_jv(jv_array_get(jv_copy(value), i)));
      break;
    }
    case JV_KIND_OBJECT: {
      out = nlohmann::json::object();
      for (int it = jv_object_iter(value); jv_object_iter_valid(value, it);
           it = jv_object_iter_next(value, it)) {
        jv key = jv_object_iter_key(value, it);
        out[std::string(jv_string_value(key), static_cast<std::size_t>(jv_string_length_bytes(jv_copy(key))))] =
            from_jv(jv_object_iter_value(value, it));
        jv_free(key);
      }
      break;
    }
  }
  jv_free(value);
  return out;
}

}  // namespace weft::mapping
