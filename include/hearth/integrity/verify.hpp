#pragma once
// Checking that a model file is the one a publisher named: hash it with SHA-256 and compare
// against the digest they printed (Hugging Face, a release page, a manifest beside the files).
//
// The file is hashed over its read-only mapping, front to back, with a sequential-access hint
// so the OS reads ahead and drops pages behind: a multi-GB model costs no RAM and streams at
// the speed of the disk or of the hash, whichever is slower.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/integrity/sha256.hpp>
#include <hearth/mapped_file.hpp>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN

// Called after each chunk with (bytes hashed so far, total bytes); for progress bars.
using hash_progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

namespace detail {
// Progress granularity: a callback every 64 MiB costs nothing next to hashing that much.
inline constexpr std::size_t hash_chunk_bytes = std::size_t{64} << 20;

inline sha256_digest parse_expected_sha256(std::string_view hex, std::string_view what) {
    if (auto d = sha256_digest::from_hex(hex)) return *d;
    throw error(errc::invalid_argument, std::string(what) + ": expected a SHA-256 digest of 64 hex digits, found '" +
                                            std::string(hex.substr(0, 80)) + (hex.size() > 80 ? "...'" : "'") +
                                            " (" + std::to_string(hex.size()) + " characters)");
}
}  // namespace detail

// The digest of bytes already in memory (a mapping the caller holds), with progress.
inline sha256_digest sha256_bytes(std::span<const std::byte> bytes, const hash_progress& progress = {}) {
    sha256 h;
    std::size_t done = 0;
    while (done < bytes.size()) {
        const std::size_t n = std::min(detail::hash_chunk_bytes, bytes.size() - done);
        h.update(bytes.subspan(done, n));
        done += n;
        if (progress) progress(done, bytes.size());
    }
    return h.finish();
}

// The digest of a whole file, streamed over its mapping. Throws error(errc::io) when the file
// cannot be opened or mapped.
inline sha256_digest sha256_file(const std::filesystem::path& path, const hash_progress& progress = {}) {
    const mapped_file map = mapped_file::open(path);
    map.advise(mapped_file::access::sequential);
    return sha256_bytes(map.bytes(), progress);
}

// Throws unless `bytes` hash to `expected_hex` (64 hex digits, either case):
//   errc::invalid_argument  expected_hex is not a SHA-256 digest
//   errc::bad_format        the digests differ (message names `source`, both digests, the size)
// For a loader that has already mapped the file: hashing the very bytes it will read leaves no
// window in which the file could be swapped between the check and the use.
inline void require_sha256(std::span<const std::byte> bytes, std::string_view expected_hex, std::string_view source,
                           const hash_progress& progress = {}) {
    const sha256_digest expected = detail::parse_expected_sha256(expected_hex, source);
    const sha256_digest actual = sha256_bytes(bytes, progress);
    if (actual != expected)
        throw error(errc::bad_format, std::string(source) + ": SHA-256 mismatch: expected " + expected.hex() +
                                          ", found " + actual.hex() + " over " + std::to_string(bytes.size()) +
                                          " bytes (the file is damaged, incomplete, or not the file the digest names)");
}

// Throws unless the file at `path` hashes to `expected_hex`; errors as require_sha256, plus
// errc::io when the file cannot be read.
inline void verify_sha256(const std::filesystem::path& path, std::string_view expected_hex,
                          const hash_progress& progress = {}) {
    const sha256_digest expected = detail::parse_expected_sha256(expected_hex, path.string());
    const mapped_file map = mapped_file::open(path);
    map.advise(mapped_file::access::sequential);
    require_sha256(map.bytes(), expected.hex(), path.string(), progress);
}

HEARTH_NAMESPACE_END
