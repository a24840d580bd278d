#pragma once
// UTF-8 the way llama.cpp's tokenizer reads it, because token ids must match llama.cpp's even for
// malformed input: a lead byte alone decides the sequence length, continuation bytes are checked,
// but overlong forms and surrogates are accepted; a byte that starts no valid sequence becomes
// U+FFFD and decoding resumes at the next byte. Encoding is the plain inverse (no validation), so
// decode-then-encode is the identity on well-formed text.
#include <hearth/config.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace utf8 {

inline constexpr char32_t replacement = 0xFFFD;

// Bytes a sequence claims from its first byte alone (continuation bytes and 0xF8.. claim 1).
inline std::size_t sequence_length(unsigned char lead) noexcept {
    static constexpr std::uint8_t by_high_nibble[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return by_high_nibble[lead >> 4];
}

// Decodes one code point at `pos`, advancing it; U+FFFD (advancing one byte) when malformed.
inline char32_t decode_one(std::string_view s, std::size_t& pos) noexcept {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const auto cont = [&](std::size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
    const unsigned char c = b(pos);
    if (c < 0x80) {
        ++pos;
        return c;
    }
    if ((c & 0xE0) == 0xC0 && cont(pos + 1)) {
        const char32_t cp = (char32_t(c & 0x1F) << 6) | (b(pos + 1) & 0x3F);
        pos += 2;
        return cp;
    }
    if ((c & 0xF0) == 0xE0 && cont(pos + 1) && cont(pos + 2)) {
        const char32_t cp = (char32_t(c & 0x0F) << 12) | (char32_t(b(pos + 1) & 0x3F) << 6) | (b(pos + 2) & 0x3F);
        pos += 3;
        return cp;
    }
    if ((c & 0xF8) == 0xF0 && cont(pos + 1) && cont(pos + 2) && cont(pos + 3)) {
        const char32_t cp = (char32_t(c & 0x07) << 18) | (char32_t(b(pos + 1) & 0x3F) << 12) |
                            (char32_t(b(pos + 2) & 0x3F) << 6) | (b(pos + 3) & 0x3F);
        pos += 4;
        return cp;
    }
    ++pos;
    return replacement;
}

inline std::vector<char32_t> decode(std::string_view s) {
    std::vector<char32_t> out;
    out.reserve(s.size());
    for (std::size_t pos = 0; pos < s.size();) out.push_back(decode_one(s, pos));
    return out;
}

// Appends the encoding of cp. Code points above U+10FFFF (a 4-byte form can reach 0x1FFFFF)
// have no encoding and are written as U+FFFD.
inline void append(std::string& out, char32_t cp) {
    if (cp > 0x10FFFF) cp = replacement;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

inline std::string encode(char32_t cp) {
    std::string s;
    append(s, cp);
    return s;
}

// White space as llama.cpp's Unicode tables define it (the White_Space property): ASCII
// tab..carriage return and space, NEL, NBSP, and the Zs/Zl/Zp separators.
inline bool is_whitespace(char32_t cp) noexcept {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
           cp == 0x3000;
}

// Length of the longest prefix of `s` that ends on a complete UTF-8 sequence boundary, judged
// from the tail only: a streaming decoder holds back what follows it until more bytes arrive.
// Bytes that can never complete (a stray continuation byte, 0xF8..0xFF) do not hold anything back.
inline std::size_t complete_prefix(std::string_view s) noexcept {
    // A sequence is at most 4 bytes: only the last 3 can belong to an unfinished one.
    const std::size_t n = s.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation: keep looking for its lead byte
        std::size_t need = 0;
        if ((c & 0xE0) == 0xC0) need = 2;
        else if ((c & 0xF0) == 0xE0) need = 3;
        else if ((c & 0xF8) == 0xF0) need = 4;
        else return n;                     // ASCII or an invalid lead: nothing pending
        return need > back ? n - back : n; // lead found: pending only if it still lacks bytes
    }
    return n;
}

}  // namespace utf8
HEARTH_NAMESPACE_END
