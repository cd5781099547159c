#include "api/paging.hpp"

#include <charconv>

#include "crypto/hmac.hpp"

namespace weft::api {

namespace {

constexpr int kMaxLimit = 200;

}  // namespace

Result<PageRequest, std::vector<http::InvalidField>> page_request(const ApiCall& call) {
  PageRequest page;
  std::vector<http::InvalidField> bad;
  if (auto limit = call.query_value("limit")) {
    int value = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc() || end != limit->data() + limit->size() || value < 1 ||
        value > kMaxLimit) {
      bad.push_back({"limit", "must be a whole number from 1 to " + std::to_string(kMaxLimit)});
    } else {
      page.limit = value;
    }
  }
  if (auto cursor = call.query_value("cursor")) {
    auto decoded = crypto::from_hex(*cursor);
    if (!decoded || decoded->empty()) {
      bad.push_back({"cursor", "is not a cursor this API gave out (use next_cursor as it is)"});
    } else {
      page.after = std::move(*decoded);
    }
  }
  if (!bad.empty()) return fail(std::move(bad));
  return page;
}

bool after_seq(const PageRequest& page, std::int64_t& seq) {
  if (page.after.empty()) return true;
  auto [end, ec] = std::from_chars(page.after.data(), page.after.data() + page.after.size(), seq);
  return ec == std::errc() && end == page.after.data() + page.after.size() && seq >= 0;
}

nlohmann::json page_json(std::vector<nlohmann::json> items, const PageRequest& page,
                         const std::function<std::string(const nlohmann::json&)>& key_of) {
  nlohmann::json next = nullptr;
  if (items.size() > static_cast<std::size_t>(page.limit)) {
    items.resize(static_cast<std::size_t>(page.limit));
    const std::string key = key_of(items.back());
    next = crypto::to_hex(reinterpret_cast<const std::uint8_t*>(key.data()), key.size());
  }
  return {{"data", std::move(items)}, {"next_cursor", std::move(next)}};
}

}  // namespace weft::api
