#pragma once
// Manifests: a text file of SHA-256 digests for a set of files, as `sha256sum` writes it
// (`sha256sum *.gguf > SHA256SUMS`), checked the way `sha256sum -c` checks it.
//
// Accepted lines (blank lines and lines starting with '#' are skipped, CRLF is fine):
//   <64 hex digits><space><space or '*'><name>      GNU format ('*' marks binary mode; same hash)
//   \<64 hex digits>  <escaped name>                 GNU format for names with '\' or a newline
//   SHA256 (<name>) = <64 hex digits>                BSD / `sha256sum --tag` format
// Names are relative to the manifest's folder. A manifest is itself untrusted input: a name that
// is absolute or climbs out of that folder ("..") is refused rather than followed, so checking a
// downloaded manifest never reads files it has no business naming.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/integrity/sha256.hpp>
#include <hearth/integrity/verify.hpp>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

HEARTH_NAMESPACE_BEGIN

struct manifest_entry {
    sha256_digest digest;
    std::string name;      // as listed (unescaped), relative to the manifest's folder
    std::size_t line = 0;  // 1-based line number, for messages
};

struct file_verdict {
    enum class outcome { ok, mismatch, unreadable };
    manifest_entry entry;
    std::filesystem::path path;  // the file that was (or could not be) read
    outcome result = outcome::unreadable;
    sha256_digest actual{};      // meaningful unless unreadable
    std::string message;         // what went wrong; empty when ok
    bool ok() const noexcept { return result == outcome::ok; }
};

namespace detail {

inline std::string printable(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 100)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += c;
        }
    }
    if (s.size() > 100) out += "...";
    return out;
}

// sha256sum escapes a name holding '\', '\n' or '\r' and marks the line with a leading '\'.
inline std::optional<std::string> unescape_manifest_name(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out += s[i];
            continue;
        }
        if (++i == s.size()) return std::nullopt;
        if (s[i] == '\\') out += '\\';
        else if (s[i] == 'n') out += '\n';
        else if (s[i] == 'r') out += '\r';
        else return std::nullopt;
    }
    return out;
}

// Relative, non-empty, and never climbing out of the manifest's folder.
inline bool stays_inside(std::string_view name) {
    if (name.empty()) return false;
    const std::filesystem::path p(name);
    if (p.is_absolute() || p.has_root_name() || p.has_root_directory()) return false;
    for (const auto& part : p.lexically_normal())
        if (part == "..") return false;
    return true;
}

}  // namespace detail

// Parses a manifest's text. `source` names it in messages ("SHA256SUMS:3: ..."). Throws
// error(errc::bad_format) on a line in neither format, an unsafe name, or the same name listed
// with two digests; error(errc::not_found) when it lists no file at all.
inline std::vector<manifest_entry> parse_manifest(std::string_view text, std::string_view source) {
    std::vector<manifest_entry> entries;
    std::size_t line_no = 0;
    auto fail = [&](const std::string& what) {
        throw error(errc::bad_format, std::string(source) + ":" + std::to_string(line_no) + ": " + what);
    };
    while (!text.empty()) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty() || line.front() == '#') continue;

        const bool escaped = line.front() == '\\';
        if (escaped) line.remove_prefix(1);
        std::string_view hex, raw_name;
        constexpr std::string_view tag = "SHA256 (", tag_sep = ") = ";
        if (line.starts_with(tag)) {
            const std::size_t sep = line.rfind(tag_sep);
            if (sep == std::string_view::npos || sep < tag.size())
                fail("expected 'SHA256 (NAME) = <64 hex digits>', found '" + detail::printable(line) + "'");
            raw_name = line.substr(tag.size(), sep - tag.size());
            hex = line.substr(sep + tag_sep.size());
        } else {
            if (line.size() < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
                fail("expected '<64 hex digits>  NAME' (the format sha256sum prints), found '" +
                     detail::printable(line) + "'");
            hex = line.substr(0, 64);
            raw_name = line.substr(66);
        }
        const auto digest = sha256_digest::from_hex(hex);
        if (!digest) fail("'" + detail::printable(hex) + "' is not a SHA-256 digest (64 hex digits)");
        std::string name(raw_name);
        if (escaped) {
            auto un = detail::unescape_manifest_name(raw_name);
            if (!un) fail("bad escape in name '" + detail::printable(raw_name) + "' (only \\\\, \\n and \\r are defined)");
            name = std::move(*un);
        }
        if (name.find('\0') != std::string::npos || !detail::stays_inside(name))
            fail("name '" + detail::printable(name) +
                 "' is empty, absolute, or leaves the manifest's folder: a manifest may only name files beside it or below");
        for (const auto& e : entries)
            if (e.name == name && e.digest != *digest)
                fail("'" + detail::printable(name) + "' is listed again with another digest (first on line " +
                     std::to_string(e.line) + ")");
        entries.push_back({*digest, std::move(name), line_no});
    }
    if (entries.empty())
        throw error(errc::not_found, std::string(source) + ": no SHA-256 lines found (expected '<64 hex digits>  NAME' per line)");
    return entries;
}

