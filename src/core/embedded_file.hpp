#pragma once
// A file compiled into the binary (cmake/embed_files.cmake): data Weft cannot run without,
// such as the canonical event schemas, so an installed binary never looks for its source tree.

#include <string_view>
#include <vector>

namespace weft {

struct EmbeddedFile {
  std::string_view path;  // relative to the folder it came from, '/'-separated
  std::string_view contents;
};

// schemas/canonical/**/*.json
std::vector<EmbeddedFile> embedded_canonical_schemas();
// api/*.json: the OpenAPI document of /v1
std::vector<EmbeddedFile> embedded_api_documents();
// console/*: the web console's page, scripts and style (src/console/console_routes.hpp)
std::vector<EmbeddedFile> embedded_console_files();

}  // namespace weft
