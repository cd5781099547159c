#include "sandbox/salesforce/salesforce_query.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/time_format.hpp"

namespace weft::sandbox::salesforce {

namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Token {
  enum class Type { word, text, literal, symbol, end } type = Type::end;
  std::string text;
};

QueryError malformed(std::string message) { return {"MALFORMED_QUERY", std::move(message)}; }

Result<std::vector<Token>, QueryError> tokenize(std::string_view q) {
  std::vector<Token> out;
  std::size_t i = 0;
  const auto is_word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  };
  while (i < q.size()) {
    const char c = q[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '\'') {
      std::string text;
      ++i;
      bool closed = false;
      while (i < q.size()) {
        if (q[i] == '\\' && i + 1 < q.size()) {
          const char e = q[i + 1];
          text += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
          i += 2;
        } else if (q[i] == '\'') {
          closed = true;
          ++i;
          break;
        } else {
          text += q[i++];
        }
      }
      if (!closed) return fail(malformed("unterminated string literal: '" + text));
      out.push_back({Token::Type::text, text});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '-' && i + 1 < q.size() && std::isdigit(static_cast<unsigned char>(q[i + 1])))) {
      std::size_t j = i + 1;
      while (j < q.size() && (std::isalnum(static_cast<unsigned char>(q[j])) || q[j] == ':' ||
                              q[j] == '.' || q[j] == '+' || q[j] == '-')) {
        ++j;
      }
      out.push_back({Token::Type::literal, std::string(q.substr(i, j - i))});
      i = j;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < q.size() && is_word_char(q[j])) ++j;
      out.push_back({Token::Type::word, std::string(q.substr(i, j - i))});
      i = j;
    } else if (c == '!' || c == '<' || c == '>') {
      std::string op(1, c);
      if (i + 1 < q.size() && (q[i + 1] == '=' || (c == '<' && q[i + 1] == '>'))) op += q[i + 1];
      if (op == "!") return fail(malformed("unexpected token: '!'"));
      out.push_back({Token::Type::symbol, op == "<>" ? "!=" : op});
      i += op.size();
    } else if (c == '=' || c == ',' || c == '(' || c == ')') {
      out.push_back({Token::Type::symbol, std::string(1, c)});
      ++i;
    } else {
      return fail(malformed(std::string("unexpected token: '") + c + "'"));
    }
  }
  out.push_back({Token::Type::end, ""});
  return out;
}

bool is_date_text(std::string_view text) {
  return text.size() == 10 && text[4] == '-' && text[7] == '-' &&
         parse_iso8601_ms(std::string(text) + "T00:00:00Z").has_value();
}

Result<Literal, QueryError> to_literal(const Token& token) {
  Literal lit;
  if (token.type == Token::Type::text) {
    lit.kind = Literal::Kind::text;
    lit.text = token.text;
    return lit;
  }
  if (token.type == Token::Type::word) {
    const std::string word = upper(token.text);
    if (word == "TRUE" || word == "FALSE") {
      lit.kind = Literal::Kind::boolean;
      lit.boolean = word == "TRUE";
      return lit;
    }
    if (word == "NULL") return lit;
    return fail(malformed("unexpected token: '" + token.text +
                          "' (date literals such as TODAY are not supported by the sandbox)"));
  }
  if (token.type != Token::Type::literal) return fail(malformed("unexpected token: '" + token.text + "'"));
  if (is_date_text(token.text)) {
    lit.kind = Literal::Kind::date;
    lit.text = token.text;
    return lit;
  }
  if (const auto ms = parse_iso8601_ms(token.text)) {
    lit.kind = Literal::Kind::datetime;
    lit.text = token.text;
    lit.number = static_cast<double>(*ms);
    return lit;
  }
  double number = 0;
  const auto [ptr, ec] = std::from_chars(token.text.data(), token.text.data() + token.text.size(), number);
  if (ec != std::errc() || ptr != token.text.data() + token.text.size()) {
    return fail(malformed("unexpected token: '" + token.text + "'"));
  }
  lit.kind = Literal::Kind::number;
  lit.number = number;
  return lit;
}

