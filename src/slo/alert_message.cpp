#include "slo/alert_message.hpp"

#include <array>
#include <string_view>

#include "core/duration.hpp"
#include "core/time_format.hpp"
#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"

namespace weft::slo {

using nlohmann::json;

namespace {

struct Field {
  const char* name;
  std::array<const char*, 4> pointers;  // tried in order; nullptr ends the list
};

// Where the shipped workflows keep what an operator asks first. The trigger event's payload
// comes first (every workflow has one); then the results of steps the shipped workflows name
// this way (stripe_invoice, credit_note). A workflow that keeps them elsewhere simply gets
// fewer fields: the business key and links are always there.
constexpr std::array<Field, 5> kFields{{
    {"customer",
     {"/event/payload/customer_id", "/stripe_invoice/customer", "/event/payload/organization_id",
      "/event/payload/account_id"}},
    {"amount",
     {"/credit_note/total", "/event/payload/amount", "/stripe_invoice/amount_due", nullptr}},
    {"currency",
     {"/credit_note/currency", "/event/payload/currency", "/stripe_invoice/currency", nullptr}},
    {"invoice", {"/event/payload/invoice_id", "/stripe_invoice/id", nullptr, nullptr}},
    {"ticket", {"/event/payload/ticket_id", nullptr, nullptr, nullptr}},
}};

std::string iso(std::int64_t ms) { return format_iso8601_ms(ms); }

}  // namespace

json business_context(const InstanceRecord& instance) {
  json out = json::object();
  const json state = json::parse(instance.state_json, nullptr, false);
  if (state.is_discarded() || !state.is_object()) return out;
  for (const Field& f : kFields) {
    for (const char* pointer : f.pointers) {
      if (pointer == nullptr) break;
      const json::json_pointer p(pointer);
      if (!state.contains(p)) continue;
      const json& value = state.at(p);
      if (value.is_null() || (value.is_string() && value.get_ref<const std::string&>().empty()))
        continue;
      out[f.name] = value;
      break;
    }
  }
  return out;
}

json alert_body(const std::string& id, const std::string& kind, const SloStatus& s,
                const std::vector<BreachContext>& breaches,
                const std::vector<ExceptionRecord>& exceptions) {
  json body = {{"id", id},
               {"type", "slo." + kind},
               {"slo", s.name},
               {"kind", s.kind},
               {"workflow", s.workflow},
               {"state", s.is_breached ? "breached" : "ok"},
               {"since", iso(s.since_ms)},
               {"at", iso(s.evaluated_at_ms)},
               {"error_budget_remaining", s.error_budget_remaining}};
  json links = {{"slos", "/v1/slos"}};
  if (s.kind == "sla") {
    body["sla"] = s.sla;
    body["ratio"] = s.ratio;
    body["objective"] = s.objective;
    body["window"] = format_duration(std::chrono::milliseconds(s.window_ms));
    body["outcomes"] = {{"met", s.met}, {"breached", s.breached}};
    links["instances"] = "/v1/workflows?workflow=" + url::percent_encode(s.workflow);
    json instances = json::array();
    for (const BreachContext& b : breaches) {
      json item = {
          {"instance_id", b.outcome.instance_id},
          {"business_key", b.outcome.business_key},
          {"started_at", iso(b.outcome.started_at_ms)},
          {"breached_at", iso(b.outcome.decided_at_ms)},
          {"finished_at", b.outcome.finished_at_ms ? json(iso(*b.outcome.finished_at_ms)) : json()},
          {"links",
           {{"instance", "/v1/workflows/" + url::percent_encode(b.outcome.instance_id)},
            {"lineage", "/v1/lineage/" + url::percent_encode(b.outcome.business_key)}}}};
      if (b.instance) {
        item["correlation_id"] = b.instance->correlation_id;
        item["status"] = to_string(b.instance->status);
        item["context"] = business_context(*b.instance);
      }
      instances.push_back(std::move(item));
    }
    body["instances"] = std::move(instances);
  } else {
    body["open_exceptions"] = s.open_exceptions;
    body["max_open"] = s.max_open;
    links["exceptions"] = "/v1/exceptions?status=open&workflow=" + url::percent_encode(s.workflow);
    json items = json::array();
    for (const ExceptionRecord& e : exceptions) {
      items.push_back({{"id", e.id},
                       {"instance_id", e.instance_id},
                       {"step", e.step_id},
                       {"class", e.failure_class},
                       {"reason", e.reason},
                       {"opened_at", iso(e.created_at_ms)},
                       {"links", {{"exception", "/v1/exceptions/" + url::percent_encode(e.id)}}}});
    }
    body["exceptions"] = std::move(items);
  }
  body["links"] = std::move(links);
  return body;
}

std::string alert_id(const std::string& slo, const std::string& kind, std::int64_t at_ms) {
  const std::string key = slo + "\n" + kind + "\n" + std::to_string(at_ms);
  return "alert_" + crypto::to_hex(crypto::sha256(key)).substr(0, 24);
}

}  // namespace weft::slo
