// NetSuite TBA (OAuth 1.0a, HMAC-SHA256) signing, checked against the test vector of
// ../shared/VENDORS.md §7 and against the ways a header can be malformed.
#include <gtest/gtest.h>

#include "connectors/netsuite/oauth1.hpp"

namespace weft::connectors::netsuite {
namespace {

constexpr std::string_view kUrl =
    "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer"
    "?limit=5&q=companyName%20CONTAIN%20Acme";
constexpr std::string_view kBase =
    "GET&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%"
    "2Fcustomer&limit%3D5%26oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdef123456%26oauth_"
    "signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk%26oauth_"
    "version%3D1.0%26q%3DcompanyName%2520CONTAIN%2520Acme";
constexpr std::string_view kSignature = "olZQHszT2ATzkVaU3JU/PIo7SsqZ5FHEhqGZTkMshn4=";

OAuth1Params vector_params() {
  OAuth1Params p;
  p.consumer_key = "ck";
  p.token = "tk";
  p.nonce = "abcdef123456";
  p.timestamp = "1700000000";
  return p;
}

TEST(NetSuiteOAuth1, BaseStringMatchesTheVector) {
  EXPECT_EQ(signature_base_string("GET", kUrl, vector_params()), kBase);
}

TEST(NetSuiteOAuth1, SignatureMatchesTheVector) {
  EXPECT_EQ(signature(kBase, "cs", "ts"), kSignature);
}

TEST(NetSuiteOAuth1, MethodIsUpperCasedAndSchemeHostLowerCasedAndDefaultPortDropped) {
  const std::string mixed = signature_base_string(
      "get",
      "HTTPS://1234567-SB1.suitetalk.api.netsuite.com:443/services/rest/record/v1/customer"
      "?q=companyName%20CONTAIN%20Acme&limit=5#fragment",
      vector_params());
  EXPECT_EQ(mixed, kBase);  // query order does not matter either: parameters are sorted
}

TEST(NetSuiteOAuth1, NonDefaultPortAndPathCaseAreKept) {
  const std::string base = signature_base_string(
      "POST", "http://127.0.0.1:7171/services/rest/query/v1/SuiteQL", vector_params());
  EXPECT_TRUE(base.starts_with("POST&http%3A%2F%2F127.0.0.1%3A7171%2Fservices%2Frest%2Fquery%2Fv1%2FSuiteQL&"))
      << base;
}

TEST(NetSuiteOAuth1, PlusInTheQueryIsASpaceAndRepeatedNamesSortByValue) {
  const std::string base = signature_base_string(
      "GET", "https://h.example/p?b=2&a=z&a=y&c=x+y", vector_params());
  EXPECT_TRUE(base.starts_with("GET&https%3A%2F%2Fh.example%2Fp&a%3Dy%26a%3Dz%26b%3D2%26c%3Dx%2520y%26oauth_"))
      << base;
}

TEST(NetSuiteOAuth1, SecretsArePercentEncodedInTheKey) {
  // A secret with reserved characters signs differently from its raw form joined by '&'.
  EXPECT_NE(signature(kBase, "c&s", "t"), signature(kBase, "c", "s&t"));
}

TEST(NetSuiteOAuth1, HeaderCarriesThePercentEncodedSignature) {
  const std::string header = authorization_header("1234567_SB1", vector_params(), kSignature);
  EXPECT_EQ(header,
            "OAuth realm=\"1234567_SB1\", oauth_consumer_key=\"ck\", oauth_token=\"tk\", "
            "oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"1700000000\", "
            "oauth_nonce=\"abcdef123456\", oauth_version=\"1.0\", "
            "oauth_signature=\"olZQHszT2ATzkVaU3JU%2FPIo7SsqZ5FHEhqGZTkMshn4%3D\"");
}

TEST(NetSuiteOAuth1, HeaderParsesBackToItsDecodedParameters) {
  OAuth1Params p = vector_params();
  p.consumer_key = "key with space/and+plus";
  const auto parsed = parse_authorization_header(authorization_header("1234567_SB1", p, kSignature));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->size(), 8u);
  EXPECT_EQ(parsed->at("realm"), "1234567_SB1");
  EXPECT_EQ(parsed->at("oauth_consumer_key"), "key with space/and+plus");
  EXPECT_EQ(parsed->at("oauth_token"), "tk");
  EXPECT_EQ(parsed->at("oauth_signature_method"), "HMAC-SHA256");
  EXPECT_EQ(parsed->at("oauth_timestamp"), "1700000000");
  EXPECT_EQ(parsed->at("oauth_nonce"), "abcdef123456");
  EXPECT_EQ(parsed->at("oauth_version"), "1.0");
  EXPECT_EQ(parsed->at("oauth_signature"), kSignature);
}

TEST(NetSuiteOAuth1, ParsedHeaderVerifiesAgainstARecomputedSignature) {
  // What the sandbox does: rebuild the parameters from the header and re-sign.
  const auto parsed = parse_authorization_header(
      authorization_header("1234567_SB1", vector_params(), signature(kBase, "cs", "ts")));
  ASSERT_TRUE(parsed.has_value());
  OAuth1Params p;
  p.consumer_key = parsed->at("oauth_consumer_key");
  p.token = parsed->at("oauth_token");
  p.nonce = parsed->at("oauth_nonce");
  p.timestamp = parsed->at("oauth_timestamp");
  p.signature_method = parsed->at("oauth_signature_method");
  p.version = parsed->at("oauth_version");
  EXPECT_EQ(signature(signature_base_string("GET", kUrl, p), "cs", "ts"),
            parsed->at("oauth_signature"));
}

TEST(NetSuiteOAuth1, ParserToleratesSchemeCaseAndSpacing) {
  const auto parsed = parse_authorization_header("  oauth realm = \"A\" ,oauth_token=\"t\"");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->at("realm"), "A");
  EXPECT_EQ(parsed->at("oauth_token"), "t");
}

TEST(NetSuiteOAuth1, MalformedHeadersAreRejected) {
  for (std::string_view bad : {
           "",
           "OAuth",
           "OAuth ",
           "Bearer abc",
           "OAuthrealm=\"A\"",
           "OAuth realm=A",
           "OAuth realm=\"A",
           "OAuth realm=\"A\" oauth_token=\"t\"",
           "OAuth realm=\"A\",",
           "OAuth =\"A\"",
           "OAuth realm",
           "OAuth realm=\"%zz\"",
           "OAuth realm=\"%4\"",
           "OAuth realm=\"A\", realm=\"B\"",
           "OAuth realm=\"A\",, oauth_token=\"t\"",
       }) {
    EXPECT_FALSE(parse_authorization_header(bad).has_value()) << "accepted: " << bad;
  }
}

}  // namespace
}  // namespace weft::connectors::netsuite
