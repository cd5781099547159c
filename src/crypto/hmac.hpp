#pragma once
// The few cryptographic primitives webhook signatures and platform auth need, on OpenSSL 3.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::crypto {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest hmac_sha256(std::string_view key, std::string_view message);
// HMAC over the concatenation of two parts, without copying them together.
Sha256Digest hmac_sha256(std::string_view key, std::string_view part1, std::string_view part2);
Sha256Digest sha256(std::string_view data);

std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Sha256Digest& d) { return to_hex(d.data(), d.size()); }
// Lower- or upper-case hex; nullopt when not hex or of odd length.
std::optional<std::string> from_hex(std::string_view hex);

std::string base64_encode(std::string_view data);
inline std::string base64_encode(const Sha256Digest& d) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}
std::string base64url_encode(std::string_view data);  // no padding (JWT)
std::optional<std::string> base64_decode(std::string_view text);

// Compares in time that depends only on the lengths, never on where the inputs differ.
bool constant_time_equals(std::string_view a, std::string_view b);

// Cryptographically random bytes (keys), and hex encoded (ids, nonces).
std::string random_bytes(std::size_t bytes);
std::string random_hex(std::size_t bytes);

}  // namespace weft::crypto
