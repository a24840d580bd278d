# Cross-compiles hearth for AArch64 with NEON dotprod; ctest runs the programs under qemu-user.
#   cmake -S . -B build/arm -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-toolchain.cmake
# Needs g++-aarch64-linux-gnu and qemu-user (Debian). xsimd, Highway and Catch2 are header-only
# and architecture-independent, so the host's copies in /usr/include serve the target too.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# binfmt is usually not registered for aarch64: run every test program through qemu explicitly.
set(CMAKE_CROSSCOMPILING_EMULATOR "qemu-aarch64;-L;/usr/aarch64-linux-gnu")

# Target libraries come from the cross sysroot; header-only packages (and their CMake configs,
# which live under the host's multiarch directory) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
list(APPEND CMAKE_PREFIX_PATH /usr/lib/x86_64-linux-gnu/cmake /usr/share/cmake /usr/lib/cmake)

set(HEARTH_CPU_FLAGS "-march=armv8.2-a+dotprod+crypto" CACHE STRING "")
set(HEARTH_TEST_CPU_FLAGS "-march=armv8.2-a+dotprod+crypto" CACHE STRING "")

# PCRE2 (the tokenizer's regex engine) must be an aarch64 library here, but pkg-config would
# hand hearth's lookup the host's x86-64 one. This file is also run right after project(hearth)
# (CMAKE_PROJECT_hearth_INCLUDE below; languages are loaded by then) to pre-empt that lookup:
# the sysroot's libpcre2-8 when installed (libpcre2-dev:arm64), else an empty interface target
# and a warning: then only programs that never call PCRE2, like the CPU kernel tests, link.
set(CMAKE_PROJECT_hearth_INCLUDE "${CMAKE_CURRENT_LIST_FILE}")
if(CMAKE_CXX_COMPILER_LOADED AND NOT TARGET PCRE2::8BIT)
  find_library(HEARTH_AARCH64_PCRE2 pcre2-8)
  if(HEARTH_AARCH64_PCRE2)
    add_library(PCRE2::8BIT UNKNOWN IMPORTED)
    set_target_properties(PCRE2::8BIT PROPERTIES IMPORTED_LOCATION "${HEARTH_AARCH64_PCRE2}")
  else()
    message(WARNING "no aarch64 libpcre2-8 in the sysroot: the tokenizer cannot be linked in this "
                    "cross build (the CPU kernel tests do not need it)")
    add_library(PCRE2::8BIT INTERFACE IMPORTED)
  endif()
endif()
