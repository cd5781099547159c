#include "canonical/schema_formats.hpp"

#include <cctype>

namespace weft::canonical {

namespace {

// Reads `n` digits at `pos`; -1 when they are not all digits.
int digits(std::string_view text, std::size_t pos, std::size_t n) {
  if (pos + n > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[month - 1];
}

// "HH:MM:SS[.frac]" at pos; returns the position after it, or npos.
std::size_t time_of_day(std::string_view text, std::size_t pos) {
  const int hour = digits(text, pos, 2), minute = digits(text, pos + 3, 2), second = digits(text, pos + 6, 2);
  if (hour < 0 || minute < 0 || second < 0 || text[pos + 2] != ':' || text[pos + 5] != ':') {
    return std::string_view::npos;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::string_view::npos;
  pos += 8;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == start) return std::string_view::npos;
  }
  return pos;
}

}  // namespace

bool is_rfc3339_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  const int year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= days_in(year, month);
}

bool is_rfc3339_date_time(std::string_view text) {
  if (text.size() < 20 || !is_rfc3339_date(text.substr(0, 10))) return false;
  if (text[10] != 'T' && text[10] != 't') return false;
  std::size_t pos = time_of_day(text, 11);
  if (pos == std::string_view::npos || pos >= text.size()) return false;
  if (text[pos] == 'Z' || text[pos] == 'z') return pos + 1 == text.size();
  if (text[pos] != '+' && text[pos] != '-') return false;
  const int hours = digits(text, pos + 1, 2), minutes = digits(text, pos + 4, 2);
  return pos + 6 == text.size() && text[pos + 3] == ':' && hours >= 0 && hours <= 23 && minutes >= 0 &&
         minutes <= 59;
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "date-time") return Format::date_time;
  if (name == "date") return Format::date;
  if (name == "email") return Format::email;
  return std::nullopt;
}

const char* describe(Format format) {
  switch (format) {
    case Format::date_time: return "an RFC 3339 date-time";
    case Format::date: return "an RFC 3339 date (YYYY-MM-DD)";
    case Format::email: return "an email address";
    case Format::none: break;
  }
  return "anything";
}

bool matches_format(Format format, std::string_view text) {
  switch (format) {
    case Format::date_time: return is_rfc3339_date_time(text);
    case Format::date: return is_rfc3339_date(text);
    case Format::email: {
      const auto at = text.find('@');
      return at != std::string_view::npos && at > 0 && at + 1 < text.size() &&
             text.find('@', at + 1) == std::string_view::npos;
    }
    case Format::none: return true;
  }
  return true;
}

}  // namespace weft::canonical
