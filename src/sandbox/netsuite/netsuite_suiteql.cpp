#include "sandbox/netsuite/netsuite_suiteql.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/time_format.hpp"

namespace weft::sandbox::netsuite {

namespace {

constexpr std::string_view kDateTimeFormat = "YYYY-MM-DD HH24:MI:SS";
constexpr std::string_view kDateFormat = "YYYY-MM-DD";

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Token {
  enum class Type { word, text, number, symbol, end } type = Type::end;
  std::string text;
};

Result<std::vector<Token>, std::string> tokenize(std::string_view q) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '\'') {
      std::string text;
      bool closed = false;
      for (++i; i < q.size(); ++i) {
        if (q[i] == '\'') {
          if (i + 1 < q.size() && q[i + 1] == '\'') {
            text += '\'';
            ++i;
          } else {
            closed = true;
            ++i;
            break;
          }
        } else {
          text += q[i];
        }
      }
      if (!closed) return fail("unterminated string literal '" + text);
      out.push_back({Token::Type::text, text});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < q.size() && std::isdigit(static_cast<unsigned char>(q[i + 1])))) {
      std::size_t j = i + 1;
      while (j < q.size() && (std::isdigit(static_cast<unsigned char>(q[j])) || q[j] == '.')) ++j;
      out.push_back({Token::Type::number, std::string(q.substr(i, j - i))});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < q.size() && (std::isalnum(static_cast<unsigned char>(q[j])) || q[j] == '_' || q[j] == '.')) ++j;
      out.push_back({Token::Type::word, std::string(q.substr(i, j - i))});
      i = j;
    } else if (c == '<' || c == '>' || c == '!') {
      std::string op(1, c);
      if (i + 1 < q.size() && (q[i + 1] == '=' || (c == '<' && q[i + 1] == '>'))) op += q[i + 1];
      if (op == "!") return fail(std::string("unexpected '!'"));
      out.push_back({Token::Type::symbol, op == "<>" ? "!=" : op});
      i += op.size();
    } else if (c == '=' || c == ',' || c == '*' || c == '(' || c == ')') {
      out.push_back({Token::Type::symbol, std::string(1, c)});
      ++i;
    } else {
      return fail(std::string("unexpected character '") + c + "'");
    }
  }
  out.push_back({Token::Type::end, ""});
  return out;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<SuiteQlQuery, std::string> parse() {
    SuiteQlQuery q;
    if (!keyword("select")) return fail(std::string("the query must start with SELECT"));
    if (!symbol("*")) {
      do {
        const Token& col = next();
        if (col.type != Token::Type::word) return fail("unexpected '" + col.text + "' in the column list");
        if (peek().text == "(" && lower(col.text) == "to_char") {
          auto formatted = parse_to_char(q);
          if (!formatted) return fail(std::move(formatted).error());
          continue;
        }
        if (peek().text == "(") return fail("functions such as " + col.text + "() are not supported by the sandbox");
        q.columns.push_back(lower(col.text));
      } while (symbol(","));
    }
    if (!keyword("from")) return fail("expected FROM, found '" + peek().text + "'");
    const Token& table = next();
    if (table.type != Token::Type::word) return fail(std::string("expected a table after FROM"));
    q.table = lower(table.text);
    if (peek().type == Token::Type::word && !peek_keyword("where") && !peek_keyword("order")) {
      return fail("joins and table aliases are not supported by the sandbox ('" + peek().text + "')");
    }
    if (keyword("where")) {
      do {
        auto condition = parse_condition();
        if (!condition) return fail(std::move(condition).error());
        q.where.push_back(std::move(*condition));
        if (peek_keyword("or")) return fail(std::string("OR is not supported by the sandbox; use AND"));
      } while (keyword("and"));
    }
    if (keyword("order")) {
      if (!keyword("by")) return fail(std::string("expected BY after ORDER"));
      do {
        const Token& col = next();
        if (col.type != Token::Type::word) return fail("unexpected '" + col.text + "' in ORDER BY");
        SqlOrder order{lower(col.text), false};
        if (keyword("desc")) order.descending = true;
        else keyword("asc");
        q.order_by.push_back(order);
      } while (symbol(","));
    }
    if (peek().type != Token::Type::end) {
      return fail("unexpected '" + peek().text + "' (GROUP BY, FETCH and the like are not supported by the sandbox)");
    }
    return q;
  }

 private:
  const Token& peek() const { return t_[pos_]; }
  const Token& next() { return pos_ + 1 < t_.size() ? t_[pos_++] : t_.back(); }
  bool peek_keyword(std::string_view word) const {
    return peek().type == Token::Type::word && lower(peek().text) == word;
  }
  bool keyword(std::string_view word) {
    if (!peek_keyword(word)) return false;
    ++pos_;
    return true;
  }
  bool symbol(std::string_view s) {
    if (peek().type != Token::Type::symbol || peek().text != s) return false;
    ++pos_;
    return true;
  }

  // After TO_CHAR: (<col>, 'YYYY-MM-DD HH24:MI:SS') [AS] <alias>.
  Result<void, std::string> parse_to_char(SuiteQlQuery& q) {
    symbol("(");
    const Token& col = next();
    if (col.type != Token::Type::word || !symbol(",")) return fail(std::string("TO_CHAR takes (<column>, '<format>')"));
    auto format = datetime_format();
    if (!format) return fail(std::move(format).error());
    keyword("as");
    const Token& alias = next();
    if (alias.type != Token::Type::word) return fail(std::string("the sandbox needs an alias after TO_CHAR(…)"));
    q.columns.push_back(lower(alias.text));
    q.formatted[lower(alias.text)] = lower(col.text);
    return {};
  }

  // The format argument and the closing parenthesis: only NetSuite's ISO-like one.
  Result<void, std::string> datetime_format() {
    const Token& format = next();
    if (format.type != Token::Type::text || format.text != kDateTimeFormat || !symbol(")")) {
      return fail("the sandbox knows TO_CHAR and TO_TIMESTAMP with the format '" + std::string(kDateTimeFormat) +
                  "' only");
    }
    return {};
  }

  Result<SqlCondition, std::string> parse_condition() {
    if (peek().text == "(") return fail(std::string("parentheses in WHERE are not supported by the sandbox"));
    const Token& col = next();
    if (col.type != Token::Type::word) return fail("unexpected '" + col.text + "' in WHERE");
    if (peek().text == "(") return fail("functions such as " + col.text + "() are not supported by the sandbox");
    SqlCondition c{lower(col.text), "", nullptr};
    if (keyword("is")) {
      c.op = keyword("not") ? "IS NOT NULL" : "IS NULL";
      if (!keyword("null")) return fail(std::string("expected NULL after IS"));
      return c;
    }
    if (keyword("like")) {
      c.op = "LIKE";
    } else if (peek().type == Token::Type::symbol && peek().text != "," && peek().text != "*" &&
               peek().text != "(" && peek().text != ")") {
      c.op = next().text;
    } else {
      return fail("expected an operator after " + col.text + ", found '" + peek().text + "'");
    }
    const Token& value = next();
    if (value.type == Token::Type::word && lower(value.text) == "to_date" && symbol("(")) {
      const Token& text = next();
      if (text.type != Token::Type::text || !symbol(",")) return fail(std::string("TO_DATE takes ('<date>', '<format>')"));
      const Token& format = next();
      if (format.type != Token::Type::text || format.text != kDateFormat || !symbol(")")) {
        return fail("the sandbox knows TO_DATE with the format '" + std::string(kDateFormat) + "' only");
      }
      if (text.text.size() != 10 || !parse_iso8601_ms(text.text + "T00:00:00Z")) {
        return fail("TO_DATE('" + text.text + "') does not match its format");
      }
      c.value = text.text;  // compared as a time (as_time)
      return c;
    }
    if (value.type == Token::Type::word && lower(value.text) == "to_timestamp" && symbol("(")) {
      const Token& text = next();
      if (text.type != Token::Type::text || !symbol(",")) return fail(std::string("TO_TIMESTAMP takes ('<time>', '<format>')"));
      auto format = datetime_format();
      if (!format) return fail(std::move(format).error());
      if (text.text.size() != 19 || !parse_iso8601_ms(text.text.substr(0, 10) + "T" + text.text.substr(11) + "Z")) {
        return fail("TO_TIMESTAMP('" + text.text + "') does not match its format");
      }
      c.value = text.text;  // compared as a time (as_time)
      return c;
    }
    if (value.type == Token::Type::text) {
      c.value = value.text;
    } else if (value.type == Token::Type::number && c.op != "LIKE") {
      double number = 0;
      std::from_chars(value.text.data(), value.text.data() + value.text.size(), number);
      c.value = number;
    } else {
      return fail("expected a quoted value or a number after " + col.text + " " + c.op +
                  (value.type == Token::Type::word ? " (functions such as " + value.text + " are not supported by the sandbox)" : ""));
    }
    return c;
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
};

