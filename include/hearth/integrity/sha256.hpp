#pragma once
// SHA-256 (FIPS 180-4, section 6.2), written from the standard: a streaming hasher that takes
// bytes in any pieces and gives the same digest as hashing them in one go.
//
// Why hearth carries its own: a model file is a quarter of a gigabyte to many gigabytes of
// untrusted bytes, and the one dependency-free way to check that the file on disk is the one a
// publisher named is to hash it here. Linking a crypto library for one function would give the
// CLI a dependency it otherwise does not need (and a network-capable one, usually).
#include <hearth/config.hpp>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN

// A SHA-256 digest: 32 bytes, shown as 64 lowercase hex digits (as sha256sum prints it).
struct sha256_digest {
    std::array<std::uint8_t, 32> bytes{};

    friend bool operator==(const sha256_digest&, const sha256_digest&) = default;

    std::string hex() const {
        static constexpr char digits[] = "0123456789abcdef";
        std::string s(64, '0');
        for (std::size_t i = 0; i < 32; ++i) {
            s[2 * i] = digits[bytes[i] >> 4];
            s[2 * i + 1] = digits[bytes[i] & 15];
        }
        return s;
    }

    // Exactly 64 hex digits, either case; nullopt for anything else (no whitespace, no prefix).
    static std::optional<sha256_digest> from_hex(std::string_view text) noexcept {
        if (text.size() != 64) return std::nullopt;
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        sha256_digest d;
        for (std::size_t i = 0; i < 32; ++i) {
            const int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
            if (hi < 0 || lo < 0) return std::nullopt;
            d.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
        }
        return d;
    }
};

class sha256 {
public:
    static constexpr std::size_t block_bytes = 64;

    sha256() noexcept { reset(); }

    // Starts a new message (H(0) of section 5.3.3).
    void reset() noexcept {
        h_ = initial_hash;
        buffered_ = 0;
        total_bytes_ = 0;
    }

    sha256& update(std::span<const std::byte> data) noexcept {
        if (data.empty()) return *this;  // an empty span may carry a null pointer: memcpy must not see it
        const std::byte* p = data.data();
        std::size_t n = data.size();
        total_bytes_ += n;
        if (buffered_ != 0) {  // finish the partial block left by the previous call first
            const std::size_t take = n < block_bytes - buffered_ ? n : block_bytes - buffered_;
            std::memcpy(buffer_.data() + buffered_, p, take);
            buffered_ += take, p += take, n -= take;
            if (buffered_ < block_bytes) return *this;
            compress(buffer_.data(), 1);
            buffered_ = 0;
        }
        // Whole blocks straight from the caller's memory: no copy on the large-file path.
        const std::size_t whole = n / block_bytes;
        compress(p, whole);
        p += whole * block_bytes, n -= whole * block_bytes;
        if (n) std::memcpy(buffer_.data(), p, n), buffered_ = n;
        return *this;
    }
    sha256& update(std::string_view text) noexcept {
        return update(std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
    }

    // Pads (section 5.1.1: a 1 bit, zeros, the message length in bits as a 64-bit big-endian
    // number), hashes the last block(s) and returns the digest. The hasher is reset afterwards.
    sha256_digest finish() noexcept {
        const std::uint64_t bit_length = total_bytes_ * 8;  // FIPS 180-4 limits messages to < 2^64 bits
        std::array<std::byte, 2 * block_bytes> tail{};
        std::memcpy(tail.data(), buffer_.data(), buffered_);
        tail[buffered_] = std::byte{0x80};
        // One block when the length still fits after the 0x80 byte, two otherwise.
        const std::size_t blocks = buffered_ + 1 + 8 <= block_bytes ? 1 : 2;
        for (int i = 0; i < 8; ++i)
            tail[blocks * block_bytes - 1 - i] = static_cast<std::byte>(bit_length >> (8 * i));
        compress(tail.data(), blocks);
        sha256_digest d;
        for (std::size_t i = 0; i < 8; ++i)
            for (std::size_t b = 0; b < 4; ++b) d.bytes[4 * i + b] = static_cast<std::uint8_t>(h_[i] >> (24 - 8 * b));
        reset();
        return d;
    }

    // The digest of one buffer.
    static sha256_digest of(std::span<const std::byte> data) noexcept { return sha256().update(data).finish(); }
    static sha256_digest of(std::string_view text) noexcept { return sha256().update(text).finish(); }

    // Section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
    // 64 primes (a test recomputes them from the primes).
    static constexpr std::array<std::uint32_t, 64> round_constants = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };
    // Section 5.3.3: the first 32 bits of the fractional parts of the square roots of the first
    // 8 primes.
    static constexpr std::array<std::uint32_t, 8> initial_hash = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };

private:
    static std::uint32_t load_be32(const std::byte* p) noexcept {
        return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
               static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
    }

    // Section 6.2.2 over `n` consecutive 64-byte blocks. The message schedule is kept as a
    // rolling window of 16 words (W[t] needs only W[t-2], W[t-7], W[t-15], W[t-16]), which keeps
    // it in registers and L1 instead of a 64-word array per block.
    void compress(const std::byte* block, std::size_t n) noexcept {
        using std::rotr;
        std::uint32_t h0 = h_[0], h1 = h_[1], h2 = h_[2], h3 = h_[3], h4 = h_[4], h5 = h_[5], h6 = h_[6], h7 = h_[7];
        for (; n > 0; --n, block += block_bytes) {
            std::uint32_t w[16];
            for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
            std::uint32_t a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
            for (int t = 0; t < 64; ++t) {
                std::uint32_t wt;
                if (t < 16) {
                    wt = w[t];
                } else {
                    const std::uint32_t w15 = w[(t - 15) & 15], w2 = w[(t - 2) & 15];
                    const std::uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);   // sigma0 (4.6)
                    const std::uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);    // sigma1 (4.7)
                    wt = w[t & 15] = w[t & 15] + s0 + w[(t - 7) & 15] + s1;
                }
                const std::uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);  // Sigma1 (4.5)
                const std::uint32_t ch = (e & f) ^ (~e & g);                       // Ch (4.2)
                const std::uint32_t t1 = h + S1 + ch + round_constants[static_cast<std::size_t>(t)] + wt;
                const std::uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);   // Sigma0 (4.4)
                const std::uint32_t maj = (a & b) ^ (a & c) ^ (b & c);              // Maj (4.3)
                const std::uint32_t t2 = S0 + maj;
                h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
            }
            h0 += a, h1 += b, h2 += c, h3 += d, h4 += e, h5 += f, h6 += g, h7 += h;
        }
        h_ = {h0, h1, h2, h3, h4, h5, h6, h7};
    }

    std::array<std::uint32_t, 8> h_{};
    std::array<std::byte, block_bytes> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

HEARTH_NAMESPACE_END
