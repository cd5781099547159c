// set_customer_collection: Stripe pauses collection one subscription at a time
// (POST /v1/subscriptions/{id} with pause_collection[behavior], resumed by pause_collection=""),
// so this action lists the customer's subscriptions (GET /v1/subscriptions?customer=…, every
// page; without a status filter Stripe leaves out only canceled ones), then writes each one
// that collects and is not in the wanted state yet, all within one attempt.
//
// Stateless between calls: the answers so far are replayed from the start, so the same answers
// always lead to the same next request. A retried attempt lists again, skips what the earlier
// attempt already changed, and writes the rest under the same per-subscription keys (a write
// whose answer was lost is replayed by Stripe, not applied twice).

#include <algorithm>
#include <array>

#include "connectors/stripe/stripe_connector.hpp"
#include "core/url_encoding.hpp"

namespace weft::connectors::stripe {

namespace {

using delivery::Failure;
using delivery::FailureClass;
using nlohmann::json;

// Subscriptions Stripe collects payment for; paused (a trial ended without a payment method),
// incomplete and ended ones have nothing to pause.
constexpr std::array<std::string_view, 4> kCollecting{"active", "past_due", "trialing", "unpaid"};
constexpr int kPageSize = 100;

struct Wanted {
  bool paused = false;
  std::string behavior;  // when paused
};

Wanted wanted_of(const json& input) {
  Wanted w;
  w.paused = input.value("paused", false);
  if (w.paused) w.behavior = input.value("behavior", "");
  return w;
}

bool collects(const json& subscription) {
  const auto status = subscription.find("status");
  return status != subscription.end() && status->is_string() &&
         std::find(kCollecting.begin(), kCollecting.end(), status->get_ref<const std::string&>()) !=
             kCollecting.end();
}

// Paused: with the wanted behavior and no resumes_at (a hold lasts until it is released).
bool in_wanted_state(const json& subscription, const Wanted& wanted) {
  const json pause = subscription.value("pause_collection", json());
  if (!wanted.paused) return pause.is_null();
  return pause.is_object() && pause.value("behavior", "") == wanted.behavior &&
         pause.value("resumes_at", json()).is_null();
}

Failure failure(FailureClass cls, const http::Response& response, std::string message) {
  Failure f;
  f.cls = cls;
  f.http_status = response.status;
  f.message = std::move(message);
  return f;
}

json summary(const json& subscription, bool changed) {
  return json{{"id", subscription.value("id", json())},
              {"status", subscription.value("status", json())},
              {"pause_collection", subscription.value("pause_collection", json())},
              {"changed", changed}};
}

}  // namespace

Result<Reading, Failure> StripeConnector::read_collection_exchange(
    const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
  const std::string what = "action " + request.action + " of connector " + name_;
  const std::string customer = request.input.value("customer", "");
  const Wanted wanted = wanted_of(request.input);

  // The list pages: answers[0 .. pages).
  json listed = json::array();
  std::size_t pages = 0;
  for (bool more = true; more; ++pages) {
    if (pages == answers.size()) {
      if (answers.size() >= static_cast<std::size_t>(kMaxExchanges)) {
        return fail(bad_input(what + ": customer " + customer + " has more than " +
                              std::to_string(kMaxExchanges * kPageSize) +
                              " subscriptions, more than one attempt can list"));
      }
      const std::string& last = listed.back().at("id").get_ref<const std::string&>();
      return Reading(FollowUp{request_to(
          "GET", "/v1/subscriptions?" + url::join_pairs({{"customer", customer},
                                                         {"limit", std::to_string(kPageSize)},
                                                         {"starting_after", last}}))});
    }
    const http::Response& answer = answers[pages];
    const json page = json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
    if (!page.is_object() || !page.contains("data") || !page["data"].is_array() ||
        !std::all_of(page["data"].begin(), page["data"].end(), [](const json& s) {
          return s.is_object() && s.contains("id") && s["id"].is_string();
        })) {
      return fail(failure(FailureClass::transient, answer,
                          what + ": Stripe answered the subscription list with something that is "
                                 "not a list of subscriptions"));
    }
    for (const json& subscription : page["data"]) listed.push_back(subscription);
    more = page.value("has_more", false) && !page["data"].empty();
  }

  std::vector<const json*> to_change;
  for (const json& subscription : listed) {
    if (collects(subscription) && !in_wanted_state(subscription, wanted)) {
      to_change.push_back(&subscription);
    }
  }

  // The writes: answers[pages ..), one per subscription of to_change, in order.
  if (answers.size() - pages > to_change.size()) {
    return fail(
        bad_input(what + ": more answers than requests (" + std::to_string(answers.size()) + ")"));
  }
  std::vector<json> written;
  for (std::size_t i = pages; i < answers.size(); ++i) {
    json object = json::parse(answers[i].body, nullptr, /*allow_exceptions=*/false);
    if (!object.is_object() || object.value("object", "") != "subscription") {
      return fail(failure(FailureClass::unknown_outcome, answers[i],
                          what + ": Stripe answered the write of subscription " +
                              to_change[written.size()]->at("id").get<std::string>() +
                              " without a subscription (the change may have been made)"));
    }
    written.push_back(std::move(object));
  }

  if (written.size() < to_change.size()) {
    if (answers.size() >= static_cast<std::size_t>(kMaxExchanges)) {
      // Progress made; the retry lists again and changes the rest.
      return fail(failure(FailureClass::transient, answers.back(),
                          what + ": changed " + std::to_string(written.size()) + " of " +
                              std::to_string(to_change.size()) + " subscriptions of customer " +
                              customer + " in this attempt (at most " +
                              std::to_string(kMaxExchanges) +
                              " requests each); the next attempt changes the rest"));
    }
    const std::string& id = to_change[written.size()]->at("id").get_ref<const std::string&>();
    delivery::OutboundRequest write =
        request_to("POST", "/v1/subscriptions/" + url::percent_encode(id));
    write.body = wanted.paused ? url::join_pairs({{"pause_collection[behavior]", wanted.behavior}})
                               : url::join_pairs({{"pause_collection", ""}});
    write.headers.add("Content-Type", "application/x-www-form-urlencoded");
    write.headers.add("Idempotency-Key", idempotency_key(request.idempotency_key + "/" + id));
    return Reading(FollowUp{std::move(write)});
  }

  json subscriptions = json::array();
  for (const json& subscription : listed) {
    const auto changed = std::find(to_change.begin(), to_change.end(), &subscription);
    if (changed != to_change.end()) {
      subscriptions.push_back(
          summary(written[static_cast<std::size_t>(changed - to_change.begin())], true));
    } else if (collects(subscription)) {
      subscriptions.push_back(summary(subscription, false));
    }
  }
  return Reading(json{{"customer", customer},
                      {"paused", wanted.paused},
                      {"behavior", wanted.paused ? json(wanted.behavior) : json()},
                      {"subscriptions", std::move(subscriptions)},
                      {"changed", static_cast<std::int64_t>(to_change.size())}});
}

}  // namespace weft::connectors::stripe
