#include "engine/state_document.hpp"

#include <simdjson.h>

#include <stdexcept>
#include <utility>

namespace weft::engine {

using nlohmann::json;

namespace {

// The text of each member of `text`, a JSON object already known to be valid, as it is in the
// text (simdjson's spans, without the whitespace after a scalar).
Result<std::map<std::string, std::string, std::less<>>, std::string> member_texts_of(
    std::string_view text) {
  thread_local simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS) {
    return fail(std::string("not a JSON object"));
  }
  std::map<std::string, std::string, std::less<>> members;
  for (auto field : object) {
    std::string_view key;
    simdjson::ondemand::value value;
    simdjson::ondemand::json_type type;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
        field.value().get(value) != simdjson::SUCCESS || value.type().get(type)) {
      return fail(std::string("unreadable member"));
    }
    std::string_view raw;
    simdjson::error_code error = simdjson::SUCCESS;
    if (type == simdjson::ondemand::json_type::object) {
      simdjson::ondemand::object inner;
      error = value.get_object().get(inner);
      if (error == simdjson::SUCCESS) error = inner.raw_json().get(raw);
    } else if (type == simdjson::ondemand::json_type::array) {
      simdjson::ondemand::array inner;
      error = value.get_array().get(inner);
      if (error == simdjson::SUCCESS) error = inner.raw_json().get(raw);
    } else {
      raw = value.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                              raw.back() == '\t')) {
        raw.remove_suffix(1);
      }
    }
    if (error != simdjson::SUCCESS)
      return fail(std::string("unreadable member \"") + std::string(key) + "\"");
    members[std::string(key)] = std::string(raw);  // a repeated key: the last, as parsers do
  }
  return members;
}

}  // namespace

std::string persisted_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

StateDocument::StateDocument(json object) {
  if (!object.is_object()) throw std::logic_error("an instance state must be a JSON object");
  for (const auto& item : object.items())
    member_texts_.emplace(item.key(), persisted_text(item.value()));
  value_ = std::move(object);
}

Result<StateDocument, std::string> StateDocument::from_text(std::string_view text) {
  // simdjson reads the whole text for libjq first: that is also the check that it is JSON.
  auto jq = mapping::JqValue::parse(text);
  if (!jq) return fail(std::move(jq).error());
  if (!jq->is_object()) return fail(std::string("not a JSON object"));
  auto members = member_texts_of(text);
  if (!members) return fail(std::move(members).error());
  StateDocument state;
  state.member_texts_ = std::move(*members);
  state.jq_ = std::move(*jq);
  return state;
}

const json& StateDocument::value() const {
  if (!value_) {
    json object = json::object();
    for (const auto& [member, text] : member_texts_) object[member] = json::parse(text);
    value_ = std::move(object);
  }
  return *value_;
}

void StateDocument::set(const std::string& member, json value) {
  member_texts_[member] = persisted_text(value);
  if (jq_) jq_->set(member, value);
  if (value_) (*value_)[member] = std::move(value);
}

std::string StateDocument::text() const {
  std::size_t size = 2;
  for (const auto& [member, text] : member_texts_) size += member.size() + text.size() + 4;
  std::string out;
  out.reserve(size);
  out += '{';
  for (const auto& [member, text] : member_texts_) {
    if (out.size() > 1) out += ',';
    out += persisted_text(json(member));
    out += ':';
    out += text;
  }
  out += '}';
  return out;
}

const mapping::JqValue& StateDocument::for_jq() const {
  if (!jq_) jq_.emplace(value());
  return *jq_;
}

}  // namespace weft::engine
