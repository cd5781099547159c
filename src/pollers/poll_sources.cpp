#include "pollers/poll_sources.hpp"

#include "pollers/netsuite_changes_source.hpp"
#include "pollers/salesforce_changes_source.hpp"
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
    // One source (and cursor) per record type the mappings read: a shared watermark would
    // skip one type's changes made while another type is read.
    if (c.type == "netsuite") {
      out.push_back(PollerEntry{std::make_unique<NetSuiteChangesSource>(name, "customer", c.poll_look_back_seconds),
                                std::chrono::seconds(c.poll_interval_seconds)});
      continue;
    }
    if (c.type == "salesforce") {
      for (const char* sobject : {"Account", "Opportunity"}) {
        out.push_back(PollerEntry{std::make_unique<SalesforceChangesSource>(name, sobject, c.poll_look_back_seconds),
                                  std::chrono::seconds(c.poll_interval_seconds)});
      }
      continue;
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
