#pragma once
// A bounds-checked little-endian cursor over untrusted bytes. Every read checks the length it
// needs against what remains BEFORE touching memory, with arithmetic that cannot overflow
// (compare `n > remaining` rather than `pos + n > size`), so a hostile length can never walk
// past the mapping. Failures become errc::truncated naming what was being read and where.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

HEARTH_NAMESPACE_BEGIN
namespace gguf::detail {

// GGUF stores numbers little-endian; a big-endian host swaps on load (decided at compile time).
template <class T>
inline T load_le(const std::byte* p) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if constexpr (std::endian::native == std::endian::little || sizeof(T) == 1) {
        T v;
        std::memcpy(&v, p, sizeof v);
        return v;
    } else {
        std::byte tmp[sizeof(T)];
        std::reverse_copy(p, p + sizeof(T), tmp);
        T v;
        std::memcpy(&v, tmp, sizeof v);
        return v;
    }
}

class byte_reader {
public:
    byte_reader(std::span<const std::byte> bytes, std::string_view source, std::size_t pos = 0) noexcept
        : bytes_(bytes), source_(source), pos_(pos) {}

    std::size_t pos() const noexcept { return pos_; }
    std::size_t size() const noexcept { return bytes_.size(); }
    std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
    std::span<const std::byte> bytes() const noexcept { return bytes_; }
    std::string_view source() const noexcept { return source_; }

    // What the caller is inside of (a key or tensor name), named in truncation messages.
    void set_context(std::string_view context) noexcept { context_ = context; }
    std::string_view context() const noexcept { return context_; }

    template <class T>
    T read(const char* what) {
        need(sizeof(T), what);
        T v = load_le<T>(bytes_.data() + pos_);
        pos_ += sizeof(T);
        return v;
    }

    std::span<const std::byte> take(std::uint64_t n, const char* what) {
        need(n, what);
        auto s = bytes_.subspan(pos_, static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }

    // A GGUF string: u64 byte length, then that many bytes (UTF-8, not NUL-terminated).
    std::string_view read_string(const char* what) {
        const std::size_t at = pos_;
        const auto len = read<std::uint64_t>(what);
        if (len > remaining())
            throw error(errc::truncated, where(at) + ": " + what + " length " + std::to_string(len) +
                                             " runs past the end of the file (only " +
                                             std::to_string(remaining()) + " bytes remain after the length)");
        auto s = take(len, what);
        return {reinterpret_cast<const char*>(s.data()), s.size()};
    }

    // "<source>, byte offset N (in key 'x')": the 'where' part of every parse message.
    std::string where(std::size_t at) const {
        std::string s = std::string(source_) + ", byte offset " + std::to_string(at);
        if (!context_.empty()) s += " (" + std::string(context_) + ")";
        return s;
    }

    [[noreturn]] void fail(errc kind, std::size_t at, const std::string& message) const {
        throw error(kind, where(at) + ": " + message);
    }

private:
    void need(std::uint64_t n, const char* what) const {
        if (n > remaining())
            throw error(errc::truncated, where(pos_) + ": truncated " + what + ": needs " +
                                             std::to_string(n) + " bytes, but the file ends after " +
                                             std::to_string(remaining()));
    }

    std::span<const std::byte> bytes_;
    std::string_view source_;
    std::string_view context_;
    std::size_t pos_ = 0;
};

}  // namespace gguf::detail
HEARTH_NAMESPACE_END
