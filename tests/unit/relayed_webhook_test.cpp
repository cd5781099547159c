// The inbound side of NetSuite and Salesforce: record changes posted by Weft's relays
// (SuiteScript, Apex), signed with X-Weft-Signature, and the identity ingest takes from them.
// Signatures are computed here with the HMAC primitive, independently of the verifier.
#include <gtest/gtest.h>

#include <cctype>

#include "connectors/inbound_registry.hpp"
#include "connectors/netsuite/netsuite_webhook.hpp"
#include "connectors/salesforce/salesforce_webhook.hpp"
#include "connectors/weft_signature.hpp"
#include "crypto/hmac.hpp"
#include <nlohmann/json.hpp>

namespace weft::connectors {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::string_view kSecret = "ns_demo_webhook_secret";
constexpr std::int64_t kT = 1717171717;
constexpr std::string_view kBody =
    R"({"id":"ns-evt-1","type":"customer.updated","occurred_at":"2024-05-31T16:08:37Z",)"
    R"("record_type":"customer","record_id":"14","external_id":"cus_QXg1o8vcGmoR32",)"
    R"("changed_fields":["creditHoldOverride"],"record":{"id":"14","creditHoldOverride":"ON"}})";

system_clock::time_point at(std::int64_t unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

// lowercase hex HMAC-SHA256(secret, "<t>.<body>"), as the relays compute it.
std::string v1(std::string_view secret, std::int64_t t, std::string_view body) {
  const std::string message = std::to_string(t) + "." + std::string(body);
  return crypto::to_hex(crypto::hmac_sha256(secret, message));
}

http::Headers signed_with(std::string value) {
  http::Headers h;
  h.add("x-weft-signature", std::move(value));  // case differs from the scheme's on purpose
  return h;
}

const WebhookVerifier& netsuite_verifier() {
  static const netsuite::InboundConnector c("netsuite", std::string(kSecret), seconds(300));
  return c.verifier();
}

TEST(WeftSignature, AValidSignatureIsAccepted) {
  const auto r = netsuite_verifier().verify(
      signed_with("t=" + std::to_string(kT) + ",v1=" + v1(kSecret, kT, kBody)), kBody, at(kT));
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(WeftSignature, SignProducesWhatTheRelaysSend) {
  EXPECT_EQ(TimestampedSignatureVerifier::sign(kSecret, kT, kBody),
            "t=" + std::to_string(kT) + ",v1=" + v1(kSecret, kT, kBody));
}

TEST(WeftSignature, AnyOfSeveralV1ValuesMayMatchDuringASecretRoll) {
  const std::string old_secret_sig = v1("the_old_secret", kT, kBody);
  const std::string good = v1(kSecret, kT, kBody);
  for (const std::string& header :
       {"t=" + std::to_string(kT) + ",v1=" + old_secret_sig + ",v1=" + good,
        "t=" + std::to_string(kT) + ",v1=" + good + ",v1=" + old_secret_sig,
        "v1=" + good + ", t=" + std::to_string(kT)}) {
    const auto r = netsuite_verifier().verify(signed_with(header), kBody, at(kT));
    EXPECT_TRUE(r.ok()) << header << ": " << r.error().message;
  }
  const auto none = netsuite_verifier().verify(
      signed_with("t=" + std::to_string(kT) + ",v1=" + old_secret_sig + ",v1=" +
                  v1("another", kT, kBody)),
      kBody, at(kT));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, VerifyErrc::bad_signature);
}

TEST(WeftSignature, TamperedBodyTimestampOrSchemeIsRejected) {
  const std::string good = v1(kSecret, kT, kBody);
  std::string tampered(kBody);
  tampered.replace(tampered.find("\"ON\""), 4, "\"OFF\"");
  struct Case {
    std::string header;
    std::string body;
  };
  for (const Case& k : {Case{"t=" + std::to_string(kT) + ",v1=" + good, tampered},
                        Case{"t=" + std::to_string(kT + 1) + ",v1=" + good, std::string(kBody)},
                        // Upper-case hex is not what the scheme sends.
                        Case{"t=" + std::to_string(kT) + ",v1=" + [&] {
                               std::string up = good;
                               for (char& c : up) c = static_cast<char>(std::toupper(c));
                               return up;
                             }(),
                             std::string(kBody)},
                        // A v0 (or any other scheme) is never checked: no downgrade.
                        Case{"t=" + std::to_string(kT) + ",v0=" + good + ",v1=00", std::string(kBody)}}) {
    const auto r = netsuite_verifier().verify(signed_with(k.header), k.body, at(kT));
    ASSERT_FALSE(r.ok()) << k.header;
    EXPECT_EQ(r.error().code, VerifyErrc::bad_signature) << k.header;
  }
}

TEST(WeftSignature, StaleOrFutureTimestampsAreRejectedOutsideTheTolerance) {
  const std::string header = "t=" + std::to_string(kT) + ",v1=" + v1(kSecret, kT, kBody);
  EXPECT_TRUE(netsuite_verifier().verify(signed_with(header), kBody, at(kT + 300)).ok());
  EXPECT_TRUE(netsuite_verifier().verify(signed_with(header), kBody, at(kT - 300)).ok());
  for (std::int64_t now : {kT + 301, kT - 301, kT + 86400}) {
    const auto r = netsuite_verifier().verify(signed_with(header), kBody, at(now));
    ASSERT_FALSE(r.ok()) << now;
    EXPECT_EQ(r.error().code, VerifyErrc::stale_timestamp);
  }
  // Tolerance 0 turns the check off.
  const salesforce::InboundConnector lax("salesforce", std::string(kSecret), seconds(0));
  EXPECT_TRUE(lax.verifier().verify(signed_with(header), kBody, at(kT + 86400)).ok());
}

TEST(WeftSignature, MissingAndMalformedHeaders) {
  const auto missing = netsuite_verifier().verify(http::Headers{}, kBody, at(kT));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, VerifyErrc::missing_signature);
  EXPECT_NE(missing.error().message.find("X-Weft-Signature"), std::string::npos);

  // The Stripe header is not ours.
  http::Headers stripe;
  stripe.add("Stripe-Signature", "t=" + std::to_string(kT) + ",v1=" + v1(kSecret, kT, kBody));
  EXPECT_EQ(netsuite_verifier().verify(stripe, kBody, at(kT)).error().code,
            VerifyErrc::missing_signature);

  const std::string sig = v1(kSecret, kT, kBody);
  for (const std::string& header : {std::string(""), std::string("garbage"), "v1=" + sig,
                                    "t=,v1=" + sig, "t=-5,v1=" + sig, "t=12x,v1=" + sig,
                                    "t=" + std::to_string(kT), "t=" + std::to_string(kT) + ",v1"}) {
    const auto r = netsuite_verifier().verify(signed_with(header), kBody, at(kT));
    ASSERT_FALSE(r.ok()) << header;
    EXPECT_TRUE(r.error().code == VerifyErrc::malformed_signature ||
                r.error().code == VerifyErrc::missing_signature)
        << header << ": " << to_string(r.error().code);
  }
}

TEST(RelayedIdentity, TakesIdTypeRecordIdAndOccurredAt) {
  const netsuite::InboundConnector ns("netsuite", "s", seconds(300));
  const auto id = ns.identify({}, kBody);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->event_id, "ns-evt-1");
  EXPECT_EQ(id->event_type, "customer.updated");
  EXPECT_EQ(id->business_key, "14");
  EXPECT_EQ(id->occurred_at_ms, 1717171717000);
  EXPECT_EQ(ns.type(), "netsuite");

