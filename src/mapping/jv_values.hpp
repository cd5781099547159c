#pragma once
// Values across the libjq boundary without JSON text in between.
//
// A mapping runs on a webhook of a few KiB and a workflow step's `with` on the instance's state,
// thousands of times a second. Printing such a value to text for libjq to parse again (its
// parser reads a character at a time), and printing each output for nlohmann to parse, cost more
// than the program itself (profile of the mapping stage: jv_parse alone 11 % of its CPU). These
// walk the trees instead. They follow what the text round trip did, so programs see the same
// values:
// - numbers are doubles inside jq (libjq 1.6); an output number that is integral and within
//   ±2^53 comes back as an integer, any other as a double; NaN comes back as null and ±infinity
//   as ±DBL_MAX (how jq prints them);
// - an input deeper than jq's parser allows (256 levels), or text simdjson refuses, is parsed
//   by libjq itself, so its error message is the one a user would get from jq.

// jq 1.6's headers have no extern "C" of their own.
extern "C" {
#include <jq.h>
}

#include <nlohmann/json.hpp>
#include <string_view>

namespace weft::mapping {

// A new jv (the caller owns it) holding `value`.
jv to_jv(const nlohmann::json& value);

// `text` (one JSON document) as a new jv; an invalid jv with jq's message when it is not JSON.
jv parse_jv(std::string_view text);

// The JSON value of `value`, which this consumes. Only valid values (null, booleans, numbers,
// strings, arrays, objects) reach here: jq outputs are never invalid.
nlohmann::json from_jv(jv value);

}  // namespace weft::mapping
