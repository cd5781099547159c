#include "canonical/json_schema.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>

#include "canonical/schema_formats.hpp"
#include "core/url_encoding.hpp"

namespace weft::canonical {

using nlohmann::json;

namespace {

enum TypeBit : unsigned {
  kNull = 1, kBoolean = 2, kObject = 4, kArray = 8, kNumber = 16, kString = 32, kInteger = 64
};

std::optional<unsigned> type_bit(std::string_view name) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "object") return kObject;
  if (name == "array") return kArray;
  if (name == "number") return kNumber;
  if (name == "string") return kString;
  if (name == "integer") return kInteger;
  return std::nullopt;
}

bool is_integral(const json& value) {
  if (value.is_number_integer()) return true;
  if (!value.is_number_float()) return false;
  const double d = value.get<double>();
  return std::isfinite(d) && std::floor(d) == d;
}

bool has_type(unsigned types, const json& value) {
  switch (value.type()) {
    case json::value_t::null: return types & kNull;
    case json::value_t::boolean: return types & kBoolean;
    case json::value_t::object: return types & kObject;
    case json::value_t::array: return types & kArray;
    case json::value_t::string: return types & kString;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return (types & kNumber) || ((types & kInteger) && is_integral(value));
    default: return false;
  }
}

const char* type_name(const json& value) {
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  if (value.is_boolean()) return "a boolean";
  return "null";
}

