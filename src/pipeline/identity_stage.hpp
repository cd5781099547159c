#pragma once
// IdentityStage: gives each canonical event the canonical ids of the entities it names (its
// schema's "x-weft-identity", canonical/event_schemas.hpp), by identity resolution
// (identity/resolver.hpp), and plans the canonical record updates it carries.
//
// Nothing is written here: every decision goes into the batch's IdentityWrites, which later
// events of the same batch see and which the pipeline commits in the same transaction that
// marks the raw events processed (docs/identity.md). A record that resolves to a possible
// duplicate is a problem for a person: the router opens an exception and keeps nothing of the
// raw event, which routes again once the person has answered (and the event is replayed).
//
// Threads: immutable; one batch's IdentityWrites is used by one thread.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "canonical/event_schemas.hpp"
#include "identity/resolver.hpp"
#include "mapping/canonical_event.hpp"

namespace weft::pipeline {

struct IdentityProblem {
  std::string reason;
  nlohmann::json context;  // the entity kind, the platform record, the candidates
};

class IdentityStage {
 public:
  IdentityStage(std::shared_ptr<const identity::Resolver> resolver,
                std::shared_ptr<const canonical::EventSchemas> schemas)
      : resolver_(std::move(resolver)), schemas_(std::move(schemas)) {}

  // Fills `event.canonical_ids`; a possible duplicate is a problem (and nothing of it is
  // planned); a storage error fails the batch. `raw_seq`: the raw event the event was mapped
  // from, whose place in the log leads the ids of the entities it creates.
  StoreResult<std::optional<IdentityProblem>> resolve(mapping::CanonicalEvent& event, std::int64_t raw_seq,
                                                      IdentityWrites& pending, std::int64_t now_ms) const;

 private:
  std::shared_ptr<const identity::Resolver> resolver_;
  std::shared_ptr<const canonical::EventSchemas> schemas_;
};

}  // namespace weft::pipeline
