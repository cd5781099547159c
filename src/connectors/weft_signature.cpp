#include "connectors/weft_signature.hpp"

#include <vector>

#include "core/time_format.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors {

namespace {

struct ParsedHeader {
  std::string_view timestamp;
  std::vector<std::string_view> v1;
};

// Splits on ',' then on the first '='; unknown schemes are skipped.
ParsedHeader parse_header(std::string_view value) {
  ParsedHeader out;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = item.substr(0, eq);
    const std::string_view val = item.substr(eq + 1);
    if (key == "t") out.timestamp = val;
    else if (key == "v1") out.v1.push_back(val);
  }
  return out;
}

}  // namespace

Result<void, VerifyError> TimestampedSignatureVerifier::verify(
    const http::Headers& headers, std::string_view body,
    std::chrono::system_clock::time_point now) const {
  const auto header = headers.get(header_);
  if (!header || header->empty()) {
    return fail(VerifyError{VerifyErrc::missing_signature, "missing " + header_ + " header"});
  }
  const ParsedHeader parsed = parse_header(*header);
  const auto timestamp = parse_unix_seconds(parsed.timestamp);
  if (!timestamp) {
    return fail(VerifyError{VerifyErrc::malformed_signature,
                            header_ + " has no valid timestamp (t=)"});
  }
  if (parsed.v1.empty()) {
    return fail(VerifyError{VerifyErrc::malformed_signature, header_ + " has no v1 signature"});
  }
  const std::string expected =
      crypto::to_hex(crypto::hmac_sha256(secret_, std::string(parsed.timestamp) + ".", body));
  bool matched = false;
  for (std::string_view candidate : parsed.v1) {
    // Keep comparing after a match so the time taken does not depend on which one matched.
    matched = crypto::constant_time_equals(expected, candidate) || matched;
  }
  if (!matched) {
    return fail(VerifyError{VerifyErrc::bad_signature, "no v1 signature matches the body"});
  }
  if (tolerance_.count() > 0) {
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
    const std::int64_t skew = now_s.count() - *timestamp;
    if (skew > tolerance_.count() || -skew > tolerance_.count()) {
      return fail(VerifyError{VerifyErrc::stale_timestamp,
                              "timestamp is " + std::to_string(skew < 0 ? -skew : skew) +
                                  " s from now; tolerance is " +
                                  std::to_string(tolerance_.count()) + " s"});
    }
  }
  return {};
}

std::string TimestampedSignatureVerifier::sign(std::string_view secret, std::int64_t timestamp,
                                               std::string_view body) {
  const std::string t = std::to_string(timestamp);
  return "t=" + t + ",v1=" + crypto::to_hex(crypto::hmac_sha256(secret, t + ".", body));
}

}  // namespace weft::connectors
