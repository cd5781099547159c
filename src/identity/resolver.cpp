#include "identity/resolver.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/ordered_id.hpp"
#include "identity/normalise.hpp"
#include "identity/similarity.hpp"

namespace weft::identity {

namespace {

constexpr std::string_view kName = "name";
constexpr std::string_view kExternalId = "external_id";
constexpr std::string_view kTaxId = "tax_id";

std::string text(double score) {
  std::string s = std::to_string(score);
  return s.substr(0, s.find('.') + 3);
}

bool by_score(const Candidate& a, const Candidate& b) {
  if (a.score != b.score) return a.score > b.score;
  return a.canonical_id < b.canonical_id;
}

}  // namespace

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::linked: return "linked";
    case Outcome::matched: return "matched";
    case Outcome::created: return "created";
    case Outcome::possible_duplicate: return "possible_duplicate";
  }
  return "unknown";
}

Resolver::Resolver(IdentityStore& store, const config::IdentityConfig& config)
    : store_(store),
      rules_(config.rules),
      name_threshold_(config.name_threshold),
      possible_duplicate_(config.possible_duplicate) {
  const auto& known = config::identity_rules();
  for (const std::string& rule : rules_) {
    if (std::find(known.begin(), known.end(), rule) == known.end()) {
      throw std::invalid_argument("unknown identity rule '" + rule + "'");
    }
  }
  if (config.free_mail_domains) {
    free_mail_.insert(config.free_mail_domains->begin(), config.free_mail_domains->end());
  } else {
    free_mail_ = default_free_mail_domains();
  }
}

std::string Resolver::canonical_id(std::string_view kind, std::string_view connector, std::string_view platform_id,
                                   std::int64_t log_position) {
  // 12 hex digits of the log's position, then 48 bits of hash, which tell apart the entities
  // one raw event creates: as long as the all-hash ids of before.
  return ordered_id(std::string(kind) + "_", log_position, {kind, connector, platform_id});
}

// The record's normalised attributes, as keys of `canonical_id`.
std::vector<IdentityKey> Resolver::keys_of(std::string_view kind, const PlatformRecord& record,
                                           std::string_view canonical_id) const {
  std::vector<IdentityKey> keys;
  const auto add = [&](std::string_view attribute, const std::string& block, const std::string& value) {
    keys.push_back(IdentityKey{std::string(kind), std::string(attribute), block, value, std::string(canonical_id)});
  };
  if (!record.external_id.empty()) add("external_id", record.external_id, record.external_id);
  if (auto domain = email_domain(record.email, free_mail_)) add("email_domain", *domain, *domain);
  if (const std::string tax = tax_id(record.tax_id); !tax.empty()) add("tax_id", tax, tax);
  const std::vector<std::string> words = name_words(record.name);
  std::string name;
  for (const std::string& word : words) name += (name.empty() ? "" : " ") + word;
  for (const std::string& word : std::set<std::string>(words.begin(), words.end())) add(kName, word, name);
  return keys;
}

StoreResult<std::vector<IdentityKey>> Resolver::keys(std::string_view kind, std::string_view attribute,
                                                     const std::vector<std::string>& blocks,
                                                     const IdentityWrites& pending) const {
  auto found = store_.find_keys(kind, attribute, blocks);
  if (!found) return found;
  for (const IdentityKey& key : pending.keys) {
    if (key.kind == kind && key.attribute == attribute &&
        std::find(blocks.begin(), blocks.end(), key.block) != blocks.end()) {
      found->push_back(key);
    }
  }
  return found;
}

// Whether the entity's identifiers say it is not the record: an identifier stronger than the
// rule (the external id for every other rule, the tax id for email domain and name) that both
// carry, where none of the entity's values is the record's. Without this a record routed before
// its own customer's first record (a NetSuite customer before its Stripe customer) joined the
// customer with the most similar name: two companies whose names differ by a number became one.
StoreResult<bool> Resolver::contradicts(std::string_view rule, const std::vector<IdentityKey>& record_keys,
                                        std::string_view canonical_id, const IdentityWrites& pending) const {
  std::vector<std::string_view> strong;
  if (rule != kExternalId) strong.push_back(kExternalId);
  if (rule != kExternalId && rule != kTaxId) strong.push_back(kTaxId);
  const auto has = [](const std::vector<IdentityKey>& keys, std::string_view attribute) {
    return std::any_of(keys.begin(), keys.end(), [&](const IdentityKey& k) { return k.attribute == attribute; });
  };
  std::vector<std::string_view> checked;
  for (std::string_view attribute : strong) {
    if (has(record_keys, attribute)) checked.push_back(attribute);
  }
  if (checked.empty()) return false;
  auto entity_keys = store_.keys_of(canonical_id);
  if (!entity_keys) return fail(std::move(entity_keys).error());
  for (const IdentityKey& key : pending.keys) {
    if (key.canonical_id == canonical_id) entity_keys->push_back(key);
  }
  for (std::string_view attribute : checked) {
    if (!has(*entity_keys, attribute)) continue;
    const bool shared = std::any_of(record_keys.begin(), record_keys.end(), [&](const IdentityKey& mine) {
      return mine.attribute == attribute &&
             std::any_of(entity_keys->begin(), entity_keys->end(), [&](const IdentityKey& theirs) {
               return theirs.attribute == attribute && theirs.value == mine.value;
             });
    });
    if (!shared) return true;
  }
  return false;
}

