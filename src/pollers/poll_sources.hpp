#pragma once
// The poll sources the config asks for: one per connector with poll_interval_seconds > 0,
// by platform type. A type that has no poll source yet is named in `unsupported` (the hub
// logs it) rather than refused, so a config stays valid as sources are added.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "pollers/poller.hpp"

namespace weft::pollers {

std::vector<PollerEntry> make_poll_entries(const config::Config& config,
                                           std::vector<std::string>* unsupported);

}  // namespace weft::pollers
