#include "identity/similarity.hpp"

#include <algorithm>
#include <vector>

namespace weft::identity {

namespace {

double jaro(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return 0.0;
  const std::size_t window = std::max<std::size_t>(std::max(a.size(), b.size()) / 2, 1) - 1;
  std::vector<bool> a_matched(a.size()), b_matched(b.size());
  std::size_t matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t from = i > window ? i - window : 0;
    const std::size_t to = std::min(i + window + 1, b.size());
    for (std::size_t j = from; j < to; ++j) {
      if (b_matched[j] || a[i] != b[j]) continue;
      a_matched[i] = b_matched[j] = true;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  std::size_t transpositions = 0;
  for (std::size_t i = 0, j = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  const double m = static_cast<double>(matches);
  return (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) +
          (m - static_cast<double>(transpositions) / 2.0) / m) /
         3.0;
}

}  // namespace

double jaro_winkler(std::string_view a, std::string_view b) {
  const double j = jaro(a, b);
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return j + static_cast<double>(prefix) * 0.1 * (1.0 - j);
}

namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The average, over the words of `from`, of each one's best Jaro-Winkler against `to`.
double monge_elkan(const std::vector<std::string_view>& from, const std::vector<std::string_view>& to) {
  double sum = 0.0;
  for (const auto a : from) {
    double best = 0.0;
    for (const auto b : to) best = std::max(best, jaro_winkler(a, b));
    sum += best;
  }
  return sum / static_cast<double>(from.size());
}

}  // namespace

double name_similarity(std::string_view a, std::string_view b) {
  const auto left = words(a), right = words(b);
  if (left.empty() || right.empty()) return 0.0;
  return (monge_elkan(left, right) + monge_elkan(right, left)) / 2.0;
}

}  // namespace weft::identity
