#pragma once
// The Zendesk Support emulator of `weft sandbox`, under /api/v2 (the ".json" suffix optional
// on every path, as on Zendesk).
//
// Auth: Basic base64("{email}/token:{api_token}") only (no OAuth tokens are issued, so a
// Bearer token is always refused). Resources: tickets (create with Idempotency-Key, show,
// update with safe_update, cursor and offset lists, comments, show_many, the cursor-based
// incremental export and the time-based ticket-events export with each update's changes as
// child_events), organizations and users (show, search by external_id, create_or_update).
// Webhooks: event-subscription envelopes ("zen:event-type:ticket.status_changed", subject
// "zen:ticket:<id>", string ids in detail) signed with X-Zendesk-Webhook-Signature.
//
// Threads: handle() and the state calls may come from any thread; one mutex guards the state.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/platform_emulator.hpp"

namespace weft::sandbox::zendesk {

using Json = nlohmann::ordered_json;  // keeps Zendesk's field order in what we serve

struct Options {
  std::int64_t account_id = 12514403;                 // the envelope's account_id
  std::chrono::seconds idempotency_ttl{2 * 60 * 60};  // Zendesk keeps keys for 2 h
  int requests_per_minute = 700;                      // X-Rate-Limit (the Enterprise plan)
  std::size_t export_page_size = 1000;                // ticket events per export page
};

class ZendeskEmulator final : public PlatformEmulator {
 public:
  explicit ZendeskEmulator(EmulatorContext context, Options options = {});

  const std::string& platform() const override { return platform_; }
  std::vector<std::string> path_prefixes() const override { return {"/api/v2"}; }
  http::Response handle(const http::Request& request) override;
  http::Response fault_response(int status) const override;
  nlohmann::json state() const override;
  Result<void, std::string> restore(const nlohmann::json& state) override;
  void reset() override;
  // Replays are marked by x-idempotency-lookup: hit.
  RequestFacts describe(const http::Request& request, const http::Response& response) const override;

  // One request as the handlers see it (defined in zendesk_emulator.cpp).
  struct Call;

 private:
  struct Ticket {
    Json data;                   // as GET /tickets/{id} shows it
    std::vector<Json> comments;  // oldest first
    std::int64_t change_seq = 0;  // position in the incremental export
    // Its updates as the ticket-events export shows them, oldest first (not kept by
    // state()/restore(): a restored ticket's history starts afresh).
    std::vector<Json> audits;
  };
  struct Replay {  // a ticket create remembered under its Idempotency-Key
    Json request;
    std::string response_body;
    std::string location;
    std::chrono::system_clock::time_point expires;
  };

  http::Response route(Call& call);

  // Tickets (zendesk_tickets.cpp).
  http::Response create_ticket(Call& call);
  http::Response create_ticket_once(Call& call, const Json& body);
  http::Response show_ticket(Call& call, std::int64_t id);
  http::Response update_ticket(Call& call, std::int64_t id);
  http::Response list_tickets(Call& call);
  http::Response list_comments(Call& call, std::int64_t id);
  http::Response incremental_tickets(Call& call);
  // (zendesk_ticket_events.cpp)
  http::Response incremental_ticket_events(Call& call);
  http::Response show_many_tickets(Call& call);

  // Organizations and users (zendesk_directory.cpp).
  http::Response show_organization(Call& call, std::int64_t id);
  http::Response search_organizations(Call& call);
  http::Response create_organization(Call& call, bool or_update);
  http::Response show_user(Call& call, std::int64_t id);
  http::Response search_users(Call& call);
  http::Response create_user(Call& call, bool or_update);
  // The user with this email, created (with a user.created webhook) when there is none.
  Result<std::int64_t, http::Response> find_or_create_requester(Call& call, const Json& requester);

  // Webhooks (zendesk_events.cpp).
  void send_event(const std::string& type, const std::string& subject, Json detail, Json event);
  Json ticket_detail(const Json& ticket) const;
  Json organization_detail(const Json& organization) const;
  Json user_detail(const Json& user) const;

  void seed_agent();
  std::int64_t next_object_id() { return next_object_id_++; }
  void touch(Ticket& ticket, std::chrono::system_clock::time_point now);

  const std::string platform_ = "zendesk";
  const Credentials& credentials_;
  ClockPtr clock_;
  WebhookOutbox& outbox_;
  Options options_;

  mutable std::mutex mutex_;
  std::map<std::int64_t, Ticket> tickets_;
  std::map<std::int64_t, Json> organizations_;
  std::map<std::int64_t, Json> users_;
  std::map<std::string, Replay> idempotency_;
  std::int64_t next_ticket_id_ = 1;
  std::int64_t next_object_id_ = 10'000'000'001;
  std::int64_t change_seq_ = 0;
  std::int64_t agent_id_ = 0;  // the user the API token belongs to
  std::int64_t minute_ = -1;   // for X-Rate-Limit-Remaining
  int used_this_minute_ = 0;
};

}  // namespace weft::sandbox::zendesk
