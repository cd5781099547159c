#pragma once
// NetSuite Token-Based Authentication: OAuth 1.0a (RFC 5849) request signing with
// HMAC-SHA256, as NetSuite's REST web services require it (VENDORS.md §3.2). Shared by the
// NetSuite connector (which signs) and the sandbox (which checks).
//
// Threads: pure functions.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace weft::connectors::netsuite {

struct OAuth1Params {
  std::string consumer_key, token, nonce, timestamp;
  std::string signature_method = "HMAC-SHA256", version = "1.0";
};

// RFC 5849 §3.4.1 base string for an absolute URL (query included; realm and oauth_signature
// are never part of it; the body never is): METHOD & pct(base URI) & pct(sorted parameters).
// The base URI has a lower-case scheme and host, no default port, no query and no fragment.
// The URL is expected to be well formed (built by a connector); a query part with a
// malformed %-escape is signed as it stands rather than decoded.
std::string signature_base_string(std::string_view method, std::string_view url,
                                  const OAuth1Params& params);

// base64(HMAC-SHA256(pct(consumer_secret)&pct(token_secret), base))
std::string signature(std::string_view base, std::string_view consumer_secret,
                      std::string_view token_secret);

// OAuth realm="…", oauth_consumer_key="…", oauth_token="…", oauth_signature_method="…",
// oauth_timestamp="…", oauth_nonce="…", oauth_version="…", oauth_signature="<pct-encoded>"
// Every value is percent-encoded (RFC 3986).
std::string authorization_header(std::string_view realm, const OAuth1Params& params,
                                 std::string_view signature);

// The parameters of an Authorization: OAuth header (decoded), for the sandbox's check;
// nullopt when it is not a well-formed OAuth header (another scheme, an unquoted or
// unterminated value, a bad %-escape, an empty or repeated name).
std::optional<std::map<std::string, std::string>> parse_authorization_header(std::string_view);

}  // namespace weft::connectors::netsuite
