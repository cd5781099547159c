#include "engine/definition.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/text.hpp"

namespace weft::engine {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};

// Largest first, "ms" before "m" so that the longer suffix wins when both match.
constexpr std::array<Unit, 5> kUnits{
    {{"d", 86'400'000}, {"h", 3'600'000}, {"ms", 1}, {"m", 60'000}, {"s", 1'000}}};

// Order of magnitude, for the "largest to smallest" rule ("ms" sorts last despite its place
// in kUnits).
int rank(std::string_view suffix) {
  if (suffix == "d") return 4;
  if (suffix == "h") return 3;
  if (suffix == "m") return 2;
  if (suffix == "s") return 1;
  return 0;
}

// Longer than any deadline a business process has, short enough that adding it to any
// instant of this century stays far from overflowing a time_point.
constexpr std::int64_t kMaxDurationMs = 3650LL * 86'400'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<Duration, std::string> parse_duration(std::string_view text) {
  if (text.empty()) return fail(std::string("is empty (write e.g. 30s, 15m or 24h)"));
  if (text.front() == '-') return fail(std::string("cannot be negative"));
  std::int64_t total = 0;
  int last_rank = 5;
  std::string_view rest = text;
  while (!rest.empty()) {
    if (!is_digit(rest.front())) {
      return fail(std::string("must be a number followed by a unit: ms, s, m, h or d (e.g. 30s)"));
    }
    std::int64_t number = 0;
    while (!rest.empty() && is_digit(rest.front())) {
      if (number > kMaxDurationMs) return fail(std::string("must be at most 3650d"));
      number = number * 10 + (rest.front() - '0');
      rest.remove_prefix(1);
    }
    if (rest.empty()) {
      return fail(std::string("needs a unit after the number: ms, s, m, h or d (e.g. 30s)"));
    }
    const auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                                   [&](const Unit& u) { return rest.starts_with(u.suffix); });
    if (unit == kUnits.end())
      return fail(std::string("has an unknown unit (use ms, s, m, h or d)"));
    rest.remove_prefix(unit->suffix.size());
    if (!rest.empty() && !is_digit(rest.front())) {
      return fail(std::string("has an unknown unit (use ms, s, m, h or d)"));
    }
    const int r = rank(unit->suffix);
    if (r >= last_rank) {
      return fail(
          std::string("must give its units from largest to smallest, each once (e.g. 1h30m)"));
    }
    last_rank = r;
    if (number > kMaxDurationMs / unit->ms) return fail(std::string("must be at most 3650d"));
    total += number * unit->ms;
    if (total > kMaxDurationMs) return fail(std::string("must be at most 3650d"));
  }
  return Duration(total);
}

std::string format_duration(Duration duration) {
  std::int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (const Unit& unit : {kUnits[0], kUnits[1], kUnits[3], kUnits[4], kUnits[2]}) {
    if (ms >= unit.ms) {
      out += std::to_string(ms / unit.ms);
      out += unit.suffix;
      ms %= unit.ms;
    }
  }
  return out;
}

Result<Template, std::string> parse_template(std::string_view text, const Location& where) {
  Template out;
  out.source = std::string(text);
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      literal += text.substr(i);
      break;
    }
    literal += text.substr(i, open - i);
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return fail(std::string("has a '{{' without its '}}'"));
    }
    const std::string_view expr = trim_whitespace(text.substr(open + 2, close - open - 2));
    if (expr.empty()) return fail(std::string("has an empty '{{ }}'"));
    out.literals.push_back(std::move(literal));
    literal.clear();
    out.exprs.push_back(JqExpr{std::string(expr), where});
    i = close + 2;
  }
  out.literals.push_back(std::move(literal));
  return out;
}

std::string_view kind_name(const StepBody& body) {
  static constexpr std::array<std::string_view, std::variant_size_v<StepBody>> kNames{
      "call", "decide", "parallel", "wait", "fail"};
  return kNames[body.index()];
}

const Step* find_step(const WorkflowDefinition& definition, std::string_view id) {
  const Step* found = nullptr;
  for_each_step(definition.steps, [&](const Step& step) {
    if (found == nullptr && step.id == id) found = &step;
  });
  return found;
}

}  // namespace weft::engine
