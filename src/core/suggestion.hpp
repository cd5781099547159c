#pragma once
// "Did you mean": the hint that turns a typo in a config or workflow file into a one-second fix.

#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

// Any list of words (an array of string_view, a vector of strings) as the views the helpers
// below take.
std::vector<std::string_view> word_views(const auto& words) {
  return std::vector<std::string_view>(std::begin(words), std::end(words));
}

// " (did you mean 'call'?)" when one candidate is close enough to `word` to be what the user
// meant to write; empty otherwise.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);
// The candidate close enough to `word` to be what was meant ("listne" -> "listen"), if any.
std::optional<std::string_view> nearest(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

}  // namespace weft
