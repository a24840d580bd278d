#pragma once
// gguf::value: one metadata value, viewed in place in the file's bytes.
// Scalars are decoded when asked for; strings are string_views into the mapping; arrays keep
// only (element type, count, byte range) and decode an element when it is read. A 300k-entry
// vocabulary therefore costs nothing at open beyond the one validating walk over its bytes.
#include <hearth/config.hpp>
#include <hearth/error.hpp>
#include <hearth/gguf/byte_reader.hpp>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

HEARTH_NAMESPACE_BEGIN
namespace gguf {

enum class value_type : std::uint32_t {
    u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
    string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};

inline constexpr std::uint32_t value_type_count = 13;

// Arrays may nest (an array of arrays), but a hostile file could nest them thousands deep to
// exhaust the stack of a recursive reader. No known writer nests more than two levels.
inline constexpr int max_array_depth = 8;

inline std::string_view to_string(value_type t) noexcept {
    switch (t) {
    case value_type::u8: return "u8";
    case value_type::i8: return "i8";
    case value_type::u16: return "u16";
    case value_type::i16: return "i16";
    case value_type::u32: return "u32";
    case value_type::i32: return "i32";
    case value_type::f32: return "f32";
    case value_type::boolean: return "bool";
    case value_type::string: return "string";
    case value_type::array: return "array";
    case value_type::u64: return "u64";
    case value_type::i64: return "i64";
    case value_type::f64: return "f64";
    }
    return "unknown";
}

// Bytes of one encoded value of a fixed-size type; 0 for string and array (variable length).
inline constexpr std::size_t fixed_size(value_type t) noexcept {
    switch (t) {
    case value_type::u8: case value_type::i8: case value_type::boolean: return 1;
    case value_type::u16: case value_type::i16: return 2;
    case value_type::u32: case value_type::i32: case value_type::f32: return 4;
    case value_type::u64: case value_type::i64: case value_type::f64: return 8;
    case value_type::string: case value_type::array: return 0;
    }
    return 0;
}

// The fewest bytes any value of the type can occupy: bounds how many elements a count may
// claim before a single one is read (string: its u64 length; array: type u32 + count u64).
inline constexpr std::size_t min_encoded_size(value_type t) noexcept {
    if (t == value_type::string) return 8;
    if (t == value_type::array) return 12;
    return fixed_size(t);
}

inline constexpr bool is_integer(value_type t) noexcept {
    switch (t) {
    case value_type::u8: case value_type::i8: case value_type::u16: case value_type::i16:
    case value_type::u32: case value_type::i32: case value_type::u64: case value_type::i64: return true;
    default: return false;
    }
}

// The GGUF type that exactly represents the C++ type T (used by the writer and fast paths).
template <class T>
inline constexpr std::optional<value_type> value_type_of() noexcept {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, bool>) return value_type::boolean;
    else if constexpr (std::is_same_v<U, float>) return value_type::f32;
    else if constexpr (std::is_same_v<U, double>) return value_type::f64;
    else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, char> && sizeof(U) <= 8) {
        constexpr bool s = std::is_signed_v<U>;
        if constexpr (sizeof(U) == 1) return s ? value_type::i8 : value_type::u8;
        else if constexpr (sizeof(U) == 2) return s ? value_type::i16 : value_type::u16;
        else if constexpr (sizeof(U) == 4) return s ? value_type::i32 : value_type::u32;
        else return s ? value_type::i64 : value_type::u64;
    } else if constexpr (std::is_convertible_v<const U&, std::string_view>) return value_type::string;
    else return std::nullopt;
}

class value;

namespace detail {
inline value parse_value(byte_reader& r, value_type type, std::string_view key, std::uint64_t index, int depth);
inline value_type read_value_type(byte_reader& r, const char* what);
}  // namespace detail

class value {
public:
    static constexpr std::uint64_t no_index = std::numeric_limits<std::uint64_t>::max();

    value() = default;

    value_type type() const noexcept { return type_; }
    bool is_array() const noexcept { return type_ == value_type::array; }
    // The metadata key this value belongs to (for an array element: the array's key).
    std::string_view key() const noexcept { return key_; }
    // The element's position in its array, or no_index for a top-level value.
    std::uint64_t index() const noexcept { return index_; }
    // The payload bytes in the mapping: scalar bytes, string bytes, or all encoded array elements.
    std::span<const std::byte> raw() const noexcept { return {data_, size_}; }

    // Checked conversion: integers convert to any integer type that holds the value, numbers to
    // floating point, bool only to bool, strings only to string types. Anything else (or an
    // integer that does not fit) is errc::bad_format naming the key and both types.
    template <class T>
    T as() const;

    // Arrays.
    value_type array_type() const {
        require_array("array_type()");
        return elem_type_;
    }
    std::uint64_t size() const {
        require_array("size()");
        return count_;
    }
    // Element i. O(1) for arrays of fixed-size elements; arrays of strings or arrays are walked
    // from the start (O(i)): iterate with begin()/end() or to_vector() to read them all.
    value element(std::uint64_t i) const;
    template <class T>
    std::vector<T> to_vector() const;

