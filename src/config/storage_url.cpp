#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "config/config.hpp"

namespace weft::config {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMemory = ":memory:";

enum class Kind { kSqlite, kPostgres, kUnknownScheme };

struct Parsed {
  Kind kind;
  std::string_view rest;  // sqlite: the path; postgres: what follows "://"
};

// "scheme:" at the start, by RFC 3986's grammar. A bare path such as "data/weft.db" has none
// because '/' comes before any ':'.
std::string_view scheme_of(std::string_view url) {
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (url.empty() || !letter(url.front())) return {};
  for (std::size_t i = 1; i < url.size(); ++i) {
    const char c = url[i];
    if (c == ':') return url.substr(0, i);
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

Parsed classify(std::string_view url) {
  const std::string_view scheme = scheme_of(url);
  if (scheme.empty()) return {Kind::kSqlite, url};
  std::string_view rest = url.substr(scheme.size() + 1);
  if (scheme == "sqlite") {
    if (rest.starts_with("//")) rest.remove_prefix(2);
    return {Kind::kSqlite, rest};
  }
  if (scheme == "postgres" || scheme == "postgresql") {
    if (!rest.starts_with("//")) return {Kind::kUnknownScheme, {}};
    return {Kind::kPostgres, rest.substr(2)};
  }
  return {Kind::kUnknownScheme, {}};
}

}  // namespace

std::optional<std::string> sqlite_path(const std::string& url) {
  const Parsed parsed = classify(url);
  if (parsed.kind != Kind::kSqlite || parsed.rest.empty() || parsed.rest == ":memory:") return std::nullopt;
  return std::string(parsed.rest);
}

Result<void, std::string> validate_storage_url(const std::string& url) {
  if (url.empty()) return fail(std::string("is empty"));
  const std::string_view scheme = scheme_of(url);
  const Parsed parsed = classify(url);
  switch (parsed.kind) {
    case Kind::kSqlite:
      if (parsed.rest.empty()) return fail(std::string("has no database path after 'sqlite:'"));
      return {};
    case Kind::kPostgres:
      if (parsed.rest.empty() || parsed.rest.front() == '/') {
        return fail(std::string("has no host after '" + std::string(scheme) + "://'"));
      }
      return {};
    case Kind::kUnknownScheme:
      break;
  }
  if (scheme == "postgres" || scheme == "postgresql") {
    return fail("must start with '" + std::string(scheme) + "://'");
  }
  // The scheme alone is safe to repeat; the rest may hold credentials.
  return fail("has unknown scheme '" + std::string(scheme) +
              ":' (use sqlite:PATH, postgres://HOST/DB or a file path)");
}

std::string resolve_storage_url(const std::string& url, const std::string& base_dir) {
  if (!validate_storage_url(url)) return url;
  const Parsed parsed = classify(url);
  if (parsed.kind != Kind::kSqlite) return url;
  if (parsed.rest == kMemory) return "sqlite:" + std::string(kMemory);
  fs::path path(parsed.rest);
  if (path.is_relative()) path = fs::path(base_dir) / path;
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  if (ec) absolute = path;  // no working directory: keep what we have rather than fail here
  return "sqlite:" + absolute.lexically_normal().string();
}

std::string redact_storage_url(const std::string& url) {
  // scheme://user:password@host/… → scheme://user:***@host/…
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const std::size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const std::size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace weft::config
