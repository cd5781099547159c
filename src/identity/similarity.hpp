#pragma once
// Name similarity for the `name` rule: Jaro-Winkler, which rewards a shared beginning — the
// way two systems' spellings of one company usually differ ("Acme Widgets" / "Acme Widget").

#include <string_view>

namespace weft::identity {

// 1.0 for equal strings, 0.0 when nothing is shared (or either is empty); byte-wise.
double jaro_winkler(std::string_view a, std::string_view b);

}  // namespace weft::identity
