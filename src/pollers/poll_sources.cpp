#include "pollers/poll_sources.hpp"

#include "pollers/stripe_events_source.hpp"
#include "pollers/zendesk_ticket_events_source.hpp"

namespace weft::pollers {

std::vector<PollerEntry> make_poll_entries(const config::Config& config,
                                           std::vector<std::string>* unsupported) {
  std::vector<PollerEntry> out;
  for (const auto& [name, c] : config.connectors) {
    if (c.poll_interval_seconds <= 0) continue;
    PollSourcePtr source;
    if (c.type == "stripe") {
      source = std::make_unique<StripeEventsSource>(name, c.poll_look_back_seconds);
    } else if (c.type == "zendesk") {
      source = std::make_unique<ZendeskTicketEventsSource>(name, c.poll_look_back_seconds);
    }
    if (!source) {
      if (unsupported != nullptr) unsupported->push_back(name);
      continue;
    }
    out.push_back(PollerEntry{std::move(source), std::chrono::seconds(c.poll_interval_seconds)});
  }
  return out;
}

}  // namespace weft::pollers
