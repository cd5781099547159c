#include "sandbox/emulators.hpp"

#include "sandbox/netsuite/netsuite_emulator.hpp"
#include "sandbox/salesforce/salesforce_emulator.hpp"
#include "sandbox/stripe/stripe_emulator.hpp"
#include "sandbox/zendesk/zendesk_emulator.hpp"

namespace weft::sandbox {

std::vector<PlatformEmulatorPtr> make_emulators(const EmulatorContext& context) {
  std::vector<PlatformEmulatorPtr> emulators;
  // One line per platform.
  emulators.push_back(std::make_unique<stripe::StripeEmulator>(context));
  emulators.push_back(std::make_unique<zendesk::ZendeskEmulator>(context));
  emulators.push_back(std::make_unique<netsuite::NetSuiteEmulator>(context));
  emulators.push_back(std::make_unique<salesforce::SalesforceEmulator>(context));
  return emulators;
}

}  // namespace weft::sandbox
