#pragma once
// The optional state file of `weft sandbox --state FILE`: the whole GET /_sandbox/state
// document, loaded at start and written after changes and at shutdown. Written to a
// temporary file beside it and renamed over it, so a crash leaves the old or the new file,
// never half of one.
//
// Threads: the functions may be called from any thread, but not two saves of one file at
// once; StateSaver serialises them on its own thread.

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "weft/result.hpp"

namespace weft::sandbox {

// nullopt when the file does not exist (a first start); an error when it cannot be read or
// is not a JSON object.
Result<std::optional<nlohmann::json>, std::string> load_state_file(const std::filesystem::path& path);
Result<void, std::string> save_state_file(const std::filesystem::path& path, const nlohmann::json& state);

// Writes the state after changes, off the request threads: mark_dirty() wakes its thread,
// which takes a snapshot (`snapshot` is called there) and saves it; changes that arrive
// meanwhile are written by the next save. stop() writes once more if anything is unsaved.
class StateSaver {
 public:
  StateSaver(std::filesystem::path path, std::function<nlohmann::json()> snapshot);
  ~StateSaver();
  StateSaver(const StateSaver&) = delete;
  StateSaver& operator=(const StateSaver&) = delete;

  void mark_dirty();
  void stop();

 private:
  void run();
  void save_once();
  std::filesystem::path path_;
  std::function<nlohmann::json()> snapshot_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft::sandbox
