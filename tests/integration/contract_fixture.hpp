#pragma once
// The gtest side of the connector contract tests (tests/support/connector_contract.hpp has
// none): the fixture base that starts the sandbox and shows its log when a test failed, and
// the fault scenarios every platform must answer the same way.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "support/connector_contract.hpp"

namespace weft::test {

class ContractTest : public ::testing::Test, protected ConnectorContract {
 protected:
  ContractTest(std::string type, Settings settings)
      : ConnectorContract(weft_binary(), std::move(type), std::move(settings)) {}
  void SetUp() override { start(); }
  void TearDown() override {
    if (HasFailure()) print_sandbox_log();
  }

  // `action` on a record that does not exist: a validation failure, 404 with this code.
  void expect_not_found(const std::string& action, const nlohmann::json& input,
                        const std::string& platform_code) {
    const delivery::Failure missing = failed(call(action, input));
    EXPECT_EQ(missing.cls, delivery::FailureClass::validation) << missing.message;
    EXPECT_EQ(missing.http_status, 404);
    EXPECT_EQ(missing.platform_code, platform_code) << missing.message;
  }

  // `action` with `wrong` credentials: an auth failure whose message never shows `secret`
  // (returned for the platform's own details).
  delivery::Failure expect_auth_failure(const Settings& wrong, const std::string& secret,
                                        const std::string& action, const nlohmann::json& input) {
    auto invoker = invoker_with(wrong);
    const delivery::Failure f = failed(call_with(*invoker, action, input));
    EXPECT_EQ(f.cls, delivery::FailureClass::auth) << f.message;
    EXPECT_EQ(f.message.find(secret), std::string::npos) << f.message;
    return f;
  }

  // `action` while the platform answers every request 429 with Retry-After: is rate_limited
  // and carries the wait; during an outage it is transient; once the faults are cleared it
  // works again.
  void expect_rate_limit_outage_and_recovery(const std::string& action, const nlohmann::json& input,
                                             int retry_after_seconds) {
    faults({{type(),
             {{"rate_limit", {{"rate", 1.0}, {"retry_after_seconds", retry_after_seconds}}}}}});
    const delivery::Failure limited = failed(call(action, input));
    EXPECT_EQ(limited.cls, delivery::FailureClass::rate_limited) << limited.message;
    EXPECT_EQ(limited.http_status, 429);
    ASSERT_TRUE(limited.retry_after.has_value()) << limited.message;
    EXPECT_EQ(limited.retry_after->count(), retry_after_seconds * 1000);

    renew_invoker();  // the first one holds the connector's calls for the Retry-After
    faults({{type(), {{"outage", true}}}});
    const delivery::Failure down = failed(call(action, input));
    EXPECT_EQ(down.cls, delivery::FailureClass::transient) << down.message;
    EXPECT_EQ(down.http_status, 503);

    clear_faults();
    ok(call(action, input));
  }

  // The first attempt of a write whose effect the platform applies before failing to answer
  // (a 500 after the effect): a failure the step retries. The faults are cleared after it, so
  // the test's retry goes through.
  void expect_retryable_error_after_effect(const std::string& action, const nlohmann::json& input,
                                           const std::string& key = "") {
    faults({{type(), {{"error_after_effect", true}, {"error_rate", 1.0}, {"status", 500}}}});
    const delivery::Failure f = failed(call(action, input, key));
    EXPECT_TRUE(delivery::default_handling(f.cls).retryable) << delivery::to_string(f.cls);
    clear_faults();
  }
};

}  // namespace weft::test
