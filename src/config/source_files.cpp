#include "config/source_files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace weft::config {

namespace fs = std::filesystem;

namespace {

template <class Iterator>
std::error_code list(const std::string& dir, std::initializer_list<std::string_view> extensions,
                     std::vector<fs::path>& out) {
  std::error_code ec;
  for (Iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string ext = it->path().extension().string();
    std::error_code type_ec;
    if (std::find(extensions.begin(), extensions.end(), ext) != extensions.end() && it->is_regular_file(type_ec)) {
      out.push_back(it->path());
    }
  }
  return ec;
}

}  // namespace

Result<std::string, std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(std::string("cannot read the file"));
  return std::move(text).str();
}

Result<std::vector<SourceFile>, std::vector<ConfigError>> read_source_files(
    const std::string& dir, std::string_view what, std::initializer_list<std::string_view> extensions,
    bool recursive) {
  auto folder_error = [&](std::string problem) {
    return fail(std::vector<ConfigError>{ConfigError{Location{dir, 0}, std::move(problem)}});
  };
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (status.type() == fs::file_type::not_found) return folder_error("the " + std::string(what) + " folder does not exist");
  if (ec) return folder_error("cannot read the " + std::string(what) + " folder: " + ec.message());
  if (!fs::is_directory(status)) return folder_error("the " + std::string(what) + " folder is not a folder");

  std::vector<fs::path> paths;
  ec = recursive ? list<fs::recursive_directory_iterator>(dir, extensions, paths)
                 : list<fs::directory_iterator>(dir, extensions, paths);
  if (ec) return folder_error("cannot list the " + std::string(what) + " folder: " + ec.message());
  std::sort(paths.begin(), paths.end());

  std::vector<SourceFile> files;
  std::vector<ConfigError> errors;
  for (const auto& path : paths) {
    auto text = read_text_file(path.string());
    if (!text) {
      errors.push_back({Location{path.string(), 0}, text.error()});
      continue;
    }
    files.push_back({path.string(), fs::relative(path, dir).generic_string(), std::move(*text)});
  }
  if (!errors.empty()) return fail(std::move(errors));
  return files;
}

}  // namespace weft::config
