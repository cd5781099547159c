#pragma once
// The Stripe emulator's records: one Collection per resource type, in creation order (lists
// are newest first, so order decides, not `created`, which ties within a second), plus id
// generation with Stripe's prefixes. The whole store is the emulator's state document.
//
// Threads: not thread-safe; the emulator holds its lock around every use.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "weft/result.hpp"

namespace weft::sandbox::stripe {

class Collection {
 public:
  // Inserts a new record (at the newest end) or replaces an existing one in place.
  void put(const nlohmann::json& object);
  nlohmann::json* find(const std::string& id);
  const nlohmann::json* find(const std::string& id) const;
  const std::vector<std::string>& order() const { return order_; }
  // Position in creation order; -1 when absent.
  std::ptrdiff_t index_of(const std::string& id) const;
  std::size_t size() const { return order_.size(); }
  void clear();
  nlohmann::json to_json() const;  // array, oldest first
  Result<void, std::string> from_json(const nlohmann::json& array);

 private:
  std::vector<std::string> order_;
  std::unordered_map<std::string, nlohmann::json> by_id_;
  std::unordered_map<std::string, std::size_t> position_;  // index in order_
};

class Store {
 public:
  Store();
  // Names of the collections, as in the state document: "customers", "invoices", …
  static const std::vector<std::string>& collection_names();
  Collection& get(const std::string& name);
  const Collection& get(const std::string& name) const;
  // The collection an id's prefix belongs to (cus_ → customers), nullptr for unknown ones.
  const Collection* collection_for_id(std::string_view id) const;

  // A new id: prefix + "_" + random letters and digits (Stripe's length for the prefix).
  std::string new_id(std::string_view prefix);
  std::string new_secret(std::size_t length);
  std::int64_t next_sequence(const std::string& counter);  // 1, 2, … per counter, persisted

  // {"customers": [...], …, "idempotency_keys": [...]}; idempotency entries kept by the
  // emulator are passed in and out so that a restart still replays.
  nlohmann::json to_json(const nlohmann::json& idempotency) const;
  Result<nlohmann::json, std::string> from_json(const nlohmann::json& state);  // → idempotency
  void clear();

 private:
  std::map<std::string, Collection> collections_;
  std::map<std::string, std::int64_t> counters_;
  std::mt19937_64 random_;
};

}  // namespace weft::sandbox::stripe
