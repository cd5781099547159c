#include "core/url_encoding.hpp"

#include <gtest/gtest.h>

namespace weft::url {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRestInUpperHex) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("a b/c=d&e+f"), "a%20b%2Fc%3Dd%26e%2Bf");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
}

TEST(PercentDecode, DecodesEscapesAndPlusAndRejectsMalformed) {
  EXPECT_EQ(percent_decode("a%20b+c"), "a b c");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_EQ(percent_decode("%C3%a9"), "\xc3\xa9");
  EXPECT_FALSE(percent_decode("%"));
  EXPECT_FALSE(percent_decode("%4"));
  EXPECT_FALSE(percent_decode("%zz"));
}

TEST(Pairs, ParseAndJoinRoundTrip) {
  const auto pairs = parse_pairs("b=2&&a=x%20y&flag");
  ASSERT_TRUE(pairs);
  ASSERT_EQ(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_EQ((*pairs)[1], (std::pair<std::string, std::string>{"a", "x y"}));
  EXPECT_EQ((*pairs)[2], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(join_pairs(*pairs), "b=2&a=x%20y&flag=");
  EXPECT_FALSE(parse_pairs("a=%G1"));
}

TEST(FlattenForm, UsesStripeBracketNotation) {
  const auto json = nlohmann::json::parse(R"({
    "amount": 500, "currency": "usd", "paid": true, "memo": null,
    "metadata": {"order": "6735"},
    "items": [{"price": "price_1", "quantity": 2}],
    "expand": ["customer"], "clear": {}
  })");
  const std::string form = join_pairs(flatten_form(json));
  EXPECT_EQ(form,
            "amount=500&clear=&currency=usd&expand%5B0%5D=customer&items%5B0%5D%5Bprice%5D=price_1"
            "&items%5B0%5D%5Bquantity%5D=2&memo=&metadata%5Border%5D=6735&paid=true");
}

TEST(UnflattenForm, InvertsFlattenAndAcceptsEmptyBrackets) {
  const auto pairs = parse_pairs(
      "email=a%40b.c&metadata[k]=v&items[0][price]=p&items[0][quantity]=2&items[1][price]=q"
      "&expand[]=x&expand[]=y");
  ASSERT_TRUE(pairs);
  const auto json = unflatten_form(*pairs);
  ASSERT_TRUE(json);
  EXPECT_EQ(*json, nlohmann::json::parse(R"({
    "email": "a@b.c", "metadata": {"k": "v"},
    "items": [{"price": "p", "quantity": "2"}, {"price": "q"}], "expand": ["x", "y"]
  })"));
}

TEST(UnflattenForm, RefusesContradictionsHolesAndRepeats) {
  EXPECT_FALSE(unflatten_form({{"a", "1"}, {"a[b]", "2"}}));
  EXPECT_FALSE(unflatten_form({{"items[1]", "x"}}));
  EXPECT_FALSE(unflatten_form({{"a", "1"}, {"a", "2"}}));
  EXPECT_FALSE(unflatten_form({{"a[b", "1"}}));
  EXPECT_FALSE(unflatten_form({{"[b]", "1"}}));
}

}  // namespace
}  // namespace weft::url
