#include "api/sessions.hpp"

#include <cctype>

#include "crypto/hmac.hpp"

namespace weft::api {

namespace {

constexpr std::size_t kTokenChars = 43;  // base64url of 32 bytes, unpadded

bool looks_like_token(std::string_view text) {
  if (text.size() != kTokenChars) return false;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "; "-separated name=value pairs of one Cookie header (RFC 6265, section 5.4).
std::optional<std::string> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto end = header.find(';');
    const std::string_view pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    const std::string_view value = trim(pair.substr(eq + 1));
    if (looks_like_token(value)) return std::string(value);
  }
  return std::nullopt;
}

}  // namespace

NewSession make_session(std::string_view key_id, std::int64_t now_ms, std::int64_t ttl_seconds) {
  NewSession s;
  s.token = crypto::base64url_encode(crypto::random_bytes(32));
  s.record.token_hash = hash_session_token(s.token);
  s.record.key_id = std::string(key_id);
  s.record.created_at_ms = now_ms;
  s.record.expires_at_ms = now_ms + ttl_seconds * 1000;
  return s;
}

std::string hash_session_token(std::string_view token) {
  return crypto::to_hex(crypto::sha256(token));
}

std::string csrf_token_for(std::string_view session_token) {
  return crypto::to_hex(crypto::hmac_sha256(session_token, "weft console csrf v1"));
}

std::optional<std::string> session_cookie(const http::Request& request) {
  for (const auto& [name, value] : request.headers.all()) {
    if (!http::iequals(name, "Cookie")) continue;
    if (auto token = find_cookie(value, kSessionCookie)) return token;
  }
  return std::nullopt;
}

std::string session_set_cookie(std::string_view token, std::int64_t max_age_seconds) {
  return std::string(kSessionCookie) + "=" + std::string(token) +
         "; Max-Age=" + std::to_string(max_age_seconds) +
         "; Path=/; HttpOnly; Secure; SameSite=Strict";
}

std::string session_clear_cookie() {
  return std::string(kSessionCookie) + "=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict";
}

bool method_changes_state(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace weft::api
