#include "core/duration.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace weft {

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

Result<std::chrono::milliseconds, std::string> parse_duration(std::string_view text) {
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
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds duration) {
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

}  // namespace weft