// Reads and parses a manifest file. A manifest is a few lines per model: anything past 16 MiB
// is not one, and is refused before it is read into memory.
inline std::vector<manifest_entry> read_manifest(const std::filesystem::path& path) {
    constexpr std::uintmax_t max_bytes = std::uintmax_t{16} << 20;
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw error(errc::io, "cannot read manifest '" + path.string() + "': " + ec.message());
    if (size > max_bytes)
        throw error(errc::bad_format, "manifest '" + path.string() + "' is " + std::to_string(size) +
                                          " bytes; a SHA-256 manifest of that size is not one (limit 16 MiB)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw error(errc::io, "cannot open manifest '" + path.string() + "'");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_manifest(text, path.string());
}

namespace detail {
inline std::filesystem::path comparable(const std::filesystem::path& p) {
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(p, ec);
    return ec ? p.lexically_normal() : c;
}
}  // namespace detail

// Hashes every file the manifest lists (or only `only`, which must be among them) and says for
// each whether it matches. A mismatch or an unreadable file is a verdict, not an exception, so
// the caller can report all of them; a malformed manifest, or `only` not listed, throws.
inline std::vector<file_verdict> verify_manifest(const std::filesystem::path& manifest,
                                                 const std::filesystem::path& only = {},
                                                 const hash_progress& progress = {}) {
    const auto entries = read_manifest(manifest);
    const std::filesystem::path folder = manifest.parent_path();
    std::vector<const manifest_entry*> chosen;
    if (only.empty()) {
        for (const auto& e : entries) chosen.push_back(&e);
    } else {
        const auto want = detail::comparable(only);
        for (const auto& e : entries)
            if (detail::comparable(folder / e.name) == want) chosen.push_back(&e);
        if (chosen.empty())
            throw error(errc::not_found, "'" + only.string() + "' is not listed in manifest '" + manifest.string() +
                                             "' (" + std::to_string(entries.size()) + " files listed)");
    }
    std::vector<file_verdict> verdicts;
    verdicts.reserve(chosen.size());
    for (const manifest_entry* e : chosen) {
        file_verdict v;
        v.entry = *e;
        v.path = folder / e->name;
        try {
            v.actual = sha256_file(v.path, progress);
            if (v.actual == e->digest) {
                v.result = file_verdict::outcome::ok;
            } else {
                v.result = file_verdict::outcome::mismatch;
                v.message = "SHA-256 mismatch: expected " + e->digest.hex() + " (" + manifest.string() + " line " +
                            std::to_string(e->line) + "), found " + v.actual.hex();
            }
        } catch (const error& err) {
            v.result = file_verdict::outcome::unreadable;
            v.message = err.what();
        }
        verdicts.push_back(std::move(v));
    }
    return verdicts;
}

HEARTH_NAMESPACE_END
