#pragma once
// "Did you mean": the hint that turns a typo in a workflow file into a one-second fix.

#include <string>
#include <string_view>
#include <vector>

namespace weft::engine {

// " (did you mean 'call'?)" when one candidate is close enough to `word` to be what the user
// meant to write; empty otherwise.
std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates);

}  // namespace weft::engine
