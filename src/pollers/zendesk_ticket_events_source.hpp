#pragma once
// Zendesk's backfill: the time-based incremental ticket-events export (the connector's
// incremental_ticket_events: GET /incremental/ticket_events.json?start_time=, then
// /tickets/show_many.json for the tickets of the page), turned back into the
// event-subscription envelopes Zendesk's webhooks carry, so mappings/zendesk.yaml applies
// unchanged and the log's de-duplication drops what a webhook already brought.
//
// Why the ticket-events export and not the cursor-based ticket export: a ticket snapshot
// says how a ticket is, not what changed. Two status changes between polls would show as
// one final status, a tag added and removed again as nothing, and no previous value is
// known: events would be lost. The events export lists every update (an "Audit") with each
// change as a child event, with its previous value, so each webhook the update caused can be
// rebuilt: "Create" → ticket.created; a status, priority, tags or custom field "Change" →
// ticket.status_changed, .priority_changed, .tags_changed, .custom_field_changed. Other
// changes (subject, assignee, comments) have no mapping and are not rebuilt.
//
// Ids: an envelope's id is random and only the webhook has it, so the inbound connector
// derives the id from content both sides share (connectors/zendesk/zendesk_event_id.hpp);
// the envelopes built here carry that id.
//
// `detail` (the ticket after the update, which the webhook carries): the ticket as show_many
// gives it now, rolled back through the page's later updates of that ticket with their
// previous values, and set to this update's own new values. It is exact unless the ticket
// changed again after the page's end; a ticket show_many no longer has (deleted) gets a
// detail of what its events say. custom_field_changed's custom_field carries the id only
// (the webhook adds the field's title and type).
//
// Watermark: the page's end_time, saved after the page's envelopes are committed. The next
// page and the next round start there (events of that second are listed again and dropped
// as duplicates). Zendesk refuses a start_time within the last minute, so a start is never
// later than a minute ago.

#include "pollers/poll_source.hpp"

namespace weft::pollers {

class ZendeskTicketEventsSource final : public PollSource {
 public:
  // `first_look_back_s`: how far back a never-polled connector starts.
  ZendeskTicketEventsSource(std::string connector, std::int64_t first_look_back_s);

  nlohmann::json first_input(const std::optional<std::string>& cursor,
                             std::int64_t now_s) const override;
  Result<PageRead, std::string> read(const nlohmann::json& input, const nlohmann::json& output,
                                     nlohmann::json& round) const override;

 private:
};

}  // namespace weft::pollers
