#pragma once
// Timestamps as platforms write them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft {

// "2024-04-17T17:18:10Z", "2024-04-17T17:18:10.123Z" or with a "+02:00" offset → Unix ms.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);
// Unix ms → "2024-04-17T17:18:10.123Z".
std::string format_iso8601_ms(std::int64_t unix_ms);
// Decimal Unix seconds, digits only, no sign → value.
std::optional<std::int64_t> parse_unix_seconds(std::string_view text);
// A time as operators type it (command options, API fields): ISO-8601 as above, or Unix
// seconds → Unix ms.
std::optional<std::int64_t> parse_operator_time_ms(std::string_view text);
// What to tell an operator whose time parse_operator_time_ms refused.
inline constexpr const char* kOperatorTimeFormats = "ISO-8601 like 2026-11-25T10:00:00Z, or Unix seconds";

}  // namespace weft
