#include "reconcile/money.hpp"

#include <cmath>
#include <limits>

namespace weft::reconcile {

namespace {

// The decimal digits of a currency's minor unit: 100 → 2; nullopt unless a power of ten.
std::optional<int> digits_of(std::int64_t per_major) {
  int digits = 0;
  for (std::int64_t p = per_major; p > 1; p /= 10) {
    if (p % 10 != 0) return std::nullopt;
    ++digits;
  }
  if (per_major < 1) return std::nullopt;
  return digits;
}

bool mul_add(std::int64_t& value, int digit) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (value > (kMax - digit) / 10) return false;
  value = value * 10 + digit;
  return true;
}

}  // namespace

std::optional<std::int64_t> decimal_to_minor(std::string_view text, std::int64_t per_major) {
  const auto digits = digits_of(per_major);
  if (!digits) return std::nullopt;
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::int64_t value = 0;
  int whole_digits = 0, fraction_digits = 0;
  bool round_up = false;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++whole_digits) {
    if (!mul_add(value, text[i] - '0')) return std::nullopt;
  }
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++fraction_digits) {
      if (fraction_digits < *digits) {
        if (!mul_add(value, text[i] - '0')) return std::nullopt;
      } else if (fraction_digits == *digits) {
        round_up = text[i] >= '5';
      }
    }
  }
  if (i != text.size() || (whole_digits == 0 && fraction_digits == 0)) return std::nullopt;
  for (int d = fraction_digits; d < *digits; ++d) {
    if (!mul_add(value, 0)) return std::nullopt;
  }
  if (round_up) {
    if (value == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
    ++value;
  }
  return negative ? -value : value;
}

std::optional<std::int64_t> to_minor(const nlohmann::json& major, std::int64_t per_major) {
  if (major.is_string()) return decimal_to_minor(major.get_ref<const std::string&>(), per_major);
  if (major.is_number_integer()) return decimal_to_minor(major.dump(), per_major);
  if (major.is_number_float()) {
    const double value = major.get<double>();
    if (!std::isfinite(value)) return std::nullopt;
    // dump() writes the shortest text that reads back as the same double, so 12.34 is
    // "12.34", not 12.339999…; an exponent (1e-05) is left to the double arithmetic.
    const std::string text = major.dump();
    if (text.find_first_of("eE") == std::string::npos) return decimal_to_minor(text, per_major);
    return static_cast<std::int64_t>(std::llround(value * static_cast<double>(per_major)));
  }
  return std::nullopt;
}

std::string to_major(std::int64_t minor, std::int64_t per_major) {
  const auto digits = digits_of(per_major).value_or(0);
  const bool negative = minor < 0;
  // Magnitude as unsigned: -INT64_MIN does not fit the signed type.
  std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(minor) : static_cast<std::uint64_t>(minor);
  std::string text = std::to_string(magnitude);
  if (digits > 0) {
    if (text.size() <= static_cast<std::size_t>(digits)) {
      text.insert(text.begin(), static_cast<std::size_t>(digits) + 1 - text.size(), '0');
    }
    text.insert(text.end() - digits, '.');
  }
  if (negative) text.insert(text.begin(), '-');
  return text;
}

}  // namespace weft::reconcile
