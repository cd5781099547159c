#pragma once
// Test helpers for the raw event log: events to append, their ids in order, and direct access to
// a SQLite file for what the Store interface does not show (schema, indexes, rows as stored).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "weft/store.hpp"

namespace weft::test {

// An event received at `received_at_ms`, which occurred 10 ms earlier.
inline NewRawEvent make_event(std::string connector, std::string event_id,
                       std::string event_type = "invoice.created",
                       std::string business_key = "in_1", std::int64_t received_at_ms = 1000) {
  NewRawEvent e;
  e.connector = std::move(connector);
  e.event_id = std::move(event_id);
  e.event_type = std::move(event_type);
  e.business_key = std::move(business_key);
  e.occurred_at_ms = received_at_ms - 10;
  e.received_at_ms = received_at_ms;
  e.correlation_id = "corr-" + e.event_id;
  e.body = R"({"id":")" + e.event_id + R"("})";
  return e;
}

inline std::vector<std::string> ids_of(const std::vector<RawEvent>& events) {
  std::vector<std::string> ids;
  for (const auto& e : events) ids.push_back(e.event_id);
  return ids;
}

// Direct access to the file, for what the Store interface does not show.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open failed");
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  // Each row's columns joined by '|', rows in order.
  std::vector<std::string> rows(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_));
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        if (i > 0) row += '|';
        const auto* text = sqlite3_column_text(stmt, i);
        row += text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
      }
      out.push_back(row);
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace weft::test
