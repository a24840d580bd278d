#pragma once
// Fuzz target body (2): the tokenizer on arbitrary text and arbitrary token ids, against every
// real vocabulary in shared/tokenizer (SentencePiece and byte-level BPE with several
// pre-tokenizers), loaded once.
//
// Input layout:
//   byte 0   which vocabulary (index into the sorted ggml-vocab-*.gguf files, modulo their count)
//   byte 1   flags: bit 0 add_special, bit 1 parse_special, bit 2 render_special,
//            bits 3-4 mode (0: encode text, 1: encode text + round trip, 2: token ids, 3: token lookup),
//            bit 5 raw ids (mode 2: ids taken as they are; otherwise folded into [0, size + 8))
//   rest     the text (modes 0, 1, 3) or little-endian u32 token ids (mode 2)
//
// What must hold: encode returns only ids inside the vocabulary; decode() of any ids equals the
// streaming detokenizer's pushes + flush, and each push ends on a UTF-8 boundary; an id outside
// the vocabulary is a hearth::error (out_of_range), never a read past a table; byte-level BPE
// whose vocabulary spells every byte gives back well-formed UTF-8 text exactly (mode 1).
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/tokenizer.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hearth_fuzz {

struct vocabulary_set {
    std::vector<std::string> names;
    std::vector<hearth::tokenizer> tokenizers;
    // Byte-level BPE whose vocabulary spells all 256 bytes: any well-formed text round-trips.
    // (Falcon's lacks some control bytes, which llama.cpp drops too.)
    std::vector<bool> covers_every_byte;
};

// The vocabularies of `dir`/ggml-vocab-*.gguf, in file-name order. A missing folder is a setup
// error, not a finding: it throws std::runtime_error with the path.
inline vocabulary_set load_vocabularies(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const auto name = e.path().filename().string();
        if (name.starts_with("ggml-vocab-") && e.path().extension() == ".gguf") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw std::runtime_error("tokenizer fuzz: no ggml-vocab-*.gguf in '" + dir.string() + "'");
    vocabulary_set set;
    for (const auto& f : files) {
        const auto file = hearth::gguf::file::open(f);
        set.names.push_back(f.filename().string());
        set.tokenizers.push_back(hearth::tokenizer::from_gguf(file));
        bool covers = file.get<std::string>("tokenizer.ggml.model") == "gpt2";
        for (unsigned b = 0; covers && b < 256; ++b)
            covers = set.tokenizers.back().find(hearth::byte_encoding::encode(static_cast<unsigned char>(b))).has_value();
        set.covers_every_byte.push_back(covers);
    }
    return set;
}

namespace detail {
[[noreturn]] inline void broken(const std::string& what) { throw std::logic_error("tokenizer fuzz: " + what); }

inline bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        std::uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (std::size_t k = 1; k < n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80) return false;
            cp = cp << 6 | (d & 0x3F);
        }
        static constexpr std::uint32_t min_of[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_of[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += n;
    }
    return true;
}

// The stream the detokenizer gives must be decode() byte for byte; when that text is well-formed
// UTF-8, every piece on its own must be too (no character split across two pieces). Malformed
// bytes may come out in any grouping: they can never complete.
inline void check_streaming(const hearth::tokenizer& tok, std::span<const hearth::token_id> ids, bool render_special) {
    hearth::detokenizer detok(tok, render_special);
    std::vector<std::string> pieces;
    std::string streamed;
    for (auto id : ids) {
        pieces.push_back(detok.push(id));
        streamed += pieces.back();
    }
    pieces.push_back(detok.flush());
    streamed += pieces.back();
    if (detok.pending() != 0) broken("flush() left bytes pending");
    if (streamed != tok.decode(ids, render_special)) broken("streamed text differs from decode()");
    if (is_valid_utf8(streamed))
        for (const auto& p : pieces)
            if (!is_valid_utf8(p)) broken("a streamed piece of well-formed text splits a UTF-8 character");
}
}  // namespace detail

inline void tokenizer_one_input(const vocabulary_set& set, std::span<const std::byte> in) {
    if (in.size() < 2) return;
    const std::size_t which = static_cast<std::size_t>(in[0]) % set.tokenizers.size();
    const auto& tok = set.tokenizers[which];
    const auto flags = static_cast<unsigned>(in[1]);
    const bool add_special = flags & 1, parse_special = flags & 2, render_special = flags & 4, raw_ids = flags & 32;
    const unsigned mode = (flags >> 3) & 3;
    const auto payload = in.subspan(2);
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    const auto size = static_cast<std::int64_t>(tok.size());

    if (mode == 2) {
        std::vector<hearth::token_id> ids, valid;
        for (std::size_t i = 0; i + 4 <= payload.size(); i += 4) {
            std::uint32_t v;
            std::memcpy(&v, payload.data() + i, 4);
            ids.push_back(raw_ids ? static_cast<hearth::token_id>(v) : static_cast<hearth::token_id>(v % (tok.size() + 8)));
        }
        hearth::detokenizer detok(tok, render_special);
        for (auto id : ids) {
            const bool inside = id >= 0 && id < size;
            try {
                (void)tok.piece(id, render_special);
                (void)tok.token_text(id);
                (void)tok.is_control(id);
                (void)detok.push(id);
                if (!inside) detail::broken("id " + std::to_string(id) + " outside the vocabulary was accepted");
                valid.push_back(id);
            } catch (const hearth::error& e) {
                if (inside) detail::broken("valid id " + std::to_string(id) + " refused: " + e.what());
                if (e.kind() != hearth::errc::out_of_range) detail::broken(std::string("wrong error kind for a bad id: ") + e.what());
            }
            (void)tok.is_eog(id);  // any id: a plain lookup
        }
        (void)detok.flush();
        detail::check_streaming(tok, valid, render_special);
        if (valid.size() != ids.size()) {
            bool threw = false;
            try {
                (void)tok.decode(ids, render_special);
            } catch (const hearth::error&) {
                threw = true;
            }
            if (!threw) detail::broken("decode() accepted an id outside the vocabulary");
        }
        return;
    }
    if (mode == 3) {
        if (const auto id = tok.find(text)) {
            if (*id < 0 || *id >= size) detail::broken("find() returned an id outside the vocabulary");
            if (tok.token_text(*id) != text) detail::broken("find() returned a token with another text");
        }
        return;
    }

    const auto ids = tok.encode(text, add_special, parse_special);
    for (auto id : ids)
        if (id < 0 || id >= size) detail::broken("encode() produced id " + std::to_string(id) + " outside the vocabulary");
    detail::check_streaming(tok, ids, render_special);
    // A byte-level vocabulary that spells every byte must give well-formed text back exactly.
    // (SentencePiece adds its space prefix and may map text to <unk>; llama.cpp's own round-trip
    // tests make the same distinction.)
    if (mode == 1 && set.covers_every_byte[which] && !add_special && !parse_special && detail::is_valid_utf8(text)) {
        const std::string back = tok.decode(ids, /*render_special=*/true);
        if (back != text) detail::broken("byte-level round trip changed the text");
    }
}

}  // namespace hearth_fuzz
