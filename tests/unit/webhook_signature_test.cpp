// Webhook signature schemes, checked against the platforms' documented test vectors
// (../shared/VENDORS.md §7) and the ways a forged or replayed webhook can look.
#include <gtest/gtest.h>

#include "connectors/stripe/stripe_webhook.hpp"
#include "connectors/zendesk/zendesk_webhook.hpp"

namespace weft {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

system_clock::time_point at(std::int64_t unix_seconds) {
  return system_clock::time_point(seconds(unix_seconds));
}

http::Headers stripe_header(std::string value) {
  http::Headers h;
  h.add("stripe-signature", std::move(value));  // case differs from Stripe's on purpose
  return h;
}

constexpr std::string_view kStripeSecret = "whsec_test_secret";
constexpr std::string_view kStripeBody = R"({"id":"evt_test","object":"event"})";
constexpr std::string_view kStripeV1 = "691252e266ce41cb94d709c84e9580d4172b117a510bbc81723f657d2cd5d215";
constexpr std::int64_t kStripeT = 1492774577;

TEST(StripeSignature, DocumentedVectorIsAccepted) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  auto r = v.verify(stripe_header("t=1492774577,v1=" + std::string(kStripeV1)), kStripeBody, at(kStripeT));
  EXPECT_TRUE(r.ok()) << r.error().message;
}

TEST(StripeSignature, SignProducesTheDocumentedHeader) {
  EXPECT_EQ(connectors::stripe::SignatureVerifier::sign(kStripeSecret, kStripeT, kStripeBody),
            "t=1492774577,v1=" + std::string(kStripeV1));
}

TEST(StripeSignature, TamperedBodyIsRejected) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  auto r = v.verify(stripe_header("t=1492774577,v1=" + std::string(kStripeV1)),
                    R"({"id":"evt_test","object":"evenT"})", at(kStripeT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, VerifyErrc::bad_signature);
}

TEST(StripeSignature, TamperedTimestampIsRejected) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  auto r = v.verify(stripe_header("t=1492774578,v1=" + std::string(kStripeV1)), kStripeBody, at(kStripeT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, VerifyErrc::bad_signature);
}

TEST(StripeSignature, WrongSecretIsRejected) {
  connectors::stripe::SignatureVerifier v("whsec_other", seconds(300));
  auto r = v.verify(stripe_header("t=1492774577,v1=" + std::string(kStripeV1)), kStripeBody, at(kStripeT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, VerifyErrc::bad_signature);
}

TEST(StripeSignature, StaleAndFutureTimestampsAreRejectedOutsideTolerance) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  const auto header = stripe_header("t=1492774577,v1=" + std::string(kStripeV1));
  EXPECT_TRUE(v.verify(header, kStripeBody, at(kStripeT + 300)).ok());
  EXPECT_TRUE(v.verify(header, kStripeBody, at(kStripeT - 300)).ok());
  auto late = v.verify(header, kStripeBody, at(kStripeT + 301));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, VerifyErrc::stale_timestamp);
  auto early = v.verify(header, kStripeBody, at(kStripeT - 301));
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, VerifyErrc::stale_timestamp);
}

TEST(StripeSignature, ZeroToleranceDisablesTheTimestampCheck) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(0));
  EXPECT_TRUE(v.verify(stripe_header("t=1492774577,v1=" + std::string(kStripeV1)), kStripeBody,
                       at(kStripeT + 86400 * 365)).ok());
}

TEST(StripeSignature, AnyOfSeveralV1ValuesMayMatch) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  const std::string other(64, 'a');
  EXPECT_TRUE(v.verify(stripe_header("t=1492774577,v1=" + other + ",v1=" + std::string(kStripeV1)),
                       kStripeBody, at(kStripeT)).ok());
  EXPECT_TRUE(v.verify(stripe_header("t=1492774577,v1=" + std::string(kStripeV1) + ",v1=" + other),
                       kStripeBody, at(kStripeT)).ok());
  EXPECT_FALSE(v.verify(stripe_header("t=1492774577,v1=" + other + ",v1=" + other), kStripeBody,
                        at(kStripeT)).ok());
}

TEST(StripeSignature, V0IsIgnoredSoItCannotDowngradeTheCheck) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  auto r = v.verify(stripe_header("t=1492774577,v0=" + std::string(kStripeV1)), kStripeBody, at(kStripeT));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, VerifyErrc::malformed_signature);
  // A v0 next to a valid v1 changes nothing.
  EXPECT_TRUE(v.verify(stripe_header("t=1492774577,v0=bad,v1=" + std::string(kStripeV1)), kStripeBody,
                       at(kStripeT)).ok());
}

TEST(StripeSignature, MissingAndMalformedHeaders) {
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  auto none = v.verify(http::Headers{}, kStripeBody, at(kStripeT));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, VerifyErrc::missing_signature);
  for (const char* bad : {"garbage", "t=,v1=abc", "v1=" "691252e2", "t=abc,v1=00", "t=-5,v1=00"}) {
    auto r = v.verify(stripe_header(bad), kStripeBody, at(kStripeT));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, VerifyErrc::malformed_signature) << bad;
  }
}

TEST(StripeSignature, UppercaseHexDoesNotMatch) {
  // Stripe sends lowercase; comparing bytes exactly keeps the check simple and constant-time.
  connectors::stripe::SignatureVerifier v(std::string(kStripeSecret), seconds(300));
  std::string upper(kStripeV1);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_FALSE(v.verify(stripe_header("t=1492774577,v1=" + upper), kStripeBody, at(kStripeT)).ok());
}

