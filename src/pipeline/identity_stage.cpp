#include "pipeline/identity_stage.hpp"

#include "identity/record_update.hpp"

namespace weft::pipeline {

using nlohmann::json;

namespace {

// The text of the payload value at `pointer`: a string as is, an integer as digits; empty for
// anything else (null, absent), which names nothing.
std::string text_at(const json& payload, const std::string& pointer) {
  if (pointer.empty()) return {};
  const json::json_pointer at(pointer);
  if (!payload.contains(at)) return {};
  const json& value = payload.at(at);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  return {};
}

}  // namespace

StoreResult<std::optional<IdentityProblem>> IdentityStage::resolve(mapping::CanonicalEvent& event,
                                                                   std::int64_t raw_seq, IdentityWrites& pending,
                                                                   std::int64_t now_ms) const {
  struct Named {
    std::string kind, id;
    bool record;
  };
  std::vector<Named> named;  // the entities resolved, in the schema's order
  for (const canonical::EntityRole& role : schemas_->roles(event.type, event.schema_version)) {
    identity::PlatformRecord record;
    record.connector = event.source_connector;
    record.log_position = raw_seq;
    record.platform_id = text_at(event.payload, role.platform_id);
    if (record.platform_id.empty()) continue;  // the event names no such entity
    record.external_id = text_at(event.payload, role.external_id);
    record.email = text_at(event.payload, role.email);
    record.tax_id = text_at(event.payload, role.tax_id);
    record.name = text_at(event.payload, role.name);

    auto resolution = resolver_->resolve(role.kind, record, pending, now_ms);
    if (!resolution) return fail(std::move(resolution).error());
    if (resolution->outcome == identity::Outcome::possible_duplicate) {
      json candidates = json::array();
      for (const auto& c : resolution->candidates) {
        candidates.push_back({{"canonical_id", c.canonical_id}, {"rule", c.rule}, {"score", c.score}});
      }
      return std::optional<IdentityProblem>(IdentityProblem{
          "possible duplicate " + role.kind + " (" + record.connector + " " + record.platform_id +
              "): " + resolution->reason,
          {{"kind", role.kind},
           {"record",
            {{"connector", record.connector},
             {"platform_id", record.platform_id},
             {"external_id", record.external_id},
             {"email", record.email},
             {"tax_id", record.tax_id},
             {"name", record.name}}},
           {"candidates", std::move(candidates)}}});
    }
    event.canonical_ids[role.kind] = resolution->canonical_id;
    if (role.record) pending.updates.push_back(identity::record_update(event, role.kind, resolution->canonical_id, event.platform_seq));
    named.push_back(Named{role.kind, resolution->canonical_id, role.record});
  }
  // The entity the event is about belongs to the others it names (a case to its customer),
  // as of this event: the account status finds a customer's cases and invoices by it.
  for (const Named& entity : named) {
    if (!entity.record) continue;
    for (const Named& other : named) {
      if (other.kind == entity.kind) continue;
      pending.relations.push_back(IdentityRelation{entity.id, entity.kind, other.kind, other.id,
                                                   event.source_connector, event.id, event.occurred_at_ms,
                                                   event.platform_seq});
    }
  }
  return std::optional<IdentityProblem>();
}

}  // namespace weft::pipeline
