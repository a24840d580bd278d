#pragma once
// Small string helpers shared by the prompt formats.
#include <hearth/config.hpp>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN
namespace chat {

// ASCII whitespace as C's isspace sees it in the "C" locale. llama.cpp trims with isspace, so
// UTF-8 bytes (>= 0x80) and Unicode spaces such as U+00A0 are never trimmed.
inline bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
    return s;
}

inline bool contains(std::string_view haystack, std::string_view needle) noexcept {
    return haystack.find(needle) != std::string_view::npos;
}

// Appends any number of pieces to `out`.
template <class... Pieces>
inline void append(std::string& out, const Pieces&... pieces) {
    (out.append(std::string_view(pieces)), ...);
}

}  // namespace chat
HEARTH_NAMESPACE_END