    class iterator;
    iterator begin() const;
    iterator end() const;

    std::string describe() const {
        std::string s = "key '" + std::string(key_) + "'";
        if (index_ != no_index) s = "element " + std::to_string(index_) + " of " + s;
        return s;
    }

private:
    friend value detail::parse_value(detail::byte_reader&, value_type, std::string_view, std::uint64_t, int);

    void require_array(const char* what) const {
        if (type_ != value_type::array)
            throw error(errc::bad_format, describe() + ": " + what + " needs an array, found " +
                                              std::string(to_string(type_)));
    }
    [[noreturn]] void mismatch(std::string_view expected) const {
        throw error(errc::bad_format, describe() + ": expected " + std::string(expected) + ", found " +
                                          std::string(to_string(type_)));
    }
    template <class T>
    T load() const noexcept { return detail::load_le<T>(data_); }
    std::int64_t load_signed() const noexcept;
    std::uint64_t load_unsigned() const noexcept;
    bool is_signed_int() const noexcept {
        return type_ == value_type::i8 || type_ == value_type::i16 || type_ == value_type::i32 ||
               type_ == value_type::i64;
    }

    value_type type_ = value_type::u8;
    value_type elem_type_ = value_type::u8;  // arrays only
    std::uint64_t count_ = 0;                // arrays only
    const std::byte* data_ = nullptr;        // scalar payload, string bytes, or first array element
    std::size_t size_ = 0;                   // bytes at data_ (arrays: all elements)
    std::string_view key_;
    std::uint64_t index_ = no_index;
};

// Forward iteration over an array's elements, decoding each as it is reached.
class value::iterator {
public:
    using iterator_category = std::input_iterator_tag;
    using value_type = gguf::value;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = gguf::value;

    iterator() = default;
    gguf::value operator*() const { return current_; }
    iterator& operator++() {
        advance();
        return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.index_ == b.index_; }

private:
    friend class gguf::value;
    iterator(const gguf::value& array, std::uint64_t index)
        : reader_(array.raw(), "<array>"), key_(array.key()), type_(array.array_type()),
          count_(array.size()), index_(index) {
        if (index_ < count_) advance_to_current();
    }
    void advance() {
        ++index_;
        if (index_ < count_) advance_to_current();
    }
    void advance_to_current() {
        current_ = detail::parse_value(reader_, type_, key_, index_, 1);
    }

    detail::byte_reader reader_{{}, {}};
    std::string_view key_;
    gguf::value_type type_ = gguf::value_type::u8;
    std::uint64_t count_ = 0;
    std::uint64_t index_ = 0;
    gguf::value current_;
};

inline value::iterator value::begin() const {
    require_array("begin()");
    return iterator(*this, 0);
}
inline value::iterator value::end() const {
    require_array("end()");
    iterator it;
    it.index_ = count_;
    return it;
}

inline std::int64_t value::load_signed() const noexcept {
    switch (type_) {
    case value_type::i8: return load<std::int8_t>();
    case value_type::i16: return load<std::int16_t>();
    case value_type::i32: return load<std::int32_t>();
    case value_type::i64: return load<std::int64_t>();
    default: return 0;
    }
}
inline std::uint64_t value::load_unsigned() const noexcept {
    switch (type_) {
    case value_type::u8: return load<std::uint8_t>();
    case value_type::u16: return load<std::uint16_t>();
    case value_type::u32: return load<std::uint32_t>();
    case value_type::u64: return load<std::uint64_t>();
    default: return 0;
    }
}

template <class T>
T value::as() const {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, bool>) {
        if (type_ != value_type::boolean) mismatch("bool");
        return load<std::uint8_t>() != 0;
    } else if constexpr (std::is_same_v<U, std::string_view> || std::is_same_v<U, std::string>) {
        if (type_ != value_type::string) mismatch("string");
        return U(reinterpret_cast<const char*>(data_), size_);
    } else if constexpr (std::is_integral_v<U>) {
        if (!is_integer(type_)) mismatch("an integer");
        if (is_signed_int()) {
            const std::int64_t v = load_signed();
            if (!std::in_range<U>(v))
                throw error(errc::bad_format, describe() + ": " + std::string(to_string(type_)) + " value " +
                                                  std::to_string(v) + " does not fit the expected range [" +
                                                  std::to_string(std::numeric_limits<U>::min()) + ", " +
                                                  std::to_string(std::numeric_limits<U>::max()) + "]");
            return static_cast<U>(v);
        }
        const std::uint64_t v = load_unsigned();
        if (!std::in_range<U>(v))
            throw error(errc::bad_format, describe() + ": " + std::string(to_string(type_)) + " value " +
                                              std::to_string(v) + " does not fit the expected range [" +
                                              std::to_string(std::numeric_limits<U>::min()) + ", " +
                                              std::to_string(std::numeric_limits<U>::max()) + "]");
        return static_cast<U>(v);
    } else if constexpr (std::is_floating_point_v<U>) {
        if (type_ == value_type::f32) return static_cast<U>(load<float>());
        if (type_ == value_type::f64) return static_cast<U>(load<double>());
        if (is_integer(type_))
            return is_signed_int() ? static_cast<U>(load_signed()) : static_cast<U>(load_unsigned());
        mismatch("a number");
    } else {
        static_assert(std::is_same_v<U, bool>, "value::as<T>: T must be arithmetic, bool, std::string or std::string_view");
    }
}

