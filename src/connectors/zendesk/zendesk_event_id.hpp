#pragma once
// The de-duplication id of a Zendesk event-subscription event, derived from what the event
// says rather than from its envelope `id`.
//
// Why not the envelope id: it is a random UUID Zendesk mints per event, and only the webhook
// carries it. The backfill poller (pollers/zendesk_ticket_events_source.hpp) rebuilds the
// same events from the incremental ticket-events export, which cannot know that UUID; an
// event that arrives both ways must get one id, or it would be processed twice. So both
// sides derive the id from content they share:
//
//   <subject>:<type>:<updated_at>[:<discriminator>]
//   e.g. zen:ticket:35436:ticket.status_changed:2024-04-17T17:18:10.000Z:pending
//
// - updated_at is the resource's updated_at after the change (detail.updated_at), i.e. the
//   time of the ticket update (the audit's created_at), normalised to UTC milliseconds;
// - the discriminator tells apart the events of one update that share a type (one
//   ticket.custom_field_changed per field: the field id; ticket.comment_added: the comment
//   id) and, for status and priority, two updates of one second (the new value, lower case);
//   for organization and user changes (webhook only), the new value as sent, so that two
//   renames in one second are two events (seen: the second was dropped as a duplicate); for
//   ticket.tags_changed, the change itself ("+added…-removed…", each sorted), so that two tag
//   changes of one second are two events (seen: removing a tag and adding another within a
//   second started nothing);
// - a redelivery of the same event carries the same content, so the same id.
// Events without a parseable detail.updated_at keep their envelope id.
//
// Threads: pure functions.

#include <optional>
#include <string>
#include <vector>

namespace weft::connectors::zendesk {

struct EventFacts {
  std::string type;        // without "zen:event-type:", e.g. "ticket.status_changed"
  std::string subject;     // "zen:ticket:35436", "zen:user:…", "zen:organization:…"
  std::string updated_at;  // detail.updated_at as sent (ISO-8601)
  std::optional<std::string> current;     // event.current, when a string
  std::optional<std::string> field_id;    // event.custom_field.id (or event.field_id)
  std::optional<std::string> comment_id;  // event.comment.id
  std::vector<std::string> tags_added, tags_removed;  // ticket.tags_changed
};

// What a ticket.tags_changed carries, from `tags_added`/`tags_removed` when the event has them,
// else from the differences of its `current` and `previous` lists.
void set_tag_change(EventFacts& facts, const std::optional<std::vector<std::string>>& added,
                    const std::optional<std::vector<std::string>>& removed,
                    const std::optional<std::vector<std::string>>& current,
                    const std::optional<std::vector<std::string>>& previous);

// The derived id; nullopt when updated_at is not an ISO-8601 time or the subject is empty.
std::optional<std::string> derived_event_id(const EventFacts& facts);

}  // namespace weft::connectors::zendesk
