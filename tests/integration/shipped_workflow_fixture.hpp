#pragma once
// The gtest fixture of the shipped-workflow tests: a ShippedWorkflowHub started for each test,
// whose files are kept and logs printed when the test fails.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "support/process.hpp"
#include "support/shipped_workflow_hub.hpp"

namespace weft::test {

class ShippedWorkflowTest : public ::testing::Test {
 protected:
  explicit ShippedWorkflowTest(const std::string& name) : hub_(weft_binary(), name) {}
  void SetUp() override { ASSERT_NO_THROW(hub_.start()); }
  void TearDown() override {
    if (HasFailure()) {
      hub_.keep_files();
      std::fprintf(stderr, "%s\n", hub_.logs().c_str());
    }
  }

  ShippedWorkflowHub hub_;
};

}  // namespace weft::test
