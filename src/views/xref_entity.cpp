#include "views/xref_entity.hpp"

namespace weft::views {

using nlohmann::json;

namespace {

json record_json(const CanonicalRecord& record) {
  json fields = json::object();
  for (const auto& [name, state] : record.fields) {
    fields[name] = {{"value", or_null(field_value(record, name))},
                    {"connector", state.connector},
                    {"event_id", state.event_id},
                    {"as_of", rfc3339(state.platform_time_ms)},
                    {"platform_seq", state.platform_seq}};
  }
  return {{"updated_at", rfc3339(record.updated_at_ms)}, {"fields", std::move(fields)}};
}

}  // namespace

ViewResult<json> xref_entity(IdentityStore& store, std::string_view kind,
                             std::string_view reference) {
  auto entity = resolve_reference(store, kind, reference);
  if (!entity) return fail(std::move(entity).error());
  const std::string& id = entity->id;

  auto links = store.links_of(id);
  if (!links) return fail(storage_error(links.error(), "list the links of " + id));
  json links_out = json::array();
  for (const IdentityLink& link : *links) {
    links_out.push_back({{"connector", link.connector},
                         {"platform_id", link.platform_id},
                         {"matched_by", link.matched_by},
                         {"linked_at", rfc3339(link.linked_at_ms)}});
  }

  auto merges = store.merges_of(id);
  if (!merges) return fail(storage_error(merges.error(), "list the merges of " + id));
  json merges_out = json::array();
  for (const MergeRecord& merge : *merges) {
    merges_out.push_back({{"id", merge.id},
                          {"from", merge.from_id},
                          {"into", merge.into_id},
                          {"by", merge.by},
                          {"reason", merge.reason},
                          {"at", rfc3339(merge.at_ms)},
                          {"links_moved", merge.links_moved}});
  }

  auto relations = store.relations_of(id);
  if (!relations) return fail(storage_error(relations.error(), "list the relations of " + id));
  json relations_out = json::array();
  for (const IdentityRelation& relation : *relations) {
    relations_out.push_back({{"kind", relation.related_kind},
                             {"id", relation.related_id},
                             {"connector", relation.connector},
                             {"event_id", relation.event_id},
                             {"as_of", rfc3339(relation.platform_time_ms)}});
  }

  auto record = store.load_record(id);
  if (!record) return fail(storage_error(record.error(), "load " + id));

  // A canonical id merged away resolves to the survivor: say which id was asked for. (A
  // platform id always names a live entity: links move with merges.)
  const bool merged_away = reference.find(':') == std::string_view::npos && reference != id;
  return json{{"id", id},
              {"kind", entity->kind},
              {"created_at", rfc3339(entity->created_at_ms)},
              {"requested_id", merged_away ? json(reference) : json()},
              {"links", std::move(links_out)},
              {"merges", std::move(merges_out)},
              {"relations", std::move(relations_out)},
              {"record", *record ? record_json(**record) : json()}};
}

}  // namespace weft::views