// The literal must suit the field, as SOQL insists (dates and datetimes unquoted, …).
std::optional<QueryError> check_literal(const FieldSpec* field, const std::string& name, const Literal& lit) {
  if (!field || lit.kind == Literal::Kind::null) return std::nullopt;  // custom fields: any type
  const auto need = [&](const char* type, bool quoted) {
    return malformed("value of filter criterion for field '" + name + "' must be of type " + type +
                     (quoted ? " and should be enclosed in quotes" : " and should not be enclosed in quotes"));
  };
  switch (field->kind) {
    case FieldKind::datetime:
      if (lit.kind != Literal::Kind::datetime) return need("dateTime", false);
      break;
    case FieldKind::date:
      if (lit.kind != Literal::Kind::date) return need("date", false);
      break;
    case FieldKind::number:
    case FieldKind::integer:
      if (lit.kind != Literal::Kind::number) return need("double", false);
      break;
    case FieldKind::boolean:
      if (lit.kind != Literal::Kind::boolean) return need("boolean", false);
      break;
    default:
      if (lit.kind != Literal::Kind::text) return need("string", true);
  }
  return std::nullopt;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<SoqlQuery, QueryError> parse() {
    SoqlQuery q;
    if (!keyword("SELECT")) return fail(malformed("the query must start with SELECT"));
    std::vector<std::string> names;
    if (peek_keyword("COUNT") && tokens_[pos_ + 1].text == "(") {
      pos_ += 2;
      if (!symbol(")")) return fail(malformed("only COUNT() without a field is supported by the sandbox"));
      q.count_only = true;
    } else {
      do {
        const Token& t = next();
        if (t.type != Token::Type::word) return fail(malformed("unexpected token: '" + t.text + "'"));
        if (peek().text == "(") {
          return fail(malformed("functions such as " + t.text + "() are not supported by the sandbox"));
        }
        names.push_back(t.text);
      } while (symbol(","));
    }
    if (!keyword("FROM")) return fail(malformed("unexpected token: '" + peek().text + "' (expected FROM)"));
    const Token& from = next();
    if (from.type != Token::Type::word) return fail(malformed("unexpected token: '" + from.text + "'"));
    q.object = find_sobject(from.text);
    if (!q.object) {
      return fail(QueryError{"INVALID_TYPE",
                             "sObject type '" + from.text + "' is not supported. If you are attempting "
                             "to use a custom object, be sure to append the '__c' after the entity "
                             "name. Please reference your WSDL or the describe call for the "
                             "appropriate names."});
    }
    for (const auto& name : names) {
      auto canonical = field_name(q, name);
      if (!canonical) return fail(std::move(canonical).error());
      q.fields.push_back(*canonical);
    }

    if (keyword("WHERE")) {
      do {
        auto condition = parse_condition(q);
        if (!condition) return fail(std::move(condition).error());
        q.where.push_back(std::move(*condition));
        if (peek_keyword("OR")) return fail(malformed("OR is not supported by the sandbox; use AND"));
      } while (keyword("AND"));
    }
    if (keyword("ORDER")) {
      if (!keyword("BY")) return fail(malformed("expected BY after ORDER"));
      do {
        const Token& t = next();
        if (t.type != Token::Type::word) return fail(malformed("unexpected token: '" + t.text + "'"));
        auto canonical = field_name(q, t.text);
        if (!canonical) return fail(std::move(canonical).error());
        OrderBy order{*canonical, false, false};
        if (keyword("DESC")) order.descending = true;
        else keyword("ASC");
        order.nulls_last = order.descending;  // SOQL's default: nulls first ascending
        if (keyword("NULLS")) {
          if (keyword("LAST")) order.nulls_last = true;
          else if (keyword("FIRST")) order.nulls_last = false;
          else return fail(malformed("expected FIRST or LAST after NULLS"));
        }
        q.order_by.push_back(order);
      } while (symbol(","));
    }
    if (keyword("LIMIT")) {
      auto n = count("LIMIT");
      if (!n) return fail(std::move(n).error());
      q.limit = *n;
    }
    if (keyword("OFFSET")) {
      auto n = count("OFFSET");
      if (!n) return fail(std::move(n).error());
      q.offset = *n;
    }
    if (peek().type != Token::Type::end) return fail(malformed("unexpected token: '" + peek().text + "'"));
    return q;
  }

 private:
  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return pos_ + 1 < tokens_.size() ? tokens_[pos_++] : tokens_.back(); }
  bool peek_keyword(std::string_view word) const {
    return peek().type == Token::Type::word && upper(peek().text) == word;
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

  Result<std::size_t, QueryError> count(const char* clause) {
    const Token& t = next();
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), n);
    if (t.type != Token::Type::literal || ec != std::errc() || ptr != t.text.data() + t.text.size()) {
      return fail(malformed(std::string(clause) + " needs a non-negative whole number, not '" + t.text + "'"));
    }
    return n;
  }

  Result<std::string, QueryError> field_name(const SoqlQuery& q, const std::string& name) {
    if (name.find('.') != std::string::npos) {
      return fail(malformed("relationship fields such as " + name + " are not supported by the sandbox"));
    }
    if (const FieldSpec* f = q.object->field(name)) return f->name;
    if (is_custom_field(name)) return name;
    return fail(QueryError{"INVALID_FIELD",
                           "No such column '" + name + "' on entity '" + q.object->name +
                               "'. If you are attempting to use a custom field, be sure to append "
                               "the '__c' after the custom field name. Please reference your WSDL "
                               "or the describe call for the appropriate names."});
  }

  Result<Condition, QueryError> parse_condition(const SoqlQuery& q) {
    if (peek().text == "(") return fail(malformed("parentheses in WHERE are not supported by the sandbox"));
    if (peek_keyword("NOT")) return fail(malformed("NOT is not supported by the sandbox (NOT IN is)"));
    const Token& t = next();
    if (t.type != Token::Type::word) return fail(malformed("unexpected token: '" + t.text + "'"));
    auto name = field_name(q, t.text);
    if (!name) return fail(std::move(name).error());
    const FieldSpec* spec = q.object->field(*name);
    Condition c{*name, "", {}};
    if (keyword("NOT")) {
      if (!keyword("IN")) return fail(malformed("expected IN after NOT"));
      c.op = "NOT IN";
    } else if (keyword("IN")) {
      c.op = "IN";
    } else if (keyword("LIKE")) {
      c.op = "LIKE";
    } else if (peek().type == Token::Type::symbol && peek().text != "," && peek().text != "(" &&
               peek().text != ")") {
      c.op = next().text;
    } else {
      return fail(malformed("unexpected token: '" + peek().text + "' (expected an operator)"));
    }
    if (c.op == "IN" || c.op == "NOT IN") {
      if (!symbol("(")) return fail(malformed("expected ( after " + c.op));
      do {
        auto lit = to_literal(next());
        if (!lit) return fail(std::move(lit).error());
        c.values.push_back(*lit);
      } while (symbol(","));
      if (!symbol(")")) return fail(malformed("expected ) to close " + c.op));
    } else {
      auto lit = to_literal(next());
      if (!lit) return fail(std::move(lit).error());
      if (lit->kind == Literal::Kind::null && c.op != "=" && c.op != "!=") {
        return fail(malformed("null can only be compared with = or !="));
      }
      if (c.op == "LIKE" && lit->kind != Literal::Kind::text) {
        return fail(malformed("LIKE needs a quoted pattern"));
      }
      c.values.push_back(*lit);
    }
    for (const auto& lit : c.values) {
      if (auto error = check_literal(spec, *name, lit)) return fail(*error);
    }
    return c;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
};

