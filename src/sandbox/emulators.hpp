#pragma once
// The list of platform emulators `weft sandbox` hosts. One line per platform in
// emulators.cpp; everything else about a platform lives in its own folder.

#include <vector>

#include "sandbox/platform_emulator.hpp"

namespace weft::sandbox {

// Every emulator, built on `context` (which must outlive them).
std::vector<PlatformEmulatorPtr> make_emulators(const EmulatorContext& context);

}  // namespace weft::sandbox
