#pragma once
// Durations as people write them in YAML (workflows, the config): "250ms", "30s", "15m".

#include <chrono>
#include <string>
#include <string_view>

#include "weft/result.hpp"

namespace weft {

// "250ms", "30s", "15m", "24h", "7d", or several in decreasing order without spaces: "1h30m".
// Zero ("0s") parses; whether zero makes sense is the caller's call. The error says what is
// wrong without repeating the text.
Result<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);
// The shortest form parse_duration reads back: 90 minutes → "1h30m", 0 → "0s".
std::string format_duration(std::chrono::milliseconds duration);

}  // namespace weft
