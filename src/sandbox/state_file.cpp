#include "sandbox/state_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "weft/log.hpp"

namespace weft::sandbox {

Result<std::optional<nlohmann::json>, std::string> load_state_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<nlohmann::json>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path.string() + ": cannot be read: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  auto state = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded()) return fail(path.string() + ": not valid JSON");
  if (!state.is_object()) return fail(path.string() + ": expected a JSON object keyed by platform");
  return std::optional<nlohmann::json>(std::move(state));
}

Result<void, std::string> save_state_file(const std::filesystem::path& path, const nlohmann::json& state) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return fail(temporary.string() + ": cannot be written: " + std::strerror(errno));
    out << state.dump(1) << '\n';
    out.flush();
    if (!out) return fail(temporary.string() + ": write failed: " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return fail(path.string() + ": cannot replace: " + ec.message());
  return {};
}

}  // namespace weft::sandbox

namespace weft::sandbox {

StateSaver::StateSaver(std::filesystem::path path, std::function<nlohmann::json()> snapshot)
    : path_(std::move(path)), snapshot_(std::move(snapshot)), thread_([this] { run(); }) {}

StateSaver::~StateSaver() { stop(); }

void StateSaver::mark_dirty() {
  {
    std::lock_guard lock(mutex_);
    dirty_ = true;
  }
  changed_.notify_one();
}

void StateSaver::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void StateSaver::save_once() {
  if (auto saved = save_state_file(path_, snapshot_()); !saved) {
    log::error("sandbox.state_save_failed", {{"error", saved.error()}});
  }
}

void StateSaver::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return dirty_ || stopping_; });
    if (dirty_) {
      dirty_ = false;
      lock.unlock();
      save_once();
      lock.lock();
      continue;
    }
    if (stopping_) return;
  }
}

}  // namespace weft::sandbox
