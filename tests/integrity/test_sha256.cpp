// SHA-256 against FIPS 180-4's examples, its constants recomputed from their definition, and the
// streaming interface against one-shot hashing at every split.
#include <catch2/catch.hpp>
#include <hearth/integrity/sha256.hpp>
#include <cctype>
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

using hearth::sha256;
using hearth::sha256_digest;

namespace {
std::string hex_of(std::string_view text) { return sha256::of(text).hex(); }

std::vector<std::byte> pseudo_random_bytes(std::size_t n, std::uint64_t seed) {
    std::vector<std::byte> out(n);
    std::uint64_t x = seed;
    for (auto& b : out) {  // xorshift64: any fixed byte pattern that is not periodic in 64
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        b = static_cast<std::byte>(x >> 56);
    }
    return out;
}
}  // namespace

TEST_CASE("sha256: the FIPS 180-4 / NIST example messages", "[integrity][sha256]") {
    // NIST's "Example Algorithm Implementations" for SHA-256 (one block, two blocks) and the
    // long-message example from the SHA-2 validation examples.
    CHECK(hex_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                 "mnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    CHECK(hex_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_of(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: lengths at the padding boundaries (one vs two final blocks)", "[integrity][sha256]") {
    // 55 bytes is the longest message whose length still fits its last block; 56..63 need a
    // second one. Digests from coreutils' sha256sum (an independent implementation).
    struct known { std::size_t n; const char* hex; };
    const known cases[] = {
        {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
        {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
        {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
        {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
        {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
        {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
        {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
        {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    };
    for (const auto& c : cases) {
        INFO("length " << c.n);
        CHECK(hex_of(std::string(c.n, 'a')) == c.hex);
    }
}

namespace {
// floor(x) for the largest x with x^k <= v (k = 2 or 3), by binary search in 128-bit integers.
std::uint64_t integer_root(unsigned __int128 v, int k) {
    std::uint64_t lo = 0, hi = std::uint64_t{1} << 40;
    while (lo < hi) {
        const std::uint64_t mid = lo + (hi - lo + 1) / 2;
        unsigned __int128 p = 1;
        for (int i = 0; i < k; ++i) p *= mid;
        if (p <= v) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}
std::vector<unsigned> first_primes(std::size_t n) {
    std::vector<unsigned> primes;
    for (unsigned c = 2; primes.size() < n; ++c) {
        bool prime = true;
        for (unsigned p : primes)
            if (c % p == 0) { prime = false; break; }
        if (prime) primes.push_back(c);
    }
    return primes;
}
}  // namespace

TEST_CASE("sha256: constants are the fractional bits of prime roots (FIPS 180-4 4.2.2, 5.3.3)", "[integrity][sha256]") {
    const auto primes = first_primes(64);
    for (std::size_t i = 0; i < 64; ++i) {
        // frac(cbrt(p)) * 2^32 = low 32 bits of floor(cbrt(p * 2^96)).
        const auto root = integer_root(static_cast<unsigned __int128>(primes[i]) << 96, 3);
        INFO("K[" << i << "], prime " << primes[i]);
        CHECK(static_cast<std::uint32_t>(root) == sha256::round_constants[i]);
    }
    for (std::size_t i = 0; i < 8; ++i) {
        const auto root = integer_root(static_cast<unsigned __int128>(primes[i]) << 64, 2);
        INFO("H0[" << i << "], prime " << primes[i]);
        CHECK(static_cast<std::uint32_t>(root) == sha256::initial_hash[i]);
    }
}

TEST_CASE("sha256: streaming in any pieces gives the one-shot digest", "[integrity][sha256]") {
    const auto data = pseudo_random_bytes(300, 0x9e3779b97f4a7c15ull);
    for (std::size_t n = 0; n <= data.size(); n += (n < 140 ? 1 : 37)) {
        const std::span<const std::byte> msg(data.data(), n);
        const sha256_digest whole = sha256::of(msg);
        for (std::size_t cut = 0; cut <= n; ++cut) {
            sha256 h;
            h.update(msg.first(cut)).update(msg.subspan(cut));
            INFO("length " << n << ", split at " << cut);
            REQUIRE(h.finish() == whole);
        }
        // Byte by byte, and with empty updates in between.
        sha256 h;
        for (std::size_t i = 0; i < n; ++i) h.update(msg.subspan(i, 1)).update(std::span<const std::byte>{});
        REQUIRE(h.finish() == whole);
    }
}

TEST_CASE("sha256: finish() resets the hasher for the next message", "[integrity][sha256]") {
    sha256 h;
    h.update("some earlier message that must not leak into the next");
    (void)h.finish();
    h.update("abc");
    CHECK(h.finish().hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    h.update("abc");
    h.reset();
    CHECK(h.finish().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256_digest: hex text in and out", "[integrity][sha256]") {
    const std::string lower = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    std::string upper = lower;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto a = sha256_digest::from_hex(lower), b = sha256_digest::from_hex(upper);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*a == *b);
    CHECK(a->hex() == lower);
    CHECK(*a == sha256::of("abc"));
    CHECK_FALSE(sha256_digest::from_hex(""));
    CHECK_FALSE(sha256_digest::from_hex(lower.substr(1)));          // 63 digits
    CHECK_FALSE(sha256_digest::from_hex(lower + "0"));              // 65 digits
    CHECK_FALSE(sha256_digest::from_hex("g" + lower.substr(1)));    // not hex
    CHECK_FALSE(sha256_digest::from_hex(" " + lower.substr(1)));    // whitespace is not trimmed
    CHECK_FALSE(sha256_digest::from_hex("0x" + lower.substr(2)));   // no prefix
}

TEST_CASE("sha256: the compression kernel of this build agrees with the scalar reference", "[integrity][sha256]") {
    // With -march=native on a CPU with SHA-NI (and in any build with -msha -msse4.1) the kernel is
    // the SHA extensions one; elsewhere it is the scalar code itself and this is trivially true.
    INFO("SHA extensions in use: " << sha256::uses_sha_extensions);
    const auto data = pseudo_random_bytes(64 * 37, 12345);
    for (std::size_t blocks : {1u, 2u, 3u, 16u, 37u}) {
        for (std::uint64_t seed = 1; seed <= 8; ++seed) {
            // Start from arbitrary chaining values, not just H(0): every state lane must round-trip.
            std::array<std::uint32_t, 8> a{}, b{};
            const auto s = pseudo_random_bytes(32, seed * 7919);
            for (std::size_t i = 0; i < 8; ++i) {
                std::uint32_t v = 0;
                std::memcpy(&v, s.data() + 4 * i, 4);
                a[i] = b[i] = v;
            }
            hearth::detail::sha256_compress(a, data.data() + 64 * seed, std::min<std::size_t>(blocks, 37 - seed));
            hearth::detail::sha256_compress_scalar(b, data.data() + 64 * seed, std::min<std::size_t>(blocks, 37 - seed));
            INFO(blocks << " blocks, state seed " << seed);
            REQUIRE(a == b);
        }
    }
}
