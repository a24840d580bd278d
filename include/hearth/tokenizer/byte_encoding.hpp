#pragma once
// GPT-2's byte-level alphabet: byte-level BPE vocabularies spell every byte as one printable code
// point so merges never see raw control bytes or spaces. Printable Latin-1 bytes ('!'..'~',
// '¡'..'¬', '®'..'ÿ') stand for themselves; the other 68 bytes, in increasing order, take
// U+0100, U+0101, ... (so ' ' is 'Ġ' U+0120 and '\n' is 'Ċ' U+010A).
#include <hearth/config.hpp>
#include <hearth/tokenizer/utf8.hpp>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

HEARTH_NAMESPACE_BEGIN
namespace byte_encoding {

namespace detail {
inline constexpr bool stands_for_itself(unsigned b) noexcept {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct tables {
    std::array<char32_t, 256> to_cp{};        // byte -> code point
    std::array<std::int16_t, 0x144> to_byte{};  // code point (< U+0144) -> byte, or -1
    std::array<std::string, 256> to_utf8{};   // byte -> its code point's UTF-8
};

inline const tables& get() {
    static const tables t = [] {
        tables r;
        r.to_byte.fill(-1);
        unsigned next = 0;
        for (unsigned b = 0; b < 256; ++b) {
            r.to_cp[b] = stands_for_itself(b) ? char32_t(b) : char32_t(0x100 + next++);
            r.to_byte[r.to_cp[b]] = static_cast<std::int16_t>(b);
            r.to_utf8[b] = utf8::encode(r.to_cp[b]);
        }
        return r;
    }();
    return t;
}
}  // namespace detail

// The UTF-8 spelling of byte b in the byte-level alphabet.
inline const std::string& encode(unsigned char b) { return detail::get().to_utf8[b]; }

// Appends the byte-level spelling of every byte of `bytes`.
inline void encode_append(std::string& out, std::string_view bytes) {
    const auto& t = detail::get();
    for (unsigned char b : bytes) out += t.to_utf8[b];
}

// The byte a code point of the alphabet stands for; nullopt for code points outside it.
inline std::optional<unsigned char> decode(char32_t cp) noexcept {
    const auto& t = detail::get();
    if (cp >= t.to_byte.size() || t.to_byte[cp] < 0) return std::nullopt;
    return static_cast<unsigned char>(t.to_byte[cp]);
}

}  // namespace byte_encoding
HEARTH_NAMESPACE_END
