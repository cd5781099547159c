#include "sandbox/emulators.hpp"

#include "sandbox/stripe/stripe_emulator.hpp"

namespace weft::sandbox {

std::vector<PlatformEmulatorPtr> make_emulators(const EmulatorContext& context) {
  std::vector<PlatformEmulatorPtr> emulators;
  // One line per platform.
  emulators.push_back(std::make_unique<stripe::StripeEmulator>(context));
  return emulators;
}

}  // namespace weft::sandbox
