#include "store/api_key_rules.hpp"

#include <nlohmann/json.hpp>

namespace weft::store {

namespace {

bool is_sha256_hex(const std::string& text) {
  return text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::optional<std::string> api_key_problem(const ApiKeyRecord& key) {
  if (key.id.empty()) return "an API key needs an id";
  if (key.name.empty()) return "an API key needs a name";
  if (key.role.empty()) return "an API key needs a role";
  if (!is_sha256_hex(key.secret_hash))
    return "an API key's hash must be 64 lower-case hex digits (SHA-256)";
  if (key.revoked_at_ms != 0) return "a new API key cannot be revoked already";
  return std::nullopt;
}

std::optional<std::string> session_problem(const SessionRecord& session) {
  if (!is_sha256_hex(session.token_hash))
    return "a session's token hash must be 64 lower-case hex digits (SHA-256)";
  if (session.key_id.empty()) return "a session needs the id of its API key";
  if (session.expires_at_ms <= session.created_at_ms)
    return "a session must expire after it is created";
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
