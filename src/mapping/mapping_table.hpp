#pragma once
// The compiled mapping entries, as the loader builds them and MappingSet reads them.
// Internal to src/mapping.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mapping/jq_program.hpp"

namespace weft::mapping {

struct Mapping {
  std::string event;                         // as written: exact, "prefix.*" or "*"
  std::shared_ptr<const JqProgram> program;  // shared by the events of one entry
  int line = 0;                              // of its `jq:` key
};

struct PlatformMappings {
  std::string platform;
  std::string file;
  int platform_line = 0;
  int version = 0;
  std::vector<Mapping> mappings;

  // An exact match, else the longest matching "prefix.*", else "*"; nullptr when none.
  const Mapping* find(std::string_view event_type) const {
    const Mapping* best_glob = nullptr;
    const Mapping* catch_all = nullptr;
    for (const Mapping& mapping : mappings) {
      const std::string_view pattern = mapping.event;
      if (pattern == event_type) return &mapping;
      if (pattern == "*") {
        catch_all = &mapping;
      } else if (pattern.ends_with(".*")) {
        const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the '.'
        if (event_type.starts_with(prefix) &&
            (best_glob == nullptr || pattern.size() > best_glob->event.size())) {
          best_glob = &mapping;
        }
      }
    }
    return best_glob != nullptr ? best_glob : catch_all;
  }
};

struct MappingTable {
  std::map<std::string, PlatformMappings, std::less<>> platforms;  // by connector type
};

}  // namespace weft::mapping