  const salesforce::InboundConnector sf("crm", "s", seconds(300));
  const auto won = sf.identify({}, R"({"id":"a0B5g00000XyZ","type":"Opportunity.updated",
      "occurred_at":"2024-06-28T09:30:00.250Z","record_type":"Opportunity",
      "record_id":"0065g00000AbCdEAAZ","external_id":null,"changed_fields":["StageName","IsWon"],
      "record":{"Id":"0065g00000AbCdEAAZ","IsWon":true}})");
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_EQ(won->event_type, "Opportunity.updated");
  EXPECT_EQ(won->business_key, "0065g00000AbCdEAAZ");
  EXPECT_EQ(won->occurred_at_ms, 1719567000250);
  EXPECT_EQ(sf.type(), "salesforce");
  EXPECT_EQ(sf.name(), "crm");

  // An integer record id is the same id.
  const auto numeric = ns.identify({}, R"({"id":"e2","type":"invoice.created",
      "occurred_at":"2024-05-31T16:08:37Z","record_type":"invoice","record_id":104})");
  ASSERT_TRUE(numeric.ok()) << numeric.error().message;
  EXPECT_EQ(numeric->business_key, "104");
}

TEST(RelayedIdentity, RejectsMalformedAndIncompleteBodies) {
  const netsuite::InboundConnector c("netsuite", "s", seconds(300));
  constexpr const char* kRest =
      R"("occurred_at":"2024-05-31T16:08:37Z","record_type":"customer","record_id":"14")";
  const std::string ok_tail = std::string(",") + kRest + "}";
  const std::vector<std::pair<std::string, PayloadErrc>> cases{
      {"", PayloadErrc::malformed_json},
      {"{", PayloadErrc::malformed_json},
      {std::string(kBody).substr(0, 60), PayloadErrc::malformed_json},
      {std::string(kBody) + " trailing", PayloadErrc::malformed_json},
      {"[1,2]", PayloadErrc::wrong_type},
      {R"({"type":"customer.updated")" + ok_tail, PayloadErrc::missing_field},
      {R"({"id":"","type":"customer.updated")" + ok_tail, PayloadErrc::missing_field},
      {R"({"id":7,"type":"customer.updated")" + ok_tail, PayloadErrc::wrong_type},
      {R"({"id":"e","type":"customer")" + ok_tail, PayloadErrc::wrong_type},
      {R"({"id":"e","type":".updated")" + ok_tail, PayloadErrc::wrong_type},
      {R"({"id":"e","type":"customer.")" + ok_tail, PayloadErrc::wrong_type},
      {R"({"id":"e","occurred_at":"2024-05-31T16:08:37Z","record_type":"customer","record_id":"14"})",
       PayloadErrc::missing_field},
      {R"({"id":"e","type":"customer.updated","occurred_at":"2024-05-31T16:08:37Z","record_type":"customer"})",
       PayloadErrc::missing_field},
      {R"({"id":"e","type":"customer.updated","occurred_at":"2024-05-31T16:08:37Z","record_type":"customer","record_id":""})",
       PayloadErrc::missing_field},
      {R"({"id":"e","type":"customer.updated","occurred_at":"2024-05-31T16:08:37Z","record_type":"customer","record_id":{"id":"14"}})",
       PayloadErrc::missing_field},
      {R"({"id":"e","type":"customer.updated","occurred_at":"2024-05-31T16:08:37Z","record_id":"14"})",
       PayloadErrc::missing_field},
      {R"({"id":"e","type":"customer.updated","record_type":"customer","record_id":"14"})",
       PayloadErrc::missing_field},
      {R"({"id":"e","type":"customer.updated","occurred_at":"yesterday","record_type":"customer","record_id":"14"})",
       PayloadErrc::wrong_type},
      {R"({"id":"e","type":"customer.updated","occurred_at":1717171717,"record_type":"customer","record_id":"14"})",
       PayloadErrc::wrong_type},
  };
  for (const auto& [body, code] : cases) {
    const auto r = c.identify({}, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, code) << body << ": " << r.error().message;
  }
}

