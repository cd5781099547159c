#pragma once
// The `format` values the canonical schemas assert (JSON Schema leaves format checking to the
// validator; ours checks these, because a canonical event with an unreadable date must not
// trigger a workflow).

#include <optional>
#include <string_view>

namespace weft::canonical {

enum class Format { none, date_time, date, email };

std::optional<Format> parse_format(std::string_view name);  // nullopt: not supported
const char* describe(Format format);                         // "an RFC 3339 date-time", …
bool matches_format(Format format, std::string_view text);

// RFC 3339 full-date "YYYY-MM-DD" and date-time "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)", with
// the calendar checked (months, days of the month, leap years; second 60 for a leap second).
bool is_rfc3339_date(std::string_view text);
bool is_rfc3339_date_time(std::string_view text);

}  // namespace weft::canonical
