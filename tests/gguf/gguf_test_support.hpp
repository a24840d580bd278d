#pragma once
// Helpers for the GGUF tests: a raw byte builder for files no honest writer would produce,
// byte surgery on valid files, and a check that parsing fails with the right kind and message.
#include <catch2/catch.hpp>
#include <hearth/gguf.hpp>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace gguf_test {

using bytes = std::vector<std::byte>;

// Appends GGUF fields one by one, so a test can write any header, count or length it likes.
struct raw_builder {
    bytes out;

    raw_builder& u8(std::uint8_t v) { return put(v); }
    raw_builder& u32(std::uint32_t v) { return put(v); }
    raw_builder& u64(std::uint64_t v) { return put(v); }
    raw_builder& f32(float v) { return put(v); }
    raw_builder& str(std::string_view s) {
        u64(s.size());
        for (char c : s) out.push_back(static_cast<std::byte>(c));
        return *this;
    }
    raw_builder& magic(std::string_view m = "GGUF") {
        for (char c : m) out.push_back(static_cast<std::byte>(c));
        return *this;
    }
    // magic, version, n_tensors, n_kv
    raw_builder& header(std::uint64_t n_tensors, std::uint64_t n_kv, std::uint32_t version = 3) {
        return magic().u32(version).u64(n_tensors).u64(n_kv);
    }
    raw_builder& kv_u32(std::string_view key, std::uint32_t v) { return str(key).u32(4).u32(v); }
    raw_builder& kv_str(std::string_view key, std::string_view v) { return str(key).u32(8).str(v); }
    // name, n_dims, dims..., dtype id, offset
    raw_builder& tensor_info(std::string_view name, std::vector<std::uint64_t> ne, std::uint32_t type,
                             std::uint64_t offset) {
        str(name).u32(static_cast<std::uint32_t>(ne.size()));
        for (auto d : ne) u64(d);
        return u32(type).u64(offset);
    }
    raw_builder& pad_to(std::size_t alignment) {
        while (out.size() % alignment) out.push_back(std::byte{0});
        return *this;
    }
    raw_builder& zeros(std::size_t n) {
        out.insert(out.end(), n, std::byte{0});
        return *this;
    }

private:
    template <class T>
    raw_builder& put(T v) {
        std::byte b[sizeof v];
        std::memcpy(b, &v, sizeof v);
        out.insert(out.end(), b, b + sizeof v);
        return *this;
    }
};

inline hearth::gguf::file parse(const bytes& b) { return hearth::gguf::file::parse(b, "corpus.gguf"); }
hearth::gguf::file parse(bytes&&) = delete;  // the file's views would dangle

// Parsing must throw hearth::error of `kind` whose message contains every fragment.
inline void require_error(const bytes& b, hearth::errc kind, std::initializer_list<std::string_view> fragments) {
    try {
        (void)parse(b);
        FAIL("parsed without error; expected " << hearth::to_string(kind));
    } catch (const hearth::error& e) {
        INFO("message: " << e.what());
        CHECK(hearth::to_string(e.kind()) == std::string(hearth::to_string(kind)));
        for (auto f : fragments) CHECK_THAT(e.what(), Catch::Contains(std::string(f)));
    }
}

template <class F>
inline void require_throws(F&& f, hearth::errc kind, std::initializer_list<std::string_view> fragments) {
    try {
        f();
        FAIL("no error; expected " << hearth::to_string(kind));
    } catch (const hearth::error& e) {
        INFO("message: " << e.what());
        CHECK(hearth::to_string(e.kind()) == std::string(hearth::to_string(kind)));
        for (auto frag : fragments) CHECK_THAT(e.what(), Catch::Contains(std::string(frag)));
    }
}

// Finds the first occurrence of a GGUF string (u64 length + bytes) and returns the offset of
// its length field: how surgery tests locate a key or tensor record in a writer-made file.
inline std::size_t find_gguf_string(const bytes& b, std::string_view s) {
    raw_builder r;
    r.str(s);
    auto it = std::search(b.begin(), b.end(), r.out.begin(), r.out.end());
    REQUIRE(it != b.end());
    return static_cast<std::size_t>(it - b.begin());
}

template <class T>
inline void poke(bytes& b, std::size_t at, T v) {
    REQUIRE(at + sizeof v <= b.size());
    std::memcpy(b.data() + at, &v, sizeof v);
}
template <class T>
inline T peek(const bytes& b, std::size_t at) {
    T v;
    std::memcpy(&v, b.data() + at, sizeof v);
    return v;
}

inline bytes random_bytes(std::size_t n, std::uint32_t seed) {
    bytes out(n);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : out) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;  // xorshift32
        b = static_cast<std::byte>(x >> 24);
    }
    return out;
}

// Defined in second_tu.cpp: proves two translation units including <hearth/gguf.hpp> link.
std::size_t tensor_count_from_second_tu(const bytes& b);

}  // namespace gguf_test