// One rule: a resolution when it decides (a match or a possible duplicate), nullopt when it
// finds nothing and the next rule should try.
StoreResult<std::optional<Resolution>> Resolver::apply_rule(std::string_view rule, std::string_view kind,
                                                            const PlatformRecord& record,
                                                            const IdentityWrites& pending) const {
  std::vector<std::string> blocks;
  std::string name;
  const std::vector<IdentityKey> record_keys = keys_of(kind, record, "");
  for (const IdentityKey& key : record_keys) {
    if (key.attribute != rule) continue;
    blocks.push_back(key.block);
    name = key.value;
  }
  if (blocks.empty()) return std::optional<Resolution>();
  auto found = keys(kind, rule, blocks, pending);
  if (!found) return fail(std::move(found).error());

  // Best score per entity.
  std::map<std::string, double> scores;
  for (const IdentityKey& key : *found) {
    const double score = rule == kName ? name_similarity(name, key.value) : 1.0;
    double& best = scores[key.canonical_id];
    best = std::max(best, score);
  }
  std::vector<Candidate> above, near;
  for (const auto& [id, score] : scores) {
    if (score < possible_duplicate_) continue;
    auto contradicted = contradicts(rule, record_keys, id, pending);
    if (!contradicted) return fail(std::move(contradicted).error());
    if (*contradicted) continue;
    if (score >= name_threshold_) {
      above.push_back(Candidate{id, std::string(rule), score});
    } else {
      near.push_back(Candidate{id, std::string(rule), score});
    }
  }
  std::sort(above.begin(), above.end(), by_score);
  std::sort(near.begin(), near.end(), by_score);
  Resolution r;
  if (above.size() == 1) {
    r.outcome = Outcome::matched;
    r.canonical_id = above.front().canonical_id;
    r.matched_by = rule;
    r.score = above.front().score;
    return std::optional<Resolution>(std::move(r));
  }
  r.outcome = Outcome::possible_duplicate;
  r.matched_by = rule;
  if (above.size() > 1) {
    r.candidates = std::move(above);
    r.reason = "rule " + std::string(rule) + " matches " + std::to_string(r.candidates.size()) +
               " existing " + std::string(kind) + " entities; a person must choose";
  } else if (!near.empty()) {
    r.candidates = std::move(near);
    r.score = r.candidates.front().score;
    r.reason = "name '" + record.name + "' is " + text(r.score) + " similar to " + r.candidates.front().canonical_id +
               " (a match needs " + text(name_threshold_) + ")";
  } else {
    return std::optional<Resolution>();
  }
  return std::optional<Resolution>(std::move(r));
}

void Resolver::plan_link(std::string_view kind, const PlatformRecord& record, const Resolution& resolution,
                         IdentityWrites& pending, std::int64_t now_ms) const {
  pending.links.push_back(IdentityLink{std::string(kind), record.connector, record.platform_id,
                                       resolution.canonical_id, resolution.matched_by, now_ms});
  for (IdentityKey& key : keys_of(kind, record, resolution.canonical_id)) pending.keys.push_back(std::move(key));
}

StoreResult<Resolution> Resolver::resolve(std::string_view kind, const PlatformRecord& record,
                                          IdentityWrites& pending, std::int64_t now_ms) const {
  if (kind.empty() || record.connector.empty() || record.platform_id.empty()) {
    return fail(StoreError{StoreErrc::invalid_argument, "identity: a record needs a kind, a connector and a platform id"});
  }
  // Planned earlier in this batch (a link planned twice keeps the first, as the store does).
  for (const IdentityLink& link : pending.links) {
    if (link.kind == kind && link.connector == record.connector && link.platform_id == record.platform_id) {
      return Resolution{Outcome::linked, link.canonical_id, "platform_id", 1.0, {}, {}};
    }
  }
  auto link = store_.find_link(kind, record.connector, record.platform_id);
  if (!link) return fail(std::move(link).error());
  if (*link) {
    Resolution r{Outcome::linked, (*link)->canonical_id, "platform_id", 1.0, {}, {}};
    // What the record says now may let later records find the entity (a new name, a tax id).
    for (IdentityKey& key : keys_of(kind, record, r.canonical_id)) pending.keys.push_back(std::move(key));
    return r;
  }
  for (const std::string& rule : rules_) {
    auto decided = apply_rule(rule, kind, record, pending);
    if (!decided) return fail(std::move(decided).error());
    if (!*decided) continue;
    if ((*decided)->outcome == Outcome::matched) plan_link(kind, record, **decided, pending, now_ms);
    return std::move(**decided);
  }
  return create(kind, record, pending, now_ms);
}

StoreResult<Resolution> Resolver::link(std::string_view kind, const PlatformRecord& record,
                                       std::string_view canonical_id, IdentityWrites& pending,
                                       std::int64_t now_ms) const {
  auto entity = store_.resolve_id(canonical_id);
  if (!entity) return fail(std::move(entity).error());
  if (!*entity || (*entity)->kind != kind) {
    return fail(StoreError{StoreErrc::not_found, "identity: no " + std::string(kind) + " " + std::string(canonical_id)});
  }
  Resolution r{Outcome::matched, (*entity)->id, "manual", 1.0, {}, {}};
  plan_link(kind, record, r, pending, now_ms);
  return r;
}

StoreResult<Resolution> Resolver::create(std::string_view kind, const PlatformRecord& record,
                                         IdentityWrites& pending, std::int64_t now_ms) const {
  Resolution r{Outcome::created, canonical_id(kind, record.connector, record.platform_id, record.log_position), "new", 1.0, {}, {}};
  pending.entities.push_back(IdentityEntity{r.canonical_id, std::string(kind), now_ms, ""});
  plan_link(kind, record, r, pending, now_ms);
  return r;
}

}  // namespace weft::identity
