// The identity: section of the config: defaults, every setting, and errors as file:line.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.hpp"

namespace weft::config {
namespace {

std::vector<ConfigError> errors_of(const std::string& yaml) {
  auto result = parse(yaml, "weft.yaml");
  if (result.ok()) return {};
  return result.error();
}

TEST(IdentityConfig, DefaultsSuitTheDemo) {
  auto loaded = parse("hub: {}\n", "weft.yaml");
  ASSERT_TRUE(loaded.ok());
  const IdentityConfig& identity = loaded->identity;
  EXPECT_EQ(identity.rules, (std::vector<std::string>{"external_id", "tax_id", "email_domain", "name"}));
  EXPECT_DOUBLE_EQ(identity.name_threshold, 0.92);
  EXPECT_DOUBLE_EQ(identity.possible_duplicate, 0.85);
  EXPECT_FALSE(identity.free_mail_domains.has_value());
}

TEST(IdentityConfig, EverySettingIsRead) {
  auto loaded = parse(R"(identity:
  rules: [name, external_id]
  name_threshold: 0.9
  possible_duplicate: 0.7
  free_mail_domains:
    - Mail.Example
    - gmail.com
)",
                      "weft.yaml");
  ASSERT_TRUE(loaded.ok()) << format_errors(loaded.error());
  const IdentityConfig& identity = loaded->identity;
  EXPECT_EQ(identity.rules, (std::vector<std::string>{"name", "external_id"}));
  EXPECT_DOUBLE_EQ(identity.name_threshold, 0.9);
  EXPECT_DOUBLE_EQ(identity.possible_duplicate, 0.7);
  EXPECT_EQ(identity.free_mail_domains, (std::vector<std::string>{"mail.example", "gmail.com"}));
  EXPECT_EQ(identity.where.line, 1);
}

TEST(IdentityConfig, AnEmptyRuleListLinksByPlatformIdOnly) {
  auto loaded = parse("identity:\n  rules: []\n", "weft.yaml");
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->identity.rules.empty());
}

TEST(IdentityConfig, MistakesAreReportedAtTheirLine) {
  const auto errors = errors_of(R"(identity:
  rules:
    - external_id
    - emial_domain
    - external_id
  name_threshold: 1.5
  free_mail_domains: [gmail.com, "not a domain"]
  rule: name
)");
  ASSERT_EQ(errors.size(), 5u) << format_errors(errors);
  EXPECT_EQ(errors[0].to_string(),
            "weft.yaml:4: identity.rules[1] must be one of external_id, email_domain, tax_id, name "
            "(got 'emial_domain'; did you mean 'email_domain'?)");
  EXPECT_EQ(errors[1].to_string(), "weft.yaml:5: identity.rules[2] repeats 'external_id'");
  EXPECT_EQ(errors[2].where.line, 6);
  EXPECT_NE(errors[2].message.find("identity.name_threshold must be a number from 0 to 1"), std::string::npos);
  EXPECT_EQ(errors[3].where.line, 7);
  EXPECT_NE(errors[3].message.find("identity.free_mail_domains[1] must be an email domain"), std::string::npos);
  EXPECT_EQ(errors[4].where.line, 8);
  EXPECT_NE(errors[4].message.find("unknown key 'rule' in identity"), std::string::npos) << errors[4].message;
}

TEST(IdentityConfig, TheDuplicateBandMustLieBelowTheThreshold) {
  const auto errors = errors_of("identity:\n  name_threshold: 0.8\n  possible_duplicate: 0.9\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].where.line, 3);
  EXPECT_NE(errors[0].message.find("must not exceed identity.name_threshold"), std::string::npos);
}

TEST(IdentityConfig, ListsMustBeLists) {
  const auto errors = errors_of("identity:\n  rules: name\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(), "weft.yaml:2: identity.rules must be a list (got 'name')");
}

}  // namespace
}  // namespace weft::config
