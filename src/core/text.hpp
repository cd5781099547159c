#pragma once
// Small text helpers shared by parsers of headers, durations and templates.

#include <string_view>

namespace weft {

// Without leading and trailing spaces, tabs, CRs and LFs (HTTP's optional whitespace plus the
// line ends a header line may still carry).
inline std::string_view trim_whitespace(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace weft
