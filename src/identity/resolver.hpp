#pragma once
// Resolver: which canonical entity a platform record is. In order: the exact link of its
// platform id; then the configured rules (external id, email domain, tax id, name similarity);
// else a new entity. An entity whose identifiers contradict the record's (both carry an
// external id, or a tax id, and none is the record's) is never a candidate of a weaker rule:
// it is another customer, however alike the names. A name close to an existing one but below the threshold — or an exact
// rule that points at more than one entity — is a possible duplicate: nothing is created and
// the caller opens an exception for a person, who answers with link() or create().
//
// The resolver reads the store and plans writes; it never writes itself. Every decision goes
// into the caller's IdentityWrites, and later calls with the same IdentityWrites see it, so a
// batch in which two events name the same new customer creates it once. The caller applies
// the writes in its own transaction (IdentityStore::write, or the pipeline's record_mappings).
//
// Deterministic: an entity's id is derived from (kind, connector, platform id) of the record
// that created it, so the same records resolved in the same order give the same ids, and a
// replay writes nothing new.
//
// Threads: the resolver is immutable; concurrent calls must use separate IdentityWrites.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "weft/identity_store.hpp"

namespace weft::identity {

// The identifying fields of one platform record (a Stripe customer, a Zendesk organization…).
// Empty fields take no part.
struct PlatformRecord {
  std::string connector;    // required
  std::string platform_id;  // required
  std::string external_id;  // an id shared across platforms (our customer number in each)
  std::string email;        // an address or a website; only its domain counts
  std::string tax_id;
  std::string name;
  // The seq of the raw event that carries it (0: none). An entity it creates gets an id that
  // leads with it, so that entity ids run in the order of the log (core/ordered_id.hpp).
  std::int64_t log_position = 0;
};

enum class Outcome {
  linked,              // the platform id was already linked
  matched,             // a rule found the entity; a link was planned
  created,             // a new entity was planned
  possible_duplicate,  // nothing planned: a person decides (candidates)
};
const char* to_string(Outcome outcome);

struct Candidate {
  std::string canonical_id;
  std::string rule;    // the rule that found it
  double score = 1.0;  // name similarity; 1 for exact rules
};

struct Resolution {
  Outcome outcome = Outcome::created;
  std::string canonical_id;  // empty for a possible duplicate
  std::string matched_by;    // platform_id, a rule's name, new, or manual
  double score = 1.0;
  std::vector<Candidate> candidates;  // possible_duplicate: best first
  std::string reason;                 // for the exception a possible duplicate opens
};

class Resolver {
 public:
  // Throws std::invalid_argument on a rule name that config::identity_rules() lacks (config
  // loading has rejected those already).
  Resolver(IdentityStore& store, const config::IdentityConfig& config);

  StoreResult<Resolution> resolve(std::string_view kind, const PlatformRecord& record, IdentityWrites& pending,
                                  std::int64_t now_ms) const;
  // A person's answers to a possible duplicate: link the record to `canonical_id` (a live
  // entity of the same kind), or make it a new entity regardless of the rules.
  StoreResult<Resolution> link(std::string_view kind, const PlatformRecord& record, std::string_view canonical_id,
                               IdentityWrites& pending, std::int64_t now_ms) const;
  StoreResult<Resolution> create(std::string_view kind, const PlatformRecord& record, IdentityWrites& pending,
                                 std::int64_t now_ms) const;

  // The id of the entity a record of (kind, connector, platform_id) at `log_position` creates.
  static std::string canonical_id(std::string_view kind, std::string_view connector, std::string_view platform_id,
                                  std::int64_t log_position);

 private:
  StoreResult<std::vector<IdentityKey>> keys(std::string_view kind, std::string_view attribute,
                                             const std::vector<std::string>& blocks,
                                             const IdentityWrites& pending) const;
  StoreResult<std::optional<Resolution>> apply_rule(std::string_view rule, std::string_view kind,
                                                    const PlatformRecord& record,
                                                    const IdentityWrites& pending) const;
  std::vector<IdentityKey> keys_of(std::string_view kind, const PlatformRecord& record,
                                   std::string_view canonical_id) const;
  StoreResult<bool> contradicts(std::string_view rule, const std::vector<IdentityKey>& record_keys,
                                std::string_view canonical_id, const IdentityWrites& pending) const;
  void plan_link(std::string_view kind, const PlatformRecord& record, const Resolution& resolution,
                 IdentityWrites& pending, std::int64_t now_ms) const;

  IdentityStore& store_;
  std::vector<std::string> rules_;
  double name_threshold_;
  double possible_duplicate_;
  std::set<std::string, std::less<>> free_mail_;
};

}  // namespace weft::identity