std::string type_list(unsigned types) {
  static constexpr std::pair<unsigned, const char*> kNames[] = {
      {kNull, "null"}, {kBoolean, "boolean"}, {kObject, "object"}, {kArray, "array"},
      {kNumber, "number"}, {kString, "string"}, {kInteger, "integer"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(types & bit)) continue;
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

std::string short_dump(const json& value) {
  std::string text = value.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::size_t code_points(const std::string& text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string pointer_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string number_text(double value) {
  json j = value;
  if (is_integral(j) && std::fabs(value) < 1e15) return std::to_string(static_cast<long long>(value));
  return j.dump();
}

struct Pattern {
  std::string source;
  std::regex regex;
};

}  // namespace

struct SchemaNode {
  std::string location;  // "<document>#<pointer>"
  std::optional<bool> constant;  // a boolean schema: true accepts all, false nothing
  std::string ref_text;
  const SchemaNode* ref = nullptr;  // draft-07: with $ref, the other keywords are ignored

  unsigned types = 0;  // 0: any
  std::optional<json> const_value;
  std::optional<std::vector<json>> enum_values;
  Format format = Format::none;

  std::map<std::string, const SchemaNode*, std::less<>> properties;
  std::vector<std::string> required;
  const SchemaNode* additional_properties = nullptr;
  std::vector<std::pair<Pattern, const SchemaNode*>> pattern_properties;
  const SchemaNode* property_names = nullptr;
  std::optional<std::size_t> min_properties, max_properties;

  const SchemaNode* items = nullptr;  // every item
  std::optional<std::vector<const SchemaNode*>> tuple_items;
  const SchemaNode* additional_items = nullptr;  // past the tuple
  const SchemaNode* contains = nullptr;
  std::optional<std::size_t> min_items, max_items;
  bool unique_items = false;

  std::optional<std::size_t> min_length, max_length;
  std::optional<Pattern> pattern;

  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;

  std::vector<const SchemaNode*> all_of, any_of, one_of;
  const SchemaNode* not_schema = nullptr;
  const SchemaNode* if_schema = nullptr;
  const SchemaNode* then_schema = nullptr;
  const SchemaNode* else_schema = nullptr;
};

struct SchemaSet::Compiled {
  std::map<std::string, json, std::less<>> documents;
  std::deque<SchemaNode> nodes;  // stable addresses
  std::map<std::string, SchemaNode*, std::less<>> by_location;
};

namespace {

// --- compiling ---------------------------------------------------------------------------------

struct PendingRef {
  SchemaNode* node;
  std::string document;
};

class Compiler {
 public:
  explicit Compiler(SchemaSet::Compiled& out) : out_(out) {}

  const SchemaNode* compile(const std::string& document, const json& schema, const std::string& pointer) {
    const std::string location = document + "#" + pointer;
    if (auto it = out_.by_location.find(location); it != out_.by_location.end()) return it->second;
    SchemaNode& node = out_.nodes.emplace_back();
    node.location = location;
    out_.by_location.emplace(location, &node);
    if (schema.is_boolean()) {
      node.constant = schema.get<bool>();
    } else if (!schema.is_object()) {
      error(document, pointer, "a schema must be an object or a boolean");
    } else {
      fill(node, document, schema, pointer);
    }
    return &node;
  }

  // Resolves every $ref (compiling what they point at, which may add more).
  void resolve_refs() {
    while (!pending_.empty()) {
      PendingRef p = pending_.front();
      pending_.pop_front();
      resolve(p);
    }
  }

  std::vector<SchemaLoadError> errors;

 private:
  void error(const std::string& document, const std::string& pointer, std::string message) {
    errors.push_back(SchemaLoadError{document, pointer.empty() ? "/" : pointer, std::move(message)});
  }

  std::optional<std::size_t> count(const std::string& document, const json& value, const std::string& at) {
    if (value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
      return value.get<std::size_t>();
    }
    if (value.is_number_float() && is_integral(value) && value.get<double>() >= 0) {
      return static_cast<std::size_t>(value.get<double>());
    }
    error(document, at, "must be a non-negative integer");
    return std::nullopt;
  }

  std::optional<double> number(const std::string& document, const json& value, const std::string& at) {
    if (value.is_number()) return value.get<double>();
    error(document, at, "must be a number");
    return std::nullopt;
  }

  std::optional<Pattern> pattern(const std::string& document, const json& value, const std::string& at) {
    if (!value.is_string()) {
      error(document, at, "must be a string (an ECMAScript regular expression)");
      return std::nullopt;
    }
    try {
      return Pattern{value.get<std::string>(), std::regex(value.get<std::string>(), std::regex::ECMAScript)};
    } catch (const std::regex_error& e) {
      error(document, at, std::string("is not a valid regular expression: ") + e.what());
      return std::nullopt;
    }
  }

  std::vector<const SchemaNode*> schema_list(const std::string& document, const json& value, const std::string& at) {
    std::vector<const SchemaNode*> out;
    if (!value.is_array() || value.empty()) {
      error(document, at, "must be a non-empty array of schemas");
      return out;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      out.push_back(compile(document, value[i], at + "/" + std::to_string(i)));
    }
    return out;
  }

  std::map<std::string, const SchemaNode*, std::less<>> schema_map(const std::string& document, const json& value,
                                                                  const std::string& at) {
    std::map<std::string, const SchemaNode*, std::less<>> out;
    if (!value.is_object()) {
      error(document, at, "must be an object of schemas");
      return out;
    }
    for (const auto& [name, sub] : value.items()) out[name] = compile(document, sub, at + "/" + pointer_token(name));
    return out;
  }

  void fill(SchemaNode& node, const std::string& document, const json& schema, const std::string& pointer) {
    if (auto ref = schema.find("$ref"); ref != schema.end()) {
      if (!ref->is_string()) {
        error(document, pointer + "/$ref", "must be a string");
        return;
      }
      node.ref_text = ref->get<std::string>();
      pending_.push_back(PendingRef{&node, document});
      return;  // draft-07: the keywords beside $ref are ignored (definitions are still reachable)
    }
    for (const auto& [key, value] : schema.items()) {
      const std::string at = pointer + "/" + pointer_token(key);
      if (!keyword(node, document, key, value, at)) {
        error(document, at, "unknown or unsupported keyword '" + key + "'");
      }
    }
  }

  // Fills one keyword; false when the keyword is not one this validator knows.
  bool keyword(SchemaNode& node, const std::string& document, const std::string& key, const json& value,
               const std::string& at) {
    static const std::set<std::string, std::less<>> kAnnotations = {
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "readOnly", "writeOnly"};
    // "x-…" members are extensions for the program that reads the schema (the canonical
    // schemas' x-weft-identity), annotations to validation.
    if (kAnnotations.count(key) || key.rfind("x-", 0) == 0) return true;
    if (key == "definitions" || key == "$defs") {
      if (!value.is_object()) error(document, at, "must be an object of schemas");
      return true;  // compiled when a $ref reaches them
    }
    if (key == "type") {
      const json names = value.is_array() ? value : json::array({value});
      for (const auto& name : names) {
        const auto bit = name.is_string() ? type_bit(name.get<std::string>()) : std::nullopt;
        if (!bit) {
          error(document, at, "must name JSON types (null, boolean, object, array, number, string, integer)");
          return true;
        }
        node.types |= *bit;
      }
      return true;
    }
    if (key == "enum") {
      if (!value.is_array()) error(document, at, "must be an array");
      else node.enum_values = value.get<std::vector<json>>();
      return true;
    }
    if (key == "const") {
      node.const_value = value;
      return true;
    }
    if (key == "format") {
      const auto format = value.is_string() ? parse_format(value.get<std::string>()) : std::nullopt;
      if (!format) error(document, at, "supported formats are date-time, date and email");
      else node.format = *format;
      return true;
    }
    if (key == "properties") {
      node.properties = schema_map(document, value, at);
      return true;
    }
    if (key == "required") {
      if (!value.is_array() || !std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); })) {
        error(document, at, "must be an array of property names");
      } else {
        node.required = value.get<std::vector<std::string>>();
      }
      return true;
    }
    if (key == "additionalProperties") {
      node.additional_properties = compile(document, value, at);
      return true;
    }
    if (key == "patternProperties") {
      if (!value.is_object()) {
        error(document, at, "must be an object of schemas");
        return true;
      }
      for (const auto& [source, sub] : value.items()) {
        const std::string sub_at = at + "/" + pointer_token(source);
        if (auto p = pattern(document, json(source), sub_at)) {
          node.pattern_properties.emplace_back(std::move(*p), compile(document, sub, sub_at));
        }
      }
      return true;
    }
    if (key == "propertyNames") {
      node.property_names = compile(document, value, at);
      return true;
    }
    if (key == "minProperties") return node.min_properties = count(document, value, at), true;
    if (key == "maxProperties") return node.max_properties = count(document, value, at), true;
    if (key == "items") {
      if (value.is_array()) {
        node.tuple_items.emplace();
        for (std::size_t i = 0; i < value.size(); ++i) {
          node.tuple_items->push_back(compile(document, value[i], at + "/" + std::to_string(i)));
        }
      } else {
        node.items = compile(document, value, at);
      }
      return true;
    }
    if (key == "additionalItems") return node.additional_items = compile(document, value, at), true;
    if (key == "contains") return node.contains = compile(document, value, at), true;
    if (key == "minItems") return node.min_items = count(document, value, at), true;
    if (key == "maxItems") return node.max_items = count(document, value, at), true;
    if (key == "uniqueItems") {
      if (!value.is_boolean()) error(document, at, "must be a boolean");
      else node.unique_items = value.get<bool>();
      return true;
    }
    if (key == "minLength") return node.min_length = count(document, value, at), true;
    if (key == "maxLength") return node.max_length = count(document, value, at), true;
    if (key == "pattern") return node.pattern = pattern(document, value, at), true;
    if (key == "minimum") return node.minimum = number(document, value, at), true;
    if (key == "maximum") return node.maximum = number(document, value, at), true;
    if (key == "exclusiveMinimum") return node.exclusive_minimum = number(document, value, at), true;
    if (key == "exclusiveMaximum") return node.exclusive_maximum = number(document, value, at), true;
    if (key == "multipleOf") {
      node.multiple_of = number(document, value, at);
      if (node.multiple_of && *node.multiple_of <= 0) error(document, at, "must be greater than 0");
      return true;
    }
    if (key == "allOf") return node.all_of = schema_list(document, value, at), true;
    if (key == "anyOf") return node.any_of = schema_list(document, value, at), true;
    if (key == "oneOf") return node.one_of = schema_list(document, value, at), true;
    if (key == "not") return node.not_schema = compile(document, value, at), true;
    if (key == "if") return node.if_schema = compile(document, value, at), true;
    if (key == "then") return node.then_schema = compile(document, value, at), true;
    if (key == "else") return node.else_schema = compile(document, value, at), true;
    return false;
  }

  void resolve(const PendingRef& p) {
    const std::string& text = p.node->ref_text;
    const auto hash = text.find('#');
    // A document part is resolved against the referring document's name, as a relative URI.
    const std::string target =
        hash == 0 ? p.document
                  : (std::filesystem::path(p.document).parent_path() / text.substr(0, hash)).lexically_normal().generic_string();
    const std::string fragment = hash == std::string::npos ? "" : text.substr(hash + 1);
    const auto doc = out_.documents.find(target);
    const std::string where = p.node->location.substr(p.node->location.find('#') + 1) + "/$ref";
    if (doc == out_.documents.end()) {
      error(p.document, where, "$ref \"" + text + "\" names no schema document in this set");
      return;
    }
    // A fragment is a JSON Pointer, percent-encoded as URI fragments are.
    const auto percent_decoded = url::percent_decode(fragment, false);
    if (!percent_decoded) {
      error(p.document, where, "$ref \"" + text + "\" has a malformed percent escape");
      return;
    }
    const std::string& decoded = *percent_decoded;
    if (!decoded.empty() && decoded.front() != '/') {
      error(p.document, where, "$ref \"" + text + "\": only JSON Pointer fragments are supported");
      return;
    }
    const json* at = nullptr;
    try {
      at = &doc->second.at(json::json_pointer(decoded));
    } catch (const json::exception&) {
      error(p.document, where, "$ref \"" + text + "\" points at nothing");
      return;
    }
    p.node->ref = compile(target, *at, decoded);
  }

  SchemaSet::Compiled& out_;
  std::deque<PendingRef> pending_;
};

// --- validating --------------------------------------------------------------------------------

class Checker {
 public:
  explicit Checker(std::size_t max) : max_(max) {}

  bool full() const { return violations.size() >= max_; }

  void check(const SchemaNode& node, const json& value, std::string& path) {
    if (full()) return;
    if (node.constant) {
      if (!*node.constant) add(path, node, "", "no value is allowed here");
      return;
    }
    if (node.ref != nullptr) return check(*node.ref, value, path);

    if (node.types != 0 && !has_type(node.types, value)) {
      return add(path, node, "/type", std::string("is ") + type_name(value) + ", must be " + type_list(node.types));
    }
    if (node.const_value && !(*node.const_value == value)) {
      add(path, node, "/const", "must be " + short_dump(*node.const_value));
    }
    if (node.enum_values &&
        std::none_of(node.enum_values->begin(), node.enum_values->end(), [&](const json& v) { return v == value; })) {
      add(path, node, "/enum", "must be one of " + short_dump(json(*node.enum_values)) + ", is " + short_dump(value));
    }
    if (value.is_object()) check_object(node, value, path);
    else if (value.is_array()) check_array(node, value, path);
    else if (value.is_string()) check_string(node, value.get_ref<const std::string&>(), path);
    else if (value.is_number()) check_number(node, value.get<double>(), path);
    check_combinators(node, value, path);
  }

  std::vector<SchemaViolation> violations;

 private:
  void add(const std::string& path, const SchemaNode& node, std::string_view keyword, std::string message) {
    if (full()) return;
    violations.push_back(SchemaViolation{path, node.location + std::string(keyword), std::move(message)});
  }

  static bool valid(const SchemaNode& node, const json& value) {
    Checker probe(1);
    std::string path;
    probe.check(node, value, path);
    return probe.violations.empty();
  }

  // Checks `value` (a member or item) under `path` + "/" + token.
  void descend(const SchemaNode& node, const json& value, std::string& path, const std::string& token) {
    const std::size_t size = path.size();
    path += "/" + pointer_token(token);
    check(node, value, path);
    path.resize(size);
  }

  void check_object(const SchemaNode& node, const json& value, std::string& path) {
    for (const auto& name : node.required) {
      if (!value.contains(name)) add(path, node, "/required", "missing required property '" + name + "'");
    }
    if (node.min_properties && value.size() < *node.min_properties) {
      add(path, node, "/minProperties", "must have at least " + std::to_string(*node.min_properties) + " properties");
    }
    if (node.max_properties && value.size() > *node.max_properties) {
      add(path, node, "/maxProperties", "must have at most " + std::to_string(*node.max_properties) + " properties");
    }
    for (const auto& [name, member] : value.items()) {
      bool matched = false;
      if (auto it = node.properties.find(name); it != node.properties.end()) {
        matched = true;
        descend(*it->second, member, path, name);
      }
      for (const auto& [p, sub] : node.pattern_properties) {
        if (std::regex_search(name, p.regex)) {
          matched = true;
          descend(*sub, member, path, name);
        }
      }
      if (!matched && node.additional_properties != nullptr) {
        if (node.additional_properties->constant == false) {
          add(path, node, "/additionalProperties", "property '" + name + "' is not allowed");
        } else {
          descend(*node.additional_properties, member, path, name);
        }
      }
      if (node.property_names != nullptr && !valid(*node.property_names, json(name))) {
        add(path, node, "/propertyNames", "property name '" + name + "' is not allowed");
      }
    }
  }

  void check_array(const SchemaNode& node, const json& value, std::string& path) {
    if (node.min_items && value.size() < *node.min_items) {
      add(path, node, "/minItems", "must have at least " + std::to_string(*node.min_items) + " items");
    }
    if (node.max_items && value.size() > *node.max_items) {
      add(path, node, "/maxItems", "must have at most " + std::to_string(*node.max_items) + " items");
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      const SchemaNode* item = node.items;
      if (node.tuple_items) item = i < node.tuple_items->size() ? (*node.tuple_items)[i] : node.additional_items;
      if (item != nullptr) descend(*item, value[i], path, std::to_string(i));
    }
    if (node.unique_items) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        for (std::size_t j = i + 1; j < value.size(); ++j) {
          if (value[i] == value[j]) {
            return add(path, node, "/uniqueItems",
                       "items " + std::to_string(i) + " and " + std::to_string(j) + " are equal; must be unique");
          }
        }
      }
    }
    if (node.contains != nullptr &&
        std::none_of(value.begin(), value.end(), [&](const json& v) { return valid(*node.contains, v); })) {
      add(path, node, "/contains", "no item matches the schema it must contain");
    }
  }

  void check_string(const SchemaNode& node, const std::string& text, std::string& path) {
    if (node.min_length && code_points(text) < *node.min_length) {
      add(path, node, "/minLength", "must be at least " + std::to_string(*node.min_length) + " characters long");
    }
    if (node.max_length && code_points(text) > *node.max_length) {
      add(path, node, "/maxLength", "must be at most " + std::to_string(*node.max_length) + " characters long");
    }
    if (node.pattern && !std::regex_search(text, node.pattern->regex)) {
      add(path, node, "/pattern", "must match " + node.pattern->source);
    }
    if (node.format != Format::none && !matches_format(node.format, text)) {
      add(path, node, "/format", std::string("must be ") + describe(node.format) + ", is " + short_dump(json(text)));
    }
  }

  void check_number(const SchemaNode& node, double n, std::string& path) {
    if (node.minimum && n < *node.minimum) add(path, node, "/minimum", "must be >= " + number_text(*node.minimum));
    if (node.maximum && n > *node.maximum) add(path, node, "/maximum", "must be <= " + number_text(*node.maximum));
    if (node.exclusive_minimum && n <= *node.exclusive_minimum) {
      add(path, node, "/exclusiveMinimum", "must be > " + number_text(*node.exclusive_minimum));
    }
    if (node.exclusive_maximum && n >= *node.exclusive_maximum) {
      add(path, node, "/exclusiveMaximum", "must be < " + number_text(*node.exclusive_maximum));
    }
    if (node.multiple_of) {
      const double q = n / *node.multiple_of;
      if (!std::isfinite(q) || std::fabs(q - std::round(q)) > 1e-9 * std::max(1.0, std::fabs(q))) {
        add(path, node, "/multipleOf", "must be a multiple of " + number_text(*node.multiple_of));
      }
    }
  }

  void check_combinators(const SchemaNode& node, const json& value, std::string& path) {
    for (const SchemaNode* sub : node.all_of) check(*sub, value, path);
    if (!node.any_of.empty() &&
        std::none_of(node.any_of.begin(), node.any_of.end(), [&](const SchemaNode* s) { return valid(*s, value); })) {
      add(path, node, "/anyOf", "matches none of the allowed schemas");
    }
    if (!node.one_of.empty()) {
      const auto n = std::count_if(node.one_of.begin(), node.one_of.end(),
                                   [&](const SchemaNode* s) { return valid(*s, value); });
      if (n != 1) add(path, node, "/oneOf", "must match exactly one schema, matches " + std::to_string(n));
    }
    if (node.not_schema != nullptr && valid(*node.not_schema, value)) {
      add(path, node, "/not", "matches a schema it must not match");
    }
    if (node.if_schema != nullptr) {
      const SchemaNode* branch = valid(*node.if_schema, value) ? node.then_schema : node.else_schema;
      if (branch != nullptr) check(*branch, value, path);
    }
  }

  std::size_t max_;
};

}  // namespace

