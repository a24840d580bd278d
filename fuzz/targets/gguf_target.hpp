#pragma once
// Fuzz target body (1): arbitrary bytes as a GGUF file.
//
// What must hold for ANY input: gguf::file::parse either throws hearth::error or returns a file
// whose every metadata value can be read (scalars, strings, arrays of anything, nested arrays)
// and whose every tensor's data span lies inside the input (first and last byte readable).
// Then the loaders a model::open runs on the same file (model config, tensor table, tokenizer)
// must also end in hearth::error or a result, never in a crash, an over-read, or another
// exception type. Shared by the libFuzzer driver and the regression test in the normal suite.
#include <hearth/error.hpp>
#include <hearth/gguf.hpp>
#include <hearth/model/config.hpp>
#include <hearth/model/tensors.hpp>
#include <hearth/tokenizer.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hearth_fuzz {

// Accumulates every byte read so the optimizer cannot drop the reads the sanitizers check.
struct sink {
    std::uint64_t acc = 0;
    void eat(std::uint64_t v) noexcept { acc = acc * 31 + v; }
    void eat(std::string_view s) noexcept {
        for (char c : s) eat(static_cast<unsigned char>(c));
    }
    void eat_edges(std::span<const std::byte> s) noexcept {
        if (s.empty()) return;
        eat(static_cast<std::uint64_t>(s.front()));
        eat(static_cast<std::uint64_t>(s.back()));
    }
};

// Reads one value the way a consumer would: every accessor that applies to its type, and (when
// `probe`) the ones that do not, which must throw hearth::error rather than misread. Probing
// throws exceptions, which cost microseconds each: it is done for top-level values and the ends
// of arrays, not for every element of a 100k-entry vocabulary.
inline void touch_value(const hearth::gguf::value& v, sink& out, bool probe = true) {
    using hearth::gguf::value_type;
    out.eat_edges(v.raw());
    out.eat(v.key());
    const auto try_as = [&](auto tag) {
        using T = decltype(tag);
        try {
            out.eat(static_cast<std::uint64_t>(v.as<T>()));
        } catch (const hearth::error&) {
        }
    };
    switch (v.type()) {
    case value_type::string:
        out.eat(v.as<std::string_view>());
        out.eat(v.as<std::string>().size());
        if (probe) try_as(std::uint32_t{});  // must throw: a string is not a number
        break;
    case value_type::array: {
        out.eat(static_cast<std::uint64_t>(v.array_type()));
        const std::uint64_t n = v.size();
        out.eat(n);
        std::uint64_t seen = 0;
        for (const auto& e : v) {  // decode every element in order
            touch_value(e, out, false);
            ++seen;
        }
        if (seen != n) throw std::logic_error("gguf fuzz: array iteration saw " + std::to_string(seen) + " of " + std::to_string(n));
        if (n > 0) {  // random access at both ends
            touch_value(v.element(0), out, probe);
            touch_value(v.element(n - 1), out, probe);
        }
        try {
            (void)v.element(n);  // one past the end: must be an error
            throw std::logic_error("gguf fuzz: element(size()) did not throw");
        } catch (const hearth::error&) {
        }
        // The bulk decoders the tokenizer uses.
        try {
            for (auto s : v.to_vector<std::string_view>()) out.eat(s);
        } catch (const hearth::error&) {
        }
        try {
            for (float f : v.to_vector<float>()) out.eat(static_cast<std::uint64_t>(f != f));
        } catch (const hearth::error&) {
        }
        try {
            for (std::int32_t i : v.to_vector<std::int32_t>()) out.eat(static_cast<std::uint32_t>(i));
        } catch (const hearth::error&) {
        }
        break;
    }
    case value_type::boolean:
        out.eat(v.as<bool>());
        break;
    case value_type::f32:
    case value_type::f64:
        out.eat(static_cast<std::uint64_t>(v.as<double>() != 0.0));
        out.eat(static_cast<std::uint64_t>(v.as<float>() != 0.0f));
        break;
    default:  // integers: the widest type of their signedness never throws; double takes any
        if (v.type() == value_type::i8 || v.type() == value_type::i16 || v.type() == value_type::i32 ||
            v.type() == value_type::i64)
            out.eat(static_cast<std::uint64_t>(v.as<std::int64_t>()));
        else
            out.eat(v.as<std::uint64_t>());
        out.eat(static_cast<std::uint64_t>(v.as<double>() != 0.0));
    }
    if (probe && v.type() != value_type::string && v.type() != value_type::array) {
        try {
            (void)v.as<std::string_view>();  // a number is not a string
            throw std::logic_error("gguf fuzz: as<string_view>() of a " + std::string(to_string(v.type())) + " did not throw");
        } catch (const hearth::error&) {
        }
    }
}

