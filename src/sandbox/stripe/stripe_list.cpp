#include "sandbox/stripe/stripe_list.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return n;
}

std::int64_t read_limit(Params& params) {
  auto limit = params.integer("limit");
  if (!limit) return 10;
  if (*limit < 1 || *limit > 100) {
    params.fail(invalid_param(std::string("This value must be ") +
                                  (*limit < 1 ? "greater than or equal to 1." : "less than or equal to 100."),
                              "limit"));
  }
  return *limit;
}

// created=<unix> or created[gt|gte|lt|lte]=<unix>, as a filter on the object's "created".
Filter read_created(Params& params) {
  const json* given = params.raw("created");
  if (given == nullptr) return nullptr;
  if (!given->is_object()) {
    const auto exact = params.integer("created");
    if (!exact) return nullptr;
    const std::int64_t at = *exact;
    return [at](const json& o) { return o.value("created", std::int64_t{0}) == at; };
  }
  auto range = params.object("created");
  if (!range) return nullptr;
  Params bounds(*range, {"gt", "gte", "lt", "lte"}, "created");
  const auto gt = bounds.integer("gt"), gte = bounds.integer("gte"), lt = bounds.integer("lt"),
             lte = bounds.integer("lte");
  if (bounds.failed()) {
    params.fail(bounds.error());
    return nullptr;
  }
  return [=](const json& o) {
    const auto c = o.value("created", std::int64_t{0});
    return (!gt || c > *gt) && (!gte || c >= *gte) && (!lt || c < *lt) && (!lte || c <= *lte);
  };
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequal(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

struct Clause {
  bool negated = false;
  std::string field;         // "email", or "metadata" with key
  std::string metadata_key;
  std::string op;            // ":", "~", ">", ">=", "<", "<="
  std::string value;
};

// Splits on AND/OR outside quotes; error text on a malformed query.
Result<std::pair<std::vector<Clause>, bool>, std::string> parse_query(std::string_view query,
                                                                    const std::vector<std::string_view>& fields,
                                                                    const std::string& resource) {
  std::vector<std::string> parts;
  std::vector<std::string> joins;
  std::string current;
  char quote = 0;
  for (std::size_t i = 0; i < query.size(); ++i) {
    const char c = query[i];
    if (quote != 0) {
      if (c == '\\' && i + 1 < query.size()) {
        current += query[++i];
        continue;
      }
      if (c == quote) quote = 0;
      current += c;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    bool joined = false;
    for (std::string_view join : {" AND ", " OR "}) {
      if (query.substr(i, join.size()) == join) {
        parts.push_back(current);
        joins.emplace_back(join.substr(1, join.size() - 2));
        current.clear();
        i += join.size() - 1;
        joined = true;
        break;
      }
    }
    if (!joined) current += c;
  }
  if (quote != 0) return fail(std::string("unterminated quoted value"));
  parts.push_back(current);
  if (std::adjacent_find(joins.begin(), joins.end(), std::not_equal_to<>()) != joins.end()) {
    return fail(std::string("AND and OR cannot be combined in one query"));
  }
  if (parts.size() > 10) return fail(std::string("a query can have at most 10 clauses"));
  std::vector<Clause> clauses;
  for (auto part : parts) {
    std::string_view text = part;
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    Clause clause;
    if (!text.empty() && text.front() == '-') {
      clause.negated = true;
      text.remove_prefix(1);
    }
    std::size_t field_end = 0;
    while (field_end < text.size() && (std::isalnum(static_cast<unsigned char>(text[field_end])) || text[field_end] == '_' || text[field_end] == '.')) {
      ++field_end;
    }
    clause.field = std::string(text.substr(0, field_end));
    text.remove_prefix(field_end);
    if (clause.field.empty()) return fail("expected a field name in '" + part + "'");
    if (clause.field == "metadata") {
      // metadata["key"] or metadata['key']
      if (text.size() < 4 || text[0] != '[' || (text[1] != '"' && text[1] != '\'')) {
        return fail("expected metadata[\"key\"] in '" + part + "'");
      }
      const char q = text[1];
      const auto close = text.find(q, 2);
      if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ']') {
        return fail("expected metadata[\"key\"] in '" + part + "'");
      }
      clause.metadata_key = std::string(text.substr(2, close - 2));
      text.remove_prefix(close + 2);
    } else if (std::find(fields.begin(), fields.end(), clause.field) == fields.end()) {
      return fail("Field '" + clause.field + "' is an unsupported search field for resource " + resource +
                  ". See http://stripe.com/docs/search#query-fields-for-" + resource +
                  " for a list of supported fields.");
    }
    for (std::string_view op : {">=", "<=", ":", "~", ">", "<"}) {
      if (text.substr(0, op.size()) == op) {
        clause.op = std::string(op);
        text.remove_prefix(op.size());
        break;
      }
    }
    if (clause.op.empty()) return fail("expected :, ~, >, <, >= or <= after the field in '" + part + "'");
    if (!text.empty() && (text.front() == '"' || text.front() == '\'')) {
      const char q = text.front();
      if (text.size() < 2 || text.back() != q) return fail("unterminated quoted value in '" + part + "'");
      std::string value;
      for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        if (text[i] == '\\' && i + 2 < text.size()) ++i;
        value += text[i];
      }
      clause.value = value;
    } else {
      clause.value = std::string(text);
      if (clause.value.empty()) return fail("expected a value in '" + part + "'");
    }
    if (clause.op == "~" && clause.value.size() < 3) {
      return fail("substring matches (~) need at least 3 characters");
    }
    clauses.push_back(std::move(clause));
  }
  return std::make_pair(std::move(clauses), !joins.empty() && joins.front() == "OR");
}

bool matches(const Clause& clause, const json& object) {
  const json* value = nullptr;
  if (clause.field == "metadata") {
    auto md = object.find("metadata");
    if (md != object.end() && md->is_object()) {
      auto it = md->find(clause.metadata_key);
      if (it != md->end()) value = &*it;
    }
  } else {
    auto it = object.find(clause.field);
    if (it != object.end()) value = &*it;
  }
  bool result = false;
  if (value != nullptr && !value->is_null()) {
    const std::string text = value->is_string() ? value->get<std::string>() : value->dump();
    if (clause.op == ":") {
      result = iequal(text, clause.value);
    } else if (clause.op == "~") {
      result = icontains(text, clause.value);
    } else if (value->is_number()) {
      const auto want = to_int(clause.value);
      const auto have = value->get<std::int64_t>();
      if (want) {
        result = clause.op == ">" ? have > *want : clause.op == ">=" ? have >= *want : clause.op == "<" ? have < *want
                                                                                                          : have <= *want;
      }
    }
  }
  return clause.negated ? !result : result;
}

}  // namespace

