#include "sandbox/stripe/stripe_store.hpp"

#include <algorithm>

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

struct PrefixOwner {
  std::string_view prefix;  // with the underscore
  const char* collection;
};

constexpr PrefixOwner kPrefixes[] = {
    {"cus_", "customers"},   {"prod_", "products"},        {"price_", "prices"},
    {"ii_", "invoiceitems"}, {"in_", "invoices"},          {"cn_", "credit_notes"},
    {"ch_", "charges"},      {"pi_", "payment_intents"},   {"re_", "refunds"},
    {"sub_", "subscriptions"}, {"cbtxn_", "customer_balance_transactions"},
    {"dp_", "disputes"},     {"evt_", "events"},
};

}  // namespace

void Collection::put(const json& object) {
  const std::string id = object.at("id").get<std::string>();
  auto [it, inserted] = by_id_.insert_or_assign(id, object);
  if (inserted) {
    position_[id] = order_.size();
    order_.push_back(id);
  }
}

json* Collection::find(const std::string& id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const json* Collection::find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::ptrdiff_t Collection::index_of(const std::string& id) const {
  auto it = position_.find(id);
  return it == position_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

void Collection::clear() {
  order_.clear();
  by_id_.clear();
  position_.clear();
}

json Collection::to_json() const {
  json array = json::array();
  for (const auto& id : order_) array.push_back(by_id_.at(id));
  return array;
}

Result<void, std::string> Collection::from_json(const json& array) {
  if (!array.is_array()) return fail(std::string("expected an array of objects"));
  Collection loaded;
  for (const auto& object : array) {
    if (!object.is_object() || !object.contains("id") || !object["id"].is_string()) {
      return fail("every record needs a string \"id\", got " + object.dump().substr(0, 80));
    }
    loaded.put(object);
  }
  *this = std::move(loaded);
  return {};
}

Store::Store() : random_(std::random_device{}()) {
  for (const auto& name : collection_names()) collections_[name];
}

const std::vector<std::string>& Store::collection_names() {
  static const std::vector<std::string> kNames = {
      "customers", "products", "prices",  "invoiceitems",  "invoices",
      "credit_notes", "charges", "payment_intents", "refunds", "subscriptions",
      "customer_balance_transactions", "disputes", "events"};
  return kNames;
}

Collection& Store::get(const std::string& name) { return collections_.at(name); }
const Collection& Store::get(const std::string& name) const { return collections_.at(name); }

const Collection* Store::collection_for_id(std::string_view id) const {
  for (const auto& owner : kPrefixes) {
    if (id.substr(0, owner.prefix.size()) == owner.prefix) return &collections_.at(owner.collection);
  }
  return nullptr;
}

std::string Store::new_secret(std::size_t length) {
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::string out;
  out.reserve(length);
  for (std::size_t i = 0; i < length; ++i) out.push_back(kAlphabet[pick(random_)]);
  return out;
}

std::string Store::new_id(std::string_view prefix) {
  // Customers, products and subscription items have short ids; the rest 24 characters,
  // as Stripe's own (cus_QXg1o8vcGmoR32, in_1Pgc6tB7WZ01zgkWu9fdqL6I).
  const bool short_id = prefix == "cus" || prefix == "prod" || prefix == "si";
  return std::string(prefix) + "_" + new_secret(short_id ? 14 : 24);
}

std::int64_t Store::next_sequence(const std::string& counter) { return ++counters_[counter]; }

json Store::to_json(const json& idempotency) const {
  json state = json::object();
  for (const auto& name : collection_names()) state[name] = collections_.at(name).to_json();
  state["counters"] = counters_;
  state["idempotency_keys"] = idempotency;
  return state;
}

Result<json, std::string> Store::from_json(const json& state) {
  if (!state.is_object()) return fail(std::string("expected an object of collections"));
  std::map<std::string, Collection> loaded;
  for (const auto& name : collection_names()) loaded[name];
  std::map<std::string, std::int64_t> counters;
  json idempotency = json::array();
  for (const auto& [name, value] : state.items()) {
    if (name == "counters") {
      if (!value.is_object()) return fail(std::string("counters: expected an object"));
      for (const auto& [counter, n] : value.items()) {
        if (!n.is_number_integer()) return fail("counters." + counter + ": expected an integer");
        counters[counter] = n.get<std::int64_t>();
      }
    } else if (name == "idempotency_keys") {
      if (!value.is_array()) return fail(std::string("idempotency_keys: expected an array"));
      idempotency = value;
    } else if (auto it = loaded.find(name); it != loaded.end()) {
      if (auto ok = it->second.from_json(value); !ok) return fail(name + ": " + ok.error());
    } else {
      return fail("unknown collection '" + name + "'");
    }
  }
  collections_ = std::move(loaded);
  counters_ = std::move(counters);
  return idempotency;
}

void Store::clear() {
  for (auto& [name, collection] : collections_) collection.clear();
  counters_.clear();
}

}  // namespace weft::sandbox::stripe
