#pragma once
// Name similarity for the `name` rule. Word by word: each word of one name is scored against
// the most alike word of the other with Jaro-Winkler (which rewards a shared beginning, the way
// two systems' spellings of one word differ: "Widgets" / "Widget"), the scores averaged, and
// that taken both ways (a symmetric Monge-Elkan). Whole-string Jaro-Winkler would call
// "Ironbridge Energy" and "Ironbridge Robotics" 0.87 alike for their shared first word; word
// by word they are 0.78, and word order does not matter ("Widgets Acme").

#include <string_view>

namespace weft::identity {

// 1.0 for equal strings, 0.0 when nothing is shared (or either is empty); byte-wise.
double jaro_winkler(std::string_view a, std::string_view b);

// The similarity of two normalised names (normalise.hpp), words split on spaces; 1.0 for the
// same words, 0.0 when either has none.
double name_similarity(std::string_view a, std::string_view b);

}  // namespace weft::identity
