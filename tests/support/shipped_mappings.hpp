#pragma once
// The mappings and canonical schemas Weft ships (mappings/, schemas/canonical/), loaded once
// for the tests that run shipped mappings on realistic platform events and check that every
// event they make keeps its schema's contract.

#include <string>
#include <vector>

#include "canonical/event_schemas.hpp"
#include "mapping/mapping_set.hpp"

namespace weft::test {

// Throw std::runtime_error with every load error when the shipped files do not load.
const mapping::MappingSet& shipped_mappings();
const canonical::EventSchemas& shipped_schemas();

// Every violation of each event against its schema, and of the canonical record each event
// writes (the payload's top-level fields, as identity::record_update takes them, for each
// `record: true` entity it names) against its entity's schema; one per line ("<type> v<n>:
// <violation>" or "<type> v<n> record <kind>: <violation>"); empty when all are valid.
std::string schema_violations(const std::vector<mapping::CanonicalEvent>& events);

}  // namespace weft::test