TEST(RelayedRegistry, NetSuiteAndSalesforceConnectorsGetWebhookEndpoints) {
  const auto parsed = config::parse(R"(connectors:
  erp:
    type: netsuite
    base_url: http://h
    account_id: "1234567"
    consumer_key: k
    consumer_secret: s
    token_id: t
    token_secret: u
    webhook_secret: ns_secret
    signature_tolerance_seconds: 60
  crm:
    type: salesforce
    base_url: http://h
    client_id: c
    client_secret: s
    webhook_secret: sf_secret
)",
                                    "test.yaml");
  ASSERT_TRUE(parsed) << config::format_errors(parsed.error());
  std::vector<std::string> skipped;
  const auto inbound = make_inbound_connectors(*parsed, &skipped);
  EXPECT_TRUE(skipped.empty());
  ASSERT_EQ(inbound.size(), 2u);
  EXPECT_EQ(inbound.at("erp")->type(), "netsuite");
  EXPECT_EQ(inbound.at("crm")->type(), "salesforce");

  // Each verifies with its own secret and tolerance.
  const auto header = [](std::string_view secret, std::int64_t t) {
    return signed_with("t=" + std::to_string(t) + ",v1=" + v1(secret, t, kBody));
  };
  EXPECT_TRUE(inbound.at("erp")->verifier().verify(header("ns_secret", kT), kBody, at(kT)).ok());
  EXPECT_FALSE(inbound.at("erp")->verifier().verify(header("sf_secret", kT), kBody, at(kT)).ok());
  EXPECT_TRUE(inbound.at("crm")->verifier().verify(header("sf_secret", kT), kBody, at(kT)).ok());
  EXPECT_EQ(inbound.at("erp")->verifier().verify(header("ns_secret", kT), kBody, at(kT + 61))
                .error()
                .code,
            VerifyErrc::stale_timestamp);
  EXPECT_TRUE(inbound.at("crm")->verifier().verify(header("sf_secret", kT), kBody, at(kT + 61)).ok());
}

}  // namespace
}  // namespace weft::connectors