std::string SchemaViolation::to_string() const {
  return (instance_path.empty() ? std::string("(the event payload)") : instance_path) + ": " + message + " (" +
         schema_path + ")";
}

std::string SchemaLoadError::to_string() const { return document + "#" + schema_path + ": " + message; }

SchemaSet::SchemaSet(std::unique_ptr<Compiled> compiled) : compiled_(std::move(compiled)) {}
SchemaSet::SchemaSet(SchemaSet&&) noexcept = default;
SchemaSet& SchemaSet::operator=(SchemaSet&&) noexcept = default;
SchemaSet::~SchemaSet() = default;

Result<SchemaSet, std::vector<SchemaLoadError>> SchemaSet::compile(
    const std::map<std::string, json, std::less<>>& documents) {
  auto compiled = std::make_unique<Compiled>();
  compiled->documents = documents;
  Compiler compiler(*compiled);
  for (const auto& [name, schema] : compiled->documents) compiler.compile(name, schema, "");
  compiler.resolve_refs();
  if (!compiler.errors.empty()) return fail(std::move(compiler.errors));
  return SchemaSet(std::move(compiled));
}

bool SchemaSet::contains(std::string_view document) const {
  return compiled_->documents.find(document) != compiled_->documents.end();
}

std::vector<std::string> SchemaSet::documents() const {
  std::vector<std::string> out;
  for (const auto& [name, schema] : compiled_->documents) out.push_back(name);
  return out;
}

std::vector<SchemaViolation> SchemaSet::validate(std::string_view document, const json& instance,
                                                 std::size_t max_violations) const {
  const auto root = compiled_->by_location.find(std::string(document) + "#");
  if (root == compiled_->by_location.end()) {
    return {SchemaViolation{"", std::string(document), "no schema named '" + std::string(document) + "'"}};
  }
  Checker checker(std::max<std::size_t>(max_violations, 1));
  std::string path;
  checker.check(*root->second, instance, path);
  return std::move(checker.violations);
}

}  // namespace weft::canonical