inline void touch_tensor(const hearth::gguf::tensor_view& t, std::span<const std::byte> input, sink& out) {
    out.eat(t.name);
    out.eat(t.elements());
    out.eat(t.rows());
    if (t.data.empty()) return;
    // The span must lie wholly inside the input: check it, then read its first and last byte.
    const auto* b = input.data();
    const auto* e = b + input.size();
    if (t.data.data() < b || t.data.data() + t.data.size() > e)
        throw std::logic_error("gguf fuzz: tensor '" + std::string(t.name) + "' data lies outside the input");
    out.eat_edges(t.data);
    out.eat(t.row_bytes());
}

// Everything model::open would read, minus the backend: config, tensor table, tokenizer. The
// tokenizer built from hostile metadata (odd token types, scores, merges naming missing tokens,
// special ids anywhere) then encodes a fixed text plus the input's last bytes and renders the
// pieces of its first tokens.
inline void load_like_a_model(const hearth::gguf::file& f, std::span<const std::byte> input, sink& out) {
    try {
        const auto config = hearth::read_model_config(f);
        out.eat(config.n_vocab);
        const auto tensors = hearth::find_model_tensors(f, config);
        out.eat(tensors.layers.size());
    } catch (const hearth::error&) {
    }
    try {
        const auto tok = hearth::tokenizer::from_gguf(f);
        out.eat(tok.size());
        std::string text = "Hello world! <s> 123 \xE2\x96\x81";
        const auto tail = input.last(std::min<std::size_t>(input.size(), 48));
        text.append(reinterpret_cast<const char*>(tail.data()), tail.size());
        for (const bool parse_special : {false, true}) {
            const auto ids = tok.encode(text, true, parse_special);
            for (auto id : ids) {
                if (id < 0 || static_cast<std::size_t>(id) >= tok.size())
                    throw std::logic_error("gguf fuzz: encode() with a file's vocabulary gave id " + std::to_string(id) +
                                           " outside its " + std::to_string(tok.size()) + " tokens");
                out.eat(static_cast<std::uint32_t>(id));
            }
            out.eat(tok.decode(ids, true));
        }
        const auto n = static_cast<hearth::token_id>(std::min<std::size_t>(tok.size(), 512));
        for (hearth::token_id id = 0; id < n; ++id) {
            out.eat(tok.piece(id, true));
            out.eat(static_cast<std::uint64_t>(tok.is_eog(id)));
        }
    } catch (const hearth::error&) {
    }
}

inline void gguf_one_input(std::span<const std::byte> input) {
    sink out;
    hearth::gguf::file f = [&] {
        try {
            return hearth::gguf::file::parse(input, "<fuzz>");
        } catch (const hearth::error& e) {
            out.eat(std::string_view(e.what()));  // messages are built from the input: build them fully
            throw;
        }
    }();
    out.eat(f.version());
    out.eat(f.alignment());
    out.eat(f.data_offset());
    for (const auto& kv : f.metadata()) {
        touch_value(kv.val, out);
        if (f.find(kv.key) == nullptr) throw std::logic_error("gguf fuzz: a parsed key is not found by find()");
    }
    for (const auto& t : f.tensors()) {
        touch_tensor(t, input, out);
        if (f.find_tensor(t.name) == nullptr) throw std::logic_error("gguf fuzz: a parsed tensor is not found");
    }
    load_like_a_model(f, input, out);
    volatile std::uint64_t keep = out.acc;
    (void)keep;
}

// The entry the drivers call: hearth::error is the expected way to refuse an input.
inline int gguf_entry(const std::uint8_t* data, std::size_t size) {
    try {
        gguf_one_input({reinterpret_cast<const std::byte*>(data), size});
    } catch (const hearth::error&) {
    }
    return 0;
}

}  // namespace hearth_fuzz
