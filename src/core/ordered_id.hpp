#pragma once
// Ids that sort in the order things happened. A commit writes every page it touched, and an
// index keyed by a random id takes a random page per new entry (8 KiB into the WAL, and again
// at the checkpoint); ids that lead with a position in the event log, or a time, land on the
// last pages of their indexes instead. The hash part keeps them deterministic.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace weft {

// `value` as 12 lowercase hex digits, zero-padded (more only from 2^48 on), so that the text
// sorts as the number does.
std::string hex_position(std::uint64_t value);

// The first `digits` (at most 64) hex digits of the SHA-256 of the parts, each followed by a
// NUL so that ("ab", "c") and ("a", "bc") differ.
std::string hash_hex(std::initializer_list<std::string_view> parts, std::size_t digits);

// `prefix`, hex_position(position), then `hash_digits` of hash_hex(parts): the same inputs
// always give the same id, and ids sort by position.
std::string ordered_id(std::string_view prefix, std::int64_t position,
                       std::initializer_list<std::string_view> parts, std::size_t hash_digits = 12);

}  // namespace weft
