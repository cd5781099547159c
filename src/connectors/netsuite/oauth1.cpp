#include "connectors/netsuite/oauth1.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors::netsuite {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

struct SplitUrl {
  std::string base_uri;      // scheme://host[:port]/path
  std::string_view query;    // without '?'
};

// RFC 5849 §3.4.1.2: scheme and host lower-case, the default port dropped, the path as sent.
SplitUrl split_url(std::string_view url) {
  SplitUrl out;
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  std::string_view before_query = url;
  if (const auto q = url.find('?'); q != std::string_view::npos) {
    before_query = url.substr(0, q);
    out.query = url.substr(q + 1);
  }
  const auto scheme_end = before_query.find("://");
  if (scheme_end == std::string_view::npos) {
    out.base_uri = std::string(before_query);
    return out;
  }
  const std::string scheme = lower(before_query.substr(0, scheme_end));
  std::string_view rest = before_query.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  std::string authority = lower(rest.substr(0, slash));
  const std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if ((scheme == "https" && authority.ends_with(":443")) ||
      (scheme == "http" && authority.ends_with(":80"))) {
    authority.erase(authority.rfind(':'));
  }
  out.base_uri = scheme + "://" + authority + std::string(path);
  return out;
}

}  // namespace

std::string signature_base_string(std::string_view method, std::string_view url,
                                  const OAuth1Params& params) {
  const SplitUrl split = split_url(url);

  url::Pairs pairs;
  if (!split.query.empty()) {
    if (auto decoded = url::parse_pairs(split.query)) {
      pairs = std::move(*decoded);
    } else {
      pairs.emplace_back(std::string(split.query), "");
    }
  }
  pairs.emplace_back("oauth_consumer_key", params.consumer_key);
  pairs.emplace_back("oauth_nonce", params.nonce);
  pairs.emplace_back("oauth_signature_method", params.signature_method);
  pairs.emplace_back("oauth_timestamp", params.timestamp);
  pairs.emplace_back("oauth_token", params.token);
  pairs.emplace_back("oauth_version", params.version);

  // §3.4.1.3.2: encode, then sort by encoded name, then by encoded value.
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(pairs.size());
  for (const auto& [name, value] : pairs) {
    encoded.emplace_back(url::percent_encode(name), url::percent_encode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string normalized;
  for (const auto& [name, value] : encoded) {
    if (!normalized.empty()) normalized += '&';
    normalized += name;
    normalized += '=';
    normalized += value;
  }

  std::string base = upper(method);
  base += '&';
  url::percent_encode(split.base_uri, base);
  base += '&';
  url::percent_encode(normalized, base);
  return base;
}

std::string signature(std::string_view base, std::string_view consumer_secret,
                      std::string_view token_secret) {
  const std::string key = url::percent_encode(consumer_secret) + "&" + url::percent_encode(token_secret);
  return crypto::base64_encode(crypto::hmac_sha256(key, base));
}

std::string authorization_header(std::string_view realm, const OAuth1Params& params,
                                 std::string_view signature) {
  std::string out = "OAuth ";
  const auto add = [&out](std::string_view name, std::string_view value) {
    if (out.size() > 6) out += ", ";
    out += name;
    out += "=\"";
    url::percent_encode(value, out);
    out += '"';
  };
  add("realm", realm);
  add("oauth_consumer_key", params.consumer_key);
  add("oauth_token", params.token);
  add("oauth_signature_method", params.signature_method);
  add("oauth_timestamp", params.timestamp);
  add("oauth_nonce", params.nonce);
  add("oauth_version", params.version);
  add("oauth_signature", signature);
  return out;
}

std::optional<std::map<std::string, std::string>> parse_authorization_header(std::string_view text) {
  const auto skip_spaces = [&text] {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  };
  skip_spaces();
  if (text.size() < 6 || lower(text.substr(0, 5)) != "oauth" ||
      (text[5] != ' ' && text[5] != '\t')) {
    return std::nullopt;
  }
  text.remove_prefix(5);

  std::map<std::string, std::string> params;
  while (true) {
    skip_spaces();
    if (text.empty()) break;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view name = text.substr(0, eq);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty() || name.find_first_of(" \t,\"") != std::string_view::npos) return std::nullopt;
    text.remove_prefix(eq + 1);
    skip_spaces();
    if (text.empty() || text.front() != '"') return std::nullopt;
    const auto close = text.find('"', 1);
    if (close == std::string_view::npos) return std::nullopt;
    auto value = url::percent_decode(text.substr(1, close - 1), /*plus_is_space=*/false);
    if (!value) return std::nullopt;
    if (!params.emplace(std::string(name), std::move(*value)).second) return std::nullopt;
    text.remove_prefix(close + 1);
    skip_spaces();
    if (text.empty()) break;
    if (text.front() != ',') return std::nullopt;
    text.remove_prefix(1);
    skip_spaces();
    if (text.empty()) return std::nullopt;  // a trailing comma
  }
  if (params.empty()) return std::nullopt;
  return params;
}

}  // namespace weft::connectors::netsuite
