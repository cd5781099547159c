#pragma once
// Reading a folder of source files (mappings, workflows, schemas): every regular file with one
// of the given extensions, in path order so that errors come out the same on every run. A
// folder that is missing or unreadable, and each file that cannot be read, is an error naming it.

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace weft::config {

struct SourceFile {
  std::string path;      // as found: `dir` joined with the relative path
  std::string relative;  // to `dir`, '/'-separated
  std::string text;
};

// `what` names the folder in errors ("the workflows folder does not exist").
Result<std::vector<SourceFile>, std::vector<ConfigError>> read_source_files(
    const std::string& dir, std::string_view what, std::initializer_list<std::string_view> extensions,
    bool recursive = false);

// One file's text; the error says why it cannot be read.
Result<std::string, std::string> read_text_file(const std::string& path);

}  // namespace weft::config