std::optional<double> as_number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return d;
}

std::optional<std::int64_t> as_time(const Json& v) {
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.size() == 10) s += "T00:00:00Z";
  else if (s.size() == 19 && s[10] == ' ') s = s.substr(0, 10) + "T" + s.substr(11) + "Z";
  return parse_iso8601_ms(s);
}

bool like(std::string_view text, std::string_view pattern) {
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '%') {
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (like(text.substr(i), pattern.substr(1))) return true;
    }
    return false;
  }
  return !text.empty() && (pattern[0] == '_' || pattern[0] == text[0]) && like(text.substr(1), pattern.substr(1));
}

// -1, 0 or 1.
int compare(const Json& a, const Json& b) {
  const auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (const auto x = as_number(a), y = as_number(b); x && y) return sign(*x, *y);
  if (const auto x = as_time(a), y = as_time(b); x && y) return sign(*x, *y);
  const std::string x = a.is_string() ? a.get<std::string>() : a.dump();
  const std::string y = b.is_string() ? b.get<std::string>() : b.dump();
  return sign(x, y);
}

bool holds(const SqlCondition& c, const Json& row) {
  const auto it = row.find(c.column);
  const bool missing = it == row.end() || it->is_null();
  if (c.op == "IS NULL") return missing;
  if (c.op == "IS NOT NULL") return !missing;
  if (missing) return false;  // SQL: a comparison with NULL is never true
  if (c.op == "LIKE") return it->is_string() && like(it->get<std::string>(), c.value.get<std::string>());
  const int cmp = compare(*it, c.value);
  if (c.op == "=") return cmp == 0;
  if (c.op == "!=") return cmp != 0;
  if (c.op == "<") return cmp < 0;
  if (c.op == "<=") return cmp <= 0;
  if (c.op == ">") return cmp > 0;
  return cmp >= 0;
}

}  // namespace

