#pragma once
// SHA-256 (FIPS 180-4, section 6.2), written from the standard: a streaming hasher that takes
// bytes in any pieces and gives the same digest as hashing them in one go.
//
// Why hearth carries its own: a model file is a quarter of a gigabyte to many gigabytes of
// untrusted bytes, and the one dependency-free way to check that the file on disk is the one a
// publisher named is to hash it here. Linking a crypto library for one function would give the
// CLI a dependency it otherwise does not need (and a network-capable one, usually).
#include <hearth/config.hpp>
#include <hearth/integrity/sha256_compress.hpp>
#include <array>
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

    // FIPS 180-4's constants (section 4.2.2 and 5.3.3), for tests and tools.
    static constexpr const std::array<std::uint32_t, 64>& round_constants = detail::sha256_k;
    static constexpr const std::array<std::uint32_t, 8>& initial_hash = detail::sha256_h0;
    // True when this build hashes with the x86 SHA extensions (see sha256_compress.hpp).
    static constexpr bool uses_sha_extensions = detail::sha256_uses_sha_extensions;

private:
    void compress(const std::byte* block, std::size_t n) noexcept {
        if (n) detail::sha256_compress(h_, block, n);
    }

    std::array<std::uint32_t, 8> h_{};
    std::array<std::byte, block_bytes> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

HEARTH_NAMESPACE_END
