#include "sandbox/emulators.hpp"

namespace weft::sandbox {

std::vector<PlatformEmulatorPtr> make_emulators(const EmulatorContext& context) {
  std::vector<PlatformEmulatorPtr> emulators;
  (void)context;
  // One line per platform, e.g.
  //   emulators.push_back(std::make_unique<stripe::StripeEmulator>(context));
  return emulators;
}

}  // namespace weft::sandbox