std::optional<std::string> to_char_datetime(const Json& value) {
  const auto ms = as_time(value);
  if (!ms) return std::nullopt;
  const std::string iso = format_iso8601_ms(*ms);  // 2024-05-01T10:00:00.000Z
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

Result<SuiteQlQuery, std::string> parse_suiteql(std::string_view sql) {
  auto tokens = tokenize(sql);
  if (!tokens) return fail(std::move(tokens).error());
  return Parser(std::move(*tokens)).parse();
}

std::vector<const Json*> run_suiteql(const SuiteQlQuery& query, const std::vector<Json>& rows) {
  std::vector<const Json*> out;
  for (const auto& row : rows) {
    if (std::all_of(query.where.begin(), query.where.end(), [&](const SqlCondition& c) { return holds(c, row); })) {
      out.push_back(&row);
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const Json* a, const Json* b) {
    for (const auto& order : query.order_by) {
      const Json x = a->value(order.column, Json(nullptr));
      const Json y = b->value(order.column, Json(nullptr));
      if (x.is_null() != y.is_null()) return y.is_null() != order.descending;  // nulls last ascending
      if (x.is_null()) continue;
      const int cmp = compare(x, y);
      if (cmp != 0) return order.descending ? cmp > 0 : cmp < 0;
    }
    return false;
  });
  return out;
}

}  // namespace weft::sandbox::netsuite
