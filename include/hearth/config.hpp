#pragma once
// Version and namespace macros shared by every hearth header.
// Every public symbol lives in hearth::v0 (an inline namespace), so two header-only copies of
// different hearth versions in one program have distinct mangled names and cannot collide.

#define HEARTH_VERSION_MAJOR 0
#define HEARTH_VERSION_MINOR 1
#define HEARTH_VERSION_PATCH 0
#define HEARTH_VERSION_STRING "0.1.0"

#define HEARTH_NAMESPACE_BEGIN namespace hearth { inline namespace v0 {
#define HEARTH_NAMESPACE_END } }

namespace hearth { inline namespace v0 {
struct version_info { int major, minor, patch; const char* string; };
inline constexpr version_info version{HEARTH_VERSION_MAJOR, HEARTH_VERSION_MINOR,
                                      HEARTH_VERSION_PATCH, HEARTH_VERSION_STRING};
} }
