# Every dependency comes from a Debian package (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(simdjson REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(CURL REQUIRED)
find_library(JQ_LIBRARY jq REQUIRED)
find_library(ONIG_LIBRARY onig REQUIRED)
find_path(JQ_INCLUDE_DIR jq.h REQUIRED)

add_library(weft_deps INTERFACE)
add_library(weft::deps ALIAS weft_deps)
# Third-party headers are system headers: their warnings are not ours to fix.
target_include_directories(weft_deps SYSTEM INTERFACE ${JQ_INCLUDE_DIR})
target_link_libraries(weft_deps INTERFACE
  Threads::Threads Boost::headers OpenSSL::SSL OpenSSL::Crypto SQLite::SQLite3
  yaml-cpp nlohmann_json::nlohmann_json simdjson::simdjson fmt::fmt spdlog::spdlog
  CLI11::CLI11 CURL::libcurl ${JQ_LIBRARY} ${ONIG_LIBRARY})
target_compile_definitions(weft_deps INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW SPDLOG_FMT_EXTERNAL)

# The hub's allocator. Weft allocates on every thread for every event (JSON documents, jq
# values, SQLite rows); glibc's malloc spent ~10 % of the hub's CPU at 1,000 workflows/s and
# jemalloc carries 13 % more workflows/s at saturation on the 2-core benchmark machine
# (docs/benchmarks.md). Sanitizer builds keep the sanitizer's allocator.
if(WEFT_JEMALLOC AND NOT WEFT_SANITIZE AND NOT WEFT_FUZZ)
  find_library(JEMALLOC_LIBRARY NAMES jemalloc REQUIRED)
endif()
