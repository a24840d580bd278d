# `hearth run --backend vulkan` against `hearth run --backend cpu`: the same model, prompt and greedy
# settings must print the same text, and each stats line must name its backend. Run by ctest as
#   cmake -DHEARTH=<hearth program> -DMODEL=<gguf> -P cli_backend.cmake
# with HEARTH_VULKAN_VALIDATION=1 in the environment: any validation error fails the test. Without
# a Vulkan device the program says so and this script prints "SKIP: no Vulkan device" (ctest: skipped).
# Then, with the loader shown no driver, `--backend vulkan` must fail saying what to install and
# that --backend cpu is the way out.
set(prompt "The capital of France is")
set(args run -m ${MODEL} -p ${prompt} -n 8 --temp 0 -c 64 --cache-type-k f16 --cache-type-v f16)

execute_process(COMMAND ${HEARTH} ${args} --backend cpu
                OUTPUT_VARIABLE cpu_out ERROR_VARIABLE cpu_err RESULT_VARIABLE cpu_rc)
if(NOT cpu_rc EQUAL 0)
  message(FATAL_ERROR "hearth run --backend cpu failed (${cpu_rc}):\n${cpu_err}")
endif()
execute_process(COMMAND ${HEARTH} ${args} --backend vulkan
                OUTPUT_VARIABLE vk_out ERROR_VARIABLE vk_err RESULT_VARIABLE vk_rc)
if(NOT vk_rc EQUAL 0)
  # The library's errors for no device, no driver and no loader.
  if(vk_err MATCHES "no Vulkan 1.1 device|no usable Vulkan driver|Vulkan loader")
    message("SKIP: no Vulkan device: ${vk_err}")
    return()
  endif()
  message(FATAL_ERROR "hearth run --backend vulkan failed (${vk_rc}):\n${vk_err}")
endif()

message("cpu:    [${cpu_out}]")
message("vulkan: [${vk_out}]")
string(STRIP "${cpu_out}" cpu_text)
if(cpu_text STREQUAL "")
  message(FATAL_ERROR "hearth run --backend cpu printed no text")
endif()
if(NOT cpu_out STREQUAL vk_out)
  message(FATAL_ERROR "the two backends printed different text:\ncpu:    [${cpu_out}]\nvulkan: [${vk_out}]")
endif()
# The stats line ends with the backend: "... | avx2 x2" on the CPU, "... | vulkan (<device>)" here.
if(NOT vk_err MATCHES "generated [0-9]+ tokens, [0-9.]+ tokens/s \\|[^\n]*\\| vulkan \\([^\n]+\\)\n")
  message(FATAL_ERROR "the vulkan stats line does not name the backend:\n${vk_err}")
endif()
if(cpu_err MATCHES "\\| vulkan")
  message(FATAL_ERROR "the cpu stats line names vulkan:\n${cpu_err}")
endif()
if(vk_err MATCHES "validation error")
  message(FATAL_ERROR "the Vulkan validation layer reported errors:\n${vk_err}")
endif()
string(REGEX MATCH "[^\n]*\\| vulkan \\([^\n]*" stats "${vk_err}")
message("${stats}")

execute_process(COMMAND ${CMAKE_COMMAND} -E env VK_DRIVER_FILES=/nonexistent/hearth.json VK_ICD_FILENAMES=/nonexistent/hearth.json
                        ${HEARTH} ${args} --backend vulkan
                OUTPUT_VARIABLE none_out ERROR_VARIABLE none_err RESULT_VARIABLE none_rc)
message("without a driver: ${none_err}")
if(none_rc EQUAL 0 OR NOT none_err MATCHES "^hearth: vulkan: .*install.*--backend cpu runs the model on the CPU")
  message(FATAL_ERROR "--backend vulkan without a driver: expected an error naming the fix, got (${none_rc}):\n${none_err}")
endif()
