#pragma once
// PollSource: how one platform is read back for what its webhooks may have missed (Stripe's
// event list, Zendesk's incremental export, NetSuite SuiteQL on last-modified date,
// Salesforce SOQL on SystemModstamp). A source knows which connector action lists changes
// since a durable cursor and turns each item into the body its webhook would have carried,
// with the same event id, so that the ingest path's de-duplication by (connector, event id)
// makes an event that arrives both ways count once.
//
// A round starts from the saved cursor and reads page after page. A source may hold pages
// back in the round's scratch state (Stripe lists newest first, so its events are appended
// oldest first once the last page is read) and says when a cursor may be saved: only after
// the bodies it returned with it are committed.
//
// Threads: a source is immutable; the poller calls it from its own thread.

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "weft/result.hpp"

namespace weft::pollers {

struct PageRead {
  std::vector<std::string> bodies;          // to append now, in this order
  std::optional<nlohmann::json> next_input;  // the input of the next page of this round
  // The action that fetches it when not this page's (NetSuite lists ids with suiteql, then
  // reads each record with get_record); unset: the same action.
  std::optional<std::string> next_action;
  std::optional<std::string> cursor;         // to save once `bodies` are committed
};

class PollSource {
 public:
  // `cursor`: the cursor's name after the connector's ("events": "stripe.events");
  // `first_look_back_s`: how far back a never-polled connector starts (at least 0).
  PollSource(std::string connector, std::string action, std::string cursor, std::int64_t first_look_back_s)
      : connector_(std::move(connector)),
        action_(std::move(action)),
        cursor_(std::move(cursor)),
        first_look_back_s_(first_look_back_s < 0 ? 0 : first_look_back_s) {}
  virtual ~PollSource() = default;

  const std::string& connector() const { return connector_; }  // the config name, e.g. "stripe"
  std::string cursor_name() const { return connector_ + "." + cursor_; }  // e.g. "stripe.events"
  const std::string& action() const { return action_; }        // the listing action, e.g. list_events
  std::int64_t first_look_back_s() const { return first_look_back_s_; }

  // The first page's input: from the saved cursor, or (never polled) from `now_s` minus the
  // look-back the source starts with.
  virtual nlohmann::json first_input(const std::optional<std::string>& cursor,
                                     std::int64_t now_s) const = 0;

  // Reads one page's output; `input` is the one that fetched it (with action() or the
  // next_action that asked for it). `round` is scratch state
  // for this round (null at its start).
  // An error is about the page (an answer that is not the list expected): the round stops
  // without saving anything, and the next round starts again from the saved cursor.
  virtual Result<PageRead, std::string> read(const nlohmann::json& input,
                                             const nlohmann::json& output,
                                             nlohmann::json& round) const = 0;

 private:
  std::string connector_;
  std::string action_;
  std::string cursor_;
  std::int64_t first_look_back_s_;
};
using PollSourcePtr = std::unique_ptr<PollSource>;

}  // namespace weft::pollers
