#include <iostream>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "core/time_format.hpp"
#include "weft/workflow_store.hpp"

namespace weft::cli {

// Marks the chosen raw events unprocessed, so that the event pipeline maps and triggers them
// again. Idempotent by construction: routing gives the same canonical event, instance and
// exception ids as the first time, which the store keeps once. A running hub picks the events
// up at its next poll; a stopped one at its next start.
int run_replay(const ReplayOptions& options) {
  auto loaded = config::load(options.config_path);
  if (!loaded) {
    for (const auto& error : loaded.error()) std::cerr << error.to_string() << '\n';
    return 1;
  }
  RawEventQuery query;
  if (!options.connector.empty()) {
    if (loaded->connectors.count(options.connector) == 0) {
      std::cerr << "weft replay: --connector " << options.connector << " is not a connector in "
                << options.config_path << '\n';
      return 2;
    }
    query.connector = options.connector;
  }
  if (!options.type.empty()) query.event_type = options.type;
  if (!options.key.empty()) query.business_key = options.key;
  for (const auto& [text, field, name] : {std::tuple{&options.from, &query.received_from_ms, "--from"},
                                          std::tuple{&options.to, &query.received_to_ms, "--to"}}) {
    if (text->empty()) continue;
    auto ms = parse_operator_time_ms(*text);
    if (!ms) {
      std::cerr << "weft replay: " << name << " '" << *text
                << "' is not a time (" << kOperatorTimeFormats << ")\n";
      return 2;
    }
    *field = *ms;
  }
  if (!query.connector && !query.event_type && !query.business_key && !query.received_from_ms &&
      !query.received_to_ms && !options.all) {
    std::cerr << "weft replay: choose events with --connector, --type, --key, --from or --to "
                 "(or --all to replay the whole log)\n";
    return 2;
  }

  auto storage = open_storage(loaded->storage.url);
  if (!storage) {
    std::cerr << "weft replay: cannot open storage " << config::redact_storage_url(loaded->storage.url) << ": "
              << storage.error().message << '\n';
    return 1;
  }
  if (options.dry_run) {
    std::int64_t count = 0;
    query.limit = 1000;
    for (;;) {
      auto page = storage->events->query_raw_events(query);
      if (!page) {
        std::cerr << "weft replay: " << page.error().message << '\n';
        return 1;
      }
      count += static_cast<std::int64_t>(page->size());
      if (page->size() < 1000) break;
      query.after_seq = page->back().seq;
    }
    std::cout << count << " raw events match; nothing changed (--dry-run)\n";
    return 0;
  }
  auto reset = storage->workflows->reset_processed(query);
  if (!reset) {
    std::cerr << "weft replay: " << reset.error().message << '\n';
    return 1;
  }
  std::cout << *reset << " raw events will be mapped and triggered again; a running hub routes them within "
               "seconds, a stopped one when it next starts\n";
  return 0;
}

}  // namespace weft::cli