bool like(std::string_view text, std::string_view pattern) {
  // '%' any run, '_' one character; case-insensitive.
  if (pattern.empty()) return text.empty();
  if (pattern[0] == '%') {
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (like(text.substr(i), pattern.substr(1))) return true;
    }
    return false;
  }
  if (text.empty()) return false;
  const bool same = pattern[0] == '_' ||
                    std::tolower(static_cast<unsigned char>(pattern[0])) ==
                        std::tolower(static_cast<unsigned char>(text[0]));
  return same && like(text.substr(1), pattern.substr(1));
}

// -1, 0, 1; nullopt when the two cannot be compared.
std::optional<int> compare(const Json& value, const Literal& lit) {
  const auto sign = [](auto a, auto b) { return a < b ? -1 : (b < a ? 1 : 0); };
  switch (lit.kind) {
    case Literal::Kind::null:
      return value.is_null() ? 0 : 1;
    case Literal::Kind::number:
      if (!value.is_number()) return std::nullopt;
      return sign(value.get<double>(), lit.number);
    case Literal::Kind::boolean:
      if (!value.is_boolean()) return std::nullopt;
      return sign(value.get<bool>(), lit.boolean);
    case Literal::Kind::datetime: {
      const auto ms = value.is_string() ? parse_iso8601_ms(value.get<std::string>()) : std::nullopt;
      if (!ms) return std::nullopt;
      return sign(static_cast<double>(*ms), lit.number);
    }
    case Literal::Kind::date:
      if (!value.is_string()) return std::nullopt;
      return sign(value.get<std::string>().substr(0, 10), lit.text);
    case Literal::Kind::text: {
      if (value.is_null()) return std::nullopt;
      std::string mine = value.is_string() ? value.get<std::string>() : value.dump();
      const auto a = id15(mine), b = id15(lit.text);
      if (a && b && sobject_for_id(*a)) return sign(*a, *b);  // 15- and 18-char ids are equal
      return sign(lower(mine), lower(lit.text));
    }
  }
  return std::nullopt;
}

