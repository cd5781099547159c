// ${VAR} and ${VAR:-default} in config values. Runs on each scalar after YAML parsing, so a
// value from the environment can hold ':' or '#' without changing the document's structure.

#include <cstdlib>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace weft::config {

namespace {

constexpr std::string_view kEscape = "$${";
constexpr std::string_view kOpen = "${";

bool is_name(std::string_view name) {
  if (name.empty()) return false;
  const auto letter = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!letter(name.front())) return false;
  for (char c : name) {
    if (!letter(c) && !digit(c)) return false;
  }
  return true;
}

// The '}' that closes a "${" whose body starts at `from`. A default may hold its own ${...},
// so nested openings are counted; npos when unterminated.
std::size_t find_close(std::string_view text, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text.substr(i).starts_with(kEscape)) {
      i += kEscape.size() - 1;
    } else if (text.substr(i).starts_with(kOpen)) {
      ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (depth == 0) return i;
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::string, std::string> substitute_env(const std::string& text) {
  const std::string_view in = text;
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    if (in.substr(i).starts_with(kEscape)) {
      out += kOpen;
      i += kEscape.size();
      continue;
    }
    if (!in.substr(i).starts_with(kOpen)) {
      out += in[i++];
      continue;
    }
    const std::size_t body_start = i + kOpen.size();
    const std::size_t close = find_close(in, body_start);
    if (close == std::string_view::npos) {
      return fail(std::string("unterminated '${' (write '$${' for a literal '${')"));
    }
    const std::string_view body = in.substr(body_start, close - body_start);
    const std::size_t separator = body.find(":-");
    const std::string_view name = body.substr(0, separator);
    if (!is_name(name)) {
      // The text between the braces is not repeated: it might be a secret pasted in the wrong
      // place.
      return fail(std::string(
          "'${...}' must name an environment variable (letters, digits and '_', not starting with "
          "a digit); write '$${' for a literal '${'"));
    }
    const std::string name_text(name);
    const char* value = std::getenv(name_text.c_str());
    if (separator == std::string_view::npos) {
      if (value == nullptr) {
        return fail("environment variable " + name_text + " is not set (give a default with ${" +
                    name_text + ":-default})");
      }
      out += value;
    } else if (value != nullptr && *value != '\0') {
      out += value;
    } else {
      auto fallback = substitute_env(std::string(body.substr(separator + 2)));
      if (!fallback) return fail(std::move(fallback).error());
      out += *fallback;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace weft::config
