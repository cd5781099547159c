#include "connectors/zendesk/zendesk_errors.hpp"
#include "connectors/outbound_connector.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/text.hpp"

namespace weft::connectors::zendesk {

namespace {

constexpr std::size_t kTextExcerpt = 200;

// A short, single-line excerpt of a body that is not JSON (429s come as text/plain).
std::string text_excerpt(std::string_view body) { return one_line(body, kTextExcerpt); }

// "RecordInvalid" is a code; "Couldn't authenticate you" is a sentence.
bool looks_like_code(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string string_or_empty(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "subject (Subject: cannot be blank), requester (…)" from 422 details.
std::string describe_details(const nlohmann::json& details) {
  std::string out;
  for (const auto& [field, problems] : details.items()) {
    if (!out.empty()) out += ", ";
    out += field;
    std::string said;
    if (problems.is_array()) {
      for (const auto& p : problems) {
        const std::string d = p.is_object() ? string_or_empty(p, "description") : std::string();
        if (d.empty()) continue;
        if (!said.empty()) said += "; ";
        said += d;
      }
    }
    if (!said.empty()) out += " (" + said + ")";
  }
  return out;
}

}  // namespace

std::optional<delivery::Failure> ZendeskClassifier::refine(
    const delivery::Attempt& attempt, std::optional<delivery::Failure> generic) const {
  if (!generic || attempt.transport != delivery::Transport::ok) return generic;
  delivery::Failure f = std::move(*generic);
  const http::Response& response = attempt.response;
  const std::string prefix = "Zendesk " + std::to_string(response.status);

  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    const std::string text = text_excerpt(response.body);
    f.message = text.empty() ? prefix : prefix + ": " + text;
    return f;
  }

  // `error` is usually a string; some endpoints send {"title": …, "message": …}.
  std::string error;
  std::string description = string_or_empty(body, "description");
  if (const auto it = body.find("error"); it != body.end()) {
    if (it->is_string()) {
      error = it->get<std::string>();
    } else if (it->is_object()) {
      error = string_or_empty(*it, "title");
      if (description.empty()) description = string_or_empty(*it, "message");
    }
  }
  if (looks_like_code(error)) f.platform_code = error;

  f.message = prefix;
  if (!error.empty()) f.message += " " + error;
  if (!description.empty()) f.message += ": " + description;
  if (const auto it = body.find("details"); it != body.end() && it->is_object() && !it->empty()) {
    f.message += "; fields: " + describe_details(*it);
  }
  if (error.empty() && description.empty()) f.message += ": " + text_excerpt(response.body);

  // The same Idempotency-Key with another body: the key is taken by a different request.
  if (f.platform_code == "IdempotentRequestError") f.cls = delivery::FailureClass::conflict;
  return f;
}

}  // namespace weft::connectors::zendesk