bool holds(const Condition& c, const Json& record) {
  const Json value = record.value(c.field, Json(nullptr));
  if (c.op == "IN" || c.op == "NOT IN") {
    const bool found = std::any_of(c.values.begin(), c.values.end(),
                                   [&](const Literal& lit) { return compare(value, lit) == 0; });
    return c.op == "IN" ? found : !found;
  }
  const Literal& lit = c.values.front();
  if (c.op == "LIKE") return value.is_string() && like(value.get<std::string>(), lit.text);
  if (lit.kind == Literal::Kind::null) return (c.op == "=") == value.is_null();
  const auto cmp = compare(value, lit);
  if (c.op == "!=") return !cmp || *cmp != 0;  // != also selects nulls
  if (!cmp) return false;
  if (c.op == "=") return *cmp == 0;
  if (c.op == "<") return *cmp < 0;
  if (c.op == "<=") return *cmp <= 0;
  if (c.op == ">") return *cmp > 0;
  return *cmp >= 0;  // ">="
}

int order_compare(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    return a.get<double>() < b.get<double>() ? -1 : (b.get<double>() < a.get<double>() ? 1 : 0);
  }
  if (a.is_boolean() && b.is_boolean()) return static_cast<int>(a.get<bool>()) - static_cast<int>(b.get<bool>());
  const std::string x = lower(a.is_string() ? a.get<std::string>() : a.dump());
  const std::string y = lower(b.is_string() ? b.get<std::string>() : b.dump());
  return x < y ? -1 : (y < x ? 1 : 0);
}

}  // namespace

Result<SoqlQuery, QueryError> parse_soql(std::string_view soql) {
  auto tokens = tokenize(soql);
  if (!tokens) return fail(std::move(tokens).error());
  return Parser(std::move(*tokens)).parse();
}

std::vector<const Json*> run_soql(const SoqlQuery& query, const std::vector<const Json*>& records) {
  std::vector<const Json*> out;
  for (const Json* record : records) {
    if (std::all_of(query.where.begin(), query.where.end(),
                    [&](const Condition& c) { return holds(c, *record); })) {
      out.push_back(record);
    }
  }
  if (!query.order_by.empty()) {
    std::stable_sort(out.begin(), out.end(), [&](const Json* a, const Json* b) {
      for (const auto& order : query.order_by) {
        const Json x = a->value(order.field, Json(nullptr));
        const Json y = b->value(order.field, Json(nullptr));
        if (x.is_null() != y.is_null()) return x.is_null() != order.nulls_last;
        if (x.is_null()) continue;
        const int cmp = order_compare(x, y);
        if (cmp != 0) return order.descending ? cmp > 0 : cmp < 0;
      }
      return false;
    });
  }
  const std::size_t offset = std::min(out.size(), query.offset.value_or(0));
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(offset));
  if (query.limit && out.size() > *query.limit) out.resize(*query.limit);
  return out;
}

}  // namespace weft::sandbox::salesforce
