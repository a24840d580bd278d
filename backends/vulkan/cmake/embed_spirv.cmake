# Writes the generated header that holds every compiled shader as a uint32_t array.
# Called as: cmake -DOUT=<header> -DINPUTS="<name>=<file.inc>;..." -P embed_spirv.cmake
# Each .inc is glslc's -mfmt=num output: the SPIR-V words as comma-separated numbers.
set(text "#pragma once\n// Generated at build time by backends/vulkan/CMakeLists.txt from shaders/*.comp (glslc): do not edit.\n")
string(APPEND text "// SPIR-V of hearth's compute shaders, so programs using hearth::vulkan need no shader compiler.\n")
string(APPEND text "#include <hearth/config.hpp>\n#include <cstdint>\n\nHEARTH_NAMESPACE_BEGIN\nnamespace vulkan::spirv {\n\n")
foreach(entry IN LISTS INPUTS)
  string(REPLACE "=" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 file)
  file(READ "${file}" words)
  string(STRIP "${words}" words)
  string(APPEND text "inline constexpr std::uint32_t ${name}[] = {\n${words}\n};\n\n")
endforeach()
string(APPEND text "}  // namespace vulkan::spirv\nHEARTH_NAMESPACE_END\n")
# Only touch the header when it changes, so a shader edit rebuilds only what includes it.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
