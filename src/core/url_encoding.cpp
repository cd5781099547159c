#include "core/url_encoding.hpp"

#include <cctype>

namespace weft::url {

namespace {

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

void flatten_into(const std::string& name, const nlohmann::json& value, Pairs& out) {
  if (value.is_object()) {
    if (value.empty()) out.emplace_back(name, "");
    for (const auto& [key, item] : value.items()) flatten_into(name + "[" + key + "]", item, out);
  } else if (value.is_array()) {
    if (value.empty()) out.emplace_back(name, "");
    for (std::size_t i = 0; i < value.size(); ++i) {
      flatten_into(name + "[" + std::to_string(i) + "]", value[i], out);
    }
  } else {
    out.emplace_back(name, scalar_text(value));
  }
}

// "items[0][price]" → {"items", "0", "price"}; nullopt when the brackets do not pair up.
std::optional<std::vector<std::string>> split_name(std::string_view name) {
  std::vector<std::string> parts;
  const auto open = name.find('[');
  parts.emplace_back(name.substr(0, open));
  if (parts.front().empty()) return std::nullopt;
  std::size_t at = open;
  while (at != std::string_view::npos && at < name.size()) {
    if (name[at] != '[') return std::nullopt;
    const auto close = name.find(']', at);
    if (close == std::string_view::npos) return std::nullopt;
    parts.emplace_back(name.substr(at + 1, close - at - 1));
    at = close + 1;
  }
  return parts;
}

std::optional<std::size_t> index_of(const std::string& segment) {
  if (segment.empty() || segment.size() > 6) return std::nullopt;
  for (char c : segment) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(segment));
}

}  // namespace

void percent_encode(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    if (unreserved(c)) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0x0f];
    }
  }
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  percent_encode(text, out);
  return out;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;  // "%" or "%4" at the end
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Pairs> parse_pairs(std::string_view text) {
  Pairs out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view part = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (part.empty()) continue;
    const auto eq = part.find('=');
    auto name = percent_decode(part.substr(0, eq));
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view()
                                                             : part.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string join_pairs(const Pairs& pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    percent_encode(name, out);
    out += '=';
    percent_encode(value, out);
  }
  return out;
}

Pairs flatten_form(const nlohmann::json& object) {
  Pairs out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) flatten_into(key, value, out);
  return out;
}

std::optional<nlohmann::json> unflatten_form(const Pairs& pairs) {
  nlohmann::json root = nlohmann::json::object();
  for (const auto& [name, value] : pairs) {
    const auto parts = split_name(name);
    if (!parts) return std::nullopt;
    nlohmann::json* node = &root;
    for (std::size_t i = 0; i < parts->size(); ++i) {
      const std::string& segment = (*parts)[i];
      const bool last = i + 1 == parts->size();
      if (node->is_null()) {
        *node = (segment.empty() || index_of(segment)) ? nlohmann::json::array()
                                                       : nlohmann::json::object();
      }
      nlohmann::json* next = nullptr;
      if (node->is_object()) {
        if (segment.empty()) return std::nullopt;
        next = &(*node)[segment];
      } else if (node->is_array()) {
        if (segment.empty()) {
          node->push_back(nullptr);
          next = &node->back();
        } else if (const auto index = index_of(segment)) {
          if (*index > node->size()) return std::nullopt;  // no holes: items[5] without items[4]
          if (*index == node->size()) node->push_back(nullptr);
          next = &(*node)[*index];
        } else {
          return std::nullopt;
        }
      } else {
        return std::nullopt;  // "a=1&a[b]=2": a is already a scalar
      }
      if (last) {
        if (!next->is_null()) return std::nullopt;  // the same name twice
        *next = value;
      }
      node = next;
    }
  }
  return root;
}

}  // namespace weft::url
