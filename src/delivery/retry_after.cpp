#include "delivery/retry_after.hpp"

#include <array>
#include <cstdint>

#include "core/text.hpp"

namespace weft::delivery {

namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A left-to-right reader over the date text; every step fails softly.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(pos_, expected.size()) != expected) return false;
    pos_ += expected.size();
    return true;
  }
  // Exactly `width` digits.
  bool number(std::size_t width, int& out) {
    if (pos_ + width > text_.size()) return false;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (!is_digit(c)) return false;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    out = value;
    return true;
  }
  // One of `names`; `index` is its position.
  template <std::size_t N>
  bool one_of(const std::array<std::string_view, N>& names, int& index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) {
        index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }
  bool at_end() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kShortDays = {"Mon", "Tue", "Wed", "Thu",
                                                        "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool time_of_day(Cursor& c, Fields& f) {
  return c.number(2, f.hour) && c.literal(":") && c.number(2, f.minute) && c.literal(":") &&
         c.number(2, f.second);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool imf_fixdate(std::string_view text, Fields& f) {
  Cursor c(text);
  int ignored = 0;
  return c.one_of(kShortDays, ignored) && c.literal(", ") && c.number(2, f.day) && c.literal(" ") &&
         c.one_of(kMonths, f.month) && c.literal(" ") && c.number(4, f.year) && c.literal(" ") &&
         time_of_day(c, f) && c.literal(" GMT") && c.at_end();
}

// "Sunday, 06-Nov-94 08:49:37 GMT"; the century is settled by the caller.
bool rfc850(std::string_view text, Fields& f) {
  Cursor c(text);
  int ignored = 0;
  return c.one_of(kLongDays, ignored) && c.literal(", ") && c.number(2, f.day) && c.literal("-") &&
         c.one_of(kMonths, f.month) && c.literal("-") && c.number(2, f.year) && c.literal(" ") &&
         time_of_day(c, f) && c.literal(" GMT") && c.at_end();
}

// "Sun Nov  6 08:49:37 1994" (the day is space-padded)
bool asctime_date(std::string_view text, Fields& f) {
  Cursor c(text);
  int ignored = 0;
  if (!(c.one_of(kShortDays, ignored) && c.literal(" ") && c.one_of(kMonths, f.month) &&
        c.literal(" "))) {
    return false;
  }
  if (!(c.literal(" ") ? c.number(1, f.day) : c.number(2, f.day))) return false;
  return c.literal(" ") && time_of_day(c, f) && c.literal(" ") && c.number(4, f.year) && c.at_end();
}

std::optional<system_clock::time_point> to_time_point(const Fields& f) {
  using namespace std::chrono;
  const year_month_day date{year{f.year}, month{static_cast<unsigned>(f.month + 1)},
                            day{static_cast<unsigned>(f.day)}};
  // 60 seconds is a leap second, which HTTP-date allows.
  if (!date.ok() || f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  const sys_seconds at = sys_days{date} + hours{f.hour} + minutes{f.minute} + seconds{f.second};
  // system_clock counts nanoseconds: years beyond ~1677..2262 do not fit, and saturate.
  constexpr auto kLatest = floor<seconds>(system_clock::time_point::max());
  constexpr auto kEarliest = ceil<seconds>(system_clock::time_point::min());
  if (at > kLatest) return system_clock::time_point::max();
  if (at < kEarliest) return system_clock::time_point::min();
  return time_point_cast<system_clock::duration>(at);
}

std::optional<milliseconds> parse_delay_seconds(std::string_view text) {
  std::int64_t whole = 0;
  std::size_t i = 0;
  constexpr std::int64_t kCapSeconds =
      std::chrono::duration_cast<std::chrono::seconds>(kMaxRetryAfter).count();
  for (; i < text.size() && is_digit(text[i]); ++i) {
    // Saturate instead of overflowing; the cap below applies anyway.
    if (whole <= kCapSeconds) whole = whole * 10 + (text[i] - '0');
  }
  if (i == 0) return std::nullopt;
  std::int64_t millis = 0;
  if (i < text.size()) {
    if (text[i] != '.' || i + 1 == text.size()) return std::nullopt;
    std::int64_t scale = 100;
    bool round_up = false;
    for (++i; i < text.size(); ++i) {
      if (!is_digit(text[i])) return std::nullopt;
      if (scale > 0) {
        millis += (text[i] - '0') * scale;
        scale /= 10;
      } else if (text[i] != '0') {
        round_up = true;  // never wait less than asked
      }
    }
    if (round_up) ++millis;
  }
  return std::min(kMaxRetryAfter, milliseconds(whole * 1000 + millis));
}

}  // namespace

std::optional<system_clock::time_point> parse_http_date(std::string_view text,
                                                        system_clock::time_point now) {
  text = trim_whitespace(text);
  Fields f;
  if (imf_fixdate(text, f) || asctime_date(text, f)) return to_time_point(f);
  if (rfc850(text, f)) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead is in the past century.
    const auto today = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(now)};
    const int this_year = static_cast<int>(today.year());
    int year = this_year - this_year % 100 + f.year;
    if (year > this_year + 50) year -= 100;
    f.year = year;
    return to_time_point(f);
  }
  return std::nullopt;
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              system_clock::time_point now) {
  value = trim_whitespace(value);
  if (value.empty()) return std::nullopt;
  if (is_digit(value.front())) return parse_delay_seconds(value);
  const auto at = parse_http_date(value, now);
  if (!at) return std::nullopt;
  if (*at <= now) return milliseconds(0);
  const auto wait = std::chrono::ceil<milliseconds>(*at - now);
  return std::min(kMaxRetryAfter, wait);
}

}  // namespace weft::delivery
