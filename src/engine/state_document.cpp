#include "engine/state_document.hpp"

#include <stdexcept>
#include <utility>

namespace weft::engine {

using nlohmann::json;

std::string persisted_text(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

StateDocument::StateDocument(json object) : value_(std::move(object)) {
  if (!value_.is_object()) throw std::logic_error("an instance state must be a JSON object");
}

void StateDocument::set(const std::string& member, json value) {
  json& slot = value_[member];
  slot = std::move(value);
  member_texts_.erase(member);
  if (jq_) jq_->set(member, slot);
}

std::string StateDocument::text() const {
  std::string out = "{";
  for (const auto& item : value_.items()) {
    const std::string& member = item.key();
    auto kept = member_texts_.find(member);
    if (kept == member_texts_.end())
      kept = member_texts_.emplace(member, persisted_text(item.value())).first;
    if (out.size() > 1) out += ',';
    out += persisted_text(json(member));
    out += ':';
    out += kept->second;
  }
  out += '}';
  return out;
}

const mapping::JqValue& StateDocument::for_jq() const {
  if (!jq_) jq_.emplace(value_);
  return *jq_;
}

}  // namespace weft::engine
