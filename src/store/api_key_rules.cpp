#include "store/api_key_rules.hpp"

#include <nlohmann/json.hpp>

namespace weft::store {

std::optional<std::string> api_key_problem(const ApiKeyRecord& key) {
  if (key.id.empty()) return "an API key needs an id";
  if (key.name.empty()) return "an API key needs a name";
  if (key.role.empty()) return "an API key needs a role";
  const bool hex = key.secret_hash.size() == 64 &&
                   key.secret_hash.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) return "an API key's hash must be 64 lower-case hex digits (SHA-256)";
  if (key.revoked_at_ms != 0) return "a new API key cannot be revoked already";
  return std::nullopt;
}

std::string key_summary_json(const ApiKeyRecord& key) {
  nlohmann::json j = {{"id", key.id},
                      {"name", key.name},
                      {"role", key.role},
                      {"created_at_ms", key.created_at_ms},
                      {"revoked_at_ms", key.revoked_at_ms}};
  return j.dump();
}

void describe_revocation(ApiKeyRecord& key, AuditRecord& audit) {
  audit.target = key.id;
  audit.before_json = key_summary_json(key);
  key.revoked_at_ms = audit.at_ms;
  audit.after_json = key_summary_json(key);
}

}  // namespace weft::store
