#pragma once
// Tensor element types, numbered exactly as GGUF/ggml number them (the id is a file format).
// Every id a GGUF file may carry is listed so the reader can size any tensor; `computable`
// says whether hearth can dequantize/compute with it.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN

enum class dtype : std::uint32_t {
    f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
    q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
    iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22,
    iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30,
    tq1_0 = 34, tq2_0 = 35, mxfp4 = 39,
};

inline constexpr std::size_t qk_legacy = 32;  // elements per block of the 32-element formats
inline constexpr std::size_t qk_k = 256;      // elements per super-block of the K-quants

struct dtype_traits {
    dtype type;
    std::string_view name;    // ggml's lower-case name, as llama.cpp prints it
    std::size_t block_elems;  // elements per block
    std::size_t block_bytes;  // bytes per block
    bool computable;          // hearth dequantizes / computes with it
};

inline constexpr std::array<dtype_traits, 32> dtype_table{{
    {dtype::f32, "f32", 1, 4, true},
    {dtype::f16, "f16", 1, 2, true},
    {dtype::q4_0, "q4_0", 32, 18, true},
    {dtype::q4_1, "q4_1", 32, 20, true},
    {dtype::q5_0, "q5_0", 32, 22, true},
    {dtype::q5_1, "q5_1", 32, 24, true},
    {dtype::q8_0, "q8_0", 32, 34, true},
    {dtype::q8_1, "q8_1", 32, 36, true},
    {dtype::q2_k, "q2_K", 256, 84, true},
    {dtype::q3_k, "q3_K", 256, 110, true},
    {dtype::q4_k, "q4_K", 256, 144, true},
    {dtype::q5_k, "q5_K", 256, 176, true},
    {dtype::q6_k, "q6_K", 256, 210, true},
    {dtype::q8_k, "q8_K", 256, 292, true},
    {dtype::iq2_xxs, "iq2_xxs", 256, 66, false},
    {dtype::iq2_xs, "iq2_xs", 256, 74, false},
    {dtype::iq3_xxs, "iq3_xxs", 256, 98, false},
    {dtype::iq1_s, "iq1_s", 256, 50, false},
    {dtype::iq4_nl, "iq4_nl", 32, 18, true},
    {dtype::iq3_s, "iq3_s", 256, 110, false},
    {dtype::iq2_s, "iq2_s", 256, 82, false},
    {dtype::iq4_xs, "iq4_xs", 256, 136, false},
    {dtype::i8, "i8", 1, 1, false},
    {dtype::i16, "i16", 1, 2, false},
    {dtype::i32, "i32", 1, 4, false},
    {dtype::i64, "i64", 1, 8, false},
    {dtype::f64, "f64", 1, 8, false},
    {dtype::iq1_m, "iq1_m", 256, 56, false},
    {dtype::bf16, "bf16", 1, 2, true},
    {dtype::tq1_0, "tq1_0", 256, 54, false},
    {dtype::tq2_0, "tq2_0", 256, 66, false},
    {dtype::mxfp4, "mxfp4", 32, 17, false},
}};

// The traits of a raw id from a file, or nullopt for an id no GGUF writer produces.
inline std::optional<dtype_traits> find_dtype(std::uint32_t id) noexcept {
    for (const auto& t : dtype_table)
        if (static_cast<std::uint32_t>(t.type) == id) return t;
    return std::nullopt;
}

inline const dtype_traits& traits(dtype t) {
    for (const auto& tr : dtype_table)
        if (tr.type == t) return tr;
    throw error(errc::invalid_argument,
                "unknown dtype id " + std::to_string(static_cast<std::uint32_t>(t)));
}

inline std::string_view name(dtype t) { return traits(t).name; }

// Parses a name as llama.cpp's flags spell it (f16, q8_0, q4_0, Q4_K, ...), case-insensitive.
inline std::optional<dtype> parse_dtype(std::string_view s) noexcept {
    for (const auto& t : dtype_table) {
        if (t.name.size() != s.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < s.size() && same; ++i) {
            char a = s[i], b = t.name[i];
            if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
            same = a == b;
        }
        if (same) return t.type;
    }
    return std::nullopt;
}

// Bytes needed by `n` elements of `t`; throws if n is not a whole number of blocks.
inline std::size_t row_bytes(dtype t, std::size_t n) {
    const auto& tr = traits(t);
    if (n % tr.block_elems != 0)
        throw error(errc::invalid_argument,
                    std::string(tr.name) + " rows must hold a multiple of " +
                        std::to_string(tr.block_elems) + " elements, got " + std::to_string(n));
    return n / tr.block_elems * tr.block_bytes;
}

HEARTH_NAMESPACE_END