namespace weft::connectors {
namespace {

// The id names the record version, whatever id or stamp form the relay used, so a relay and
// a backfill poll of the same version dedupe; a record without a stamp keeps the sent id.
TEST(RelayedIdentity, DerivesTheEventIdFromTheRecordVersion) {
  const netsuite::InboundConnector ns("netsuite", "s", std::chrono::seconds(300));
  const auto id_of = [&](const std::string& sent_id, const std::string& change, const nlohmann::json& record) {
    const nlohmann::json body{{"id", sent_id}, {"type", "customer." + change}, {"occurred_at", "2024-05-31T16:08:37Z"},
                              {"record_type", "customer"}, {"record_id", "14"}, {"record", record}};
    const auto identity = ns.identify({}, body.dump());
    EXPECT_TRUE(identity.ok()) << identity.error().message;
    return identity.ok() ? identity->event_id : std::string();
  };
  // NetSuite's stamp has whole seconds, so the id also carries the record's fingerprint
  // (its values but the stamp): "<type>:<id>:<stamp>:<16 hex>".
  const nlohmann::json held{{"lastModifiedDate", "2024-05-31T16:08:37Z"}, {"creditHoldOverride", {{"id", "ON"}}}};
  const std::string a = id_of("a", "updated", held);
  EXPECT_EQ(a, "customer:14:2024-05-31T16:08:37.000Z:" + record_fingerprint(held, "lastModifiedDate"));
  EXPECT_EQ(a.size(), std::string("customer:14:2024-05-31T16:08:37.000Z:").size() + 16);
  nlohmann::json other_form = held;
  other_form["lastModifiedDate"] = "2024-05-31T18:08:37.000+02:00";
  EXPECT_EQ(id_of("b", "updated", other_form), a) << "the same version in another ISO form";
  nlohmann::json with_name = held;
  with_name["creditHoldOverride"] = {{"id", "ON"}, {"refName", "On"}};
  EXPECT_EQ(id_of("b2", "updated", with_name), a) << "a reference is its id, with or without refName";
  // Two changes in one second: the second is not a duplicate of the first.
  nlohmann::json released = held;
  released["creditHoldOverride"] = {{"id", "OFF"}};
  EXPECT_NE(id_of("b3", "updated", released), a);
  EXPECT_EQ(id_of("c", "deleted", held), a + ":deleted");
  EXPECT_EQ(id_of("d", "updated", {{"lastModifiedDate", "last tuesday"}}), "d");
  EXPECT_EQ(id_of("e", "updated", nlohmann::json::object()), "e");
  const salesforce::InboundConnector sf("crm", "s", std::chrono::seconds(300));
  const auto account = sf.identify({}, R"({"type":"Account.updated","occurred_at":"2024-05-31T16:08:37Z",)"
                                       R"("record_type":"Account","record_id":"001A",)"
                                       R"("record":{"SystemModstamp":"2024-05-31T16:08:37.000+0000"}})");
  ASSERT_TRUE(account.ok()) << account.error().message;
  EXPECT_EQ(account->event_id, "Account:001A:2024-05-31T16:08:37.000Z");
}

}  // namespace
}  // namespace weft::connectors
