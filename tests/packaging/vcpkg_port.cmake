# Runs packaging/vcpkg/ports/hearth/portfile.cmake without vcpkg (no vcpkg tool is reachable
# here): the vcpkg helper functions the port calls are stood in for by small functions that do
# what vcpkg documents for them, against a real hearth source tree. Then checks the installed
# layout vcpkg would package, and builds and runs a consumer whose CMakeLists.txt is made from
# the port's `usage` lines, against that tree.
#   cmake -DSOURCE=... -DWORK=... -DMODEL=... -DPROJECT_VERSION=... [-DGENERATOR=Ninja] -P vcpkg_port.cmake
cmake_minimum_required(VERSION 3.25)
foreach(v SOURCE WORK MODEL PROJECT_VERSION)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "vcpkg_port.cmake needs -D${v}=...")
  endif()
endforeach()
if(NOT GENERATOR)
  set(GENERATOR "Unix Makefiles")
endif()
set(_launcher "")
if(LAUNCHER)  # e.g. ccache, so the two nested builds reuse earlier compiles
  set(_launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
set(PORT_DIR "${SOURCE}/packaging/vcpkg/ports/hearth")

# What vcpkg provides to a portfile: PORT, VERSION (from vcpkg.json), CURRENT_PACKAGES_DIR,
# FEATURES (default features here).
file(READ "${PORT_DIR}/vcpkg.json" _manifest)
string(JSON PORT GET "${_manifest}" name)
string(JSON VERSION GET "${_manifest}" version-semver)
string(JSON _defaults GET "${_manifest}" default-features)
string(JSON _n LENGTH "${_defaults}")
set(FEATURES core)
math(EXPR _last "${_n} - 1")
foreach(i RANGE ${_last})
  string(JSON _f GET "${_defaults}" ${i})
  list(APPEND FEATURES ${_f})
endforeach()
if(NOT VERSION STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "vcpkg.json says version ${VERSION}, CMakeLists.txt's project() says ${PROJECT_VERSION}")
endif()
file(REMOVE_RECURSE "${WORK}")
set(CURRENT_PACKAGES_DIR "${WORK}/packages/${PORT}_x64-linux")
set(_buildtree "${WORK}/buildtrees/${PORT}")

function(_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

# ---- stand-ins for vcpkg's helpers ---------------------------------------------------------
function(vcpkg_from_github)
  message(FATAL_ERROR "the port must take the sources from HEARTH_SOURCE_DIR in this test")
endfunction()
function(vcpkg_check_features)
  cmake_parse_arguments(A "" "OUT_FEATURE_OPTIONS" "FEATURES" ${ARGN})
  set(out "")
  list(LENGTH A_FEATURES n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET A_FEATURES ${i} feature)
    list(GET A_FEATURES ${j} option)
    if(feature IN_LIST FEATURES)
      list(APPEND out "-D${option}=ON")
    else()
      list(APPEND out "-D${option}=OFF")
    endif()
  endforeach()
  set(${A_OUT_FEATURE_OPTIONS} "${out}" PARENT_SCOPE)
endfunction()
function(vcpkg_cmake_configure)
  cmake_parse_arguments(A "" "SOURCE_PATH" "OPTIONS" ${ARGN})
  _run(${CMAKE_COMMAND} -S "${A_SOURCE_PATH}" -B "${_buildtree}" -G "${GENERATOR}"
       -DCMAKE_BUILD_TYPE=Release ${_launcher} "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}" ${A_OPTIONS})
endfunction()
function(vcpkg_cmake_install)
  _run(${CMAKE_COMMAND} --build "${_buildtree}" --target install)
endfunction()
function(vcpkg_cmake_config_fixup)
  # vcpkg moves CONFIG_PATH to share/PACKAGE_NAME and rewrites paths; hearth installs there already.
  cmake_parse_arguments(A "" "PACKAGE_NAME;CONFIG_PATH" "" ${ARGN})
  if(NOT A_CONFIG_PATH STREQUAL "share/${A_PACKAGE_NAME}")
    message(FATAL_ERROR "the port should install the CMake package straight into share/${A_PACKAGE_NAME}")
  endif()
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${A_CONFIG_PATH}/${A_PACKAGE_NAME}Config.cmake")
    message(FATAL_ERROR "no ${A_PACKAGE_NAME}Config.cmake in ${CURRENT_PACKAGES_DIR}/${A_CONFIG_PATH}")
  endif()
endfunction()
function(vcpkg_fixup_pkgconfig)
  file(GLOB pcs "${CURRENT_PACKAGES_DIR}/share/pkgconfig/*.pc" "${CURRENT_PACKAGES_DIR}/lib/pkgconfig/*.pc")
  if(NOT pcs)
    message(FATAL_ERROR "the port installs no .pc file where vcpkg_fixup_pkgconfig looks")
  endif()
endfunction()
function(vcpkg_install_copyright)
  cmake_parse_arguments(A "" "" "FILE_LIST" ${ARGN})
  file(INSTALL ${A_FILE_LIST} DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
endfunction()

# ---- the port itself ------------------------------------------------------------------------
set(ENV{HEARTH_SOURCE_DIR} "${SOURCE}")
set(CMAKE_CURRENT_LIST_DIR "${PORT_DIR}")
include("${PORT_DIR}/portfile.cmake")

# ---- the layout vcpkg packages ----------------------------------------------------------------
foreach(f share/hearth/hearthConfig.cmake share/hearth/hearthConfigVersion.cmake share/hearth/hearthTargets.cmake
          share/hearth/usage share/pkgconfig/hearth.pc share/pkgconfig/hearth-cpu.pc
          include/hearth/hearth.hpp include/hearth/cpu.hpp)
  if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${f}")
    message(FATAL_ERROR "the port's install lacks ${f}")
  endif()
endforeach()
if(EXISTS "${CURRENT_PACKAGES_DIR}/share/cmake")
  message(FATAL_ERROR "share/cmake/ is left in the package: vcpkg wants share/<port>/ only")
endif()

# ---- a consumer written from the usage text --------------------------------------------------
file(STRINGS "${CURRENT_PACKAGES_DIR}/share/hearth/usage" _usage REGEX "^  ")
list(TRANSFORM _usage STRIP)
list(JOIN _usage "\n" _usage)
set(_consumer "${WORK}/consumer")
file(WRITE "${_consumer}/CMakeLists.txt"
"cmake_minimum_required(VERSION 3.25)
project(vcpkg_usage_consumer LANGUAGES CXX)
add_executable(main \"${SOURCE}/tests/packaging/generate/generate.cpp\")
${_usage}
")
_run(${CMAKE_COMMAND} -S "${_consumer}" -B "${_consumer}/build" -G "${GENERATOR}" -DCMAKE_BUILD_TYPE=Release
     ${_launcher} "-DCMAKE_PREFIX_PATH=${CURRENT_PACKAGES_DIR}")
_run(${CMAKE_COMMAND} --build "${_consumer}/build")
_run("${_consumer}/build/main" "${MODEL}")
message(STATUS "vcpkg port: layout and usage check out, consumer generated")