std::vector<std::string_view> list_params(std::initializer_list<std::string_view> extra) {
  std::vector<std::string_view> names = {"limit", "starting_after", "ending_before", "created"};
  names.insert(names.end(), extra.begin(), extra.end());
  return names;
}

Reply list_page(const Collection& collection, Params& params, const std::string& url, const Filter& keep,
                const std::string& noun) {
  const std::int64_t limit = read_limit(params);
  const auto starting_after = params.text("starting_after");
  const auto ending_before = params.text("ending_before");
  const Filter created = read_created(params);
  if (params.failed()) return params.error();
  if (starting_after && ending_before) {
    return invalid_param("You may only specify one of these parameters: ending_before, starting_after.",
                         "ending_before");
  }
  const auto& order = collection.order();
  auto wanted = [&](const std::string& id) {
    const json& object = *collection.find(id);
    if (object.value("deleted", false)) return false;
    return (!keep || keep(object)) && (!created || created(object));
  };
  json data = json::array();
  bool has_more = false;
  if (ending_before) {
    const auto at = collection.index_of(*ending_before);
    if (at < 0) return no_such(noun, *ending_before, "ending_before");
    // The `limit` records just newer than the cursor, shown newest first.
    std::vector<std::string> picked;
    for (std::size_t i = static_cast<std::size_t>(at) + 1; i < order.size(); ++i) {
      if (!wanted(order[i])) continue;
      if (static_cast<std::int64_t>(picked.size()) == limit) {
        has_more = true;
        break;
      }
      picked.push_back(order[i]);
    }
    for (auto it = picked.rbegin(); it != picked.rend(); ++it) data.push_back(*collection.find(*it));
  } else {
    std::ptrdiff_t start = static_cast<std::ptrdiff_t>(order.size()) - 1;
    if (starting_after) {
      const auto at = collection.index_of(*starting_after);
      if (at < 0) return no_such(noun, *starting_after, "starting_after");
      start = at - 1;
    }
    for (std::ptrdiff_t i = start; i >= 0; --i) {
      const auto& id = order[static_cast<std::size_t>(i)];
      if (!wanted(id)) continue;
      if (static_cast<std::int64_t>(data.size()) == limit) {
        has_more = true;
        break;
      }
      data.push_back(*collection.find(id));
    }
  }
  return ok(json{{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}, {"url", url}});
}

Reply search_page(const Collection& collection, Params& params, const std::string& url,
                  const std::vector<std::string_view>& fields, const std::string& resource, const Filter& keep) {
  const std::string query = params.required_text("query");
  const std::int64_t limit = read_limit(params);
  const auto page = params.text("page");
  if (params.failed()) return params.error();
  std::int64_t offset = 0;
  if (page) {
    auto n = page->rfind("page_", 0) == 0 ? to_int(std::string_view(*page).substr(5)) : std::nullopt;
    if (!n || *n < 0) return invalid_param("Invalid page: " + *page, "page");
    offset = *n;
  }
  auto parsed = parse_query(query, fields, resource);
  if (!parsed) return invalid_param("Invalid search query: " + parsed.error(), "query");
  const auto& [clauses, any] = *parsed;
  json data = json::array();
  std::int64_t seen = 0;
  bool has_more = false;
  const auto& order = collection.order();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const json& object = *collection.find(*it);
    if (object.value("deleted", false) || (keep && !keep(object))) continue;
    bool hit = !any;
    for (const auto& clause : clauses) {
      const bool m = matches(clause, object);
      hit = any ? (hit || m) : (hit && m);
    }
    if (!hit) continue;
    if (seen++ < offset) continue;
    if (static_cast<std::int64_t>(data.size()) == limit) {
      has_more = true;
      break;
    }
    data.push_back(object);
  }
  json next_page = has_more ? json("page_" + std::to_string(offset + limit)) : json();
  return ok(json{{"object", "search_result"},
                 {"data", std::move(data)},
                 {"has_more", has_more},
                 {"next_page", std::move(next_page)},
                 {"url", url}});
}

}  // namespace weft::sandbox::stripe
