# Every copy of the version number agrees with CMakeLists.txt's project(VERSION): vcpkg.json,
# the generated hearthConfigVersion.cmake and .pc files, and the regex conanfile.py's
# set_version() uses (the same pattern, applied here to the same file).
#   cmake -DSOURCE=... -DBINARY=... -DPROJECT_VERSION=... -P versions.cmake
cmake_minimum_required(VERSION 3.25)
set(_errors "")
macro(_expect what found)
  if(NOT "${found}" STREQUAL "${PROJECT_VERSION}")
    string(APPEND _errors "\n  ${what}: found '${found}', project(VERSION) is '${PROJECT_VERSION}'")
  endif()
endmacro()

file(READ "${SOURCE}/packaging/vcpkg/ports/hearth/vcpkg.json" _json)
string(JSON _v GET "${_json}" version-semver)
_expect("packaging/vcpkg/ports/hearth/vcpkg.json" "${_v}")

file(READ "${SOURCE}/packaging/conan/conanfile.py" _conan)
if(NOT _conan MATCHES "project\\\\\\(\\\\s\\*hearth\\\\s\\+VERSION")
  string(APPEND _errors "\n  conanfile.py no longer reads project(hearth VERSION ...) from CMakeLists.txt")
endif()
file(READ "${SOURCE}/CMakeLists.txt" _top)
string(REGEX MATCH "project\\([ \t\r\n]*hearth[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+\\.[0-9]+\\.[0-9]+)" _m "${_top}")
_expect("CMakeLists.txt as conanfile.py's set_version() reads it" "${CMAKE_MATCH_1}")

foreach(_pc hearth hearth-cpu)
  file(STRINGS "${BINARY}/${_pc}.pc" _line REGEX "^Version: ")
  string(REPLACE "Version: " "" _line "${_line}")
  _expect("${_pc}.pc" "${_line}")
endforeach()

include("${BINARY}/hearthConfigVersion.cmake")
_expect("hearthConfigVersion.cmake" "${PACKAGE_VERSION}")

if(_errors)
  message(FATAL_ERROR "version copies disagree:${_errors}")
endif()
message(STATUS "all version copies are ${PROJECT_VERSION}")
