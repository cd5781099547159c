#pragma once
// Retry-After (RFC 9110 §10.2.3): how long a platform asks us to wait, as a duration from
// `now`. Kept apart from the classifier because connectors also meet it in other headers
// (e.g. a rate-limit reset sent as an HTTP-date).

#include <chrono>
#include <optional>
#include <string_view>

namespace weft::delivery {

// A platform that asks for more than this is almost certainly misreporting; we would rather
// probe again after a day than block a connector for a year (or overflow a time_point).
inline constexpr std::chrono::milliseconds kMaxRetryAfter = std::chrono::hours(24);

// Accepts delay-seconds ("120"; a fraction such as "1.5", which some APIs send, is rounded
// up to the millisecond) and every HTTP-date form a recipient must accept: IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
// ("Sun Nov  6 08:49:37 1994"). A date in the past means "now": zero. Results are capped at
// kMaxRetryAfter. Anything else is nullopt, and the caller falls back to its own backoff.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// An HTTP-date in any of the three forms above → the instant it names.
std::optional<std::chrono::system_clock::time_point> parse_http_date(
    std::string_view text, std::chrono::system_clock::time_point now);

}  // namespace weft::delivery
