#include "pollers/stripe_events_source.hpp"

#include <algorithm>
#include <charconv>

namespace weft::pollers {

namespace {

constexpr std::int64_t kStripeRetentionS = 30 * 24 * 3600;
constexpr int kPageSize = 100;  // Stripe's maximum

std::optional<std::int64_t> parse_seconds(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

StripeEventsSource::StripeEventsSource(std::string connector, std::int64_t first_look_back_s)
    : PollSource(std::move(connector), "list_events", "events",
                 std::clamp<std::int64_t>(first_look_back_s, 0, kStripeRetentionS)) {}

nlohmann::json StripeEventsSource::first_input(const std::optional<std::string>& cursor,
                                               std::int64_t now_s) const {
  std::int64_t since = now_s - first_look_back_s();
  if (cursor) {
    // A cursor this build did not write (hand-edited) restarts from the look-back.
    if (const auto saved = parse_seconds(*cursor)) since = *saved;
  }
  return {{"created", {{"gte", since}}}, {"limit", kPageSize}};
}

Result<PageRead, std::string> StripeEventsSource::read(const nlohmann::json& input,
                                                       const nlohmann::json& output,
                                                       nlohmann::json& round) const {
  if (!output.is_object() || !output.contains("data") || !output["data"].is_array()) {
    return fail(std::string("list_events answered without a data array"));
  }
  if (round.is_null()) round = {{"events", nlohmann::json::array()}, {"newest", 0}};
  std::int64_t newest = round["newest"].get<std::int64_t>();
  for (const auto& event : output["data"]) {
    if (!event.is_object() || !event.contains("id") || !event["id"].is_string() ||
        !event.contains("created") || !event["created"].is_number_integer()) {
      return fail(std::string("list_events returned an item that is not an event with id and "
                              "created"));
    }
    newest = std::max(newest, event["created"].get<std::int64_t>());
    round["events"].push_back(event);
  }
  round["newest"] = newest;

  PageRead page;
  const auto& data = output["data"];
  if (output.value("has_more", false) && !data.empty()) {
    page.next_input = input;
    (*page.next_input)["starting_after"] = data.back()["id"];
    return page;
  }
  // The last page: everything, oldest first.
  auto& events = round["events"];
  for (auto it = events.rbegin(); it != events.rend(); ++it) page.bodies.push_back(it->dump());
  if (newest > 0) page.cursor = std::to_string(newest);
  return page;
}

}  // namespace weft::pollers
