#include "connectors/salesforce/salesforce_errors.hpp"
#include "connectors/outbound_connector.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/text.hpp"

namespace weft::connectors::salesforce {

namespace {

using delivery::FailureClass;

constexpr std::size_t kTextExcerpt = 200;
// Matching records listed in a 300 answer's message.
constexpr std::size_t kListedMatches = 5;

std::string text_excerpt(std::string_view body) { return one_line(body, kTextExcerpt); }

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "INVALID_FIELD: No such column 'Foo' (fields: Foo); REQUIRED_FIELD_MISSING: …"
std::string describe_errors(const nlohmann::json& errors) {
  std::string out;
  for (const auto& e : errors) {
    if (!e.is_object()) continue;
    if (!out.empty()) out += "; ";
    const std::string code = string_field(e, "errorCode");
    const std::string message = string_field(e, "message");
    out += code.empty() ? message : (message.empty() ? code : code + ": " + message);
    if (const auto f = e.find("fields"); f != e.end() && f->is_array() && !f->empty()) {
      std::string fields;
      for (const auto& name : *f) {
        if (!name.is_string()) continue;
        if (!fields.empty()) fields += ", ";
        fields += name.get<std::string>();
      }
      if (!fields.empty()) out += " (fields: " + fields + ")";
    }
  }
  return out;
}

std::optional<FailureClass> class_for_code(std::string_view code) {
  if (code == "INVALID_SESSION_ID" || code == "UNABLE_TO_LOCK_ROW" ||
      code == "SERVER_UNAVAILABLE") {
    return FailureClass::transient;
  }
  if (code == "REQUEST_LIMIT_EXCEEDED") return FailureClass::rate_limited;
  if (code == "DUPLICATE_VALUE" || code == "DUPLICATES_DETECTED") return FailureClass::conflict;
  return std::nullopt;
}

}  // namespace

std::optional<delivery::Failure> SalesforceClassifier::refine(
    const delivery::Attempt& attempt, std::optional<delivery::Failure> generic) const {
  if (!generic || attempt.transport != delivery::Transport::ok) return generic;
  delivery::Failure f = std::move(*generic);
  const http::Response& response = attempt.response;
  const std::string prefix = "Salesforce " + std::to_string(response.status);
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);

  if (response.status == 300) {
    // An upsert whose external id matches several records: the body lists their URLs.
    f.cls = FailureClass::conflict;
    f.platform_code = "MULTIPLE_CHOICES";
    f.message = prefix + ": the external id matches several records; an upsert needs one";
    if (body.is_array() && !body.empty()) {
      f.message += " (" + std::to_string(body.size()) + " matches:";
      for (std::size_t i = 0; i < body.size() && i < kListedMatches; ++i) {
        if (body[i].is_string()) f.message += " " + body[i].get<std::string>();
      }
      f.message += body.size() > kListedMatches ? " ...)" : ")";
    }
    return f;
  }

  if (body.is_array() && !body.empty() && body.front().is_object()) {
    f.platform_code = string_field(body.front(), "errorCode");
    f.message = prefix + " " + describe_errors(body);
  } else if (body.is_object() && body.contains("error")) {
    // OAuth-shaped answers ({"error":"invalid_grant","error_description":"…"}).
    f.platform_code = string_field(body, "error");
    const std::string description = string_field(body, "error_description");
    f.message = prefix + " " + f.platform_code + (description.empty() ? "" : ": " + description);
  } else {
    const std::string text = text_excerpt(response.body);
    f.message = text.empty() ? prefix : prefix + ": " + text;
    return f;
  }

  if (const auto cls = class_for_code(f.platform_code)) f.cls = *cls;
  if (f.platform_code == "INVALID_SESSION_ID") {
    f.message += " (the session expired or was revoked: the next attempt fetches a new token)";
  }
  return f;
}

}  // namespace weft::connectors::salesforce
