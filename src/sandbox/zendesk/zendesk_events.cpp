// Event-subscription webhooks: the envelope Zendesk sends, the `detail` of each resource
// (ids as strings, ticket status/priority/type in capitals) and the signature headers.

#include <cctype>

#include "connectors/zendesk/zendesk_webhook.hpp"
#include "sandbox/zendesk/zendesk_http.hpp"

namespace weft::sandbox::zendesk {

namespace {

Json id_text(const Json& value) {
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  return value;  // null stays null
}

Json upper(const Json& value) {
  if (!value.is_string()) return value;
  std::string out = value.get<std::string>();
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One Zendesk webhook, fixed for this sandbox (X-Zendesk-Webhook-Id).
constexpr const char* kWebhookId = "01HWEFTSANDBOX0ZENDESK0HOOK";

}  // namespace

Json ZendeskEmulator::ticket_detail(const Json& ticket) const {
  return Json{{"actor_id", std::to_string(agent_id_)},
              {"assignee_id", id_text(ticket.value("assignee_id", Json(nullptr)))},
              {"brand_id", id_text(ticket.value("brand_id", Json(nullptr)))},
              {"created_at", ticket.value("created_at", Json(nullptr))},
              {"custom_status", id_text(ticket.value("custom_status_id", Json(nullptr)))},
              {"description", ticket.value("description", Json(nullptr))},
              {"external_id", ticket.value("external_id", Json(nullptr))},
              {"form_id", id_text(ticket.value("ticket_form_id", Json(nullptr)))},
              {"group_id", id_text(ticket.value("group_id", Json(nullptr)))},
              {"id", id_text(ticket.value("id", Json(nullptr)))},
              {"is_public", ticket.value("is_public", Json(true))},
              {"organization_id", id_text(ticket.value("organization_id", Json(nullptr)))},
              {"priority", upper(ticket.value("priority", Json(nullptr)))},
              {"requester_id", id_text(ticket.value("requester_id", Json(nullptr)))},
              {"status", upper(ticket.value("status", Json(nullptr)))},
              {"subject", ticket.value("subject", Json(nullptr))},
              {"submitter_id", id_text(ticket.value("submitter_id", Json(nullptr)))},
              {"tags", ticket.value("tags", Json::array())},
              {"type", upper(ticket.value("type", Json(nullptr)))},
              {"updated_at", ticket.value("updated_at", Json(nullptr))},
              {"via", Json{{"channel", "web_service"}}}};
}

Json ZendeskEmulator::organization_detail(const Json& organization) const {
  return Json{{"created_at", organization.value("created_at", Json(nullptr))},
              {"id", id_text(organization.value("id", Json(nullptr)))},
              {"name", organization.value("name", Json(nullptr))},
              {"shared_comments", organization.value("shared_comments", Json(false))},
              {"shared_tickets", organization.value("shared_tickets", Json(false))},
              {"updated_at", organization.value("updated_at", Json(nullptr))},
              {"group_id", id_text(organization.value("group_id", Json(nullptr)))},
              {"external_id", organization.value("external_id", Json(nullptr))}};
}

Json ZendeskEmulator::user_detail(const Json& user) const {
  return Json{{"created_at", user.value("created_at", Json(nullptr))},
              {"email", user.value("email", Json(nullptr))},
              {"external_id", user.value("external_id", Json(nullptr))},
              {"default_group_id", id_text(user.value("default_group_id", Json(nullptr)))},
              {"id", id_text(user.value("id", Json(nullptr)))},
              {"organization_id", id_text(user.value("organization_id", Json(nullptr)))},
              {"role", user.value("role", Json(nullptr))},
              {"updated_at", user.value("updated_at", Json(nullptr))}};
}

void ZendeskEmulator::send_event(const std::string& type, const std::string& subject, Json detail,
                                 Json event) {
  const std::string id = new_uuid();
  // Ticket events carry the 2022-11-06 schema version, the others 2022-06-20 (as documented).
  const char* version = type.starts_with("ticket.") ? "2022-11-06" : "2022-06-20";
  const Json envelope{{"type", "zen:event-type:" + type},
                      {"account_id", options_.account_id},
                      {"id", id},
                      {"time", iso_seconds(clock_->now())},
                      {"zendesk_event_version", version},
                      {"subject", subject},
                      {"detail", std::move(detail)},
                      {"event", std::move(event)}};
  Webhook webhook;
  webhook.platform = platform_;
  webhook.event_id = id;
  webhook.body = envelope.dump();
  webhook.headers = [secret = credentials_.zendesk_webhook_secret, body = webhook.body,
                     invocation = id](std::chrono::system_clock::time_point now) {
    const std::string timestamp = iso_seconds(now);
    http::Headers headers;
    headers.add("Content-Type", "application/json; charset=utf-8");
    headers.add("User-Agent", "Zendesk Webhook");
    headers.add("X-Zendesk-Webhook-Id", kWebhookId);
    headers.add("X-Zendesk-Webhook-Invocation-Id", invocation);
    headers.add("X-Zendesk-Webhook-Signature-Timestamp", timestamp);
    headers.add("X-Zendesk-Webhook-Signature",
                connectors::zendesk::SignatureVerifier::sign(secret, timestamp, body));
    return headers;
  };
  outbox_.post(std::move(webhook));
}

}  // namespace weft::sandbox::zendesk
