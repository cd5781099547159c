# Warnings are errors in every build of our own code.
function(weft_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough)
  # GCC 12 at -O3 (the release preset, which `make bench` builds) reports -Wrestrict on plain
  # std::string concatenation inside libstdc++'s inlined char_traits (GCC bug 105651, fixed in
  # GCC 13): a false positive on code we cannot change, so it stays a warning in that build.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-Wno-error=restrict>)
  endif()
endfunction()