constexpr std::string_view kZendeskSecret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
constexpr std::string_view kZendeskTs = "2021-03-25T05:09:27Z";
constexpr std::string_view kZendeskBody = R"({"event":"ticket.updated","id":123})";
constexpr std::string_view kZendeskSig = "S/RDdU2ERmj7LHDDoWJ2onPYH+t7/f2+LTM4dL7UiLM=";
constexpr std::int64_t kZendeskUnix = 1616648967;  // 2021-03-25T05:09:27Z

http::Headers zendesk_headers(std::string_view sig, std::string_view ts) {
  http::Headers h;
  h.add("X-Zendesk-Webhook-Signature", std::string(sig));
  h.add("X-Zendesk-Webhook-Signature-Timestamp", std::string(ts));
  return h;
}

TEST(ZendeskSignature, DocumentedVectorIsAccepted) {
  connectors::zendesk::SignatureVerifier v(std::string(kZendeskSecret), seconds(300));
  auto r = v.verify(zendesk_headers(kZendeskSig, kZendeskTs), kZendeskBody, at(kZendeskUnix));
  EXPECT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(connectors::zendesk::SignatureVerifier::sign(kZendeskSecret, kZendeskTs, kZendeskBody),
            kZendeskSig);
}

TEST(ZendeskSignature, TamperedBodyOrTimestampIsRejected) {
  connectors::zendesk::SignatureVerifier v(std::string(kZendeskSecret), seconds(300));
  auto body = v.verify(zendesk_headers(kZendeskSig, kZendeskTs), R"({"event":"ticket.updated","id":124})",
                       at(kZendeskUnix));
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.error().code, VerifyErrc::bad_signature);
  auto ts = v.verify(zendesk_headers(kZendeskSig, "2021-03-25T05:09:28Z"), kZendeskBody, at(kZendeskUnix));
  ASSERT_FALSE(ts.ok());
  EXPECT_EQ(ts.error().code, VerifyErrc::bad_signature);
}

TEST(ZendeskSignature, StaleAndMissing) {
  connectors::zendesk::SignatureVerifier v(std::string(kZendeskSecret), seconds(300));
  auto stale = v.verify(zendesk_headers(kZendeskSig, kZendeskTs), kZendeskBody, at(kZendeskUnix + 301));
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, VerifyErrc::stale_timestamp);
  auto missing = v.verify(http::Headers{}, kZendeskBody, at(kZendeskUnix));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, VerifyErrc::missing_signature);
  auto bad_ts = v.verify(zendesk_headers(kZendeskSig, "yesterday"), kZendeskBody, at(kZendeskUnix));
  ASSERT_FALSE(bad_ts.ok());
  EXPECT_EQ(bad_ts.error().code, VerifyErrc::malformed_signature);
}

TEST(StripeIdentity, TakesIdTypeCreatedAndCustomerAsKey) {
  connectors::stripe::InboundConnector c("stripe", "whsec", seconds(300));
  auto id = c.identify({}, R"({"id":"evt_1","type":"invoice.created","created":1700000000,
      "data":{"object":{"id":"in_1","object":"invoice","customer":"cus_9"}}})");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->event_id, "evt_1");
  EXPECT_EQ(id->event_type, "invoice.created");
  EXPECT_EQ(id->occurred_at_ms, 1700000000000);
  EXPECT_EQ(id->business_key, "cus_9");
  auto customer = c.identify({}, R"({"id":"evt_2","type":"customer.updated",
      "data":{"object":{"id":"cus_9","object":"customer"}}})");
  ASSERT_TRUE(customer.ok());
  EXPECT_EQ(customer->business_key, "cus_9");
}

TEST(StripeIdentity, RejectsMalformedAndIncompleteEvents) {
  connectors::stripe::InboundConnector c("stripe", "whsec", seconds(300));
  struct Case {
    const char* body;
    PayloadErrc code;
  };
  for (const Case& k : {Case{"{", PayloadErrc::malformed_json},
                        Case{R"({"id":"evt_1","type":"x"} trailing)", PayloadErrc::malformed_json},
                        Case{"[1,2]", PayloadErrc::wrong_type},
                        Case{R"({"type":"x"})", PayloadErrc::missing_field},
                        Case{R"({"id":"","type":"x"})", PayloadErrc::missing_field},
                        Case{R"({"id":7,"type":"x"})", PayloadErrc::wrong_type},
                        Case{"", PayloadErrc::malformed_json}}) {
    auto r = c.identify({}, k.body);
    ASSERT_FALSE(r.ok()) << k.body;
    EXPECT_EQ(r.error().code, k.code) << k.body << ": " << r.error().message;
  }
}

TEST(ZendeskIdentity, StripsTheTypePrefixAndKeysBySubject) {
  connectors::zendesk::InboundConnector c("zendesk", "s", seconds(300));
  auto id = c.identify({}, R"({"type":"zen:event-type:ticket.status_changed","account_id":1,
      "id":"2b24ef10-aaaa","time":"2099-07-04T05:33:18Z","subject":"zen:ticket:35436",
      "detail":{"id":"35436"}})");
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->event_type, "ticket.status_changed");
  EXPECT_EQ(id->event_id, "2b24ef10-aaaa");
  EXPECT_EQ(id->business_key, "zen:ticket:35436");
  EXPECT_EQ(id->occurred_at_ms, 4086826398000);
}

}  // namespace
}  // namespace weft