inline value value::element(std::uint64_t i) const {
    require_array("element()");
    if (i >= count_)
        throw error(errc::out_of_range, describe() + ": element " + std::to_string(i) + " of an array of " +
                                            std::to_string(count_));
    if (const auto w = fixed_size(elem_type_)) {
        detail::byte_reader r(raw(), "<array>", static_cast<std::size_t>(i) * w);
        return detail::parse_value(r, elem_type_, key_, i, 1);
    }
    auto it = begin();
    for (std::uint64_t k = 0; k < i; ++k) ++it;
    return *it;
}

template <class T>
std::vector<T> value::to_vector() const {
    require_array("to_vector()");
    std::vector<T> out;
    // count_ was checked against the bytes when the file was parsed, so this is bounded by them.
    out.reserve(static_cast<std::size_t>(count_));
    constexpr auto exact = value_type_of<T>();
    if constexpr (std::is_arithmetic_v<T> && exact.has_value() && !std::is_same_v<T, bool>) {
        if (elem_type_ == *exact) {  // same encoding: load each element without a value object
            for (std::uint64_t i = 0; i < count_; ++i) out.push_back(detail::load_le<T>(data_ + i * sizeof(T)));
            return out;
        }
    }
    if constexpr (std::is_same_v<T, std::string_view>) {
        if (elem_type_ == value_type::string) {  // the vocabulary path: one tight walk
            detail::byte_reader r(raw(), "<array>");
            for (std::uint64_t i = 0; i < count_; ++i) out.push_back(r.read_string("string"));
            return out;
        }
    }
    for (auto v : *this) out.push_back(v.as<T>());
    return out;
}

namespace detail {

inline value_type read_value_type(byte_reader& r, const char* what) {
    const std::size_t at = r.pos();
    const auto id = r.read<std::uint32_t>(what);
    if (id >= value_type_count)
        r.fail(errc::bad_format, at, std::string("unknown ") + what + " id " + std::to_string(id) +
                                         " (expected 0..12)");
    return static_cast<value_type>(id);
}

// Reads one value of `type` at the reader, checking every length against the bytes left, and
// leaves the reader just past it. Arrays are walked (to find their end and prove every element
// is in bounds) but not decoded.
inline value parse_value(byte_reader& r, value_type type, std::string_view key, std::uint64_t index, int depth) {
    value v;
    v.type_ = type;
    v.key_ = key;
    v.index_ = index;
    if (const auto w = fixed_size(type)) {
        auto s = r.take(w, "value");
        v.data_ = s.data();
        v.size_ = s.size();
        return v;
    }
    if (type == value_type::string) {
        auto s = r.read_string("string");
        v.data_ = reinterpret_cast<const std::byte*>(s.data());
        v.size_ = s.size();
        return v;
    }
    // array: element type u32, count u64, elements
    const std::size_t at = r.pos();
    if (depth >= max_array_depth)
        r.fail(errc::bad_format, at, "arrays nested deeper than " + std::to_string(max_array_depth) + " levels");
    v.elem_type_ = read_value_type(r, "array element type");
    v.count_ = r.read<std::uint64_t>("array count");
    const std::size_t min = min_encoded_size(v.elem_type_);
    if (v.count_ > r.remaining() / min)
        r.fail(errc::truncated, at, "array of " + std::to_string(v.count_) + " " +
                                        std::string(to_string(v.elem_type_)) + " needs at least " +
                                        std::to_string(min) + " bytes each, but only " +
                                        std::to_string(r.remaining()) + " bytes remain");
    const std::size_t start = r.pos();
    if (const auto w = fixed_size(v.elem_type_)) {
        r.take(v.count_ * w, "array");  // cannot overflow: count <= remaining / w
    } else if (v.elem_type_ == value_type::string) {
        // The vocabulary case (100k+ strings): skip lengths without building values.
        for (std::uint64_t i = 0; i < v.count_; ++i) r.read_string("string");
    } else {
        for (std::uint64_t i = 0; i < v.count_; ++i) parse_value(r, v.elem_type_, key, i, depth + 1);
    }
    v.data_ = r.bytes().data() + start;
    v.size_ = r.pos() - start;
    return v;
}

}  // namespace detail
}  // namespace gguf
HEARTH_NAMESPACE_END
