#pragma once
// A WebhookOutbox for emulator unit tests: keeps every webhook an emulator posts, in order,
// so a test can check what the platform would have sent (and verify its signature).

#include <vector>

#include "sandbox/platform_emulator.hpp"

namespace weft::test {

class RecordingOutbox final : public sandbox::WebhookOutbox {
 public:
  void post(sandbox::Webhook webhook) override { sent.push_back(std::move(webhook)); }
  std::vector<sandbox::Webhook> sent;
};

}  // namespace weft::test
