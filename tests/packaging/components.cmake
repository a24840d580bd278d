# find_package(hearth COMPONENTS ...) against an install of this build: components this install
# holds are found, the others fail at configure time with a message naming the component and
# the fix; an unknown component or a newer minor version fails too.
#   cmake -DBINARY=<hearth build> -DWORK=<scratch> -DINSTALLED="cpu;..." -P components.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BINARY}" --prefix "${WORK}/install"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install ${BINARY} failed")
endif()

set(_n 0)
# Configures a project whose find_package line is `args`; `expect` is PASS or a text the
# failing configure must print.
function(expect_find args expect)
  math(EXPR n "${_n} + 1")
  set(_n ${n} PARENT_SCOPE)
  set(dir "${WORK}/case${n}")
  file(WRITE "${dir}/CMakeLists.txt" "cmake_minimum_required(VERSION 3.25)
project(c LANGUAGES CXX)
find_package(${args})
foreach(c cpu vulkan cuda)
  message(STATUS \"hearth_\${c}_FOUND=\${hearth_\${c}_FOUND}\")
endforeach()
")
  execute_process(COMMAND ${CMAKE_COMMAND} -S "${dir}" -B "${dir}/build" "-DCMAKE_PREFIX_PATH=${WORK}/install"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX REPLACE "[ \n]+" " " text "${out}${err}")  # CMake wraps long messages
  if(expect STREQUAL "PASS")
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "find_package(${args}) should succeed:\n${out}${err}")
    endif()
  else()
    string(FIND "${text}" "${expect}" at)
    if(rc EQUAL 0 OR at EQUAL -1)
      message(FATAL_ERROR "find_package(${args}) should fail saying '${expect}' (rc ${rc}):\n${out}${err}")
    endif()
  endif()
  message(STATUS "ok: find_package(${args}) -> ${expect}")
endfunction()

expect_find("hearth CONFIG REQUIRED" PASS)
expect_find("hearth 0.1 CONFIG REQUIRED COMPONENTS cpu" PASS)
expect_find("hearth CONFIG REQUIRED COMPONENTS cpu OPTIONAL_COMPONENTS vulkan cuda" PASS)
expect_find("hearth CONFIG REQUIRED COMPONENTS gpu" "gpu: no such component")
expect_find("hearth 0.2 CONFIG REQUIRED" "compatible with requested version \"0.2\"")
foreach(c vulkan cuda)
  string(TOUPPER "${c}" C)
  if(c IN_LIST INSTALLED)
    expect_find("hearth CONFIG REQUIRED COMPONENTS cpu ${c}" PASS)
  else()
    expect_find("hearth CONFIG REQUIRED COMPONENTS cpu ${c}"
                "${c}: not built into this install")
    expect_find("hearth CONFIG REQUIRED COMPONENTS ${c}" "-DHEARTH_${C}=ON")
  endif()
endforeach()
