// Every prefix of a small valid file either parses or throws hearth::error: never a crash, never
// a read past the end (the ASan build proves the latter). Also random byte flips in the header.
#include "gguf_test_support.hpp"
#include <hearth/gguf.hpp>

using namespace hearth;
using namespace hearth::gguf;

namespace {
gguf_test::bytes small_valid_file() {
    static const auto a = gguf_test::random_bytes(32 * 2 * 4, 3);
    static const auto q = gguf_test::random_bytes(34 * 2, 4);
    writer w;
    w.set("general.architecture", "llama");
    w.set("u", std::uint32_t{5});
    w.set("toks", std::vector<std::string>{"<s>", "</s>", "hello"});
    w.set("scores", std::vector<float>{0.f, 1.f, 2.f});
    w.set("nested", encoded_value::array({encoded_value::of(std::vector<std::int8_t>{1, 2}),
                                          encoded_value::of(std::vector<std::string>{"x"})}));
    w.add_tensor("a", dtype::f32, {32, 2}, a);
    w.add_tensor("q", dtype::q8_0, {32, 2}, q);
    gguf_test::bytes out;
    w.write_to(out);
    return out;
}

// Parses and touches everything (all values decoded, all tensor bytes read).
std::size_t parse_and_touch(std::span<const std::byte> b) {
    const auto f = file::parse(b, "prefix");
    std::size_t sum = 0;
    for (const auto& e : f.metadata()) {
        if (!e.val.is_array()) continue;
        for (auto el : e.val) sum += el.raw().size();
    }
    for (const auto& t : f.tensors())
        for (auto byte : t.data) sum += static_cast<unsigned>(byte);
    return sum;
}
}  // namespace

TEST_CASE("every truncation of a valid file parses or throws hearth::error", "[gguf][hostile][sweep]") {
    const auto full = small_valid_file();
    std::size_t parsed = 0, refused = 0;
    for (std::size_t n = 0; n <= full.size(); ++n) {
        // An exact-size heap copy, so ASan flags any read one byte past the prefix.
        const std::vector<std::byte> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
        try {
            (void)parse_and_touch(prefix);
            ++parsed;
        } catch (const hearth::error& e) {
            ++refused;
            if (e.kind() != errc::truncated) FAIL("prefix " << n << ": " << e.what());
        }
    }
    CHECK(refused > 0);
    // Only the full file (and prefixes that keep every tensor's bytes: the last tensor's padding)
    // parse; everything shorter is refused as truncated.
    CHECK(parsed >= 1);
    CHECK(parsed <= 32);
}

TEST_CASE("random byte corruption never crashes", "[gguf][hostile][sweep]") {
    const auto full = small_valid_file();
    std::uint32_t x = 12345;
    auto next = [&] { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x; };
    std::size_t refused = 0;
    for (int trial = 0; trial < 20000; ++trial) {
        auto b = full;
        const int flips = 1 + static_cast<int>(next() % 4);
        for (int k = 0; k < flips; ++k) {
            // Most damage lands in the metadata and tensor infos, where the lengths are.
            const auto limit = next() % 8 ? std::min<std::size_t>(b.size(), 400) : b.size();
            b[next() % limit] = static_cast<std::byte>(next());
        }
        try {
            (void)parse_and_touch(b);
        } catch (const hearth::error&) {
            ++refused;
        }
    }
    CHECK(refused > 1000);
}
