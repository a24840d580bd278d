# Finds PCRE2 (8-bit code units) and provides the imported target PCRE2::8BIT. The tokenizer's
# byte-level BPE pre-tokenizers are Unicode regular expressions (\p{L}, \p{N}, lookahead); PCRE2
# evaluates them with real Unicode data, exactly as written in the GGUF pre-tokenizer definitions.
# Used by hearth's own build and by the installed hearthConfig.cmake.
if(NOT TARGET PCRE2::8BIT)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(HEARTH_PCRE2 QUIET IMPORTED_TARGET libpcre2-8)
  endif()
  if(TARGET PkgConfig::HEARTH_PCRE2)
    add_library(PCRE2::8BIT INTERFACE IMPORTED)
    target_link_libraries(PCRE2::8BIT INTERFACE PkgConfig::HEARTH_PCRE2)
  else()
    find_path(HEARTH_PCRE2_INCLUDE_DIR pcre2.h)
    find_library(HEARTH_PCRE2_LIBRARY pcre2-8)
    if(HEARTH_PCRE2_INCLUDE_DIR AND HEARTH_PCRE2_LIBRARY)
      add_library(PCRE2::8BIT UNKNOWN IMPORTED)
      set_target_properties(PCRE2::8BIT PROPERTIES IMPORTED_LOCATION ${HEARTH_PCRE2_LIBRARY}
        INTERFACE_INCLUDE_DIRECTORIES ${HEARTH_PCRE2_INCLUDE_DIR})
    endif()
  endif()
endif()
