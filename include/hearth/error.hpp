#pragma once
// hearth::error: the one exception type the library throws. The kind says which class of
// problem it is (so callers and tests can branch on it); the message says what, where, and
// expected vs found, in words a user can act on.
#include <hearth/config.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

HEARTH_NAMESPACE_BEGIN

enum class errc {
    io,               // the OS refused: open, stat, mmap, read
    bad_format,       // the bytes are not what the format says they must be
    truncated,        // a section, string, array or tensor runs past the end of the file
    unsupported,      // valid input we do not implement (version, dtype, architecture)
    invalid_argument, // the caller asked for something impossible (bad id, bad option)
    not_found,        // a key, tensor or file that was required is missing
    out_of_range,     // a value outside its allowed range (token id, context length)
    out_of_memory,
    device,           // a GPU backend could not be used
    cancelled,
};

inline const char* to_string(errc e) noexcept {
    switch (e) {
    case errc::io: return "io";
    case errc::bad_format: return "bad_format";
    case errc::truncated: return "truncated";
    case errc::unsupported: return "unsupported";
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::out_of_range: return "out_of_range";
    case errc::out_of_memory: return "out_of_memory";
    case errc::device: return "device";
    case errc::cancelled: return "cancelled";
    }
    return "unknown";
}

class error : public std::runtime_error {
public:
    error(errc kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    errc kind() const noexcept { return kind_; }

private:
    errc kind_;
};

HEARTH_NAMESPACE_END
