#pragma once
// Stripe's backfill: GET /v1/events (the connector's list_events) created at or after the
// watermark. Stripe keeps events for 30 days and lists them newest first, so a round reads
// every page, then appends the events oldest first and saves the newest `created` as the
// next watermark. Events of the watermark's own second are listed again next time (gte):
// the log drops them as duplicates, and none created later in that second is missed.
// The bodies are Stripe's event objects, the same documents its webhooks carry.

#include "pollers/poll_source.hpp"

namespace weft::pollers {

class StripeEventsSource final : public PollSource {
 public:
  // `first_look_back_s`: how far back a never-polled connector starts (at most 30 days).
  StripeEventsSource(std::string connector, std::int64_t first_look_back_s);

  nlohmann::json first_input(const std::optional<std::string>& cursor,
                             std::int64_t now_s) const override;
  Result<PageRead, std::string> read(const nlohmann::json& input, const nlohmann::json& output,
                                     nlohmann::json& round) const override;

 private:
};

}  // namespace weft::pollers
