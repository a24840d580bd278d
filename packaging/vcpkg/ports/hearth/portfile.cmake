# vcpkg port of hearth (header-only). hearth's own CMake install is used as is: it already
# knows which backends were built and writes them into hearthConfig.cmake as components.
# An overlay-port user points SOURCE_PATH at a checkout with HEARTH_SOURCE_DIR, e.g. offline:
#   vcpkg install hearth --overlay-ports=packaging/vcpkg/ports  (with HEARTH_SOURCE_DIR set)
if(DEFINED ENV{HEARTH_SOURCE_DIR})
  set(SOURCE_PATH "$ENV{HEARTH_SOURCE_DIR}")
else()
  vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO hearth-llm/hearth
    REF "v${VERSION}"
    SHA512 0  # fill in with the release tarball's hash when a release is tagged
    HEAD_REF main)
endif()

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    vulkan HEARTH_VULKAN
    cuda   HEARTH_CUDA)

# The CPU backend's instruction set is chosen by the application's own -march, never here.
vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    ${FEATURE_OPTIONS}
    -DHEARTH_INSTALL=ON
    -DHEARTH_BUILD_TESTS=OFF
    -DHEARTH_BUILD_EXAMPLES=OFF
    -DHEARTH_BUILD_BENCH=OFF
    -DHEARTH_INSTALL_CMAKEDIR=share/hearth
    -DHEARTH_INSTALL_PKGCONFIGDIR=share/pkgconfig)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME hearth CONFIG_PATH share/hearth)
vcpkg_fixup_pkgconfig()

# Header-only: nothing is built per configuration, so the debug tree is empty.
file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
if(EXISTS "${SOURCE_PATH}/LICENSE")
  vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
else()
  message(WARNING "hearth's source has no LICENSE file yet: vcpkg's post-build check will ask for one")
endif()
