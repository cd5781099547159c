#include <charconv>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace weft::config {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A host name or IPv4 address; resolution is the server's job, this only rejects what could
// never resolve (spaces, slashes, a scheme pasted in front).
bool is_host_name(std::string_view host) {
  for (char c : host) {
    if (!is_alnum(c) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

// An IPv6 literal, optionally with a zone ("fe80::1%eth0").
bool is_ipv6(std::string_view host) {
  const std::size_t percent = host.find('%');
  const std::string_view address = host.substr(0, percent);
  if (address.find(':') == std::string_view::npos) return false;
  for (char c : address) {
    if (!is_hex(c) && c != ':' && c != '.') return false;
  }
  if (percent == std::string_view::npos) return true;
  const std::string_view zone = host.substr(percent + 1);
  return !zone.empty() && is_host_name(zone);
}

}  // namespace

Result<ListenAddress, std::string> parse_listen(std::string_view text) {
  if (text.empty()) return fail(std::string("is empty (expected HOST:PORT, e.g. 127.0.0.1:7070)"));
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail(std::string("has '[' without a closing ']'"));
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(':')) {
      return fail(std::string("has no port after the IPv6 address (expected [ADDRESS]:PORT)"));
    }
    port = rest.substr(1);
    bracketed = true;
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return fail(std::string("has no port (expected HOST:PORT, e.g. 127.0.0.1:7070)"));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail(std::string("has an IPv6 address without brackets (write [::1]:7070)"));
    }
  }
  if (host.empty()) {
    return fail(std::string("has no host (use 0.0.0.0 to listen on every interface)"));
  }
  if (bracketed ? !is_ipv6(host) : !is_host_name(host)) {
    return fail(std::string(bracketed ? "has an invalid IPv6 address" : "has an invalid host"));
  }
  unsigned value = 0;
  const char* end = port.data() + port.size();
  const auto [stop, ec] = std::from_chars(port.data(), end, value);
  if (port.empty() || ec != std::errc() || stop != end || value > 65535) {
    return fail("has port '" + std::string(port) + "', not a number from 0 to 65535");
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace weft::config
